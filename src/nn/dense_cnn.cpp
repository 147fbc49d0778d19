// DenseNet-type CNN, regular and depth-wise (§2.2); see dense_cnn.h for the layout.
#include "nnmass/nn/dense_cnn.h"

#include "nnmass/nn/tap.h"

#include "nn/gather.h"
#include "nnmass/cost.h"
#include "nnmass/error.h"

namespace nnmass {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

}  // namespace

ConvDepthImpl::ConvDepthImpl(int64_t in, int64_t w, int64_t stride) {
  expand = register_module("expand", nn::Conv2d(nn::Conv2dOptions(in, w, 1).bias(false)));
  bn1 = register_module("bn1", nn::BatchNorm2d(w));
  depthwise = register_module(
      "depthwise",
      nn::Conv2d(nn::Conv2dOptions(w, w, 3).stride(stride).padding(1).groups(w).bias(false)));
  bn2 = register_module("bn2", nn::BatchNorm2d(w));
  project = register_module("project", nn::Conv2d(nn::Conv2dOptions(w, w, 1).bias(false)));
  bn3 = register_module("bn3", nn::BatchNorm2d(w));
}

torch::Tensor ConvDepthImpl::forward(torch::Tensor x) {
  x = torch::relu(tap(Tap::kActivation, bn1->forward(tap(Tap::kLayer, expand->forward(x)))));
  x = torch::relu(tap(Tap::kActivation, bn2->forward(tap(Tap::kLayer, depthwise->forward(x)))));
  return bn3->forward(tap(Tap::kLayer, project->forward(x)));
}

std::string ConvDepthImpl::script_source() const {
  return script::forward({"x = torch.relu(self.bn1.forward(self.expand.forward(x)))",
                          "x = torch.relu(self.bn2.forward(self.depthwise.forward(x)))",
                          "return self.bn3.forward(self.project.forward(x))"});
}

CnnCellImpl::CnnCellImpl(const Cell& cell, const CellLinks& links, int64_t in, int64_t stride,
                         bool depthwise, bool first_cell) {
  const int64_t w = cell.width;
  for (int k = 0; k < cell.depth; ++k) {
    const int64_t fan_in = k == 0 ? in : w + layer_link_count(cell, k);
    const int64_t s = k == 0 ? stride : 1;
    // The depth-wise network's very first layer is a plain conv (it sees the image).
    nn::AnyModule conv = depthwise && !(first_cell && k == 0) ? nn::AnyModule(ConvDepth(fan_in, w, s))
                                                              : nn::AnyModule(conv3x3(fan_in, w, s));
    // BN sits after the conv for layers 0 and 1, before it (pre-activation) from layer 2 on.
    const int64_t bn_channels = k < 2 ? w : fan_in;
    norms.push_back(register_module("norm" + std::to_string(k), nn::BatchNorm2d(bn_channels)));
    register_module("layer" + std::to_string(k), conv.ptr());
    convs.push_back(std::move(conv));
  }
  gather = detail::register_gathers(*this, cell, links);
}

torch::Tensor CnnCellImpl::forward(torch::Tensor x) {
  const int d = static_cast<int>(convs.size());
  // A plain conv's output is tapped here; a depth-wise block taps its own convs.
  const auto layer = [this](int k, const torch::Tensor& in) {
    torch::Tensor out = convs[k].forward(in);
    return convs[k].ptr()->as<nn::Conv2d>() ? tap(Tap::kLayer, out) : out;
  };
  torch::Tensor o = norms[0]->forward(layer(0, x));                       // o_0 = BN(conv0(x))
  torch::Tensor all = o;                                                  // [o_0 .. o_{k-1}]
  o = norms[1]->forward(layer(1, torch::relu(tap(Tap::kActivation, o))));  // o_1 = BN(conv1(ReLU(o_0)))
  for (int k = 2; k < d; ++k) {
    torch::Tensor z = o;  // [B, w + t_k, H, W]: o_{k-1} and its links, in one gather from all
    if (gather[k].defined()) {  // t_k > 0 for every k >= 2 or for none
      all = torch::cat({all, o}, 1);
      z = all.index_select(1, gather[k]);
    }
    o = layer(k, torch::relu(tap(Tap::kActivation, norms[k]->forward(z))));
  }
  return o;
}

// forward() without the taps (a ConvDepth layer is its own module with its own forward).
std::string CnnCellImpl::script_source() const {
  std::vector<std::string> lines = {"o = self.norm0.forward(self.layer0.forward(x))", "os = o",
                                    "o = self.norm1.forward(self.layer1.forward(torch.relu(o)))"};
  for (size_t k = 2; k < convs.size(); ++k) {
    const std::string n = std::to_string(k);
    lines.push_back("z = o");
    if (gather[k].defined()) {
      lines.push_back("os = torch.cat([os, o], 1)");
      lines.push_back("z = torch.index_select(os, 1, self.links" + n + ")");
    }
    lines.push_back("o = self.layer" + n + ".forward(torch.relu(self.norm" + n + ".forward(z)))");
  }
  lines.push_back("return o");
  return script::forward(lines);
}

torch::Tensor CnnCellImpl::trace(torch::Tensor x, const std::string& prefix, std::vector<LayerMap>& maps) {
  // The maps hold the submodules (shared) so they outlive this call; each repeats forward()'s step.
  const int d = static_cast<int>(convs.size());
  nn::AnyModule conv0 = convs[0], conv1 = convs[1];
  nn::BatchNorm2d bn0 = norms[0], bn1 = norms[1];
  maps.push_back({prefix + "layer0", x, [=](const torch::Tensor& z) mutable { return bn0->forward(conv0.forward(z)); }});
  torch::Tensor o = maps.back().apply(x);
  torch::Tensor all = o;
  maps.push_back({prefix + "layer1", o, [=](const torch::Tensor& z) mutable {
                    return bn1->forward(conv1.forward(torch::relu(z)));
                  }});
  o = maps.back().apply(o);
  for (int k = 2; k < d; ++k) {
    torch::Tensor z = o;
    if (gather[k].defined()) {
      all = torch::cat({all, o}, 1);
      z = all.index_select(1, gather[k]);
    }
    nn::AnyModule conv = convs[k];
    nn::BatchNorm2d bn = norms[k];
    maps.push_back({prefix + "layer" + std::to_string(k), z,
                    [=](const torch::Tensor& in) mutable { return conv.forward(torch::relu(bn->forward(in))); }});
    o = maps.back().apply(z);
  }
  return o;
}

DenseCnnImpl::DenseCnnImpl(const Spec& spec, const Links& links) : spec_(spec), links_(links) {
  const bool depthwise = spec.family == Family::kDepthwiseCnn;
  int64_t in = spec.input[0], h = spec.input[1], w = spec.input[2];
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const int64_t stride = c == 0 ? 1 : 2;
    cells_.push_back(register_module("cell" + std::to_string(c),
                                     CnnCell(spec.cells[c], links.cells[c], in, stride, depthwise, c == 0)));
    h = conv_out_size(h, 3, static_cast<int>(stride), 1);
    w = conv_out_size(w, 3, static_cast<int>(stride), 1);
    in = spec.cells[c].width;
  }
  const int64_t features = spec.head == Head::kGap ? in : in * (h / 2) * (w / 2);
  fc_ = register_module("fc", nn::Linear(features, spec.classes));
}

torch::Tensor DenseCnnImpl::forward(torch::Tensor x) {
  if (x.dim() != 4 || x.size(1) != spec_.input[0]) {
    std::string shape;
    for (int64_t d : x.sizes()) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    throw SpecError("input must be [batch, " + std::to_string(spec_.input[0]) +
                    ", height, width], got [" + shape + "]");
  }
  for (auto& cell : cells_) x = cell->forward(x);
  x = tap(Tap::kPrePool, x);
  x = spec_.head == Head::kGap ? torch::adaptive_avg_pool2d(x, {1, 1}) : torch::avg_pool2d(x, 2);
  return tap(Tap::kLayer, fc_->forward(x.flatten(1)));
}

std::string DenseCnnImpl::script_source() const {
  std::vector<std::string> lines;
  for (size_t c = 0; c < cells_.size(); ++c) lines.push_back("x = " + script::call("cell" + std::to_string(c), "x"));
  lines.push_back(spec_.head == Head::kGap ? "x = torch.adaptive_avg_pool2d(x, [1, 1])" : "x = torch.avg_pool2d(x, [2, 2])");
  lines.push_back("return self.fc.forward(torch.flatten(x, 1))");
  return script::forward(lines);
}

std::vector<LayerMap> DenseCnnImpl::layer_maps(const torch::Tensor& x) {
  std::vector<LayerMap> maps;
  torch::Tensor h = x;
  for (size_t c = 0; c < cells_.size(); ++c) h = cells_[c]->trace(h, "cell" + std::to_string(c) + ".", maps);
  return maps;
}

std::vector<LayerInfo> DenseCnnImpl::layer_table() const {
  std::vector<LayerInfo> rows;
  for (size_t c = 0; c < cells_.size(); ++c) {
    const Cell& cell = spec_.cells[c];
    for (int k = 0; k < cell.depth; ++k) {
      const auto& conv = cells_[c]->convs[k];
      LayerInfo row;
      row.name = "cell" + std::to_string(c) + ".layer" + std::to_string(k);
      const auto* plain = conv.ptr()->as<nn::Conv2d>();
      row.kind = plain ? "conv3x3" : "conv_depth";
      row.fan_in = plain ? plain->options.in_channels()
                         : conv.ptr()->as<ConvDepth>()->expand->options.in_channels();
      row.out = cell.width;
      row.stride = (c > 0 && k == 0) ? 2 : 1;
      row.links = links_.cells[c].layers[k];
      row.params = count_parameters(*conv.ptr()) + count_parameters(*cells_[c]->norms[k]);
      rows.push_back(row);
    }
  }
  rows.push_back(head_row("fc", spec_.head == Head::kGap ? "gap+linear" : "avgpool2+linear", fc_));
  return rows;
}

}  // namespace nnmass
