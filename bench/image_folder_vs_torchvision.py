#!/usr/bin/env python3
"""The Python side of bench/image_folder_vs_torchvision.sh.

  make ROOT [PER_CLASS] [VAL_PER_CLASS]: writes ROOT/{train,val}/class_k/*.jpg, 10 classes of
      smooth random colour images (a 6 x 5 random grid, bicubic-upsampled to about 300 x 250,
      plus a per-class tint), JPEG quality 90, seeded.
  torchvision ROOT WORKERS BATCH EPOCHS [SIZE]: images/s of torchvision's ImageFolder(ROOT/train)
      + DataLoader(num_workers=WORKERS, batch_size=BATCH, shuffle=True) with RandomResizedCrop(SIZE)
      + RandomHorizontalFlip + ToTensor + Normalize(ImageNet), the batches consumed and dropped;
      one JSON line per epoch, like bench/image_loader_bench.
"""
import json
import os
import sys
import time

CLASSES = 10


def make(root, per_class=150, val_per_class=20):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    tints = rng.uniform(0, 80, size=(CLASSES, 3))  # a class's colour cast, the same in train/ and val/
    for split, count in (("train", per_class), ("val", val_per_class)):
        for k in range(CLASSES):
            folder = os.path.join(root, split, "class_%d" % k)
            os.makedirs(folder, exist_ok=True)
            tint = tints[k]
            for i in range(count):
                w, h = 300 - int(rng.integers(0, 40)), 250 - int(rng.integers(0, 40))
                grid = rng.uniform(0, 175, size=(5, 6, 3)) + tint
                small = Image.fromarray(grid.clip(0, 255).astype(np.uint8), "RGB")
                small.resize((w, h), Image.BICUBIC).save(os.path.join(folder, "%04d.jpg" % i), quality=90)


def torchvision_rate(root, workers, batch, epochs, size=224):
    import torch
    from torchvision import datasets, transforms

    torch.set_num_threads(1)  # the main process only receives batches
    transform = transforms.Compose([
        transforms.RandomResizedCrop(size),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    data = datasets.ImageFolder(os.path.join(root, "train"), transform=transform)
    loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True, num_workers=workers)
    for epoch in range(epochs):
        start = time.perf_counter()
        images = 0
        for x, y in loader:
            images += y.shape[0]
        seconds = time.perf_counter() - start
        print(json.dumps({"loader": "torchvision", "threads": workers, "batch": batch, "epoch": epoch,
                          "images": images, "seconds": round(seconds, 3),
                          "images_per_second": round(images / seconds, 1)}), flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "make":
        make(sys.argv[2], *(int(a) for a in sys.argv[3:5]))
    elif len(sys.argv) >= 6 and sys.argv[1] == "torchvision":
        torchvision_rate(sys.argv[2], *(int(a) for a in sys.argv[3:7]))
    else:
        sys.exit(__doc__)
