// DenseNet-type CNN (method spec §2.2), regular or depth-wise. Per cell (width w):
//   o0 = BN(conv0(x))                     conv0: 3x3, stride 2 in cells after the first
//   o1 = BN(conv1(ReLU(o0)))
//   o_k = conv_k(ReLU(BN_k([o_{k-1}, links_k])))   k = 2..d-1, pre-activation, BN over w + t_k
// The cell's output is o_{d-1}. In the depth-wise variant every conv but the network's first is
// a conv_depth block (1x1 -> BN-ReLU -> depthwise 3x3 -> BN-ReLU -> 1x1 -> BN). BatchNorm trains
// in training mode (the reference never does: a defect we do not copy). Head: global average
// pool + Linear (gap) or AvgPool(2) + flatten + Linear (reference). No bias in any conv.
#pragma once

#include "nnmass/nn/network.h"

namespace nnmass {

// The official `conv_depth` block: 1x1 (in -> w) + BN + ReLU, depthwise 3x3 (stride) + BN +
// ReLU, 1x1 (w -> w) + BN.
class ConvDepthImpl : public torch::nn::Module, public ScriptSource {
 public:
  ConvDepthImpl(int64_t in, int64_t w, int64_t stride);
  torch::Tensor forward(torch::Tensor x);  // [B, in, H, W] -> [B, w, H/stride, W/stride]
  std::string script_source() const override;  // forward() in TorchScript
  torch::nn::Conv2d expand{nullptr}, depthwise{nullptr}, project{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
};
TORCH_MODULE(ConvDepth);

class CnnCellImpl : public torch::nn::Module, public ScriptSource {
 public:
  CnnCellImpl(const Cell& cell, const CellLinks& links, int64_t in, int64_t stride, bool depthwise,
              bool first_cell);
  // x: [B, in, H, W] -> [B, w, H', W']
  torch::Tensor forward(torch::Tensor x);
  std::string script_source() const override;
  // The forward pass, recording each layer as a map from its input (layer 0: x -> BN(conv0(x));
  // 1: o_0 -> BN(conv1(ReLU(o_0))); k >= 2: [o_{k-1}, links] -> conv_k(ReLU(BN_k(.)))) into `maps`
  // with names prefix + "layerK". Returns the cell's output.
  torch::Tensor trace(torch::Tensor x, const std::string& prefix, std::vector<LayerMap>& maps);
  std::vector<torch::nn::AnyModule> convs;  // conv_k, each a Conv2d or a ConvDepth
  std::vector<torch::nn::BatchNorm2d> norms;  // BN of layer k (over w for k < 2, w + t_k after)
  std::vector<torch::Tensor> gather;          // as in MlpCell, channels of [o_0 .. o_{k-1}]
};
TORCH_MODULE(CnnCell);

class DenseCnnImpl : public NetworkImpl {
 public:
  DenseCnnImpl(const Spec& spec, const Links& links);
  torch::Tensor forward(torch::Tensor x) override;  // [B, C, H, W]
  std::string script_source() const override;
  std::vector<LayerInfo> layer_table() const override;
  std::vector<LayerMap> layer_maps(const torch::Tensor& x) override;
  const Spec& spec() const { return spec_; }
  const Links& links() const { return links_; }

 private:
  Spec spec_;
  Links links_;
  std::vector<CnnCell> cells_;
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(DenseCnn);

}  // namespace nnmass
