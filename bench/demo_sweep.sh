#!/usr/bin/env bash
# The README's main job, the demo sweep (examples/demo-sweep.json: 45 runs x 2 epochs with LDI):
# wall time and peak memory (max RSS) of this build, and optionally of an older nnmass binary
# (e.g. one built from a commit before packed training) in the same run.
#   usage: bench/demo_sweep.sh [BUILD_DIR] [OLD_NNMASS]   (needs /usr/bin/time: apt-get install time)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
old=${2:-}
[ -x "$build/nnmass" ] || { echo "error: $build/nnmass not found; build first" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
measure() {  # label, nnmass binary
  /usr/bin/time -f '%e %M' -o "$tmp/t" "$2" sweep --grid "$here/../examples/demo-sweep.json" \
    --db "$tmp/$1.sqlite" > /dev/null 2> "$tmp/log_$1"
  read -r wall rss < "$tmp/t"
  printf "  %-8s %7.1f s  %7.1f MiB peak RSS   (%s)\n" "$1" "$wall" "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "$2"
}
echo "demo sweep (45 runs x 2 epochs, LDI on 1,000 images), Fashion-MNIST, default --jobs:"
[ -n "$old" ] && measure before "$old"
measure now "$build/nnmass"
