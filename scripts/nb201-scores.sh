#!/usr/bin/env bash
# Scores all 15,625 NAS-Bench-201 cells with the data-free proxies (synflow, zen, meco) beside
# NN-Mass, #params and FLOPs, into docs/results/nb201-scores/: scores.csv.gz (one row per cell),
# agreement.md (how the predictors rank the space against each other) and COMMAND.md (commands,
# machine, wall time). Resumable: the database (scores.sqlite, not committed) keeps finished cells.
# With an accuracy table keyed by arch string (e.g. NATS-Bench's CIFAR-10 table, not available on
# these machines):  build/nnmass report docs/results/nb201-scores/scores.sqlite --truth TABLE.csv
#   usage: scripts/nb201-scores.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
out="$here/docs/results/nb201-scores"
cd "$here"
[ -x "$build/nnmass" ] || { echo "error: $build/nnmass not found; build first (see README)" >&2; exit 2; }
mkdir -p "$out"
start=$EPOCHREALTIME
/usr/bin/time -f "peak memory %M KiB" -o "$out/memory.txt" "$build/nnmass" score --nb201 all --proxies data-free --batch-size 8 --db "$out/scores.sqlite" --csv "$out/scores.csv"
seconds=$(echo "$EPOCHREALTIME $start" | awk '{printf "%.0f", $1 - $2}')
gzip -f -n "$out/scores.csv"
/usr/bin/python3 scripts/predictor-agreement.py "$out/scores.csv.gz" nn_mass params flops synflow zen meco > "$out/agreement.md"
cat > "$out/COMMAND.md" <<EOT
# nb201-scores

Made by \`scripts/nb201-scores.sh\` on $(date -u +%Y-%m-%d), $("$build/nnmass" --version 2>/dev/null | head -n 1):

    build/nnmass score --nb201 all --proxies data-free --batch-size 8 --db $out/scores.sqlite --csv $out/scores.csv
    python3 scripts/predictor-agreement.py scores.csv.gz nn_mass params flops synflow zen meco

Last invocation: $seconds s ($(awk -v s="$seconds" 'BEGIN{printf "%.1f", s / 60}') min) on $(nproc) cores
($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), peak memory in the line below.
A resumed run reports only its last invocation's time.
EOT
echo "results in $out/"
