// MobileNet-v2 with torchvision's layout and torchvision-like module names (features.N), any width
// multiplier and per-stage block repeats (method spec §2.3). No dropout before the classifier
// (as the official ImageNet code, d-li14's); it holds no parameters either way.
#pragma once

#include "nnmass/nn/network.h"
#include "nnmass/residual.h"

namespace nnmass {

// Inverted residual: [1x1 expand + BN + ReLU6] -> depthwise 3x3 + BN + ReLU6 -> 1x1 + BN,
// plus the input when stride is 1 and input and output widths agree.
class InvertedResidualImpl : public torch::nn::Module, public ScriptSource {
 public:
  explicit InvertedResidualImpl(const ResidualBlock& b);
  torch::Tensor forward(torch::Tensor x);
  std::string script_source() const override;  // forward() in TorchScript

 private:
  bool residual_;
  torch::nn::Sequential conv{nullptr};
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2Impl : public NetworkImpl {
 public:
  explicit MobileNetV2Impl(const Spec& spec);
  torch::Tensor forward(torch::Tensor x) override;
  std::string script_source() const override;  // forward() in TorchScript
  std::vector<LayerInfo> layer_table() const override;
  // Each entry of `features`: the stem, each inverted residual block (skip included), the last 1x1.
  std::vector<LayerMap> layer_maps(const torch::Tensor& x) override;

 private:
  Spec spec_;
  torch::nn::Sequential features{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(MobileNetV2);

}  // namespace nnmass
