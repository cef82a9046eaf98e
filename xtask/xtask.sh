#!/usr/bin/env bash
# Keyplace developer tasks. Everything a fresh Debian machine needs is installed from Debian, crates.io
# and npm only; slow tools are built once into a cache directory.
#
#   xtask/xtask.sh install   build in release and register the host with every browser found
#   xtask/xtask.sh test      build and run every test (Rust unit + integration, typecheck, end to end)
#   xtask/xtask.sh bench     run the benchmark and write BENCHMARKS.md
#   xtask/xtask.sh build     build only (debug host, release WASM core, extension)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CACHE=${KEYPLACE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/keyplace-dev}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TARGET_DIR=$TARGET
WASM_BINDGEN_VERSION=0.2.130 # must equal the wasm-bindgen crate pinned in wasm-core/Cargo.toml
GECKODRIVER_VERSION=0.37.1
APT_PACKAGES=(chromium firefox-esr publicsuffix swtpm libtss2-dev pkg-config build-essential ca-certificates)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_system_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v node >/dev/null || { say "Installing Node.js"; as_root apt-get install -y -qq nodejs npm >/dev/null; }
  command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup (Debian: apt-get install rustup)" >&2; exit 1; }
}

ensure_rust_tools() {
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  WASM_BINDGEN="$CACHE/wasm-bindgen-$WASM_BINDGEN_VERSION/bin/wasm-bindgen"
  if [ ! -x "$WASM_BINDGEN" ]; then
    say "Building wasm-bindgen-cli $WASM_BINDGEN_VERSION once into $CACHE (about 5 minutes)"
    # Not --locked: its lock file names a webpki-roots release the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$CACHE/wasm-bindgen-$WASM_BINDGEN_VERSION" --quiet
  fi
}

# Only the tests need geckodriver (Firefox through WebDriver); built from crates.io once, then cached.
ensure_geckodriver() {
  GECKODRIVER="$CACHE/geckodriver-$GECKODRIVER_VERSION/bin/geckodriver"
  if [ ! -x "$GECKODRIVER" ]; then
    say "Building geckodriver $GECKODRIVER_VERSION once into $CACHE (a few minutes)"
    cargo install geckodriver --version "$GECKODRIVER_VERSION" --locked --root "$CACHE/geckodriver-$GECKODRIVER_VERSION" --quiet
  fi
  export KEYPLACE_GECKODRIVER="$GECKODRIVER"
}

ensure_node_modules() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build_wasm_core() {
  say "Building the WASM core"
  cargo build -p keyplace-core --target wasm32-unknown-unknown --profile wasm --quiet
  local out="$ROOT/extension/build/wasm"
  rm -rf "$out" && mkdir -p "$out"
  # Symbol names are a third of the module and never needed at run time. No wasm-opt: Debian's binaryen
  # (108) rewrites wasm-bindgen's externref table into one the browser refuses to instantiate.
  "$WASM_BINDGEN" --target web --remove-name-section --out-dir "$out" "$TARGET/wasm32-unknown-unknown/wasm/keyplace_core.wasm"
}

build_all() {
  local profile=$1
  ensure_system_packages
  ensure_rust_tools
  ensure_node_modules
  say "Building keyplace-host ($profile)"
  if [ "$profile" = release ]; then cargo build -p keyplace-host --release --quiet; else cargo build -p keyplace-host --quiet; fi
  build_wasm_core
  say "Type-checking and bundling the extension"
  npx tsc -p extension/tsconfig.json
  node extension/build.mjs chromium
  node extension/build.mjs firefox
  node extension/package.mjs chromium
  node extension/package.mjs firefox
}

cmd_install() {
  build_all release
  local bin_dir="${KEYPLACE_BIN_DIR:-$HOME/.local/bin}"
  mkdir -p "$bin_dir"
  install -m 0755 "$TARGET/release/keyplace-host" "$bin_dir/keyplace-host"
  say "Registering the host with the browsers found"
  "$bin_dir/keyplace-host" install --host-path "$bin_dir/keyplace-host"
  "$bin_dir/keyplace-host" doctor || true
  cat <<EOF

Keyplace is built. To load the extension in Chromium or Chrome:
  1. open chrome://extensions and switch on "Developer mode";
  2. click "Load unpacked" and choose $ROOT/extension/dist/chromium
     (its ID is ipdamncjijplhbkhipddgambbnginfmp, which the host was registered for).
In Firefox: about:debugging → This Firefox → Load Temporary Add-on… → $ROOT/extension/dist/firefox/manifest.json
  (add-on ID keyplace@keyplace.dev; see the README to keep it installed).
Then visit a site that offers passkeys: Keyplace asks where each new passkey should live.
EOF
}

# Runs a test command, keeping its output for the closing summary.
run_suite() {
  local log=$1; shift
  set +e
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  set -e
  return "$status"
}

cmd_test() {
  build_all debug
  ensure_geckodriver
  local logs
  logs=$(mktemp -d)
  local failed=0
  say "Rust tests"
  run_suite "$logs/cargo.log" cargo test --workspace --quiet || failed=1
  say "macOS and Windows stores: type-check and lint (nothing links for those targets here)"
  native-host/scripts/cross-check.sh || failed=1
  say "End-to-end tests in headless Chromium (a real TPM on swtpm, the RP library verifying each response)"
  run_suite "$logs/e2e.log" node --test --test-concurrency=1 tests/harness/ tests/e2e/ || failed=1
  say "End-to-end tests in headless Firefox ESR, web-ext lint, and one passkey used from both browsers"
  run_suite "$logs/firefox.log" node --test --test-concurrency=1 tests/firefox/ || failed=1
  local passed fails
  passed=$(( $(grep -ho 'test result: [a-zA-Z]*\. [0-9]* passed' "$logs/cargo.log" | awk '{s+=$4} END {print s+0}') \
           + $(cat "$logs/e2e.log" "$logs/firefox.log" | grep -E '^# pass [0-9]+' | awk '{s+=$3} END {print s+0}') ))
  fails=$(( $(grep -ho '; [0-9]* failed' "$logs/cargo.log" | awk '{s+=$2} END {print s+0}') \
          + $(cat "$logs/e2e.log" "$logs/firefox.log" | grep -E '^# fail [0-9]+' | awk '{s+=$3} END {print s+0}') ))
  rm -rf "$logs"
  if [ "$failed" -ne 0 ] && [ "$fails" -eq 0 ]; then fails=1; fi # a suite that crashed before counting
  echo
  echo "$passed passed, $fails failed"
  return "$failed"
}

cmd_bench() {
  build_all debug
  ensure_geckodriver
  cargo build -p keyplace-host --release --quiet
  KEYPLACE_HOST_BIN="$TARGET/release/keyplace-host" node tests/bench/run.mjs
}

case "${1:-}" in
  install) cmd_install ;;
  test) cmd_test ;;
  bench) cmd_bench ;;
  build) build_all debug ;;
  *) sed -n '2,9p' "$0"; exit 2 ;;
esac
