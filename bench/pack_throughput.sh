#!/usr/bin/env bash
# Packed training throughput on the paper grid's architectures (examples/paper-mlp-sweep.json:
# width-8 MLPs, depths 16-32, t_c 0-12), 1 epoch each, LDI off, in one run:
#   - packed (the default): all 325 runs (5 seeds), --jobs 2;
#   - every run alone (--pack 1, today's libtorch path): the 65 runs of seed 0, --jobs 2;
# runs/hour of each and their ratio, and the training arithmetic achieved (3 x forward FLOPs per
# training sample + forward FLOPs per test sample) against the float32 GEMM peak of both cores
# measured in the same run (bench_peak).
#   usage: bench/pack_throughput.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
for b in nnmass bench/bench_peak; do
  [ -x "$build/$b" ] || { echo "error: $build/$b not found; build first (cmake --build build -j2)" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grid="$here/../examples/paper-mlp-sweep.json"
"$build/bench/bench_peak" > "$tmp/peak"
run() {  # name, extra flags...
  local name=$1; shift
  /usr/bin/time -f '%e' -o "$tmp/wall_$name" "$build/nnmass" sweep --grid "$grid" --epochs 1 --ldi-samples 0 \
    --jobs 2 --db "$tmp/$name.sqlite" "$@" > /dev/null 2> "$tmp/log_$name"
  head -1 "$tmp/log_$name" | sed 's/^/  /'
}
run packed
run alone --pack 1 --seeds 0
/usr/bin/python3 - "$tmp" <<'PY'
import sqlite3, sys
tmp = sys.argv[1]
peak = {int(l.split()[1].split("=")[1]): float(l.split()[2]) for l in open(f"{tmp}/peak")}
train_n, test_n = 60000, 10000
print("paper grid architectures (w8, d 16-32, t_c 0-12), 1 epoch, Fashion-MNIST, --jobs 2")
rate = {}
for name in ("packed", "alone"):
    rows = sqlite3.connect(f"{tmp}/{name}.sqlite").execute("select flops, status from runs").fetchall()
    wall = float(open(f"{tmp}/wall_{name}").read())
    ok = sum(1 for r in rows if r[1] == "ok")
    flops = sum((3 * train_n + test_n) * r[0] for r in rows)
    rate[name] = 3600 * len(rows) / wall
    print(f"  {name:7s} {len(rows):4d} runs ({ok} ok) in {wall:6.1f} s = {rate[name]:8.0f} runs/hour; "
          f"{flops / wall / 1e9:6.1f} GFLOP/s = {100 * flops / wall / 1e9 / peak[2]:5.1f} % of the "
          f"{peak[2]:.0f} GFLOP/s GEMM peak on 2 threads")
print(f"  packed / alone: {rate['packed'] / rate['alone']:.1f}x runs/hour")
PY
