#!/usr/bin/env bash
# Builds the fuzzing harnesses (fuzz/: clang, libFuzzer, AddressSanitizer + UBSan) in build-fuzz
# and runs each one over its seed corpus (fuzz/corpus/<name>) and then for a fixed time. Any
# finding (crash, sanitizer report, leak, timeout, out-of-memory) fails the script, and the input
# that caused it is kept in build-fuzz/findings/<name>/. About 15 s per harness.
#   usage: scripts/fuzz-smoke.sh [SECONDS_PER_HARNESS]     (needs: clang libfuzzer-14-dev)
#   environment: NNMASS_FUZZ_BUILD (build folder), NNMASS_JOBS (parallel compile jobs)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${NNMASS_FUZZ_BUILD:-$root/build-fuzz}
seconds=${1:-15}
jobs=${NNMASS_JOBS:-$(nproc)}

if ! command -v clang++ >/dev/null; then
  echo "fuzz-smoke: clang++ not found; run scripts/install-deps.sh (clang libfuzzer-14-dev)" >&2
  exit 2
fi
CC=clang CXX=clang++ cmake -S "$root/fuzz" -B "$build" >/dev/null
cmake --build "$build" -j"$jobs" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=()
for source in "$root"/fuzz/fuzz_*.cpp; do
  name=$(basename "$source" .cpp)
  name=${name#fuzz_}
  corpus="$root/fuzz/corpus/$name"
  mkdir -p "$work/$name/new" "$work/$name/artifacts"
  # New inputs go to a scratch folder: the seed corpus in the repository is only read.
  if TMPDIR="$work/$name" "$build/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$work/$name/artifacts/" "$work/$name/new" "$corpus" >"$work/$name/log" 2>&1; then
    echo "fuzz-smoke: $name ok ($(grep -Eo '^Done [0-9]+ runs' "$work/$name/log" | cut -d' ' -f2) runs)"
  else
    failed+=("$name")
    mkdir -p "$build/findings/$name"
    cp "$work/$name/artifacts/"* "$build/findings/$name/" 2>/dev/null || true
    echo "fuzz-smoke: $name FAILED; inputs kept in $build/findings/$name/; the end of its log:" >&2
    tail -n 30 "$work/$name/log" >&2
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz-smoke: findings in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz-smoke: no findings"
