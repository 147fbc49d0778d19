"""Writes examples/fmnist-nb201-sweep.json: 100 NAS-Bench-201 cells drawn uniformly at random
(random.Random(201)) from the 15,625, numbered as nnmass numbers them (base 5, edge 0->1 the most
significant digit, ops in the order none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3),
in a reduced skeleton for Fashion-MNIST. usage: python3 scripts/nb201-sample-grid.py"""
import json, random
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
FROM = [0, 0, 1, 0, 1, 2]
def arch(index):
    ops = []
    for e in range(6):
        ops.append(OPS[index % 5]); index //= 5
    ops.reverse()
    s = ""
    for e in range(6):
        if FROM[e] == 0: s += "|" if e == 0 else "+|"
        s += f"{ops[e]}~{FROM[e]}|"
    return s
rng = random.Random(201)
idx = sorted(rng.sample(range(15625), 100))
models = [{"family": "nb201", "cell": arch(i), "channels": 8, "cells_per_stage": 1} for i in idx]
grid = {
  "comment": "NAS-Bench-201 cells on Fashion-MNIST (issue 13): 100 cells drawn uniformly at random from the 15,625 (Python random.Random(201).sample of nnmass's base-5 numbers, the generator in COMMAND.md), in a reduced skeleton (C = 8 channels, N = 1 cell per stage) at 1x28x28, 1 seed. Adam 1e-3 with a cosine schedule, 3 epochs on the first 10,000 training images, tested on all 10,000. Every zero-cost proxy at initialization on 64-image training batches; no LDI. How NN-Mass, #params, FLOPs and the proxies rank the cells' accuracy.",
  "models": models,
  "seeds": [0],
  "epochs": 3,
  "optimizer": "adam",
  "lr": 0.001,
  "schedule": "cosine",
  "batch_size": 100,
  "limit_train": 10000,
  "ldi_samples": 0,
}
txt = json.dumps(grid, indent=2)
# one model per line, as the other grids
import re
txt = re.sub(r'\{\s+"family": "nb201",\s+"cell": ("[^"]+"),\s+"channels": 8,\s+"cells_per_stage": 1\s+\}', r'{"family": "nb201", "cell": \1, "channels": 8, "cells_per_stage": 1}', txt)
open("examples/fmnist-nb201-sweep.json", "w").write(txt + "\n")
print("wrote examples/fmnist-nb201-sweep.json")
