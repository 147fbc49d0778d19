// A pack of K regular DenseNet-type CNNs (nnmass/nn/dense_cnn.h) of one layer structure: every
// layer of every model is one grouped convolution (groups = K) over the models' channels side by
// side, every BatchNorm one BatchNorm over K times the channels (its statistics are per channel,
// so per model), every link gather one index_select, and the heads one batched product. Autograd
// does the backward pass. Fan-ins that differ (different t_c) are padded with a zero channel whose
// BN scale, shift and conv weights are zero and stay zero (their gradients are zero).
// Depth-wise CNNs are not packed.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <torch/torch.h>

#include "nnmass/nn/dense_cnn.h"
#include "nnmass/nn/pack.h"

namespace nnmass {

class PackedDenseCnn : public Pack {
 public:
  // Copies the weights, BN state and links of `models` (one pack_key; SpecError otherwise).
  explicit PackedDenseCnn(const std::vector<const DenseCnnImpl*>& models);
  int64_t size() const override { return static_cast<int64_t>(alive_.size()); }
  std::vector<torch::Tensor> parameters() const override;
  PackStep step(const std::vector<PackBatch>& batches, bool gradients, bool sum_loss = false) override;
  void stop(int64_t i) override;
  bool alive(int64_t i) const override { return alive_[i]; }
  // Writes model i's weights and BN running statistics into a lone module of its spec and links.
  void copy_to(int64_t i, DenseCnnImpl& model) const;

  // One conv layer of every model, with its BatchNorm.
  struct Layer {
    int64_t fan = 0, out = 0, stride = 1;  // padded input channels per model, output channels
    bool bn_before = false;                // pre-activation (k >= 2): BN over the fan-in
    torch::Tensor gather;                  // int64 [K * fan] channels of [zero, o_0, ...] (k >= 2)
    std::vector<int64_t> used;             // per model: its real fan-in (the rest is padding)
    torch::Tensor weight;                  // [K * out, fan, 3, 3] (cell 0 layer 0: [K * out, C, 3, 3])
    torch::Tensor gamma, beta, mean, var;  // BN over K * (bn_before ? fan : out) channels
  };

 private:
  torch::Tensor forward(const std::vector<PackBatch>& batches, bool training);
  Spec spec_;
  std::vector<std::vector<Layer>> cells_;
  torch::Tensor fc_weight_, fc_bias_;  // [K, classes, features], [K, classes]
  std::vector<bool> alive_;
};

}  // namespace nnmass
