// #params, MACs and FLOPs of every family in closed form, walking the same layer layout the
// libtorch builder uses (§2.1-2.3). Layers that differ only in fan-in are counted together from
// their summed fan-in, so a dense cell costs O(1); residual families walk their block list. All
// arithmetic is checked: a count that would overflow 64 bits is an error, never a wrong number.
#include "nnmass/cost.h"

#include "nnmass/error.h"
#include "nnmass/links.h"
#include "nnmass/mass.h"
#include "nnmass/residual.h"

namespace nnmass {

int64_t conv_out_size(int64_t in, int kernel, int stride, int padding) {
  return (in + 2 * padding - kernel) / stride + 1;
}

namespace {

[[noreturn]] void overflow() {
  throw SpecError("the architecture is too large: its cost overflows 64-bit integers");
}
int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) overflow();
  return r;
}
int64_t mul(int64_t a, int64_t b, int64_t c) { return mul(mul(a, b), c); }
void add(int64_t* acc, int64_t x) {
  if (__builtin_add_overflow(*acc, x, acc)) overflow();
}

// Accumulates parameters, MACs and bias additions.
class Counter {
 public:
  // `count` Linear layers with bias, `out` outputs each, fan-ins summing to `fan_in_sum`.
  void linear(int64_t fan_in_sum, int64_t out, int64_t count = 1) {
    add(&activations_, mul(count, out));
    add(&params_, mul(fan_in_sum, out));
    add(&params_, mul(count, out));
    add(&macs_, mul(fan_in_sum, out));
    add(&bias_adds_, mul(count, out));
  }
  // k x k convs without bias (each is followed by BatchNorm), `out` channels each, input
  // channels summing to `fan_in_sum`, `groups` groups, `pixels` output pixels each; `count` convs.
  void conv(int64_t fan_in_sum, int64_t out, int64_t k, int64_t pixels, int64_t groups = 1, int64_t count = 1) {
    add(&activations_, mul(count, out, pixels));
    const int64_t weights = mul(k * k, fan_in_sum / groups, out);
    add(&params_, weights);
    add(&macs_, mul(weights, pixels));
  }
  // BatchNorm layers over `channels` channels in all: affine weight and bias.
  void batch_norm(int64_t channels) { add(&params_, mul(2, channels)); }

  Cost total() const {
    Cost c;
    c.params = params_;
    c.macs = macs_;
    c.activations = activations_;
    c.flops = mul(2, macs_);
    add(&c.flops, bias_adds_);
    return c;
  }

 private:
  int64_t params_ = 0, macs_ = 0, bias_adds_ = 0, activations_ = 0;
};

int64_t product(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p = mul(p, d);
  return p;
}

// MLP (§2.1), per cell: L0 in->w, L1 w->w, L_k (w+t_k)->w for k = 2..d-2, L_{d-1} (w+t_{d-1})->out.
// The last layer of the last cell is the classifier; an earlier cell ends in a w-wide layer
// that feeds the next cell's L0 (the transition Linear).
Cost mlp_cost(const Spec& spec) {
  Counter n;
  int64_t in = product(spec.input);
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const Cell& cell = spec.cells[c];
    const int64_t w = cell.width, d = cell.depth;
    const int64_t t_last = layer_link_count(cell, cell.depth - 1);
    const int64_t out = c + 1 == spec.cells.size() ? spec.classes : w;
    n.linear(in, w);
    n.linear(w, w);
    n.linear((d - 3) * w + cell_links(cell) - t_last, w, d - 3);  // layers 2..d-2
    n.linear(w + t_last, out);
    in = w;
  }
  return n.total();
}

// Output pixels of a cell: cell 0 keeps the input size, later cells open with a stride-2 conv.
struct Plane {
  int64_t h, w;
  int64_t pixels() const { return mul(h, w); }
  Plane down(int k, int s, int p) const { return {conv_out_size(h, k, s, p), conv_out_size(w, k, s, p)}; }
};

void cnn_head(const Spec& spec, int64_t channels, Plane plane, Counter* n) {
  if (spec.head == Head::kGap) {
    n->linear(channels, spec.classes);
  } else {  // AvgPool(2) + flatten
    n->linear(mul(channels, plane.h / 2, plane.w / 2), spec.classes);
  }
}

// Regular dense CNN (§2.2), per cell: conv0 in->w (+BN w), conv1 w->w (+BN w), and for
// k = 2..d-1 BN(w+t_k) + conv (w+t_k)->w; all 3x3, no bias.
Cost cnn_cost(const Spec& spec) {
  Counter n;
  int64_t in = spec.input[0];
  Plane plane{spec.input[1], spec.input[2]};
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const Cell& cell = spec.cells[c];
    const int64_t w = cell.width;
    if (c > 0) plane = plane.down(3, 2, 1);
    const int64_t fan_in_sum = (cell.depth - 2) * w + cell_links(cell);  // layers 2..d-1
    n.conv(in + w + fan_in_sum, w, 3, plane.pixels(), 1, cell.depth);
    n.batch_norm(2 * w + fan_in_sum);
    in = w;
  }
  cnn_head(spec, in, plane, &n);
  return n.total();
}

// The official `conv_depth` block: 1x1 in->w + BN, depthwise 3x3 (stride) + BN, 1x1 w->w + BN.
// `count` blocks whose input channels sum to `fan_in_sum`.
void conv_depth(int64_t fan_in_sum, int64_t w, int64_t count, Plane in, Plane out, Counter* n) {
  n->conv(fan_in_sum, w, 1, in.pixels(), 1, count);
  n->conv(mul(count, w), w, 3, out.pixels(), w, count);  // depthwise: count*w channels, 9 weights each
  n->conv(mul(count, w), w, 1, out.pixels(), 1, count);
  n->batch_norm(mul(3 * count, w));
}

// Depth-wise dense CNN (§2.2): as the regular one, but every layer except the network's first is
// a conv_depth block; the first is a plain 3x3 conv. One outer BN per layer (w, w, w+t_k...).
Cost dwcnn_cost(const Spec& spec) {
  Counter n;
  int64_t in = spec.input[0];
  Plane plane{spec.input[1], spec.input[2]};
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const Cell& cell = spec.cells[c];
    const int64_t w = cell.width;
    const Plane before = plane;
    if (c == 0) {
      n.conv(in, w, 3, plane.pixels());
    } else {
      plane = plane.down(3, 2, 1);
      conv_depth(in, w, 1, before, plane, &n);
    }
    const int64_t fan_in_sum = (cell.depth - 2) * w + cell_links(cell);  // layers 2..d-1
    conv_depth(w + fan_in_sum, w, cell.depth - 1, plane, plane, &n);    // layers 1..d-1
    n.batch_norm(2 * w + fan_in_sum);
    in = w;
  }
  cnn_head(spec, in, plane, &n);
  return n.total();
}

// torchvision ResNet: stem, BasicBlock / Bottleneck (stride on the 3x3), 1x1 projection
// shortcut + BN where the shape changes, global pool, Linear.
Cost resnet_cost(const Spec& spec) {
  const ResNetLayout& r = spec.resnet;
  Counter n;
  Plane plane{spec.input[1], spec.input[2]};
  if (r.stem == Stem::kImageNet) {
    plane = plane.down(7, 2, 3);
    n.conv(spec.input[0], r.stem_width, 7, plane.pixels());
    plane = plane.down(3, 2, 1);  // max-pool
  } else {
    n.conv(spec.input[0], r.stem_width, 3, plane.pixels());
  }
  n.batch_norm(r.stem_width);
  int64_t channels = r.stem_width;
  for (const ResidualBlock& b : residual_blocks(spec)) {
    const Plane in = plane;
    plane = plane.down(3, b.stride, 1);
    if (r.block == Block::kBasic) {
      n.conv(b.inp, b.mid, 3, plane.pixels());
      n.conv(b.mid, b.mid, 3, plane.pixels());
      n.batch_norm(2 * int64_t{b.mid});
    } else {
      n.conv(b.inp, b.mid, 1, in.pixels());
      n.conv(b.mid, b.mid, 3, plane.pixels(), r.groups);
      n.conv(b.mid, b.out, 1, plane.pixels());
      n.batch_norm(2 * int64_t{b.mid} + b.out);
    }
    if (b.projection) {
      n.conv(b.inp, b.out, 1, plane.pixels());
      n.batch_norm(b.out);
    }
    channels = b.out;
  }
  n.linear(channels, spec.classes);
  return n.total();
}

// torchvision MobileNet-v2: 3x3/2 stem (3x3/1 with the cifar stem), inverted residuals (1x1 expand unless t = 1, depthwise
// 3x3, 1x1 project, each + BN), 1x1 last conv + BN, global pool, Linear.
Cost mobilenet_cost(const Spec& spec) {
  const double wm = spec.mobilenet.width_mult;
  Counter n;
  Plane plane = Plane{spec.input[1], spec.input[2]}.down(3, mobilenet_stem_stride(spec.mobilenet), 1);
  int64_t channels = mobilenet_stem_channels(wm);
  n.conv(spec.input[0], channels, 3, plane.pixels());
  n.batch_norm(channels);
  for (const ResidualBlock& b : residual_blocks(spec)) {
    if (b.expand != 1) {
      n.conv(b.inp, b.mid, 1, plane.pixels());
      n.batch_norm(b.mid);
    }
    plane = plane.down(3, b.stride, 1);
    n.conv(b.mid, b.mid, 3, plane.pixels(), b.mid);
    n.conv(b.mid, b.out, 1, plane.pixels());
    n.batch_norm(int64_t{b.mid} + b.out);
    channels = b.out;
  }
  const int64_t last = mobilenet_last_channels(wm);
  n.conv(channels, last, 1, plane.pixels());
  n.batch_norm(last);
  n.linear(last, spec.classes);
  return n.total();
}

// NAS-Bench-201 skeleton (spec/nb201.md): 3x3 stem + BN; N cells per stage at C, 2C, 4C, with a
// residual reduction block (ReLU-Conv3x3/2-BN, ReLU-Conv3x3-BN, shortcut AvgPool 2x2 + Conv 1x1)
// between stages; head BN + ReLU + global pool + Linear. A cell's conv edges are ReLU-Conv-BN
// without bias; skip, pool and none edges have no parameters.
Cost nb201_cost(const Spec& spec) {
  const Nb201Layout& nb = spec.nb201;
  Counter n;
  Plane plane{spec.input[1], spec.input[2]};
  int64_t channels = nb.channels;
  n.conv(spec.input[0], channels, 3, plane.pixels());
  n.batch_norm(channels);
  const int n3 = nb201_count(nb.cell, Nb201Op::kConv3x3), n1 = nb201_count(nb.cell, Nb201Op::kConv1x1);
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      const int64_t in = channels;
      channels *= 2;
      const Plane pooled{plane.h / 2, plane.w / 2};
      plane = plane.down(3, 2, 1);
      n.conv(in, channels, 3, plane.pixels());
      n.conv(channels, channels, 3, plane.pixels());
      n.batch_norm(2 * channels);
      n.conv(in, channels, 1, pooled.pixels());
    }
    const int64_t cells = nb.cells_per_stage;
    n.conv(mul(channels, cells, n3), channels, 3, plane.pixels(), 1, mul(cells, n3));
    n.conv(mul(channels, cells, n1), channels, 1, plane.pixels(), 1, mul(cells, n1));
    n.batch_norm(mul(cells, n3 + n1, channels));
  }
  n.batch_norm(channels);
  n.linear(channels, spec.classes);
  return n.total();
}

}  // namespace

Cost count_cost(const Spec& spec) {
  switch (spec.family) {
    case Family::kMlp: return mlp_cost(spec);
    case Family::kCnn: return cnn_cost(spec);
    case Family::kDepthwiseCnn: return dwcnn_cost(spec);
    case Family::kResNet: return resnet_cost(spec);
    case Family::kMobileNetV2: return mobilenet_cost(spec);
    case Family::kNb201: return nb201_cost(spec);
  }
  throw SpecError("unknown family");
}

}  // namespace nnmass
