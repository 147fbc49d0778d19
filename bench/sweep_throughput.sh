#!/usr/bin/env bash
# Sweep throughput of lone runs (--pack 1): a small real sweep (12 width-8 MLPs on Fashion-MNIST,
# 1 epoch each, every run alone; bench/pack_throughput.sh measures packs) run with
# --jobs 1 and --jobs 2 in the same run; prints runs per hour and the training FLOP/s achieved
# (3 x forward FLOPs per training sample, + forward FLOPs per test sample) against the machine's
# float32 GEMM peak measured in the same run (bench_peak).
#   usage: bench/sweep_throughput.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
for b in nnmass bench/bench_peak; do
  [ -x "$build/$b" ] || { echo "error: $build/$b not found; build first (cmake --build build -j2)" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bench/bench_peak" > "$tmp/peak"
for jobs in 1 2; do
  /usr/bin/time -f '%e' -o "$tmp/wall_$jobs" "$build/nnmass" sweep --family mlp --width 8 --depth 16,24,32 \
    --tc 0,4,8,12 --seeds 0 --epochs 1 --pack 1 --jobs "$jobs" --db "$tmp/sweep_$jobs.sqlite" > /dev/null 2>&1
  "$build/nnmass" report "$tmp/sweep_$jobs.sqlite" --out "$tmp/report_$jobs" --no-plots > /dev/null
done
/usr/bin/python3 - "$tmp" <<'PY'
import csv, sys
tmp = sys.argv[1]
peak = {int(l.split()[1].split("=")[1]): float(l.split()[2]) for l in open(f"{tmp}/peak")}
train_n, test_n = 60000, 10000
print("sweep throughput: 12 w8 MLPs (d 16/24/32 x t_c 0/4/8/12), 1 epoch each, Fashion-MNIST")
for jobs in (1, 2):
    rows = list(csv.DictReader(open(f"{tmp}/report_{jobs}/runs.csv")))
    wall = float(open(f"{tmp}/wall_{jobs}").read())
    flops = sum((3 * train_n + test_n) * int(r["epochs"]) * int(r["flops"]) for r in rows)
    ref = peak[max(peak)] if jobs > 1 else peak[1]
    print(f"  --jobs {jobs}: {len(rows)} runs in {wall:.1f} s = {3600 * len(rows) / wall:.0f} runs/hour; "
          f"{flops / wall / 1e9:.3f} GFLOP/s achieved = {100 * flops / wall / 1e9 / ref:.2f} % of the "
          f"{ref:.1f} GFLOP/s GEMM peak on {jobs} thread(s)")
PY
