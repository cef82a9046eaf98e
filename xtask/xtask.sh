#!/usr/bin/env bash
# Keyplace developer tasks. Everything a fresh Debian machine needs is installed from Debian, crates.io, npm
# and PyPI (the Public Suffix List) only; slow tools are built or fetched once into a cache directory.
#
#   xtask/xtask.sh install   build in release and register the host with every browser found
#   xtask/xtask.sh test      lint, build and run every test, then one summary (its last line: N passed, N failed)
#   xtask/xtask.sh lint      the lint stages of `test` alone: rustfmt, Biome, tsc, clippy for every target
#   xtask/xtask.sh bench     run the benchmark and write BENCHMARKS.md
#   xtask/xtask.sh demo [chromium|firefox] [--smoke]
#                            the demo site and a browser with Keyplace in a throwaway profile (--smoke: headless walk-through)
#   xtask/xtask.sh build     build only (debug host, release WASM core, extension)
#   xtask/xtask.sh deb       the host in release as a Debian package (xtask/deb.sh; $CARGO_TARGET_DIR/deb/*.deb)
# Reports of the last `test` or `lint` run stay in $CARGO_TARGET_DIR/test-reports (JUnit, libtest JSON).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CACHE=${KEYPLACE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/keyplace-dev}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TARGET_DIR=$TARGET
WASM_BINDGEN_VERSION=0.2.130 # must equal the wasm-bindgen crate pinned in wasm-core/Cargo.toml
GECKODRIVER_VERSION=0.37.1
# dbus-daemon and gnome-keyring: a real Secret Service for the vault's OS-seal tests (native-host/src/test_support/secret_service.rs).
APT_PACKAGES=(chromium firefox-esr publicsuffix swtpm libtss2-dev pkg-config build-essential ca-certificates openssl dbus-daemon gnome-keyring)

# shellcheck source=xtask/psl.sh
. "$ROOT/xtask/psl.sh" # ensure_public_suffix_list: the list keyplace-core embeds

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
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
  done
  ensure_public_suffix_list
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
  optimize_wasm "$out/keyplace_core_bg.wasm"
}

# wasm-opt -Oz from npm's binaryen (a current release; Debian's 108 breaks wasm-bindgen's externref table): about a
# tenth smaller, which the 400 KB budget needs. It takes half a minute on 2 cores, so each result is kept in the
# cache under the hash of its input and reused when the core has not changed.
optimize_wasm() {
  local wasm="$1" hash cached
  hash=$(sha256sum "$wasm" | cut -c1-64)
  cached="$CACHE/wasm-opt/$hash.wasm"
  if [ ! -f "$cached" ]; then
    say "Optimizing the WASM core with wasm-opt -Oz (cached by its hash)"
    mkdir -p "$CACHE/wasm-opt"
    # Exactly the features rustc's wasm32 target uses, so nothing new appears in the module.
    npx --no-install wasm-opt -Oz --enable-reference-types --enable-bulk-memory --enable-mutable-globals \
      --enable-sign-ext --enable-nontrapping-float-to-int --enable-multivalue "$wasm" -o "$cached.tmp"
    mv "$cached.tmp" "$cached"
  fi
  cp "$cached" "$wasm"
}

build_host() {
  say "Building keyplace-host ($1)"
  if [ "$1" = release ]; then cargo build -p keyplace-host --release --quiet; else cargo build -p keyplace-host --quiet; fi
}

bundle_extension() {
  say "Bundling the extension"
  node extension/build.mjs chromium
  node extension/build.mjs firefox
  node extension/package.mjs chromium
  node extension/package.mjs firefox
}

typecheck_extension() {
  say "Type-checking the extension"
  npx tsc -p extension/tsconfig.json
}

ensure_tools() {
  ensure_system_packages
  ensure_rust_tools
  ensure_node_modules
}

build_all() {
  ensure_tools
  build_host "$1"
  build_wasm_core
  typecheck_extension
  bundle_extension
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

# Stages of `test` and `lint` run one after another, whatever failed before (the summary needs every result).
# Each appends a line to stages.tsv: name, kind (see xtask/summary.mjs), exit status, report file or reason, seconds.
REPORTS=$TARGET/test-reports

start_reports() {
  rm -rf "$REPORTS" && mkdir -p "$REPORTS"
  : >"$REPORTS/stages.tsv"
}

# stage NAME KIND REPORT COMMAND...: runs COMMAND with errexit off, so a failure is recorded, not fatal. A stage of
# several steps is a function whose body is a `set -e` subshell: its first failing step fails the stage. (Not
# `COMMAND || status=$?`: bash ignores errexit inside anything run on the left of `||`, even a `set -e` subshell.)
stage() {
  local name=$1 kind=$2 report=$3 status started=$SECONDS
  shift 3
  say "$name"
  set +e
  "$@"
  status=$?
  set -e
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$kind" "$status" "$report" $((SECONDS - started)) >>"$REPORTS/stages.tsv"
  STAGE_STATUS=$status
}

skip_stage() {
  say "$1: skipped, $2"
  printf '%s\tskipped\t-\t%s\t0\n' "$1" "$2" >>"$REPORTS/stages.tsv"
}

build_wasm_core_checked() (
  set -e
  build_wasm_core
)

build_for_tests() (
  set -e
  build_host debug
  build_wasm_core
  bundle_extension
)

# Needs the WASM core's .d.ts, so it runs after the build.
lint_stages() {
  stage "tsc (extension)" check - npx tsc -p extension/tsconfig.json
  stage "clippy (Linux)" check - cargo clippy --workspace --all-targets --quiet -- -D warnings
  stage "clippy (wasm32 core)" check - cargo clippy -p keyplace-core --target wasm32-unknown-unknown --quiet -- -D warnings
  stage "clippy (macOS host)" check - xtask/cross-check.sh aarch64-apple-darwin
  stage "clippy (Windows host)" check - xtask/cross-check.sh x86_64-pc-windows-msvc
}

# libtest's JSON output is unstable, so its test binaries (and rustdoc, for doctests) get RUSTC_BOOTSTRAP=1, but
# only when they run: cargo and rustc never see it, or proc-macro2's build script would force a rebuild. Cargo's
# messages go through the same pipe so they stay in order with the results; the report ignores what is not JSON.
rust_tests() (
  host=$(rustc -vV | sed -n 's/^host: //p') || exit
  runner="CARGO_TARGET_$(printf '%s' "$host" | tr '[:lower:]-' '[:upper:]_')_RUNNER"
  printf '#!/bin/sh\nRUSTC_BOOTSTRAP=1 exec %s "$@"\n' "${RUSTDOC:-rustdoc}" >"$REPORTS/rustdoc" || exit
  chmod +x "$REPORTS/rustdoc" || exit
  env "$runner=env RUSTC_BOOTSTRAP=1" RUSTDOC="$REPORTS/rustdoc" \
    cargo test --workspace --no-fail-fast -- -Z unstable-options --format json --report-time 2>&1 |
    node xtask/libtest-view.mjs "$REPORTS/rust-tests.jsonl"
  statuses=("${PIPESTATUS[@]}")
  [ "${statuses[0]}" -eq 0 ] && [ "${statuses[1]}" -eq 0 ]
)

# node's test runner: the usual output on stdout and a JUnit report (REPORTS/$1) for the summary.
node_reporters() {
  NODE_REPORTERS=(--test-reporter=spec --test-reporter-destination=stdout
    --test-reporter=junit "--test-reporter-destination=$REPORTS/$1")
}

cmd_lint() {
  ensure_tools
  start_reports
  stage "rustfmt" check - cargo fmt --all --check
  stage "Biome lint" check - npx biome lint --error-on-warnings --diagnostic-level=warn --max-diagnostics=none
  stage "WASM core (for tsc)" check - build_wasm_core_checked
  lint_stages
  node xtask/summary.mjs "$REPORTS"
}

cmd_test() {
  ensure_tools
  ensure_geckodriver
  start_reports
  stage "rustfmt" check - cargo fmt --all --check
  stage "Biome lint" check - npx biome lint --error-on-warnings --diagnostic-level=warn --max-diagnostics=none
  stage "Build" check - build_for_tests
  local built=$STAGE_STATUS
  lint_stages
  stage "Rust tests" libtest rust-tests.jsonl rust_tests
  if [ -f extension/scripts/unit-tests.mjs ]; then
    node_reporters unit-tests.xml
    stage "TypeScript unit tests" junit unit-tests.xml node extension/scripts/unit-tests.mjs "${NODE_REPORTERS[@]}"
  else
    skip_stage "TypeScript unit tests" "extension/scripts/unit-tests.mjs does not exist"
  fi
  # Every scenario in headless Chromium and Firefox ESR (a real TPM on swtpm, the RP library verifying each
  # response), packaging and web-ext lint, the docs' references, the harness itself and the summary's readers.
  local dirs=() dir
  for dir in tests/harness tests/scenarios tests/load tests/packaging tests/docs tests/e2e tests/firefox xtask; do
    if [ -d "$dir" ]; then dirs+=("$dir/"); fi
  done
  if [ "$built" -eq 0 ]; then
    node_reporters node-tests.xml
    stage "End-to-end and harness tests" junit node-tests.xml \
      node --test --test-concurrency=1 "${NODE_REPORTERS[@]}" "${dirs[@]}"
  else
    # extension/dist may hold an older build: passing against it would prove nothing.
    skip_stage "End-to-end and harness tests" "the build failed"
  fi
  node xtask/summary.mjs "$REPORTS"
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
  lint) cmd_lint ;;
  bench) cmd_bench ;;
  demo)
    build_all debug
    if [ "${2:-}" = firefox ]; then ensure_geckodriver; fi
    shift
    node "$ROOT/xtask/demo.mjs" "$@"
    ;;
  build) build_all debug ;;
  deb) ensure_system_packages; ensure_public_suffix_list; build_host release; shift; "$ROOT/xtask/deb.sh" "$@" ;;
  *) sed -n '2,11p' "$0"; exit 2 ;;
esac
