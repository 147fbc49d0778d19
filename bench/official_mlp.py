"""The official NN-Mass MLP training, re-created for a side-by-side timing with `nnmass train`.

Written the way the official code (SLDGroup/NN_Mass: model_zoo.Dense_MLP, train_mlp.py) writes it,
per method spec §2.1 and §4.1: a Python loop over layers that concatenates the earlier outputs
(newest first) and indexes the link columns on every forward pass, random.sample topologies,
a DataLoader over the data set, Adam 1e-3, cross-entropy, batch 100, evaluation after the epoch.
Fashion-MNIST is read from the same IDX files nnmass reads. Prints one JSON line with times.
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


class Dense_MLP(nn.Module):
    def __init__(self, net_width, net_depth, tc, input_dims=784, num_classes=10):
        super().__init__()
        self.depth, self.width = net_depth, net_width
        self.tc_list = [0, 0] + [int(min(tc, net_width * (k - 1))) for k in range(2, net_depth)]
        self.features = nn.ModuleList([nn.Linear(input_dims, net_width), nn.Linear(net_width, net_width)])
        for k in range(2, net_depth - 1):
            self.features.append(nn.Linear(net_width + self.tc_list[k], net_width))
        self.features.append(nn.Linear(net_width + self.tc_list[-1], num_classes))
        self.link_dict = [[], []] + [random.sample(range(net_width * (k - 1)), self.tc_list[k])
                                     for k in range(2, net_depth)]

    def forward(self, x):
        out0 = F.elu(self.features[0](x))
        out1 = self.features[1](out0)
        feature_list = [out0, out1]
        for k in range(2, self.depth):
            in_features = feature_list[-1]
            if self.tc_list[k] > 0:
                in_tmp = torch.cat(feature_list[:-1][::-1], dim=1)
                in_features = torch.cat((in_features, in_tmp[:, self.link_dict[k]]), dim=1)
            out = self.features[k](F.elu(in_features)) if k < self.depth - 1 else self.features[k](in_features)
            feature_list.append(out)
        return out


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(folder, prefix):
    x = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--width", type=int, default=8)
    p.add_argument("--depth", type=int, default=32)
    p.add_argument("--tc", type=int, default=8)
    p.add_argument("--batch_size", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    start = time.time()
    train_set, test_set = load(args.data, "train"), load(args.data, "t10k")
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.batch_size, shuffle=False)
    model = Dense_MLP(args.width, args.depth, args.tc)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    train_start = time.time()
    model.train()
    for x, y in train_loader:
        x = x.view(-1, 784)
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    train_seconds = time.time() - train_start
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += (model(x.view(-1, 784)).argmax(1) == y).sum().item()
    print(json.dumps({"train_seconds": train_seconds, "total_seconds": time.time() - start,
                      "test_acc": correct / len(test_set)}))


if __name__ == "__main__":
    main()
