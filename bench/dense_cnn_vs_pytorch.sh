#!/usr/bin/env bash
# One epoch of a 3-cell dense CNN (d 4, w 16:32:64, t_c 8:16:32, gap head; Fashion-MNIST, batch
# 100, Adam 1e-3) trained and evaluated by `nnmass train` and by the same network in Python
# PyTorch, eager (official_cnn.py, Debian's python3-torch), in the same run, on the same number of
# threads. Python rebuilds nnmass's very topology from the spec.json and links.json of its run.
# Prints training and evaluation images/s of both, the ratios, and each one's peak memory.
#   usage: bench/dense_cnn_vs_pytorch.sh [BUILD_DIR] [THREADS] [TRAIN_IMAGES] [REPEATS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
threads=${2:-2}
train_images=${3:-30000}  # of Fashion-MNIST's 60,000: ~30 s an epoch on 2 threads
repeats=${4:-1}
nnmass="$build/nnmass"
[ -x "$nnmass" ] || { echo "error: $nnmass not found; build first (see README)" >&2; exit 2; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "error: Debian's python3-torch is missing; run scripts/install-deps.sh --bench" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is missing; run scripts/install-deps.sh --bench" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

arch=(--family cnn --depth 4 --width 16:32:64 --tc 8:16:32)
# Fields of one JSON line (or of the first line of a file), printed space-separated.
fields() { /usr/bin/python3 -c 'import json,sys; m=json.loads(open(sys.argv[1]).readline()); print(*[m[k] for k in sys.argv[2:]])' "$@"; }

for r in $(seq "$repeats"); do
  /usr/bin/time -f '%M' -o "$tmp/ours_mem_$r" \
    "$nnmass" train "${arch[@]}" --epochs 1 --batch-size 100 --limit-train "$train_images" \
      --threads "$threads" --seed "$r" --out "$tmp/run_$r" >/dev/null 2>&1
  # metrics.jsonl: images_per_second is the training pass; seconds is the epoch with evaluation.
  read -r ips seconds acc < <(fields "$tmp/run_$r/metrics.jsonl" images_per_second seconds test_acc)
  /usr/bin/python3 -c 'import sys; ips, s, n = map(float, sys.argv[1:]); print(ips, 10000 / (s - n / ips))' \
    "$ips" "$seconds" "$train_images" >> "$tmp/ours"
  echo "$acc" >> "$tmp/ours_acc"
  /usr/bin/time -f '%M' -o "$tmp/py_mem_$r" \
    /usr/bin/python3 "$here/official_cnn.py" --spec "$tmp/run_$r/spec.json" --links "$tmp/run_$r/links.json" \
      --limit-train "$train_images" --batch-size 100 --threads "$threads" --seed "$r" > "$tmp/py_$r.json"
  fields "$tmp/py_$r.json" train_images_per_second eval_images_per_second >> "$tmp/py"
  fields "$tmp/py_$r.json" test_acc >> "$tmp/py_acc"
done

# The best of the repeats, each column on its own: the least disturbed by other load.
best() { sort -g -r -k"$2" "$1" | head -n 1 | cut -d' ' -f"$2"; }
ours_train=$(best "$tmp/ours" 1); ours_eval=$(best "$tmp/ours" 2)
py_train=$(best "$tmp/py" 1); py_eval=$(best "$tmp/py" 2)
ours_mem=$(cat "$tmp"/ours_mem_* | sort -n | tail -n 1); py_mem=$(cat "$tmp"/py_mem_* | sort -n | tail -n 1)
echo "one epoch, dense CNN d4 w16:32:64 t_c8:16:32 (gap head), Fashion-MNIST $train_images train / 10000 test,"
echo "batch 100 (evaluation 100), Adam 1e-3, $threads thread(s), same topology, best of $repeats"
echo "                     train img/s   eval img/s   eval/train   peak RSS   test acc"
/usr/bin/python3 - "$ours_train" "$ours_eval" "$py_train" "$py_eval" "$ours_mem" "$py_mem" \
  "$(paste -sd' ' "$tmp/ours_acc")" "$(paste -sd' ' "$tmp/py_acc")" <<'EOF'
import sys
ot, oe, pt, pe = map(float, sys.argv[1:5])
om, pm = (int(v) // 1024 for v in sys.argv[5:7])
print(f"  nnmass train       {ot:11.0f}   {oe:10.0f}   {oe / ot:9.1f}x   {om:5d} MiB   {sys.argv[7]}")
print(f"  PyTorch (eager)    {pt:11.0f}   {pe:10.0f}   {pe / pt:9.1f}x   {pm:5d} MiB   {sys.argv[8]}")
print(f"  nnmass / PyTorch   {ot / pt:10.2f}x   {oe / pe:9.2f}x")
EOF
