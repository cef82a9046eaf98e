#!/usr/bin/env bash
# Runs the coverage-guided fuzz targets of native-host/fuzz/ (cargo-fuzz, libFuzzer) one after another, each for a
# set time, and prints one line per target: runs, coverage, crashes. Results belong in FUZZING.md.
#
#   xtask/fuzz.sh [SECONDS] [TARGET...]   SECONDS per target (default 600); targets: framing request options inspect cxf
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). libFuzzer needs unstable rustc flags: RUSTC_BOOTSTRAP=1 lets the
# stable toolchain take them, only for this separate workspace and its own target directory. One target at a time:
# libFuzzer uses one core. New inputs go to a scratch corpus under native-host/fuzz/target/, so the corpora in the
# repository stay small; a crash is saved in native-host/fuzz/artifacts/<target>/ and stops that target.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FUZZ=$ROOT/native-host/fuzz
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(framing request options inspect cxf)
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2; exit 1; }
# shellcheck source=xtask/psl.sh
. "$ROOT/xtask/psl.sh"
ensure_public_suffix_list

cd "$FUZZ"
export RUSTC_BOOTSTRAP=1
# Release, with debug assertions and overflow checks (an overflow is a crash), and AddressSanitizer for the C
# parts (SQLite is linked in but not reached by these targets).
cargo fuzz build -O -a
LOGS=$FUZZ/target/fuzz-logs
mkdir -p "$LOGS"
failed=0
for target in "${TARGETS[@]}"; do
  work=$FUZZ/target/corpus-work/$target
  mkdir -p "$work"
  echo "==> $target for ${SECONDS_EACH}s"
  set +e
  cargo fuzz run -O -a "$target" "$work" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -timeout=10 -max_len=16384 -print_final_stats=1 >"$LOGS/$target.log" 2>&1
  status=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$target.log" | tail -1)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$LOGS/$target.log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  features=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corpus=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$done_line")
  crashes=$(find "$FUZZ/artifacts/$target" -type f 2>/dev/null | wc -l)
  printf '%s\t%ss\truns %s\tcov %s\tft %s\tcorpus %s\tcrashes %s\texit %s\n' \
    "$target" "$SECONDS_EACH" "${runs:-?}" "${cov:-?}" "${features:-?}" "${corpus:-?}" "$crashes" "$status" |
    tee -a "$LOGS/summary.tsv"
  [ "$status" -eq 0 ] && [ "$crashes" -eq 0 ] || failed=1
done
exit "$failed"
