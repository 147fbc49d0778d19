#!/usr/bin/env bash
# Start-up cost of the torch-free verbs: wall time and peak memory of `nnmass mass` (which does not
# load libtorch) against `nnmass build --help` (which loads the torch plugin and does nothing
# else: what every verb paid before the split), in the same run. Optionally also an older nnmass
# binary's `mass`, for a before/after figure.
#   usage: bench/startup.sh [BUILD_DIR] [OLD_NNMASS]   (needs /usr/bin/time: apt-get install time)
set -euo pipefail
build=${1:-build}
old=${2:-}
runs=20
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mass_args="mass --family mlp --width 8 --depth 20 --tc 7"

measure() {  # label, command...: median wall time (ms) and median peak RSS (MiB) over $runs runs
  local label=$1; shift
  : > "$tmp/wall"; : > "$tmp/mem"
  for _ in $(seq "$runs"); do
    local start=$EPOCHREALTIME
    "$@" > /dev/null 2>&1
    echo "$EPOCHREALTIME $start" | awk '{printf "%.3f\n", ($1 - $2) * 1000}' >> "$tmp/wall"
    /usr/bin/time -f '%M' -a -o "$tmp/mem" "$@" > /dev/null 2>&1
  done
  printf "%-58s %8.1f ms %8.1f MiB\n" "$label" "$(sort -g "$tmp/wall" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')" \
    "$(sort -g "$tmp/mem" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)] / 1024}')"
}

echo "median of $runs runs: wall time, peak RSS"
measure "nnmass $mass_args" "$build/nnmass" $mass_args
measure "nnmass build --help (loads libtorch)" "$build/nnmass" build --help
[[ -n "$old" ]] && measure "old nnmass $mass_args" "$old" $mass_args
exit 0
