#!/usr/bin/env bash
# Images/s of nnmass's image-folder loader against torchvision's ImageFolder + DataLoader (issue
# 14, item 3), in the same run on the same folder: 10 classes x PER_CLASS JPEGs of about 300 x 250
# (bench/image_folder_vs_torchvision.py make), the ImageNet training transform on both sides
# (RandomResizedCrop(224) + RandomHorizontalFlip + ToTensor + Normalize), batches of 64, with 1
# and 2 loader threads (nnmass) / DataLoader workers (torchvision). Each configuration runs EPOCHS
# epochs; the median epoch's images/s is reported, and the ratio nnmass / torchvision. The files
# are read once beforehand so that both sides find them in the page cache.
# Not identical work: torchvision's transforms run on PIL images, whose bilinear resize
# antialiases when it shrinks; nnmass resizes as torchvision does on tensors with antialias=False.
#   usage: bench/image_folder_vs_torchvision.sh [BUILD_DIR] [PER_CLASS=150] [EPOCHS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
per_class=${2:-150}
epochs=${3:-3}
batch=64
bench="$build/bench/image_loader_bench"
[ -x "$bench" ] || { echo "error: $bench not found; build it: cmake --build $build --target image_loader_bench" >&2; exit 2; }
/usr/bin/python3 -c 'import torchvision, PIL' 2>/dev/null ||
  { echo "error: Debian's python3-torchvision (and python3-pil) are missing; run scripts/install-deps.sh" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "writing $((10 * per_class)) training JPEGs into $tmp ..." >&2
/usr/bin/python3 "$here/image_folder_vs_torchvision.py" make "$tmp/images" "$per_class" 20
cat "$tmp"/images/train/*/*.jpg > /dev/null  # into the page cache

median_rate() {  # the median images/s of the JSON lines on stdin
  /usr/bin/python3 -c 'import json, statistics, sys; print(statistics.median(json.loads(l)["images_per_second"] for l in sys.stdin if l.strip()))'
}

echo "| threads / workers | nnmass images/s | torchvision images/s | ratio |"
echo "|---|---|---|---|"
for threads in 1 2; do
  ours=$(OMP_NUM_THREADS=1 "$bench" "$tmp/images" "$threads" "$batch" "$epochs" | tee -a "$tmp/log" | median_rate)
  theirs=$(OMP_NUM_THREADS=1 /usr/bin/python3 "$here/image_folder_vs_torchvision.py" torchvision "$tmp/images" \
           "$threads" "$batch" "$epochs" | tee -a "$tmp/log" | median_rate)
  ratio=$(/usr/bin/python3 -c "print(f'{$ours / $theirs:.2f}')")
  echo "| $threads | $ours | $theirs | $ratio |"
done
echo "(per-epoch figures:)" >&2
cat "$tmp/log" >&2
