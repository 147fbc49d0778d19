"""nnmass's model files in real PyTorch (Debian's python3-torch): `torch.jit.load(path)(x)` equals
nnmass's own forward to 1e-6 for every family, links and BatchNorm state included.

  1. For an architecture of every family, `nnmass export --sample` writes the model and a batch
     with nnmass's outputs on it in eval and in training mode; Python loads the model and must
     reproduce both, and its running statistics must move in training mode.
  2. The files that `nnmass build --save` and `nnmass train --out` write (in eval mode) load and run the same way
     (the trained CNN's BatchNorm statistics are no longer the initial ones); `export --load`
     of the trained model reproduces nnmass's outputs.
  3. The file's state_dict has nnmass's names, its parameters the closed-form #params, and its
     nnmass_spec attribute the spec.

Both sides run on one thread (ctest sets OMP_NUM_THREADS=1, export gets --threads 1): the kernels are
the same library, but another thread count sums in another order, and training-mode BatchNorm on a
1x1 map of 3 samples amplifies that rounding to ~1e-3 (measured on the ResNeXt below).

usage: python3 export_test.py NNMASS_BIN
"""
import json
import os
import subprocess
import sys
import tempfile

import torch

NNMASS = sys.argv[1]
TOLERANCE = 1e-6
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def nnmass(*args):
    r = subprocess.run([NNMASS, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"nnmass {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r.stdout


def max_diff(a, b):
    return (a - b).abs().max().item()


def params_of(model):
    return sum(p.numel() for p in model.parameters())


ARCHITECTURES = {
    "mlp": ["--family", "mlp", "--width", "6", "--depth", "5", "--tc", "4", "--input", "1,6,6", "--classes", "4"],
    "mlp_two_cells": ["--family", "mlp", "--width", "5:4", "--depth", "4:5", "--tc", "3:6", "--input", "12",
                      "--classes", "3", "--activation", "relu"],
    "cnn": ["--family", "cnn", "--width", "4:6", "--depth", "4:3", "--tc", "3:5", "--input", "3,12,12",
            "--classes", "5"],
    "cnn_reference_head": ["--example", "cifar_cnn"],
    "dwcnn": ["--family", "dwcnn", "--width", "4:5", "--depth", "3:4", "--tc", "2:4", "--input", "3,8,8",
              "--classes", "5"],
    "resnet18_cifar": ["--arch", "resnet18", "--classes", "10", "--input", "3,16,16", "--stem", "cifar"],
    "resnext_imagenet_stem": ["--arch", "resnext50_32x4d", "--classes", "7", "--input", "3,32,32"],
    "mobilenet_v2": ["--arch", "mobilenet_v2", "--classes", "10", "--input", "3,32,32", "--width-mult", "0.5"],
    "nb201": ["--family", "nb201", "--cell", "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
              "--channels", "8", "--cells-per-stage", "1", "--input", "3,16,16", "--classes", "10"],
}


def check_sample(name, model_path, sample_path):
    """The model must reproduce nnmass's outputs in eval mode, then in training mode."""
    model = torch.jit.load(model_path)
    sample = torch.jit.load(sample_path)
    with torch.no_grad():
        model.eval()
        d_eval = max_diff(model(sample.input), sample.output_eval)
        stats_before = {k: v.clone() for k, v in model.state_dict().items() if "running_mean" in k}
        model.train()
        d_train = max_diff(model(sample.input), sample.output_train)
    check(d_eval <= TOLERANCE, f"{name}: eval forward equals nnmass's (max |diff| {d_eval:.2g})")
    check(d_train <= TOLERANCE, f"{name}: training forward equals nnmass's (max |diff| {d_train:.2g})")
    if stats_before:
        moved = any(not torch.equal(v, model.state_dict()[k]) for k, v in stats_before.items())
        check(moved, f"{name}: training mode updates the running statistics")
    return model


with tempfile.TemporaryDirectory() as tmp:
    # 1. Every family through `nnmass export`.
    for name, flags in ARCHITECTURES.items():
        model_path, sample_path = os.path.join(tmp, name + ".pt"), os.path.join(tmp, name + ".sample.pt")
        report = json.loads(nnmass("export", *flags, "--seed", "3", "--out", model_path, "--sample", sample_path,
                                   "--batch-size", "3", "--threads", "1", "--json"))
        model = check_sample(name, model_path, sample_path)
        check(params_of(model) == report["params"],
              f"{name}: the file's parameters equal the closed form ({params_of(model)} vs {report['params']})")
        check(json.loads(model.nnmass_spec) == report["spec"], f"{name}: nnmass_spec holds the spec")
        check(not torch.jit.load(model_path).training, f"{name}: export saves in eval mode by default")

    # 2. `build --save`: saved in training mode, like a fresh PyTorch module; runs in both modes.
    saved = os.path.join(tmp, "built.pt")
    nnmass("build", *ARCHITECTURES["dwcnn"], "--save", saved)
    built = torch.jit.load(saved)
    check(not built.training, "build --save: saved in eval mode, ready for inference")
    x = torch.randn(4, 3, 8, 8)
    with torch.no_grad():
        check(built(x).shape == (4, 5), "build --save: forward gives [batch, classes] logits")
    check(sorted(built.state_dict().keys())[0].startswith("cell0."), "build --save: nnmass's state_dict names")
    check(any(k.endswith(".links2") for k in built.state_dict()), "build --save: the links travel as buffers")

    # `train --out`: a CNN trained briefly on Fashion-MNIST; saved in eval mode with moved statistics.
    run = os.path.join(tmp, "run")
    nnmass("train", "--family", "cnn", "--width", "4", "--depth", "4", "--tc", "3", "--epochs", "1",
           "--limit-train", "300", "--limit-test", "100", "--out", run)
    trained = torch.jit.load(os.path.join(run, "model.pt"))
    check(not trained.training, "train --out: saved in eval mode")
    means = [v for k, v in trained.state_dict().items() if k.endswith("running_mean")]
    check(means and all(v.abs().sum() > 0 for v in means), "train --out: the running statistics were trained")
    sample_path, exported = os.path.join(tmp, "trained.sample.pt"), os.path.join(tmp, "trained.pt")
    nnmass("export", "--load", os.path.join(run, "model.pt"), "--out", exported, "--sample", sample_path,
           "--threads", "1")
    check_sample("trained cnn", exported, sample_path)
    with torch.no_grad():
        sample = torch.jit.load(sample_path)
        trained.eval()
        d = max_diff(trained(sample.input), sample.output_eval)
    check(d <= TOLERANCE, f"train --out's own file equals the exported one in eval mode (max |diff| {d:.2g})")

print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
