// DenseNet-type MLP (method spec §2.1), the official code's layer layout:
//   L0: in -> w, h0 = phi(L0 x)         L1: w -> w, h1 = L1 h0
//   L_k (k = 2..d-1): z_k = [h_{k-1}, links_k], h_k = L_k phi(z_k)  ((w + t_k) -> w)
//   the classifier is the last layer of the last cell and gets no activation: out = L z.
// Activation after concatenation, stored outputs pre-activation (h0 excepted), as the reference.
// Several cells: a cell's L0 takes the previous cell's last output (the transition Linear).
#pragma once

#include "nnmass/nn/network.h"

namespace nnmass {

// How a layer maps its input z to its output, for layer-wise Jacobians (method spec §3.2).
enum class LayerForm {
  kActivateAfter,   // h = phi(L z): layer 0 of a cell
  kLinear,          // h = L z: layer 1
  kActivateBefore,  // h = L phi(z): layers 2.. (z = [h_{k-1}, links])
  kClassifier,      // h = L z: the network's last layer (no activation)
};

// One layer seen during a forward pass: its Linear, its form and the input it received.
struct LayerTrace {
  std::string name;        // "cell0.layer5"
  LayerForm form;
  torch::nn::Linear linear;
  torch::Tensor input;     // z: [B, fan_in]
};

// One cell: its Linear layers and, per layer, the columns of [h_0 .. h_{k-1}] it gathers.
class MlpCellImpl : public torch::nn::Module, public ScriptSource {
 public:
  MlpCellImpl(const Cell& cell, const CellLinks& links, int64_t in, int64_t out, bool classifier,
              Activation activation);
  // x: [B, in] -> [B, out]
  torch::Tensor forward(torch::Tensor x);
  // The same, appending each layer's input and form to `trace` (named with `prefix`).
  torch::Tensor forward_traced(torch::Tensor x, const std::string& prefix, std::vector<LayerTrace>* trace);
  std::string script_source() const override;  // forward() in TorchScript
  std::vector<torch::nn::Linear> layers;
  std::vector<torch::Tensor> gather;  // gather[k]: int64 [t_k] column indices, empty if t_k = 0

 private:
  torch::Tensor act(const torch::Tensor& x) const;
  bool classifier_;
  Activation activation_;
};
TORCH_MODULE(MlpCell);

class DenseMlpImpl : public NetworkImpl {
 public:
  DenseMlpImpl(const Spec& spec, const Links& links);
  torch::Tensor forward(torch::Tensor x) override;  // [B, ...] flattened to [B, features]
  std::string script_source() const override;
  std::vector<LayerInfo> layer_table() const override;
  // A forward pass that records every layer's input (for the isometry analysis).
  std::vector<LayerTrace> trace(torch::Tensor x);
  Activation activation() const { return spec_.activation; }
  const Spec& spec() const { return spec_; }
  const Links& links() const { return links_; }
  const std::vector<MlpCell>& cells() const { return cells_; }

 private:
  torch::Tensor flattened_input(torch::Tensor x) const;  // [B, features], checked
  Spec spec_;
  Links links_;
  std::vector<MlpCell> cells_;
};
TORCH_MODULE(DenseMlp);

}  // namespace nnmass
