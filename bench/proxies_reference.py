"""Zero-cost proxies of NAS-Bench-201 networks in plain PyTorch: an independent re-creation of
nnmass's nb201 network (src/nn/nb201.cpp) and of its ten proxies (src/analysis/proxies/), written
the way the field's reference Python code computes them (zero-cost-nas of Abdelfattah et al. for
synflow, grad_norm, snip, grasp, fisher and jacob_cov; NASWOT; ZiCo; Zen-NAS; MeCo): forward hooks
for the tensors a proxy looks at, loss.backward() / torch.autograd.grad for the gradients, numpy
for the float64 statistics.

Two uses:
  * a cross-implementation check: given an nnmass model file (`nnmass build --save FILE`, a
    TorchScript archive holding the weights and the spec) and the same inputs, the values equal
    those of `nnmass score` up to float32 rounding (usually to the last bit);
  * the PyTorch baseline of bench/proxies_vs_pytorch.sh (seconds per proxy per architecture).

Inputs, as `nnmass score` draws them:
  * --data fashion-mnist: the first --limit-train rows of the training split (pixels / 255);
    a CPU generator seeded with seed*2654435761+17 draws randperm(n); batch k is rows
    [k*B, (k+1)*B) of that permutation (two batches, ZiCo's).
  * --data gaussian: batch k is randn([B, C, H, W]) then randint(classes, [B]) from a generator
    seeded with seed*1000003+k (`nnmass score --gaussian`).
  * --data none: the data-free proxies only (synflow, zen, meco; meco then reads Gaussian batch 0).
Seeds are taken modulo 2**64, as C++'s uint64_t arithmetic wraps.

Every proxy gets a fresh copy of the network at its initial weights (BatchNorm running statistics,
synflow's abs() and Zen's re-initialisation would otherwise leak from one proxy into the next).

  usage: python3 bench/proxies_reference.py --model m.pt --data fashion-mnist --limit-train 2000 \\
             --batch-size 16 --seed 0 --json
"""
import argparse
import copy
import gzip
import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

U64 = 2 ** 64
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
# nnmass's catalogue order.
PROXIES = ["synflow", "grad_norm", "snip", "grasp", "fisher", "jacob_cov", "naswot", "zico", "zen", "meco"]
DATA_FREE = ["synflow", "zen", "meco"]

# ---------------------------------------------------------------------------------------------
# The network (NAS-Bench-201 topology; module names as nnmass's, so its state dict loads strictly)
# ---------------------------------------------------------------------------------------------

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))  # arch-string order


def parse_arch(text):
    """'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' -> six ops in EDGES order."""
    nodes = text.strip().split("+")
    if len(nodes) != 3:
        raise ValueError(f"an NB201 arch string has three nodes separated by '+': {text!r}")
    ops = []
    for j, node in enumerate(nodes, start=1):
        items = [s for s in node.strip().split("|") if s]
        if len(items) != j:
            raise ValueError(f"node {j} of {text!r} must have {j} inputs, got {len(items)}")
        for i, item in enumerate(items):
            op, _, src = item.partition("~")
            if op not in OPS or src != str(i):
                raise ValueError(f"bad edge {item!r} in {text!r} (ops: {', '.join(OPS)})")
            ops.append(op)
    return ops


class ReLUConvBN(nn.Module):
    """ReLU -> Conv (no bias) -> BN; children named '0' (conv) and '1' (BN) as nnmass's Sequential."""

    def __init__(self, c_in, c_out, kernel, stride):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)  # parameter-free: hooked for the rectifier inputs
        self.add_module("0", nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False))
        self.add_module("1", nn.BatchNorm2d(c_out))

    def forward(self, x):
        return getattr(self, "1")(getattr(self, "0")(self.relu(x)))


class SearchCell(nn.Module):
    """node j = sum over i < j of op_ij(node i); conv edges registered as edgeIJ."""

    def __init__(self, ops, channels):
        super().__init__()
        self.ops = ops
        for (i, j), op in zip(EDGES, ops):
            if op in ("nor_conv_1x1", "nor_conv_3x3"):
                self.add_module(f"edge{i}{j}", ReLUConvBN(channels, channels, 3 if op == "nor_conv_3x3" else 1, 1))

    def forward(self, x):
        node = [x, None, None, None]
        for (i, j), op in zip(EDGES, self.ops):
            if op == "none":
                continue
            if node[i] is None:  # a node no edge reaches is zero; its out-edges still run on it
                node[i] = torch.zeros_like(x)
            h = node[i]
            if op == "skip_connect":
                out = h
            elif op == "avg_pool_3x3":
                out = F.avg_pool2d(h, 3, stride=1, padding=1, count_include_pad=False)
            else:
                out = getattr(self, f"edge{i}{j}")(h)
            node[j] = out if node[j] is None else node[j] + out
        return node[3] if node[3] is not None else torch.zeros_like(x)


class Reduction(nn.Module):
    """ReLU-Conv3x3/2-BN, ReLU-Conv3x3-BN, plus AvgPool 2x2 + Conv 1x1 shortcut."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1)
        self.downsample = nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, x):
        main = self.conv_b(self.conv_a(x))
        return main + self.downsample(F.avg_pool2d(x, 2, 2))


class NB201Network(nn.Module):
    def __init__(self, arch, channels=16, cells_per_stage=5, in_channels=3, classes=10):
        super().__init__()
        ops = parse_arch(arch)
        c = channels
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))
        cells = []
        for stage in range(3):
            if stage > 0:
                cells.append(Reduction(c, 2 * c))
                c *= 2
            cells += [SearchCell(ops, c) for _ in range(cells_per_stage)]
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=False)
        self.classifier = nn.Linear(c, classes)

    def forward_pre_gap(self, x):
        """The feature map the head pools (Zen-NAS's forward_pre_GAP)."""
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        return self.relu(self.lastact(x))

    def forward(self, x):
        return self.classifier(F.adaptive_avg_pool2d(self.forward_pre_gap(x), 1).flatten(1))


def layers(net):
    """The proxies' layers: every Conv2d and Linear, in registration (= forward) order."""
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


class Taps:
    """Forward hooks recording what the proxies look at, in forward order:
    activations = the input of every ReLU, layers = the output of every conv/linear layer (before
    its BN), pre_pool = the head ReLU's output. The recorded tensors stay in the autograd graph."""

    def __init__(self, net):
        self.net, self.handles = net, []
        self.activations, self.layers, self.pre_pool = [], [], None

    def __enter__(self):
        for m in self.net.modules():
            if isinstance(m, nn.ReLU):
                self.handles.append(m.register_forward_hook(self._relu))
            elif isinstance(m, (nn.Conv2d, nn.Linear)):
                self.handles.append(m.register_forward_hook(lambda mod, inp, out: self.layers.append(out)))
        return self

    def _relu(self, module, inp, out):
        self.activations.append(inp[0])
        if module is self.net.relu:
            self.pre_pool = out

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()


def remove_batch_norm(net):
    """zero-cost-nas's network without BN (bn=False): every BatchNorm2d becomes the identity."""
    for name, module in list(net.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                setattr(module, child_name, nn.Identity())
    return net


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------

def generator(seed):
    g = torch.Generator()
    g.manual_seed(seed % U64)
    return g


def read_idx(path):
    """An IDX file (MNIST format, optionally gzipped) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


class ProxyData:
    """Batches as nnmass score draws them (see the module docstring)."""

    def __init__(self, kind, input_shape, classes, batch_size, seed, zen_repeats=1, limit_train=0,
                 data_dir=FASHION_MNIST):
        self.kind, self.input_shape, self.classes = kind, list(input_shape), classes
        self.batch_size, self.seed, self.zen_repeats = batch_size, seed, zen_repeats
        self.images, self.labels = [], []
        if kind == "fashion-mnist":
            images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
            labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
            if limit_train > 0:
                images, labels = images[:limit_train], labels[:limit_train]
            images = torch.from_numpy(images.copy()).unsqueeze(1)  # [N, 1, 28, 28] uint8
            labels = torch.from_numpy(labels.astype(np.int64))
            n = images.shape[0]
            b = min(batch_size, n)
            order = torch.randperm(n, generator=generator(seed * 2654435761 + 17))
            for k in range(2):
                if (k + 1) * b > n:
                    break
                rows = order[k * b:(k + 1) * b]
                self.images.append(images.index_select(0, rows).to(torch.float32).div_(255.0))
                self.labels.append(labels.index_select(0, rows))

    def batch(self, k, gaussian_fallback=False):
        """Batch k: real, or Gaussian images with uniform labels from its own generator."""
        if self.images:
            if k >= len(self.images):
                raise ValueError(f"this proxy needs {k + 1} batches of data, got {len(self.images)}")
            return self.images[k], self.labels[k]
        if self.kind != "gaussian" and not gaussian_fallback:
            raise ValueError("this proxy needs data (--data fashion-mnist or gaussian)")
        g = generator(self.seed * 1000003 + k)
        x = torch.randn([self.batch_size] + self.input_shape, generator=g, dtype=torch.float32)
        y = torch.randint(self.classes, (self.batch_size,), generator=g, dtype=torch.int64)
        return x, y


# ---------------------------------------------------------------------------------------------
# The proxies: each takes a fresh network at its initial weights and the data
# ---------------------------------------------------------------------------------------------

def synflow(net, data):
    """synflow (Tanaka et al., NeurIPS 2020), as zero-cost-nas computes it.
    BN: removed (the network without BatchNorm). Input: one all-ones sample. Precision: float64.
    Every parameter replaced by its absolute value; R = sum of the outputs;
    score = sum over conv/linear weights of |W * dR/dW|."""
    net = remove_batch_norm(net).double().eval()
    with torch.no_grad():
        for tensor in net.state_dict().values():
            tensor.abs_()
    x = torch.ones([1] + data.input_shape, dtype=torch.float64)
    net.zero_grad()
    torch.sum(net(x)).backward()
    return sum(torch.abs(m.weight * m.weight.grad).sum().item() for m in layers(net) if m.weight.grad is not None)


def grad_norm(net, data):
    """grad_norm (Abdelfattah et al., ICLR 2021, zero-cost-nas).
    BN: train (batch statistics). Input: batch 0 and its labels. Precision: float32.
    score = sum over conv/linear layers of the Frobenius norm of dL/dW, L = mean cross-entropy."""
    net.train()
    x, y = data.batch(0)
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return sum(m.weight.grad.norm().item() for m in layers(net) if m.weight.grad is not None)


def snip(net, data):
    """snip (Lee et al., ICLR 2019), as zero-cost-nas scores a network.
    BN: train. Input: batch 0 and its labels. Precision: float32.
    The gradient of L with respect to a multiplicative mask of ones on each weight is W * dL/dW;
    score = sum over conv/linear weights of |W * dL/dW|."""
    net.train()
    x, y = data.batch(0)
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return sum(torch.abs(m.weight.detach() * m.weight.grad).sum().item()
               for m in layers(net) if m.weight.grad is not None)


def grasp(net, data):
    """grasp (Wang et al., ICLR 2020), as zero-cost-nas computes it (T = 1, one split).
    BN: train. Input: batch 0 and its labels. Precision: float32.
    g = dL/dW; a second forward pass gives dL/dW with its graph (create_graph); z = <g, dL/dW>;
    z.backward() leaves H g in W.grad; score = -sum over conv/linear weights of W * (H g)."""
    net.train()
    x, y = data.batch(0)
    weights = [m.weight for m in layers(net)]
    net.zero_grad()
    grad_w = torch.autograd.grad(F.cross_entropy(net(x), y), weights, allow_unused=True)
    grad_f = torch.autograd.grad(F.cross_entropy(net(x), y), weights, create_graph=True, allow_unused=True)
    z = 0
    for gw, gf in zip(grad_w, grad_f):
        if gw is not None and gf is not None:
            z = z + (gw.detach() * gf).sum()
    if not torch.is_tensor(z) or not z.requires_grad:
        return 0.0
    z.backward()
    return 0.0 - sum((w.detach() * w.grad).sum().item() for w in weights if w.grad is not None)


def fisher(net, data):
    """fisher (Turner et al., ICLR 2020), as zero-cost-nas computes it.
    BN: train. Input: batch 0 and its labels. Precision: float32.
    For the output a of every conv/linear layer (before its BN): per sample n and channel k,
    g_nk = sum over positions of a * dL/da; saliency = mean_n(g_nk^2) / 2; summed over all."""
    net.train()
    x, y = data.batch(0)
    with Taps(net) as taps:
        loss = F.cross_entropy(net(x), y)
    grads = torch.autograd.grad(loss, taps.layers, allow_unused=True)
    score = 0.0
    for act, grad in zip(taps.layers, grads):
        if grad is None:
            continue
        g = act.detach() * grad
        if g.dim() == 4:
            g = g.sum([2, 3])
        score += (g.pow(2).mean(0) * 0.5).sum().item()
    return score


def jacob_cov(net, data):
    """jacob_cov (Mellor et al., arXiv 2006.04647v1), as zero-cost-nas computes it.
    BN: train. Input: batch 0 (no labels). Precision: float32 network, float64 statistics (numpy).
    J = gradient of the summed outputs with respect to the input, one row per sample;
    C = corrcoef(J); score = -sum over eigenvalues (eigvalsh) of log(l + k) + 1/(l + k), k = 1e-5.
    NaN when C is not finite (a sample with a constant Jacobian)."""
    net.train()
    x = data.batch(0)[0].clone().requires_grad_(True)
    net.zero_grad()
    y = net(x)
    y.backward(torch.ones_like(y))
    if x.grad is None:  # the output does not depend on the input (nnmass: the proxy fails, NaN)
        return float("nan")
    jacob = x.grad.detach().reshape(x.shape[0], -1).numpy()
    with np.errstate(all="ignore"):
        corrs = np.corrcoef(jacob)
    if not np.isfinite(corrs).all():
        return float("nan")
    v = np.linalg.eigvalsh(corrs)
    k = 1e-5
    return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))


def naswot(net, data):
    """NASWOT (Mellor et al., ICML 2021).
    BN: train. Input: batch 0 (no labels). Precision: float32 network, float64 kernel.
    A hook on every ReLU turns its input into a binary code c per sample (c = x > 0) and adds
    c c^T + (1-c)(1-c)^T to K; score = log|det K| (numpy's slogdet)."""
    net.train()
    x = data.batch(0)[0]
    b = x.shape[0]
    kernel = np.zeros((b, b))

    def hook(module, inp, out):
        nonlocal kernel
        c = (inp[0].detach().reshape(b, -1) > 0).double()
        kernel = kernel + (c @ c.t()).numpy() + ((1.0 - c) @ (1.0 - c).t()).numpy()

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    return float(np.linalg.slogdet(kernel)[1])


def zico(net, data):
    """ZiCo (Li, ..., Marculescu, ICLR 2023).
    BN: train. Input: batches 0 and 1 and their labels. Precision: float32 gradients, float64 statistics.
    Per conv/linear weight, mean |g| and population std (numpy's, ddof 0) of dL/dW across batches;
    per layer, log of the sum over weights with std > 0 of mean|g| / std (skipped when that sum is 0);
    score = sum over layers."""
    net.train()
    mods = layers(net)
    grads = [[] for _ in mods]
    for k in range(max(2, len(data.images))):
        x, y = data.batch(k)
        net.zero_grad()
        F.cross_entropy(net(x), y).backward()
        for store, m in zip(grads, mods):
            g = m.weight.grad
            store.append(np.zeros(m.weight.numel()) if g is None else g.reshape(-1).numpy().astype(np.float64))
    score = 0.0
    for store in grads:
        g = np.stack(store)  # [batches, weights]
        std = np.std(g, axis=0)
        nonzero = np.nonzero(std)[0]
        total = np.sum(np.mean(np.abs(g), axis=0)[nonzero] / std[nonzero])
        if total != 0:
            score += float(np.log(total))
    return score


def _log(v):
    """C's log: -inf at 0, NaN below (a constant pre-pool map makes Delta 0)."""
    return math.log(v) if v > 0 else -math.inf if v == 0 else math.nan


def zen(net, data):
    """Zen-score (Lin et al., ICCV 2021, Zen-NAS).
    BN: train, momentum 1 (running_var = the last batch's unbiased variance). Input: a Gaussian
    batch x and perturbation e (gamma 0.01), conv/linear weights re-initialised N(0, 1) (biases 0,
    BN weight 1, bias 0), all from a generator seeded seed*7919 + r. Precision: float32.
    Delta = mean over samples of |f(x) - f(x + 0.01 e)|_1 on the pre-pool map (x + 0.01 e first,
    x last, so the running variances are x's); score = log Delta + sum over BN layers of
    log sqrt(mean running_var); averaged over --zen-repeats re-initialisations."""
    net.train()
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.momentum = 1.0
    shape = [data.batch_size] + data.input_shape
    repeats = max(1, data.zen_repeats)
    total = 0.0
    with torch.no_grad():
        for r in range(repeats):
            g = generator(data.seed * 7919 + r)
            for m in net.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    m.weight.normal_(0, 1, generator=g)
                    if m.bias is not None:
                        m.bias.zero_()
            for bn in bns:
                bn.weight.fill_(1.0)
                bn.bias.zero_()
            x = torch.randn(shape, generator=g, dtype=torch.float32)
            e = torch.randn(shape, generator=g, dtype=torch.float32)
            mixup_output = net.forward_pre_gap(x + 0.01 * e)
            output = net.forward_pre_gap(x)
            delta = torch.sum(torch.abs(output - mixup_output), dim=[1, 2, 3]).mean().item()
            log_bn = sum(_log(math.sqrt(bn.running_var.mean().item())) for bn in bns)
            total += _log(delta) + log_bn
    return total / repeats


def meco(net, data):
    """MeCo (Jiang et al., NeurIPS 2023).
    BN: train (batch statistics). Input: batch 0 (Gaussian batch 0 without data); the maps of its
    first sample. Precision: float32 network, float64 statistics.
    A hook on every conv layer keeps its output (before BN) for sample 0 as a channels x positions
    matrix; Pearson correlation of the channels (non-finite -> 0); score = sum over conv layers of
    the smallest eigenvalue (eigvalsh)."""
    net.train()
    x = data.batch(0, gaussian_fallback=True)[0]
    maps = []
    handles = [m.register_forward_hook(lambda mod, inp, out: maps.append(out[0].detach()))
               for m in net.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    score = 0.0
    for fea in maps:
        corr = torch.corrcoef(fea.reshape(fea.shape[0], -1).double())
        corr[~torch.isfinite(corr)] = 0
        score += torch.linalg.eigvalsh(corr).min().item()
    return score


FUNCTIONS = {"synflow": synflow, "grad_norm": grad_norm, "snip": snip, "grasp": grasp, "fisher": fisher,
             "jacob_cov": jacob_cov, "naswot": naswot, "zico": zico, "zen": zen, "meco": meco}


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def load_model(path):
    """(spec dict or None, state dict) of an nnmass model file (a TorchScript archive)."""
    module = torch.jit.load(path, map_location="cpu")
    spec = json.loads(module.nnmass_spec) if hasattr(module, "nnmass_spec") else None
    state = {name: t.detach().clone() for name, t in module.named_parameters()}
    state.update({name: t.detach().clone() for name, t in module.named_buffers()})
    return spec, state


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Proxies: " + ", ".join(PROXIES) + ". Each is computed on a fresh copy of "
                                "the network at its initial weights.")
    p.add_argument("--model", help="an nnmass model file (nnmass build --family nb201 ... --save FILE); "
                   "its spec supplies --arch/--channels/--cells-per-stage/--input/--classes")
    p.add_argument("--arch", help="NB201 arch string |op~0|+|op~0|op~1|+|op~0|op~1|op~2| (without --model)")
    p.add_argument("--channels", type=int, help="channels of the first stage C [16]")
    p.add_argument("--cells-per-stage", type=int, help="cells per stage N [5]")
    p.add_argument("--input", help="input shape C,H,W [3,32,32; 1,28,28 with fashion-mnist]")
    p.add_argument("--classes", type=int, help="classes [10]")
    p.add_argument("--proxies", default="auto", help="comma list, or auto (all that apply to --data) [auto]")
    p.add_argument("--batch-size", type=int, default=64, help="samples per batch [64]")
    p.add_argument("--seed", type=int, default=0, help="the run seed of the batches (and of the init "
                   "without --model) [0]")
    p.add_argument("--data", choices=["fashion-mnist", "gaussian", "none"], default="gaussian",
                   help="real batches, Gaussian stand-ins, or none (data-free proxies only) [gaussian]")
    p.add_argument("--data-dir", default=FASHION_MNIST, help=f"the Fashion-MNIST folder [{FASHION_MNIST}]")
    p.add_argument("--limit-train", type=int, default=0, help="keep only the first N training rows (0: all) [0]")
    p.add_argument("--zen-repeats", type=int, default=1, help="Zen-score re-initialisations averaged [1]")
    p.add_argument("--repeat", type=int, default=1, help="time N repetitions per proxy; report the median [1]")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default) [0]")
    p.add_argument("--json", action="store_true", help="print JSON: {\"proxies\": {name: {\"value\", \"seconds\"}}, ...}")
    a = p.parse_args(argv)

    if a.threads > 0:
        torch.set_num_threads(a.threads)

    spec, state = (None, None)
    if a.model:
        spec, state = load_model(a.model)
        if spec is not None and spec.get("family") != "nb201":
            p.error(f"{a.model} is a {spec.get('family')} model, not nb201")
    spec = spec or {}
    file_input = spec.get("input")

    def pick(flag, given, from_file, default):
        if given is not None and from_file is not None and given != from_file:
            p.error(f"--{flag} {given} disagrees with the model file's {from_file}")
        return given if given is not None else from_file if from_file is not None else default

    arch = pick("arch", a.arch, spec.get("cell"), None)
    if arch is None:
        p.error("give --model or --arch")
    channels = pick("channels", a.channels, spec.get("channels"), 16)
    cells_per_stage = pick("cells-per-stage", a.cells_per_stage, spec.get("cells_per_stage"), 5)
    given_input = [int(v) for v in a.input.split(",")] if a.input else None
    if a.data == "fashion-mnist":
        if given_input is not None and given_input != [1, 28, 28]:
            p.error("--data fashion-mnist feeds 1,28,28 images")
        given_input = [1, 28, 28]
        if a.classes not in (None, 10):
            p.error("--data fashion-mnist has 10 classes")
    input_shape = pick("input", given_input, file_input, [3, 32, 32])
    classes = pick("classes", a.classes, spec.get("classes"), 10)
    if len(input_shape) != 3:
        p.error("--input must be C,H,W")

    if state is None:  # PyTorch's default init: timings only, the values are not nnmass's
        torch.manual_seed(a.seed)
    template = NB201Network(arch, channels, cells_per_stage, input_shape[0], classes)
    if state is not None:
        template.load_state_dict(state, strict=True)

    if a.proxies == "auto":
        names = PROXIES if a.data != "none" else DATA_FREE
    else:
        names = [n for n in a.proxies.split(",") if n]
        for n in names:
            if n not in FUNCTIONS:
                p.error(f"unknown proxy {n!r}; one of {', '.join(PROXIES)}")
            if a.data == "none" and n not in DATA_FREE:
                p.error(f"{n} needs data: --data fashion-mnist or gaussian")

    data = ProxyData(a.data, input_shape, classes, a.batch_size, a.seed, a.zen_repeats, a.limit_train, a.data_dir)
    results = {}
    for name in names:
        times, value = [], None
        for _ in range(max(1, a.repeat)):
            start = time.perf_counter()
            net = copy.deepcopy(template)  # a fresh network at the initial weights, as nnmass builds one
            value = FUNCTIONS[name](net, data)
            times.append(time.perf_counter() - start)
        # As nnmass's JSON: NaN as null, infinities as "inf" / "-inf".
        shown = value if math.isfinite(value) else None if math.isnan(value) else str(value)
        results[name] = {"value": shown, "seconds": statistics.median(times)}

    if a.json:
        print(json.dumps({"proxies": results, "arch": arch, "channels": channels, "cells_per_stage": cells_per_stage,
                          "input": input_shape, "classes": classes, "data": a.data, "batch_size": a.batch_size,
                          "seed": a.seed, "limit_train": a.limit_train, "zen_repeats": a.zen_repeats,
                          "repeat": a.repeat, "threads": torch.get_num_threads(), "model": a.model,
                          "torch": torch.__version__}, indent=2))
    else:
        print(f"nb201 {arch} C{channels} N{cells_per_stage}, input {','.join(map(str, input_shape))}, "
              f"{classes} classes, data {a.data}, batch {a.batch_size}, seed {a.seed}, "
              f"{torch.get_num_threads()} thread(s)")
        for name, r in results.items():
            v = float("nan") if r["value"] is None else float(r["value"])
            print(f"  {name:10s} {v:24.12g}   {r['seconds'] * 1e3:10.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
