"""The official layer-wise dynamical isometry (ldi.py / Dense_MLP.isometry of SLDGroup/NN_Mass),
re-created for a side-by-side timing with `nnmass isometry`.

Method spec §3.2: per batch of 100 test images, every layer's Jacobian is formed explicitly,
with the diagonal activation-derivative matrices filled element by element in Python loops,
then a batched SVD; the official ELU derivative (exp(x) where x > 0, 0 elsewhere) is used, and
the classifier's Jacobian gets the phi' factor too. The statistic is the mean of the per-batch
means of all singular values. The model (weights and links) is read from an nnmass model file,
which is a TorchScript archive, so both tools measure the same network. Prints one JSON line.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def official_derivative(x):  # the official code's ELU "derivative"
    return torch.exp(x) if x > 0 else torch.tensor(0.0)


class OfficialMLP:
    """Dense_MLP's forward and isometry, on the weights and links of an nnmass model file."""

    def __init__(self, path):
        model = torch.jit.load(path)
        spec, links = json.loads(model.nnmass_spec), json.loads(model.nnmass_links)
        cell = spec["cells"][0]
        self.depth, self.width = cell["depth"], cell["width"]
        params = dict(model.named_parameters())
        self.W = [params[f"cell0.layer{k}.weight"].detach() for k in range(self.depth)]
        self.b = [params[f"cell0.layer{k}.bias"].detach() for k in range(self.depth)]
        # nnmass stores (layer, channel); the official concatenation is newest first (h_{k-2}..h_0).
        self.link_dict = [[(k - 2 - j) * self.width + c for j, c in layer] for k, layer in
                          enumerate(links["cells"][0]["layers"])]

    def isometry(self, x):
        sigmas = []
        out0 = x @ self.W[0].t() + self.b[0]
        d = torch.zeros(x.shape[0], out0.shape[1], out0.shape[1])
        for b in range(x.shape[0]):
            for i in range(out0.shape[1]):
                d[b, i, i] = official_derivative(out0[b, i])
        sigmas.append(torch.linalg.svdvals(torch.matmul(d, self.W[0])).flatten())
        h = [F.elu(out0)]
        sigmas.append(torch.linalg.svdvals(self.W[1].unsqueeze(0).repeat(x.shape[0], 1, 1)).flatten())
        h.append(h[0] @ self.W[1].t() + self.b[1])
        for k in range(2, self.depth):
            z = h[-1]
            if self.link_dict[k]:
                in_tmp = torch.cat(h[:-1][::-1], dim=1)
                z = torch.cat((z, in_tmp[:, self.link_dict[k]]), dim=1)
            d = torch.zeros(x.shape[0], z.shape[1], z.shape[1])
            for b in range(x.shape[0]):
                for i in range(z.shape[1]):
                    d[b, i, i] = official_derivative(z[b, i])
            sigmas.append(torch.linalg.svdvals(torch.matmul(self.W[k], d)).flatten())
            h.append((F.elu(z) if k < self.depth - 1 else z) @ self.W[k].t() + self.b[k])
        return torch.cat(sigmas)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--samples", type=int, default=10000)
    p.add_argument("--batch_size", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    start = time.time()
    images = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))[:args.samples]
    x_all = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    model = OfficialMLP(args.model)
    compute_start = time.time()
    means = []
    with torch.no_grad():
        for s in range(0, len(x_all), args.batch_size):
            means.append(model.isometry(x_all[s:s + args.batch_size]).mean().item())
    print(json.dumps({"mean": float(np.mean(means)), "compute_seconds": time.time() - compute_start,
                      "total_seconds": time.time() - start}))


if __name__ == "__main__":
    main()
