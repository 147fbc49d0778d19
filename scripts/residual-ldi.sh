#!/usr/bin/env bash
# LDI at initialization of the ResNets of examples/fmnist-residual-sweep.json (nnmass isometry,
# conv layers: each block, skip included), beside their NN-Mass, #params and the test accuracy
# that grid measured (docs/results/fmnist-residual/report/runs.csv, mean over its 3 seeds).
# Writes docs/results/resnet-ldi/README.md.
#   usage: scripts/residual-ldi.sh [BUILD_DIR]        (SAMPLES=16 SEEDS=0,1,2 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
out="$here/docs/results/resnet-ldi"
samples=${SAMPLES:-16}
seeds=${SEEDS:-0,1,2}
[ -x "$build/nnmass" ] || { echo "error: $build/nnmass not found; build first (see README)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
# One spec file per ResNet of the grid.
/usr/bin/python3 - "$here/examples/fmnist-residual-sweep.json" "$work" <<'EOF'
import json, sys
grid = json.load(open(sys.argv[1]))
for i, m in enumerate(x for x in grid["models"] if x["family"] == "resnet"):
    m.update(input=[1, 28, 28], classes=10)  # Fashion-MNIST's, as the sweep adopts them
    json.dump(m, open(f"{sys.argv[2]}/resnet{i}.json", "w"))
EOF
start=$EPOCHREALTIME
for spec in "$work"/resnet*.json; do
  "$build/nnmass" isometry --spec "$spec" --samples "$samples" --seeds "$seeds" --json \
    > "${spec%.json}.out.json"
done
seconds=$(echo "$EPOCHREALTIME $start" | awk '{printf "%.0f", $1 - $2}')
/usr/bin/python3 - "$work" "$here/docs/results/fmnist-residual/report/runs.csv" "$out/README.md" "$samples" "$seeds" "$seconds" <<'EOF'
import csv, glob, json, statistics, sys
work, runs_csv, readme, samples, seeds, seconds = sys.argv[1:]
acc = {}
for r in csv.DictReader(open(runs_csv)):
    if r["status"] == "ok" and r["family"] == "resnet":
        acc.setdefault(r["cells"], []).append(100 * float(r["test_acc"]))
rows = []
for path in sorted(glob.glob(f"{work}/resnet*.out.json")):
    m = json.load(open(path))
    s = m["spec"]
    arch = f"basic {s['layers']} {','.join(map(str, s['planes']))} cifar/{s['stem_width']}".replace(", ", ",")
    a = acc.get(arch, [])
    se = max(r["error"]["mean_se"] for r in m["repeats"])
    rows.append((m["nn_mass"], arch, m["params"], m["mean"], m["mean_spread"], m["std"], se,
                 statistics.mean(a) if a else float("nan"), len(a)))
rows.sort()
def spearman(x, y):
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i]); r = [0.0] * len(v); i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]: j += 1
            for k in range(i, j + 1): r[order[k]] = (i + j) / 2
            i = j + 1
        return r
    rx, ry = ranks(x), ranks(y)
    mx, my = statistics.mean(rx), statistics.mean(ry)
    num = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    den = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return num / den
with open(readme, "w") as f:
    f.write("# LDI of the Fashion-MNIST ResNets at initialization\n\n")
    f.write("Made by `scripts/residual-ldi.sh` (nnmass isometry on each ResNet of "
            "`examples/fmnist-residual-sweep.json`, input 1x28x28, "
            f"{samples} test images, seeds {seeds}; {seconds} s on {len(rows)} models). Layers: the stem and each "
            "basic block, skip included, BatchNorm at the images' statistics. Test accuracy: the mean over the "
            "3 seeds of `docs/results/fmnist-residual` (3 epochs on 10,000 images).\n\n")
    f.write("| architecture | NN-Mass | #params | LDI mean σ | ± seeds | std σ | estimate se | test acc (%) |\n")
    f.write("|---|---:|---:|---:|---:|---:|---:|---:|\n")
    for r in rows:
        f.write(f"| {r[1]} | {r[0]:.1f} | {r[2]:,} | {r[3]:.4f} | {r[4]:.4f} | {r[5]:.4f} | {r[6]:.4f} | {r[7]:.2f} |\n")
    x_m = [r[0] for r in rows]; x_l = [r[3] for r in rows]; y = [r[7] for r in rows]
    f.write(f"\nSpearman over the {len(rows)} architectures: LDI vs NN-Mass {spearman(x_m, x_l):.2f}, "
            f"test accuracy vs LDI {spearman(x_l, y):.2f}, vs NN-Mass {spearman(x_m, y):.2f}, "
            f"vs #params {spearman([r[2] for r in rows], y):.2f} (6 points: descriptive only).\n")
print(open(readme).read())
EOF
