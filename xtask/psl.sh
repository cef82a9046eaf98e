#!/usr/bin/env bash
# The Public Suffix List keyplace-core embeds (wasm-core/build.rs reads the file named by KEYPLACE_PSL_FILE).
# It comes from the PyPI package `publicsuffixlist`, which republishes the upstream list within days of each change;
# its wheel carries the list as publicsuffixlist/public_suffix_list.dat with `// VERSION:` and `// COMMIT:` headers.
#
# To update the list (here is the only place it is pinned): pick the newest release
# (`python3 -m pip index versions publicsuffixlist`; releases are named <code version>.<list date>), put it in
# PSL_PACKAGE_VERSION and its wheel's hash in PSL_WHEEL_SHA256 (`python3 -m pip download --no-deps
# --only-binary=:all: publicsuffixlist==<version> -d /tmp/psl && python3 -m pip hash /tmp/psl/*.whl`), run
# `bash xtask/psl.sh`, export the KEYPLACE_PSL_FILE it prints, run `cargo test -p keyplace-core public_suffix`, and
# commit. pip refuses a wheel whose hash differs, so a build never embeds a list nobody reviewed.
#
# Sourced (`. xtask/psl.sh`): defines ensure_public_suffix_list, which fetches the pinned wheel once into the cache
# and exports KEYPLACE_PSL_FILE. Run directly (`bash xtask/psl.sh`): does the same and prints the export line.

PSL_PACKAGE_VERSION=1.1.2.20261023
PSL_WHEEL_SHA256=c792aa3fd37076c15f1c9d9897e59e9d58e8bacdf4315eb9cc10141a26d8995c

ensure_public_suffix_list() {
  local cache=${KEYPLACE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/keyplace-dev}
  local dir="$cache/psl-$PSL_PACKAGE_VERSION"
  local list="$dir/public_suffix_list.dat"
  if [ ! -s "$list" ]; then
    if ! python3 -m pip --version >/dev/null 2>&1; then
      echo "==> Installing python3-pip from Debian (to fetch the Public Suffix List)" >&2
      if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
      else
        sudo apt-get update -qq && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
      fi
    fi
    echo "==> Fetching the Public Suffix List (publicsuffixlist $PSL_PACKAGE_VERSION) once into $dir" >&2
    mkdir -p "$dir/wheel"
    printf 'publicsuffixlist==%s --hash=sha256:%s\n' "$PSL_PACKAGE_VERSION" "$PSL_WHEEL_SHA256" >"$dir/requirements.txt"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --require-hashes \
      -r "$dir/requirements.txt" -d "$dir/wheel" || return 1
    # Extract to a temporary name first, so an interrupted run never leaves a half list behind.
    python3 - "$dir/wheel" "$list.partial" <<'PY' || return 1
import glob, sys, zipfile
wheels = glob.glob(sys.argv[1] + "/publicsuffixlist-*.whl")
if len(wheels) != 1:
    sys.exit(f"expected one publicsuffixlist wheel in {sys.argv[1]}, found {wheels}")
with zipfile.ZipFile(wheels[0]) as wheel, open(sys.argv[2], "wb") as out:
    out.write(wheel.read("publicsuffixlist/public_suffix_list.dat"))
PY
    # Non-trivial: both sections, a version header, and thousands of rules (the 2026 list has about 10,000).
    local rules
    rules=$(grep -cv -e '^//' -e '^[[:space:]]*$' "$list.partial" || true)
    if ! grep -q '===BEGIN ICANN DOMAINS===' "$list.partial" ||
      ! grep -q '===BEGIN PRIVATE DOMAINS===' "$list.partial" ||
      ! grep -q '^// VERSION: ' "$list.partial" || [ "$rules" -lt 8000 ]; then
      echo "publicsuffixlist $PSL_PACKAGE_VERSION does not hold a usable Public Suffix List ($rules rules)" >&2
      rm -f "$list.partial"
      return 1
    fi
    mv "$list.partial" "$list"
  fi
  export KEYPLACE_PSL_FILE="$list"
}

# Run directly rather than sourced.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  ensure_public_suffix_list
  echo "export KEYPLACE_PSL_FILE=$KEYPLACE_PSL_FILE"
fi
