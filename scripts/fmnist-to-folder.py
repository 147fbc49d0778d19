#!/usr/bin/env python3
"""Writes Fashion-MNIST (IDX files, plain or .gz) as an image folder in the ImageNet layout:

    ROOT/train/<label>-<name>/<index>.png   (the 60,000 training images)
    ROOT/val/<label>-<name>/<index>.png     (the 10,000 test images)

8-bit greyscale PNGs (PIL), the pixels unchanged. The class folders sort in label order
("0-t-shirt" ... "9-ankle-boot"), so `nnmass train --data ROOT` sees the IDX labels; <index> is
the image's position in its IDX file, zero-padded so that names sort in file order.

    usage: scripts/fmnist-to-folder.py ROOT [IDX_DIR=/usr/share/datasets/fashion-mnist] [LIMIT]

LIMIT (optional) writes only the first LIMIT images of each split.
"""
import gzip
import os
import sys

import numpy as np
from PIL import Image

NAMES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def read_idx(folder, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    sys.exit("error: %s[.gz] not found in %s" % (stem, folder))


def write_split(root, split, images, labels, limit):
    count = len(labels) if limit is None else min(limit, len(labels))
    for label, name in enumerate(NAMES):
        os.makedirs(os.path.join(root, split, "%d-%s" % (label, name)), exist_ok=True)
    for i in range(count):
        folder = os.path.join(root, split, "%d-%s" % (labels[i], NAMES[labels[i]]))
        Image.fromarray(images[i], mode="L").save(os.path.join(folder, "%05d.png" % i))
    return count


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    idx_dir = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
    for split, prefix in (("train", "train"), ("val", "t10k")):
        images = read_idx(idx_dir, prefix + "-images-idx3-ubyte")
        labels = read_idx(idx_dir, prefix + "-labels-idx1-ubyte")
        n = write_split(root, split, images, labels, limit)
        print("%s: %d images in %s" % (split, n, os.path.join(root, split)), file=sys.stderr)


if __name__ == "__main__":
    main()
