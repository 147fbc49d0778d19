#!/usr/bin/env bash
# Layer-wise dynamical isometry of the paper's MLP (w=8, d=32, t_c=8) on the 10,000 Fashion-MNIST
# test images with the official code's ELU derivative, computed by `nnmass isometry` and by a
# re-creation of the official loop-based ldi.py (official_ldi.py, Debian's python3-torch) on the
# very same model file, in one run. Prints both times, the ratios (target: nnmass >= 100x faster)
# and checks that the two means agree to 1e-4.
#   usage: bench/isometry_vs_pytorch.sh [BUILD_DIR] [SAMPLES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
samples=${2:-10000}
nnmass="$build/nnmass"
[ -x "$nnmass" ] || { echo "error: $nnmass not found; build first (see README)" >&2; exit 2; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "error: Debian's python3-torch is missing; run scripts/install-deps.sh --bench" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is missing; run scripts/install-deps.sh --bench" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$nnmass" build --family mlp --width 8 --depth 32 --tc 8 --seed 0 --save "$tmp/model.pt" > /dev/null
for threads in 1 2; do
  /usr/bin/time -f '%e' -o "$tmp/ours_wall_$threads" \
    "$nnmass" isometry --load "$tmp/model.pt" --samples "$samples" --derivative reference --threads "$threads" \
    --json > "$tmp/ours_$threads.json"
done
/usr/bin/python3 "$here/official_ldi.py" "$tmp/model.pt" --samples "$samples" --threads 1 | tail -n 1 > "$tmp/py.json"

/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
py = json.load(open(f"{tmp}/py.json"))
print(f"LDI of a w8 d32 t_c8 MLP, official ELU derivative, Fashion-MNIST test images")
print(f"  official (PyTorch loops, 1 thread)  compute {py['compute_seconds']:8.2f} s   whole process {py['total_seconds']:.2f} s   mean sigma {py['mean']:.7f}")
ok = True
for t in (1, 2):
    ours = json.load(open(f"{tmp}/ours_{t}.json"))
    wall = float(open(f"{tmp}/ours_wall_{t}").read())
    diff = abs(ours["mean"] - py["mean"])
    ok &= diff < 1e-4
    print(f"  nnmass isometry, {t} thread(s)        compute {ours['seconds']:8.2f} s   whole process {wall:.2f} s   mean sigma {ours['mean']:.7f}"
          f"   |diff| {diff:.1e}   ratio {py['compute_seconds'] / ours['seconds']:.0f}x compute, {py['total_seconds'] / wall:.0f}x whole (target >= 100x)")
print("  means agree to 1e-4" if ok else "  MEANS DIFFER by more than 1e-4")
sys.exit(0 if ok else 1)
PY
