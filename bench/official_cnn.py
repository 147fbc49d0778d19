"""nnmass's dense CNN in Python PyTorch (eager), for a side-by-side timing with `nnmass train`.

The same network as src/nn/dense_cnn.cpp, layer for layer: per cell (width w, depth d)
  o_0 = BN(conv0(x))                      conv0 3x3, stride 2 in cells after the first
  o_1 = BN(conv1(ReLU(o_0)))
  o_k = conv_k(ReLU(BN_k(z_k)))           k >= 2, pre-activation, BN over w + t_k
  z_k = cat(o_0 .. o_{k-1}).index_select(1, [the w channels of o_{k-1}, the t_k link channels])
3x3 convs without bias, a global-average-pool + Linear head (or, with the spec's "head":
"reference", AvgPool(2) + flatten + Linear), PyTorch's default init. With --spec and
--links (the spec.json and links.json `nnmass train --out` writes) it is the very same topology;
without them it draws t_k = min(w (k-1), t_c) links from layers 0..k-2 with random.sample.
The loop is nnmass's too: a fresh permutation per epoch, batches index-selected from the
whole training tensor, Adam 1e-3, cross-entropy, then evaluation in eval mode without grad.
Fashion-MNIST is read from the same IDX files nnmass reads ([0, 1], no normalisation).
Prints one JSON line with the times, throughputs, the last epoch's metrics and #params.
"""
import argparse
import gzip
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv3x3(cin, cout, stride):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class ConvDepth(nn.Module):
    """The depth-wise family's layer: 1x1 (in -> w) + BN + ReLU, depthwise 3x3 + BN + ReLU, 1x1 + BN."""

    def __init__(self, cin, width, stride):
        super().__init__()
        self.expand = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.depthwise = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=width, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.project = nn.Conv2d(width, width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)

    def forward(self, x):
        x = F.relu(self.bn1(self.expand(x)))
        x = F.relu(self.bn2(self.depthwise(x)))
        return self.bn3(self.project(x))


class CnnCell(nn.Module):
    def __init__(self, width, depth, links, cin, stride, depthwise=False, first_cell=False):
        super().__init__()
        self.depth = depth
        convs, norms, gathers = [], [], []
        for k in range(depth):
            fan_in = cin if k == 0 else width + len(links[k])
            s = stride if k == 0 else 1
            # In the depth-wise family every layer but the network's very first is a ConvDepth.
            convs.append(ConvDepth(fan_in, width, s) if depthwise and not (first_cell and k == 0)
                         else conv3x3(fan_in, width, s))
            norms.append(nn.BatchNorm2d(width if k < 2 else fan_in))  # post-conv BN for k < 2
            # Columns of cat(o_0 .. o_{k-1}): o_{k-1} first, then the links (layer j, channel c).
            columns = [(k - 1) * width + c for c in range(width)] + [j * width + c for j, c in links[k]]
            gathers.append(torch.tensor(columns, dtype=torch.long) if k >= 2 and links[k] else None)
        self.convs, self.norms = nn.ModuleList(convs), nn.ModuleList(norms)
        for k, g in enumerate(gathers):
            self.register_buffer(f"links{k}", g)
        self.gathers = gathers

    def forward(self, x):
        o = self.norms[0](self.convs[0](x))
        all_out = o
        o = self.norms[1](self.convs[1](F.relu(o)))
        for k in range(2, self.depth):
            z = o
            if self.gathers[k] is not None:
                all_out = torch.cat((all_out, o), 1)
                z = all_out.index_select(1, self.gathers[k])
            o = self.convs[k](F.relu(self.norms[k](z)))
        return o


class DenseCnn(nn.Module):
    def __init__(self, spec, links):
        super().__init__()
        cin, h, w = spec["input"]
        cells = []
        for c, cell in enumerate(spec["cells"]):
            cells.append(CnnCell(cell["width"], cell["depth"], links[c], cin, 1 if c == 0 else 2,
                                 spec.get("family") == "dwcnn", c == 0))
            cin = cell["width"]
            if c > 0:  # a 3x3 conv with stride 2 and padding 1
                h, w = (h - 1) // 2 + 1, (w - 1) // 2 + 1
        self.cells = nn.ModuleList(cells)
        self.gap = spec.get("head", "gap") == "gap"
        self.fc = nn.Linear(cin if self.gap else cin * (h // 2) * (w // 2), spec["classes"])

    def forward(self, x):
        for cell in self.cells:
            x = cell(x)
        return self.fc((F.adaptive_avg_pool2d(x, 1) if self.gap else F.avg_pool2d(x, 2)).flatten(1))


def random_links(spec, seed):
    """t_k = min(w (k-1), t_c) distinct channels of layers 0..k-2 (the paper's pool)."""
    rng = random.Random(seed)
    links = []
    for cell in spec["cells"]:
        w, d, tc = cell["width"], cell["depth"], cell["tc"]
        layers = [[], []]
        for k in range(2, d):
            layers.append([divmod(i, w) for i in sorted(rng.sample(range(w * (k - 1)), min(w * (k - 1), tc)))])
        links.append(layers)
    return links


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(folder, prefix, limit):
    x = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"))
    if limit > 0:
        x, y = x[:limit], y[:limit]
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)  # [N, 1, 28, 28]
    return x, torch.from_numpy(y.astype(np.int64))


def cells_arg(text):
    return [int(v) for v in text.split(":")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--spec", help="spec.json written by `nnmass train --out`")
    p.add_argument("--links", help="links.json written by `nnmass train --out` (needs --spec)")
    p.add_argument("--depth", type=cells_arg, default=[4, 4, 4])
    p.add_argument("--width", type=cells_arg, default=[16, 32, 64])
    p.add_argument("--tc", type=cells_arg, default=[8, 16, 32])
    p.add_argument("--limit-train", type=int, default=0)
    p.add_argument("--limit-test", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--eval-batch-size", type=int, default=100)  # nnmass's TrainOptions::eval_batch_size
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--per-epoch", action="store_true", help="also print one JSON line of metrics per epoch")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    start = time.time()
    x_train, y_train = load(args.data, "train", args.limit_train)
    x_test, y_test = load(args.data, "t10k", args.limit_test)
    if args.spec:
        spec = json.load(open(args.spec))
        if spec["family"] not in ("cnn", "dwcnn") or spec.get("head", "gap") not in ("gap", "reference"):
            raise SystemExit("only --family cnn or dwcnn (head gap or reference) is re-created here")
    else:
        spec = {"input": list(x_train.shape[1:]), "classes": int(y_train.max()) + 1,
                "cells": [{"width": w, "depth": d, "tc": t} for w, d, t in zip(args.width, args.depth, args.tc)]}
    links = ([[[tuple(s) for s in layer] for layer in cell["layers"]] for cell in json.load(open(args.links))["cells"]]
             if args.links else random_links(spec, args.seed))
    model = DenseCnn(spec, links)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    n, bs = len(y_train), args.batch_size
    train_seconds = eval_seconds = 0.0
    for epoch in range(args.epochs):
        t0 = time.time()
        model.train()
        order = torch.randperm(n)
        loss_sum, correct = 0.0, 0
        for b in range(0, n, bs):
            index = order[b:b + bs]
            x, y = x_train.index_select(0, index), y_train.index_select(0, index)
            optimizer.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
        t1 = time.time()
        model.eval()
        test_loss, test_correct = 0.0, 0
        with torch.no_grad():
            for b in range(0, len(y_test), args.eval_batch_size):
                x, y = x_test[b:b + args.eval_batch_size], y_test[b:b + args.eval_batch_size]
                logits = model(x)
                test_loss += F.cross_entropy(logits, y, reduction="sum").item()
                test_correct += (logits.argmax(1) == y).sum().item()
        t2 = time.time()
        train_seconds += t1 - t0
        eval_seconds += t2 - t1
        if args.per_epoch:
            print(json.dumps({"epoch": epoch + 1, "train_loss": loss_sum / n, "train_acc": correct / n,
                              "test_loss": test_loss / len(y_test), "test_acc": test_correct / len(y_test),
                              "seconds": t2 - t0, "images_per_second": n / (t1 - t0)}), flush=True)
    print(json.dumps({"train_seconds": train_seconds, "eval_seconds": eval_seconds,
                      "train_images_per_second": args.epochs * n / train_seconds,
                      "eval_images_per_second": args.epochs * len(y_test) / eval_seconds,
                      "train_loss": loss_sum / n, "train_acc": correct / n,
                      "test_loss": test_loss / len(y_test), "test_acc": test_correct / len(y_test),
                      "total_seconds": time.time() - start,
                      "params": sum(t.numel() for t in model.parameters())}))


if __name__ == "__main__":
    main()
