"""Scoring any PyTorch model: `nnmass score --torchscript` against nnmass's own paths, with real
PyTorch (Debian's python3-torch and python3-torchvision).

  1. torchvision's ResNet-18 and MobileNet-v2, traced and scripted: #params, FLOPs and the graph
     NN-Mass equal nnmass's closed forms for the same layouts (3392 and 1287), and every proxy is
     the same for the traced and the scripted file of one model.
  2. A NAS-Bench-201 network built by nnmass (`nnmass build --save`), re-created in PyTorch
     (bench/proxies_reference.py), loaded with nnmass's weights and traced: every proxy, the
     counts and NN-Mass through --torchscript equal those of `nnmass score --nb201` on the same
     weights, up to float32 rounding.
  3. A file that is no TorchScript model is refused in one line, exit status 2.

usage: python3 torchscript_scoring_test.py NNMASS_BIN SOURCE_DIR
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import torch
import torchvision

NNMASS, SOURCE = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SOURCE, "bench"))
import proxies_reference as ref  # noqa: E402

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def nnmass(*args):
    r = subprocess.run([NNMASS, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"nnmass {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return json.loads(r.stdout)


def close(a, b, rel):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):  # "inf" / "-inf"
        return a == b
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def score(tmp, *args):
    db = os.path.join(tmp, f"s{len(os.listdir(tmp))}.sqlite")
    return nnmass("score", *args, "--db", db, "--json", "--jobs", "1")["runs"]


with tempfile.TemporaryDirectory() as tmp:
    torch.manual_seed(0)
    # 1. torchvision models against the closed forms of the same layouts.
    for name, expected_mass in [("resnet18", 3392.0), ("mobilenet_v2", 1287.0)]:
        model = getattr(torchvision.models, name)(num_classes=10).eval()
        files = {}
        for how in ("trace", "script"):
            path = os.path.join(tmp, f"{name}_{how}.pt")
            (torch.jit.trace(model, torch.randn(1, 3, 32, 32)) if how == "trace" else torch.jit.script(model)).save(path)
            files[how] = path
        closed = nnmass("mass", "--arch", name, "--classes", "10", "--input", "3,32,32", "--json")
        runs = {how: score(tmp, "--torchscript", path, "--input", "3,32,32", "--gaussian", "--batch-size", "8")[0]
                for how, path in files.items()}
        for how, r in runs.items():
            check(r["params"] == closed["params"] == sum(p.numel() for p in model.parameters()),
                  f"{name} {how}: params {r['params']} = closed form {closed['params']}")
            check(r["flops"] == closed["flops"], f"{name} {how}: FLOPs {r['flops']} = closed form {closed['flops']}")
            check(r["macs"] == closed["macs"], f"{name} {how}: MACs {r['macs']} = closed form {closed['macs']}")
            check(abs(r["nn_mass"] - expected_mass) < 1e-9, f"{name} {how}: graph NN-Mass {r['nn_mass']} = {expected_mass}")
            check(len(r["proxies"]) == 10, f"{name} {how}: all ten proxies scored ({sorted(r['proxies'])})")
        for p, v in runs["trace"]["proxies"].items():
            check(close(v, runs["script"]["proxies"][p], 1e-5), f"{name}: {p} traced {v} = scripted {runs['script']['proxies'][p]}")

    # 2. nnmass's NB201 network, re-created in PyTorch with the same weights, traced.
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"
    shape = ["--channels", "4", "--cells-per-stage", "1", "--input", "3,16,16"]
    model_file = os.path.join(tmp, "nb201.pt")
    nnmass("build", "--family", "nb201", "--cell", arch, *shape, "--seed", "0", "--save", model_file, "--json")
    _, state = ref.load_model(model_file)
    net = ref.NB201Network(arch, channels=4, cells_per_stage=1, in_channels=3, classes=10)
    net.load_state_dict(state, strict=True)
    traced = os.path.join(tmp, "nb201_traced.pt")
    torch.jit.trace(net.train(), torch.randn(2, 3, 16, 16)).save(traced)  # traced in train mode: nnmass sets BN itself
    native = score(tmp, "--nb201", arch, *shape, "--gaussian", "--batch-size", "8", "--seed", "0")[0]
    via = score(tmp, "--torchscript", traced, "--input", "3,16,16", "--gaussian", "--batch-size", "8", "--seed", "0")[0]
    for field in ("params", "macs", "flops"):
        check(native[field] == via[field], f"nb201: {field} {via[field]} through TorchScript = {native[field]}")
    check(abs(native["nn_mass"] - via["nn_mass"]) < 1e-9, f"nb201: NN-Mass {via['nn_mass']} through the graph = {native['nn_mass']}")
    check(sorted(native["proxies"]) == sorted(via["proxies"]), "nb201: the same proxies apply")
    for p, v in native["proxies"].items():
        check(close(v, via["proxies"].get(p), 1e-4), f"nb201: {p} {via['proxies'].get(p)} through TorchScript = {v} natively")

    # 3. Not a model.
    junk = os.path.join(tmp, "junk.pt")
    with open(junk, "w") as f:
        f.write("not a model\n")
    r = subprocess.run([NNMASS, "score", "--torchscript", junk, "--input", "3,32,32", "--db", os.path.join(tmp, "j.sqlite")],
                       capture_output=True, text=True)
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot load TorchScript model" in r.stderr,
          f"junk file refused in one line (exit {r.returncode}: {r.stderr.strip()})")
    check(not os.path.exists(os.path.join(tmp, "j.sqlite")), "nothing written for the junk file")

print(f"{len(failures)} failed" if failures else "all TorchScript checks passed")
sys.exit(1 if failures else 0)
