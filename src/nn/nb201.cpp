// NAS-Bench-201 networks; see nb201.h and shared/spec/nb201.md.
#include "nnmass/nn/nb201.h"

#include "nnmass/error.h"
#include "nnmass/nn/tap.h"

namespace nnmass {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(padding).bias(false));
}

// ReLU -> Conv -> BN, with the taps (the ReLU's input, the conv's output).
torch::Tensor relu_conv_bn(nn::Sequential& op, const torch::Tensor& x) {
  torch::Tensor h = tap(Tap::kLayer, op->ptr(0)->as<nn::Conv2dImpl>()->forward(torch::relu(tap(Tap::kActivation, x))));
  return op->ptr(1)->as<nn::BatchNorm2dImpl>()->forward(h);
}

nn::Sequential relu_conv_bn_module(int64_t in, int64_t out, int64_t k, int64_t stride) {
  return nn::Sequential(conv(in, out, k, stride, k / 2), nn::BatchNorm2d(out));
}

}  // namespace

Nb201SearchCellImpl::Nb201SearchCellImpl(const Nb201Cell& cell, int64_t channels) : cell_(cell) {
  for (int e = 0; e < kNb201Edges; ++e) {
    nn::Sequential op{nullptr};
    const int k = cell[e] == Nb201Op::kConv3x3 ? 3 : 1;
    if (cell[e] == Nb201Op::kConv3x3 || cell[e] == Nb201Op::kConv1x1)
      op = register_module("edge" + std::to_string(nb201_edge_from(e)) + std::to_string(nb201_edge_to(e)),
                           relu_conv_bn_module(channels, channels, k, 1));
    edges_.push_back(op);
  }
}

torch::Tensor Nb201SearchCellImpl::forward(torch::Tensor x) {
  // A node no edge reaches is zero, and its out-edges still run on it, as in the benchmark's code
  // (a conv edge on zeros outputs its BatchNorm bias): the counts and gradients match it.
  torch::Tensor node[4] = {x, {}, {}, {}};
  for (int e = 0; e < kNb201Edges; ++e) {
    torch::Tensor& in = node[nb201_edge_from(e)];
    if (cell_[e] == Nb201Op::kNone) continue;
    if (!in.defined()) in = torch::zeros_like(x);
    torch::Tensor out;
    switch (cell_[e]) {
      case Nb201Op::kSkip: out = in; break;
      case Nb201Op::kAvgPool:
        out = torch::avg_pool2d(in, 3, 1, 1, /*ceil_mode=*/false, /*count_include_pad=*/false);
        break;
      default: out = relu_conv_bn(edges_[e], in); break;
    }
    torch::Tensor& sum = node[nb201_edge_to(e)];
    sum = sum.defined() ? sum + out : out;
  }
  return node[3].defined() ? node[3] : torch::zeros_like(x);
}

// forward() unrolled over the edges: which nodes hold a value is known when writing the source.
std::string Nb201SearchCellImpl::script_source() const {
  std::vector<std::string> lines = {"n0 = x"};
  bool defined[4] = {true, false, false, false};
  for (int e = 0; e < kNb201Edges; ++e) {
    if (cell_[e] == Nb201Op::kNone) continue;
    const int from = nb201_edge_from(e), to = nb201_edge_to(e);
    const std::string in = "n" + std::to_string(from), sum = "n" + std::to_string(to);
    if (!defined[from]) lines.push_back(in + " = torch.zeros_like(x)");
    defined[from] = true;
    std::string out;
    switch (cell_[e]) {
      case Nb201Op::kSkip: out = in; break;
      case Nb201Op::kAvgPool: out = "torch.avg_pool2d(" + in + ", [3, 3], [1, 1], [1, 1], False, False)"; break;
      default: out = script::call("edge" + std::to_string(from) + std::to_string(to), "torch.relu(" + in + ")");
    }
    lines.push_back(sum + " = " + (defined[to] ? sum + " + " + out : out));
    defined[to] = true;
  }
  lines.push_back(defined[3] ? "return n3" : "return torch.zeros_like(x)");
  return script::forward(lines);
}

Nb201ReductionImpl::Nb201ReductionImpl(int64_t in, int64_t out) {
  conv_a = register_module("conv_a", relu_conv_bn_module(in, out, 3, 2));
  conv_b = register_module("conv_b", relu_conv_bn_module(out, out, 3, 1));
  downsample = register_module("downsample", conv(in, out, 1, 1, 0));
}

torch::Tensor Nb201ReductionImpl::forward(torch::Tensor x) {
  const torch::Tensor main = relu_conv_bn(conv_b, relu_conv_bn(conv_a, x));
  return main + tap(Tap::kLayer, downsample->forward(torch::avg_pool2d(x, 2, 2)));
}

std::string Nb201ReductionImpl::script_source() const {
  return script::forward({"main = self.conv_b.forward(torch.relu(self.conv_a.forward(torch.relu(x))))",
                          "return main + self.downsample.forward(torch.avg_pool2d(x, [2, 2], [2, 2]))"});
}

Nb201NetworkImpl::Nb201NetworkImpl(const Spec& spec) : spec_(spec) {
  const Nb201Layout& nb = spec.nb201;
  int64_t c = nb.channels;
  stem = register_module("stem", nn::Sequential(conv(spec.input[0], c, 3, 1, 1), nn::BatchNorm2d(c)));
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      cells_.emplace_back(Nb201Reduction(c, 2 * c));
      c *= 2;
    }
    for (int k = 0; k < nb.cells_per_stage; ++k) cells_.emplace_back(Nb201SearchCell(nb.cell, c));
  }
  nn::ModuleList list;
  for (const auto& cell : cells_) list->push_back(cell.ptr());
  register_module("cells", list);
  lastact = register_module("lastact", nn::BatchNorm2d(c));
  classifier = register_module("classifier", nn::Linear(c, spec.classes));
}

torch::Tensor Nb201NetworkImpl::forward(torch::Tensor x) {
  if (x.dim() != 4 || x.size(1) != spec_.input[0])
    throw SpecError("input must be [batch, " + std::to_string(spec_.input[0]) + ", height, width]");
  x = stem->ptr(1)->as<nn::BatchNorm2dImpl>()->forward(tap(Tap::kLayer, stem->ptr(0)->as<nn::Conv2dImpl>()->forward(x)));
  for (auto& cell : cells_) x = cell.forward(x);
  x = tap(Tap::kPrePool, torch::relu(tap(Tap::kActivation, lastact->forward(x))));
  return tap(Tap::kLayer, classifier->forward(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1)));
}

// The cells ModuleList runs its entries in order (see torchscript_export.cpp).
std::string Nb201NetworkImpl::script_source() const {
  return script::forward({"x = self.cells.forward(self.stem.forward(x))",
                          "x = torch.relu(self.lastact.forward(x))",
                          "x = torch.adaptive_avg_pool2d(x, [1, 1])",
                          "return self.classifier.forward(torch.flatten(x, 1))"});
}

std::vector<LayerMap> Nb201NetworkImpl::layer_maps(const torch::Tensor& x) {
  std::vector<LayerMap> maps;
  nn::Sequential s = stem;
  maps.push_back({"stem", x, [=](const torch::Tensor& z) mutable { return s->forward(z); }});
  torch::Tensor h = maps.back().apply(x);
  for (size_t k = 0; k < cells_.size(); ++k) {
    nn::AnyModule cell = cells_[k];
    maps.push_back({"cells." + std::to_string(k), h, [=](const torch::Tensor& z) mutable { return cell.forward(z); }});
    h = maps.back().apply(h);
  }
  return maps;
}

std::vector<LayerInfo> Nb201NetworkImpl::layer_table() const {
  std::vector<LayerInfo> rows;
  const int64_t c0 = spec_.nb201.channels;
  rows.push_back({"stem", "conv3x3", spec_.input[0], c0, 1, {}, count_parameters(*stem)});
  int64_t c = c0;
  for (size_t k = 0; k < cells_.size(); ++k) {
    const bool reduction = cells_[k].ptr()->as<Nb201ReductionImpl>() != nullptr;
    LayerInfo row{"cells." + std::to_string(k), reduction ? "reduction" : "nb201_cell", c, reduction ? 2 * c : c,
                  reduction ? 2 : 1, {}, count_parameters(*cells_[k].ptr())};
    if (reduction) c *= 2;
    rows.push_back(row);
  }
  LayerInfo head = head_row("classifier", "bn+relu+gap+linear", classifier);
  head.params += count_parameters(*lastact);
  rows.push_back(head);
  return rows;
}

}  // namespace nnmass
