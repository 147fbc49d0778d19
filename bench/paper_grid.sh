#!/usr/bin/env bash
# The whole paper-scale MLP grid, end to end: examples/paper-mlp-sweep.json (325 runs x 60 epochs
# of Adam on Fashion-MNIST, LDI at initialization on 10,000 test images), as the README runs it,
# with the default packing and --jobs. Prints the wall time and the sweep's own summary. The
# database is kept (resumable: a killed run continues where it stopped, and only the time of the
# last invocation is reported).
#   usage: bench/paper_grid.sh [BUILD_DIR] [DB=runs/paper-grid.sqlite]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
db=${2:-runs/paper-grid.sqlite}
[ -x "$build/nnmass" ] || { echo "error: $build/nnmass not found; build first" >&2; exit 2; }
start=$EPOCHREALTIME
"$build/nnmass" sweep --grid "$here/../examples/paper-mlp-sweep.json" --db "$db"
echo "$EPOCHREALTIME $start" | awk '{printf "paper grid end to end: %.1f s = %.1f min on %d cores\n", $1 - $2, ($1 - $2) / 60, '"$(nproc)"'}'
