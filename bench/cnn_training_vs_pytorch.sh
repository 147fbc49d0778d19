#!/usr/bin/env bash
# Training curves of nnmass's CNN families against the same networks in Python PyTorch (issue 12,
# item 5): a small model of each family -- dense CNN (d 4, w 16:32:32, t_c 8:16:16, reference
# head), a CIFAR-style ResNet (basic blocks, 2,2,2 of 16,32,64 planes, 3x3 stem of 16) and a
# MobileNet-v2 (width 0.5, repeats 1,1,2,2,1,1,1, stride-1 "cifar" stem) -- trained by
# `nnmass train` and then rebuilt from that run's spec.json (and links.json) and trained by
# official_cnn.py / official_residual.py (Debian's python3-torch, eager, PyTorch's default init),
# on Fashion-MNIST (TRAIN_IMAGES train, all 10,000 test), batch 100, Adam 1e-3, 2 threads, one run
# per seed 0..SEEDS-1. Prints #params of both (they must be equal: exit 1 otherwise), mean +- std
# over seeds of the last epoch's train and test accuracy, training images/s, and the mean test
# accuracy after every epoch.
# With the defaults (2 epochs, 10,000 images, 3 seeds: 18 runs) it took 48 min on 2 cores shared
# with a sweep; each run reports its progress on stderr.
#   usage: bench/cnn_training_vs_pytorch.sh [BUILD_DIR] [EPOCHS] [TRAIN_IMAGES] [SEEDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
epochs=${2:-2}
train_images=${3:-10000}  # of Fashion-MNIST's 60,000
seeds=${4:-3}
threads=2
nnmass="$build/nnmass"
[ -x "$nnmass" ] || { echo "error: $nnmass not found; build first (see README)" >&2; exit 2; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "error: Debian's python3-torch is missing; run scripts/install-deps.sh --bench" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/resnet.json" <<'EOF'
{"family": "resnet", "block": "basic", "layers": [2, 2, 2], "planes": [16, 32, 64],
 "stem": "cifar", "stem_width": 16, "input": [1, 28, 28], "classes": 10}
EOF
cat > "$tmp/mobilenet_v2.json" <<'EOF'
{"family": "mobilenet_v2", "width_mult": 0.5, "repeats": [1, 1, 2, 2, 1, 1, 1], "stem": "cifar",
 "input": [1, 28, 28], "classes": 10}
EOF
families=(cnn resnet mobilenet_v2)

start=$SECONDS
for family in "${families[@]}"; do
  for seed in $(seq 0 $((seeds - 1))); do
    run="$tmp/$family-$seed"
    case "$family" in
      cnn) arch=(--family cnn --depth 4 --width 16:32:32 --tc 8:16:16 --head reference) ;;
      *) arch=(--spec "$tmp/$family.json") ;;
    esac
    echo "[$((SECONDS - start)) s] $family, seed $seed: nnmass train" >&2
    "$nnmass" train "${arch[@]}" --epochs "$epochs" --limit-train "$train_images" --seed "$seed" \
      --threads "$threads" --out "$run" >/dev/null 2>"$run.log" \
      || { echo "error: nnmass train failed ($family, seed $seed):" >&2; cat "$run.log" >&2; exit 1; }
    echo "[$((SECONDS - start)) s] $family, seed $seed: PyTorch" >&2
    common=(--spec "$run/spec.json" --epochs "$epochs" --limit-train "$train_images" --batch-size 100
            --threads "$threads" --seed "$seed")
    if [ "$family" = cnn ]; then
      /usr/bin/python3 "$here/official_cnn.py" "${common[@]}" --links "$run/links.json" --per-epoch > "$run.py.jsonl"
    else
      /usr/bin/python3 "$here/official_residual.py" "${common[@]}" > "$run.py.jsonl"
    fi
  done
done
echo "[$((SECONDS - start)) s] done" >&2

/usr/bin/python3 - "$tmp" "$epochs" "$train_images" "$seeds" "$threads" "${families[@]}" <<'EOF'
import json, statistics, sys
tmp, epochs, n, seeds, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
families = sys.argv[6:]
names = {"cnn": "dense CNN", "resnet": "ResNet", "mobilenet_v2": "MobileNet-v2"}

def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

def ms(values):  # mean +- sample std over seeds, in %
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.mean(values):5.2f} ± {100 * sd:4.2f}"

def ips(history):  # training images/s over all epochs: images / training seconds
    return len(history) * n / sum(n / h["images_per_second"] for h in history)

rows, curves, mismatch = [], [], False
for fam in families:
    ours, py, ours_params, py_params = [], [], set(), set()
    for s in range(seeds):
        run = f"{tmp}/{fam}-{s}"
        ours.append(lines(f"{run}/metrics.jsonl"))
        with open(f"{run}/result.json") as f:
            ours_params.add(json.load(f)["params"])
        out = lines(f"{run}.py.jsonl")
        py.append([l for l in out if "epoch" in l])
        py_params |= {l["params"] for l in out if "params" in l}
    op, pp = sorted(ours_params), sorted(py_params)
    same = len(op) == 1 and op == pp
    mismatch |= not same
    rows.append((names[fam], ",".join(f"{v:,}" for v in op), ",".join(f"{v:,}" for v in pp), same,
                 ms([h[-1]["train_acc"] for h in ours]), ms([h[-1]["train_acc"] for h in py]),
                 ms([h[-1]["test_acc"] for h in ours]), ms([h[-1]["test_acc"] for h in py]),
                 statistics.mean(ips(h) for h in ours), statistics.mean(ips(h) for h in py)))
    curves.append((names[fam], [statistics.mean(h[e]["test_acc"] for h in ours) for e in range(epochs)],
                   [statistics.mean(h[e]["test_acc"] for h in py) for e in range(epochs)]))

print(f"Fashion-MNIST, {n} train / 10000 test images, {epochs} epoch(s), batch 100, Adam 1e-3, {threads} threads,")
print(f"seeds 0..{seeds - 1}; last epoch's accuracy in %, mean ± std over seeds; images/s of the training pass")
print()
print(f"{'family':13s} {'#params nnmass':>14s} {'PyTorch':>9s}  {'train acc nnmass':>16s} {'PyTorch':>13s}"
      f"  {'test acc nnmass':>15s} {'PyTorch':>13s}  {'img/s nnmass':>12s} {'PyTorch':>8s}")
for name, op, pp, same, otr, ptr, ote, pte, oi, pi in rows:
    print(f"{name:13s} {op:>14s} {pp:>9s}{' ' if same else '!'} {otr:>16s} {ptr:>13s}  {ote:>15s} {pte:>13s}"
          f"  {oi:12.0f} {pi:8.0f}")
print()
print("mean test accuracy (%) after each epoch, nnmass / PyTorch")
for name, o, p in curves:
    print(f"  {name:13s} " + "   ".join(f"{e + 1}: {100 * a:5.2f} / {100 * b:5.2f}" for e, (a, b) in enumerate(zip(o, p))))
if mismatch:
    print("\nerror: #params differ between nnmass and PyTorch (marked !)")
    sys.exit(1)
EOF
