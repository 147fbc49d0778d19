#!/usr/bin/env bash
# Seconds per zero-cost proxy per NAS-Bench-201 architecture: `nnmass score` against a plain-PyTorch
# re-creation of the network and of the ten proxies as the field's reference code computes them
# (bench/proxies_reference.py, Debian's python3-torch), on the very same weights (an nnmass model
# file) and the same Gaussian stand-in batches, both on one thread. Standard NB201 size: C=16,
# N=5 cells per stage, 3x32x32 inputs, 10 classes, batch 64, seed 0.
#
# For each cell it prints: proxy, nnmass seconds (runs[0].seconds[name] of `nnmass score`; the
# median of NNMASS_REPEAT runs), PyTorch seconds (median of REPEAT runs, each on a fresh copy of
# the network, as nnmass gives each proxy a freshly built one), the ratio
# PyTorch / nnmass, and the relative difference of the two values (float32 rounding: ~1e-6 or
# better; they are usually identical).
# Takes a few minutes (~1 minute per 3x3-conv-heavy cell with the default repeats). Timings are
# only meaningful on an otherwise idle machine.
#
#   usage: bench/proxies_vs_pytorch.sh [CELLS]    (from the repository root)
#     CELLS: comma-separated NB201 arch strings; default: the best CIFAR-10 cell, the ResNet
#            cell and a cheap 1x1/pool cell.
#   environment: NNMASS (default build/nnmass), PYTHON (default /usr/bin/python3),
#                REPEAT (PyTorch repetitions, default 3), NNMASS_REPEAT (nnmass score runs, default 1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nnmass=${NNMASS:-build/nnmass}
python=${PYTHON:-/usr/bin/python3}
repeat=${REPEAT:-3}
nnmass_repeat=${NNMASS_REPEAT:-1}
default_cells='|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|'
default_cells+=',|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|'
default_cells+=',|nor_conv_1x1~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|skip_connect~2|'
cells=${1:-$default_cells}

[ -x "$nnmass" ] || { echo "error: $nnmass not found; build first (see README) or set NNMASS" >&2; exit 2; }
"$python" -c 'import torch, numpy' 2>/dev/null ||
  { echo "error: $python cannot import torch and numpy; install Debian's python3-torch or set PYTHON" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

size=(--channels 16 --cells-per-stage 5 --input 3,32,32)
IFS=',' read -r -a archs <<< "$cells"
i=0
for arch in "${archs[@]}"; do
  echo "scoring $arch ..." >&2
  "$nnmass" build --family nb201 --cell "$arch" "${size[@]}" --seed 0 --save "$tmp/model$i.pt" > /dev/null
  for r in $(seq "$nnmass_repeat"); do  # a fresh database each time: a known run is not scored again
    "$nnmass" score --family nb201 --cell "$arch" "${size[@]}" --seed 0 --threads 1 --jobs 1 --gaussian \
      --proxies auto --batch-size 64 --db "$tmp/score${i}_$r.sqlite" --json > "$tmp/nnmass${i}_$r.json" \
      2> "$tmp/nnmass${i}_$r.log" || { cat "$tmp/nnmass${i}_$r.log" >&2; exit 1; }
  done
  "$python" "$here/proxies_reference.py" --model "$tmp/model$i.pt" --threads 1 --data gaussian --batch-size 64 \
    --seed 0 --repeat "$repeat" --json > "$tmp/pytorch$i.json"
  i=$((i + 1))
done

"$python" - "$tmp" "$i" "$repeat" "$nnmass_repeat" <<'PY'
import glob, json, math, statistics, sys
tmp, count, repeat, nnmass_repeat = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def number(v):  # nnmass's JSON: NaN as null, infinities as "inf" / "-inf"
    return math.nan if v is None else float(v)

print(f"Zero-cost proxies, NB201 C=16 N=5, 3x32x32, batch 64, Gaussian batches, 1 thread; "
      f"medians of {nnmass_repeat} nnmass and {repeat} PyTorch runs")
worst = 0.0
for k in range(count):
    runs = [json.load(open(f))["runs"][0] for f in sorted(glob.glob(f"{tmp}/nnmass{k}_*.json"))]
    py = json.load(open(f"{tmp}/pytorch{k}.json"))
    if any(not isinstance(r.get("seconds"), dict) for r in runs):
        sys.exit("error: this nnmass prints no runs[i].seconds; rebuild it")
    run = {"proxies": runs[0]["proxies"],
           "seconds": {n: statistics.median(r["seconds"][n] for r in runs) for n in runs[0]["seconds"]}}
    print(f"\n{py['arch']}")
    print(f"  {'proxy':10s} {'nnmass s':>10s} {'PyTorch s':>10s} {'ratio':>7s}   {'nnmass value':>22s} {'rel diff':>9s}")
    tot_n = tot_p = 0.0
    for name, r in py["proxies"].items():
        if name not in run["proxies"]:
            continue
        ns, ps = run["seconds"][name], r["seconds"]
        nv, pv = number(run["proxies"][name]), number(r["value"])
        tot_n, tot_p = tot_n + ns, tot_p + ps
        if nv == pv or (math.isnan(nv) and math.isnan(pv)):
            rel = 0.0
        elif math.isfinite(nv) and math.isfinite(pv):
            rel = abs(nv - pv) / max(abs(nv), abs(pv))
        else:
            rel = math.inf
        worst = max(worst, rel)
        print(f"  {name:10s} {ns:10.3f} {ps:10.3f} {ps / ns:7.2f}   {nv:22.12g} {rel:9.1e}"
              + ("  DIFFERS" if rel > 1e-4 else ""))
    print(f"  {'total':10s} {tot_n:10.3f} {tot_p:10.3f} {tot_p / tot_n:7.2f}")
print(f"\nlargest relative difference of the values: {worst:.1e}")
PY
