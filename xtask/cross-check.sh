#!/usr/bin/env bash
# Lints the host for macOS and Windows from Linux with clippy -D warnings (clippy type-checks; nothing links here).
# Usage: xtask/cross-check.sh [target...]   (default: aarch64-apple-darwin x86_64-pc-windows-msvc)
# rusqlite's bundled SQLite is C, compiled by a build script even for `cargo check`, and this machine has no macOS
# SDK or MSVC: stand-in compiler and archiver commands make that step a no-op. Only `check`/`clippy` are valid
# with them; real builds for those targets happen on those systems.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(aarch64-apple-darwin x86_64-pc-windows-msvc)
for target in "${targets[@]}"; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
done
# A fixed place: the archiver's path is part of the build script's inputs, a new one would rebuild SQLite.
mkdir -p "${CARGO_TARGET_DIR:-target}/cross-check-stubs"
stub_dir=$(cd "${CARGO_TARGET_DIR:-target}/cross-check-stubs" && pwd)
# Archivers must leave the output file behind (cc-rs copies it); compilers only need to succeed.
cat >"$stub_dir/stub-ar" <<'STUB'
#!/bin/sh
for arg in "$@"; do
  case "$arg" in
    -out:*|/OUT:*|/out:*) : >"${arg#*:}" ;;
    *.a) [ -e "$arg" ] || : >"$arg" ;;
  esac
done
exit 0
STUB
chmod +x "$stub_dir/stub-ar"
export CC_aarch64_apple_darwin=true AR_aarch64_apple_darwin="$stub_dir/stub-ar"
export CC_x86_64_pc_windows_msvc=true AR_x86_64_pc_windows_msvc="$stub_dir/stub-ar"
for target in "${targets[@]}"; do
  echo "== $target"
  cargo clippy -p keyplace-host --all-targets --target "$target" -- -D warnings
done
