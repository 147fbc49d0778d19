// DenseNet-type MLP (§2.1); see dense_mlp.h for the layout.
#include "nnmass/nn/dense_mlp.h"

#include "nnmass/nn/tap.h"

#include "nn/gather.h"
#include "nnmass/error.h"

namespace nnmass {

MlpCellImpl::MlpCellImpl(const Cell& cell, const CellLinks& links, int64_t in, int64_t out,
                         bool classifier, Activation activation)
    : classifier_(classifier), activation_(activation) {
  const int64_t w = cell.width;
  for (int k = 0; k < cell.depth; ++k) {
    const int64_t fan_in = k == 0 ? in : w + layer_link_count(cell, k);
    const int64_t fan_out = k + 1 == cell.depth ? out : w;
    layers.push_back(register_module("layer" + std::to_string(k),
                                     torch::nn::Linear(fan_in, fan_out)));
  }
  gather = detail::register_gathers(*this, cell, links);
}

torch::Tensor MlpCellImpl::act(const torch::Tensor& x) const {
  const torch::Tensor z = tap(Tap::kActivation, x);
  return activation_ == Activation::kElu ? torch::elu(z) : torch::relu(z);
}

torch::Tensor MlpCellImpl::forward(torch::Tensor x) { return forward_traced(x, "", nullptr); }

torch::Tensor MlpCellImpl::forward_traced(torch::Tensor x, const std::string& prefix,
                                          std::vector<LayerTrace>* trace) {
  const int d = static_cast<int>(layers.size());
  const auto record = [&](int k, LayerForm form, const torch::Tensor& input) {
    if (trace) trace->push_back({prefix + "layer" + std::to_string(k), form, layers[k], input});
  };
  record(0, LayerForm::kActivateAfter, x);
  torch::Tensor h = act(tap(Tap::kLayer, layers[0]->forward(x)));  // h_0 = phi(L0 x): [B, w]
  torch::Tensor all = h;                         // [h_0 .. h_{k-1}]: [B, k*w]
  record(1, LayerForm::kLinear, h);
  h = tap(Tap::kLayer, layers[1]->forward(h));   // h_1 = L1 h_0
  for (int k = 2; k < d; ++k) {
    torch::Tensor z = h;  // [B, w + t_k]: h_{k-1} and its links, in one gather from all
    if (gather[k].defined()) {  // t_k > 0 for every k >= 2 or for none
      all = torch::cat({all, h}, 1);
      z = all.index_select(1, gather[k]);
    }
    const bool last = k + 1 == d && classifier_;
    record(k, last ? LayerForm::kClassifier : LayerForm::kActivateBefore, z);
    h = tap(Tap::kLayer, last ? layers[k]->forward(z) : layers[k]->forward(act(z)));
  }
  return h;
}

// forward() without the taps: the same operations in the same order, so Python's result equals it.
std::string MlpCellImpl::script_source() const {
  const std::string act = activation_ == Activation::kElu ? "torch.elu" : "torch.relu";
  const int d = static_cast<int>(layers.size());
  std::vector<std::string> lines = {"h = " + act + "(self.layer0.forward(x))", "hs = h",
                                    "h = self.layer1.forward(h)"};
  for (int k = 2; k < d; ++k) {
    const std::string layer = "layer" + std::to_string(k);
    lines.push_back("z = h");
    if (gather[k].defined()) {
      lines.push_back("hs = torch.cat([hs, h], 1)");
      lines.push_back("z = torch.index_select(hs, 1, self.links" + std::to_string(k) + ")");
    }
    const bool last = k + 1 == d && classifier_;
    lines.push_back("h = " + script::call(layer, last ? "z" : act + "(z)"));
  }
  lines.push_back("return h");
  return script::forward(lines);
}

DenseMlpImpl::DenseMlpImpl(const Spec& spec, const Links& links) : spec_(spec), links_(links) {
  int64_t in = 1;
  for (int64_t d : spec.input) in *= d;
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const bool last = c + 1 == spec.cells.size();
    const Cell& cell = spec.cells[c];
    cells_.push_back(register_module(
        "cell" + std::to_string(c),
        MlpCell(cell, links.cells[c], in, last ? spec.classes : cell.width, last, spec.activation)));
    in = cell.width;
  }
}

torch::Tensor DenseMlpImpl::flattened_input(torch::Tensor x) const {
  if (x.dim() < 2)
    throw SpecError("input must be [batch, features...], got a tensor of " + std::to_string(x.dim()) +
                    " dimension(s)");
  x = x.flatten(1);  // [B, ...] -> [B, features]
  const int64_t expected = cells_.front()->layers.front()->options.in_features();
  if (x.size(1) != expected)
    throw SpecError("input has " + std::to_string(x.size(1)) + " features per sample, the MLP expects " +
                    std::to_string(expected));
  return x;
}

std::string DenseMlpImpl::script_source() const {
  std::vector<std::string> lines = {"x = torch.flatten(x, 1)"};
  for (size_t c = 0; c < cells_.size(); ++c) lines.push_back("x = " + script::call("cell" + std::to_string(c), "x"));
  lines.push_back("return x");
  return script::forward(lines);
}

torch::Tensor DenseMlpImpl::forward(torch::Tensor x) {
  x = flattened_input(x);
  for (auto& cell : cells_) x = cell->forward(x);
  return x;
}

std::vector<LayerTrace> DenseMlpImpl::trace(torch::Tensor x) {
  x = flattened_input(x);
  std::vector<LayerTrace> layers;
  for (size_t c = 0; c < cells_.size(); ++c)
    x = cells_[c]->forward_traced(x, "cell" + std::to_string(c) + ".", &layers);
  return layers;
}

std::vector<LayerInfo> DenseMlpImpl::layer_table() const {
  std::vector<LayerInfo> rows;
  for (size_t c = 0; c < cells_.size(); ++c) {
    const auto& layers = cells_[c]->layers;
    for (size_t k = 0; k < layers.size(); ++k) {
      LayerInfo row;
      row.name = "cell" + std::to_string(c) + ".layer" + std::to_string(k);
      row.kind = "linear";
      row.fan_in = layers[k]->options.in_features();
      row.out = layers[k]->options.out_features();
      row.links = links_.cells[c].layers[k];
      row.params = count_parameters(*layers[k]);
      rows.push_back(row);
    }
  }
  return rows;
}

}  // namespace nnmass
