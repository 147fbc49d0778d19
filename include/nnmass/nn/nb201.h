// NAS-Bench-201 networks (shared/spec/nb201.md): a 3x3 stem, N cells per stage at C, 2C, 4C with a
// residual reduction block between stages, and a BN-ReLU-pool-Linear head. Module names follow the
// benchmark's: stem, cells.k (k = 0..3N+1, the reductions at N and 2N+1), lastact, classifier.
#pragma once

#include "nnmass/nn/network.h"

namespace nnmass {

// One searched cell: node j = sum over i < j of op_ij(node i). Conv edges are ReLU-Conv-BN, no bias,
// registered as edgeIJ (from node I to node J).
class Nb201SearchCellImpl : public torch::nn::Module, public ScriptSource {
 public:
  Nb201SearchCellImpl(const Nb201Cell& cell, int64_t channels);
  torch::Tensor forward(torch::Tensor x);
  std::string script_source() const override;  // forward() in TorchScript

 private:
  Nb201Cell cell_;
  std::vector<torch::nn::Sequential> edges_;  // per edge; null for none/skip/pool
};
TORCH_MODULE(Nb201SearchCell);

// The reduction block: ReLU-Conv3x3/2-BN, ReLU-Conv3x3-BN, plus AvgPool 2x2 + Conv 1x1 shortcut.
class Nb201ReductionImpl : public torch::nn::Module, public ScriptSource {
 public:
  Nb201ReductionImpl(int64_t in, int64_t out);
  torch::Tensor forward(torch::Tensor x);
  std::string script_source() const override;  // forward() in TorchScript

 private:
  torch::nn::Sequential conv_a{nullptr}, conv_b{nullptr};
  torch::nn::Conv2d downsample{nullptr};
};
TORCH_MODULE(Nb201Reduction);

class Nb201NetworkImpl : public NetworkImpl {
 public:
  explicit Nb201NetworkImpl(const Spec& spec);
  torch::Tensor forward(torch::Tensor x) override;
  std::string script_source() const override;  // forward() in TorchScript
  std::vector<LayerInfo> layer_table() const override;
  // The stem, then each cell and reduction block.
  std::vector<LayerMap> layer_maps(const torch::Tensor& x) override;

 private:
  Spec spec_;
  torch::nn::Sequential stem{nullptr};
  std::vector<torch::nn::AnyModule> cells_;
  torch::nn::BatchNorm2d lastact{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(Nb201Network);

}  // namespace nnmass
