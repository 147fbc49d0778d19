"""nnmass's ResNet and MobileNet-v2 in Python PyTorch (eager), to compare training curves with
`nnmass train` on the same data and recipe.

Built from the spec.json that `nnmass train --out DIR` writes, layer for layer as
src/nn/resnet.cpp, src/nn/mobilenet_v2.cpp and src/core/residual.cpp build it (torchvision's
layouts), with PyTorch's default initialisation:
  resnet        stem imagenet: conv 7x7/2 + BN + ReLU + maxpool 3x3/2; cifar: conv 3x3/1 + BN + ReLU.
                Stages of basic (3x3, 3x3) or bottleneck (1x1, 3x3 grouped, 1x1; v1.5: stride on
                the 3x3) blocks; stride 2 on the first block of every stage after the first; a
                1x1 conv + BN projection shortcut when the stride is not 1 or the channels change;
                global average pool + Linear.
  mobilenet_v2  stem conv 3x3 + BN + ReLU6 (stride 2, or 1 with "stem": "cifar"), inverted
                residuals (expand 1x1, depthwise 3x3, linear 1x1; skip when stride 1 and in == out),
                conv 1x1 to the last channels, global average pool + Linear (no dropout, as nnmass).
Convs have no bias. The loop is nnmass's: a fresh permutation per epoch, batches index-selected
from the whole training tensor, Adam, cross-entropy, then evaluation in eval mode without grad.
Fashion-MNIST is read from the same IDX files nnmass reads ([0, 1], no normalisation).
Prints the parameter count, then one JSON line per epoch.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from official_cnn import load  # noqa: E402  (the IDX reader official_cnn.py uses)


def conv(cin, cout, k, stride=1, groups=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False)


# ---------------------------------------------------------------- ResNet (resnet.cpp)

class ResBlock(nn.Module):
    def __init__(self, bottleneck, inp, mid, out, stride, groups):
        super().__init__()
        self.bottleneck = bottleneck
        if not bottleneck:  # basic: nnmass passes no groups to it
            self.conv1, self.bn1 = conv(inp, mid, 3, stride), nn.BatchNorm2d(mid)
            self.conv2, self.bn2 = conv(mid, mid, 3), nn.BatchNorm2d(mid)
        else:  # torchvision v1.5: the stride sits on the 3x3
            self.conv1, self.bn1 = conv(inp, mid, 1), nn.BatchNorm2d(mid)
            self.conv2, self.bn2 = conv(mid, mid, 3, stride, groups), nn.BatchNorm2d(mid)
            self.conv3, self.bn3 = conv(mid, out, 1), nn.BatchNorm2d(out)
        self.downsample = (nn.Sequential(conv(inp, out, 1, stride), nn.BatchNorm2d(out))
                           if stride != 1 or inp != out else None)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.bottleneck:
            out = self.bn3(self.conv3(F.relu(out)))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, spec):
        super().__init__()
        block = spec.get("block", "basic")
        if block not in ("basic", "bottleneck"):
            raise SystemExit(f"unknown block {block!r}")
        bottleneck = block == "bottleneck"
        layers = spec.get("layers", [2, 2, 2, 2])
        planes = spec.get("planes", [64 << min(s, 14) for s in range(len(layers))])
        self.imagenet = spec.get("stem", "imagenet") == "imagenet"
        stem_width = spec.get("stem_width", 64)
        groups, width_per_group = spec.get("groups", 1), spec.get("width_per_group", 64)
        cin = spec["input"][0]
        self.conv1 = conv(cin, stem_width, 7, 2) if self.imagenet else conv(cin, stem_width, 3)
        self.bn1 = nn.BatchNorm2d(stem_width)
        expansion = 4 if bottleneck else 1
        inplanes = stem_width
        for s, (n, p) in enumerate(zip(layers, planes)):
            mid = p * width_per_group // 64 * groups if bottleneck else p
            stage = []
            for b in range(n):
                stride = 2 if b == 0 and s > 0 else 1
                stage.append(ResBlock(bottleneck, inplanes, mid, p * expansion, stride, groups))
                inplanes = p * expansion
            self.add_module(f"layer{s + 1}", nn.Sequential(*stage))
        self.stages = len(layers)
        self.fc = nn.Linear(inplanes, spec["classes"])

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        if self.imagenet:
            x = F.max_pool2d(x, 3, 2, 1)
        for s in range(self.stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


# ---------------------------------------------------------------- MobileNet-v2 (mobilenet_v2.cpp)

# Stages: expansion t, output channels c, stride s (torchvision's table, residual.cpp's kMobileStages).
MOBILE_STAGES = [(1, 16, 1), (6, 24, 2), (6, 32, 2), (6, 64, 2), (6, 96, 1), (6, 160, 2), (6, 320, 1)]


def make_divisible(value, divisor=8):
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:  # never round down by more than 10 %
        rounded += divisor
    return rounded


class ConvBn(nn.Sequential):
    """Conv (no bias) + BN (+ ReLU6): torchvision's ConvBNActivation."""

    def __init__(self, cin, cout, k, stride, groups, relu6):
        super().__init__(conv(cin, cout, k, stride, groups), nn.BatchNorm2d(cout))
        self.relu6 = relu6

    def forward(self, x):
        x = super().forward(x)
        return torch.clamp(x, 0, 6) if self.relu6 else x


class InvertedResidual(nn.Module):
    def __init__(self, inp, out, expand, stride):
        super().__init__()
        mid = inp * expand
        self.residual = stride == 1 and inp == out
        seq = [ConvBn(inp, mid, 1, 1, 1, True)] if expand != 1 else []
        seq += [ConvBn(mid, mid, 3, stride, mid, True),  # depthwise
                ConvBn(mid, out, 1, 1, 1, False)]        # linear bottleneck
        self.conv = nn.Sequential(*seq)

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, spec):
        super().__init__()
        wm = spec.get("width_mult", 1.0)
        repeats = spec.get("repeats", [1, 2, 3, 4, 3, 3, 1])
        if len(repeats) != 7:
            raise SystemExit(f"repeats must list 7 stages, got {repeats}")
        stem = spec.get("stem", "imagenet")
        if stem not in ("imagenet", "cifar"):
            raise SystemExit(f"unknown stem {stem!r}")
        channels = make_divisible(32 * wm)
        last = make_divisible(1280 * max(1.0, wm))
        features = [ConvBn(spec["input"][0], channels, 3, 2 if stem == "imagenet" else 1, 1, True)]
        for (t, c, s), n in zip(MOBILE_STAGES, repeats):
            out = make_divisible(c * wm)
            for b in range(n):
                features.append(InvertedResidual(channels, out, t, s if b == 0 else 1))
                channels = out
        features.append(ConvBn(channels, last, 1, 1, 1, True))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Linear(last, spec["classes"])

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def build(spec):
    if spec["family"] == "resnet":
        return ResNet(spec)
    if spec["family"] == "mobilenet_v2":
        return MobileNetV2(spec)
    raise SystemExit(f"only families resnet and mobilenet_v2 are re-created here, not {spec['family']!r}")


def evaluate(model, x_test, y_test, batch_size):
    """nnmass's evaluate(): eval mode, no grad, mean loss and accuracy over the whole test set."""
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for b in range(0, len(y_test), batch_size):
            x, y = x_test[b:b + batch_size], y_test[b:b + batch_size]
            logits = model(x)
            loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
    return loss / len(y_test), correct / len(y_test)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--spec", required=True, help="spec.json written by `nnmass train --out`")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--limit-train", type=int, default=0)
    p.add_argument("--limit-test", type=int, default=0)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--eval-batch-size", type=int, default=100)  # nnmass's TrainOptions::eval_batch_size
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--print-model", action="store_true", help="print the module tree to stderr")
    p.add_argument("--check-weights", metavar="MODEL_PT",
                   help="load the model.pt of that nnmass run into this network (names and shapes must "
                        "match exactly), print its test loss and accuracy, and exit: the same numbers as "
                        "nnmass's last epoch if both networks compute the same function")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with open(args.spec) as f:
        spec = json.load(f)
    model = build(spec)
    if args.print_model:
        print(model, file=sys.stderr)
    params = sum(t.numel() for t in model.parameters())
    print(json.dumps({"params": params}), flush=True)
    x_train, y_train = load(args.data, "train", args.limit_train)
    x_test, y_test = load(args.data, "t10k", args.limit_test)
    if list(x_train.shape[1:]) != list(spec["input"]):
        raise SystemExit(f"spec input {spec['input']} does not match the data's {list(x_train.shape[1:])}")
    if args.check_weights:
        model.load_state_dict(torch.jit.load(args.check_weights).state_dict(), strict=True)
        test_loss, test_acc = evaluate(model, x_test, y_test, args.eval_batch_size)
        print(json.dumps({"test_loss": test_loss, "test_acc": test_acc}))
        return
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    n, bs = len(y_train), args.batch_size
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
        test_loss, test_acc = evaluate(model, x_test, y_test, args.eval_batch_size)
        t2 = time.time()
        print(json.dumps({"epoch": epoch + 1, "train_loss": loss_sum / n, "train_acc": correct / n,
                          "test_loss": test_loss, "test_acc": test_acc,
                          "seconds": t2 - t0, "images_per_second": n / (t1 - t0), "params": params}),
                     flush=True)


if __name__ == "__main__":
    main()
