#!/usr/bin/env bash
# Runs one of the grids in examples/ into docs/results/<name>/ and writes its report there:
#   runs.sqlite (every run; resumable: run the script again after an interruption and only the
#   missing runs train), report/ (report.md, plots/, runs.csv) and COMMAND.md (the commands, the
#   machine and the wall time of the last invocation).
#   usage: scripts/result-grid.sh NAME [BUILD_DIR]     e.g. scripts/result-grid.sh fmnist-cnn
# NAME picks examples/NAME-sweep.json. Extra sweep flags can follow in SWEEP_FLAGS (e.g. --jobs 1);
# GROUP_BY sets the report's grouping (default: family for grids of several families, else depth).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: scripts/result-grid.sh NAME [BUILD_DIR]}
build=${2:-$here/build}
grid="examples/$name-sweep.json"
out="docs/results/$name"
cd "$here"
[ -f "$grid" ] || { echo "error: $grid not found (NAME is one of: $(ls examples | sed -n 's/-sweep.json$//p' | paste -sd' '))" >&2; exit 2; }
[ -x "$build/nnmass" ] || { echo "error: $build/nnmass not found; build first (see README)" >&2; exit 2; }
mkdir -p "$out"
start=$EPOCHREALTIME
# shellcheck disable=SC2086
"$build/nnmass" sweep --grid "$grid" --db "$out/runs.sqlite" ${SWEEP_FLAGS:-}
group_by=${GROUP_BY:-$(grep -q '"models"' "$grid" && echo family || echo depth)}
seconds=$(echo "$EPOCHREALTIME $start" | awk '{printf "%.0f", $1 - $2}')
"$build/nnmass" report "$out/runs.sqlite" --out "$out/report" --group-by "$group_by" >/dev/null
cat > "$out/COMMAND.md" <<EOT
# $name

Made by \`scripts/result-grid.sh $name\` on $(date -u +%Y-%m-%d), $("$build/nnmass" --version 2>/dev/null | head -n 1):

    build/nnmass sweep --grid $grid --db $out/runs.sqlite ${SWEEP_FLAGS:-}
    build/nnmass report $out/runs.sqlite --out $out/report --group-by $group_by

Last invocation: $seconds s ($(awk -v s="$seconds" 'BEGIN{printf "%.1f", s / 60}') min) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')).
A sweep resumed after an interruption reports only its last invocation's time; the per-run
training seconds are in runs.csv (train_seconds).
EOT
echo "results in $out/ (report: $out/report/report.md)"
