#!/usr/bin/env bash
# One epoch of the paper's MNIST-style MLP (w=8, d=32, t_c=8, Fashion-MNIST, batch 100, Adam 1e-3)
# trained by `nnmass train` and by the official code's Python PyTorch (re-created in
# official_mlp.py, Debian's python3-torch), in the same run, on the same number of threads.
# Prints both times, the ratio (target: nnmass >= 3x faster) and each one's peak memory.
#   usage: bench/train_mlp_vs_pytorch.sh [BUILD_DIR] [THREADS] [REPEATS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
threads=${2:-1}
repeats=${3:-3}
nnmass="$build/nnmass"
[ -x "$nnmass" ] || { echo "error: $nnmass not found; build first (see README)" >&2; exit 2; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "error: Debian's python3-torch is missing; run scripts/install-deps.sh --bench" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is missing; run scripts/install-deps.sh --bench" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

best() { sort -g | head -n 1; }  # the fastest of the repeats: least disturbed by other load

for r in $(seq "$repeats"); do
  /usr/bin/time -f '%M' -o "$tmp/ours_mem_$r" \
    "$nnmass" train --family mlp --width 8 --depth 32 --tc 8 --epochs 1 --batch-size 100 \
      --threads "$threads" --seed "$r" --out "$tmp/run_$r" >/dev/null 2>&1
  /usr/bin/python3 -c 'import json,sys; m=json.loads(open(sys.argv[1]).readline()); print(m["seconds"] * 0 + 60000 / m["images_per_second"])' \
    "$tmp/run_$r/metrics.jsonl" >> "$tmp/ours_train"
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test_acc"])' "$tmp/run_$r/result.json" >> "$tmp/ours_acc"
  /usr/bin/time -f '%M' -o "$tmp/py_mem_$r" \
    /usr/bin/python3 "$here/official_mlp.py" --threads "$threads" > "$tmp/py_$r.json"
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_seconds"])' "$tmp/py_$r.json" >> "$tmp/py_train"
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test_acc"])' "$tmp/py_$r.json" >> "$tmp/py_acc"
done

ours=$(best < "$tmp/ours_train"); py=$(best < "$tmp/py_train")
ours_mem=$(cat "$tmp"/ours_mem_* | sort -n | tail -n 1); py_mem=$(cat "$tmp"/py_mem_* | sort -n | tail -n 1)
echo "one epoch, w8 d32 t_c8 MLP, Fashion-MNIST 60k, batch 100, Adam, $threads thread(s), best of $repeats"
printf '  nnmass train        %7.2f s   peak RSS %6d MiB   test acc %s\n' "$ours" $((ours_mem / 1024)) "$(paste -sd' ' "$tmp/ours_acc")"
printf '  official (PyTorch)  %7.2f s   peak RSS %6d MiB   test acc %s\n' "$py" $((py_mem / 1024)) "$(paste -sd' ' "$tmp/py_acc")"
/usr/bin/python3 -c "import sys; print(f'  ratio               {float(sys.argv[2]) / float(sys.argv[1]):.1f}x faster (target >= 3x)')" "$ours" "$py"
