// ResNet / Wide-ResNet / ResNeXt with torchvision's layout and module names (conv1, bn1, layer1.0,
// downsample, fc), and a CIFAR stem option (3x3/1 conv, no max-pool). Method spec §2.3: the
// official ResNet's forward pass is broken (undefined shortcut_idx); this one is the standard one.
#pragma once

#include "nnmass/nn/network.h"
#include "nnmass/residual.h"

namespace nnmass {

// Basic (two 3x3) or bottleneck (1x1 -> grouped 3x3 -> 1x1) block with identity or projection
// shortcut: out = ReLU(F(x) + shortcut(x)).
class ResBlockImpl : public torch::nn::Module, public ScriptSource {
 public:
  ResBlockImpl(Block block, const ResidualBlock& b, int64_t groups);
  torch::Tensor forward(torch::Tensor x);
  std::string script_source() const override;  // forward() in TorchScript

 private:
  Block block_;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(ResBlock);

class ResNetImpl : public NetworkImpl {
 public:
  explicit ResNetImpl(const Spec& spec);
  torch::Tensor forward(torch::Tensor x) override;
  std::string script_source() const override;  // forward() in TorchScript
  std::vector<LayerInfo> layer_table() const override;
  // conv1 (the stem: conv, BN, ReLU and the ImageNet stem's max-pool), then each block, skip included.
  std::vector<LayerMap> layer_maps(const torch::Tensor& x) override;

 private:
  Spec spec_;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  std::vector<torch::nn::Sequential> stages_;
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

}  // namespace nnmass
