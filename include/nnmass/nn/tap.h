// Taps: the zero-cost proxies that look inside a network (NASWOT's ReLU codes, fisher's
// activations, MeCo's feature maps, Zen-score's pre-pool features) read tensors that every
// family's forward pass hands to `tap`. While no recorder is alive on the thread a tap is one
// thread-local check; while one is, it keeps the tensor (in the autograd graph, so proxies can
// differentiate with respect to it).
#pragma once

#include <functional>
#include <vector>

#include <torch/torch.h>

namespace nnmass {

enum class Tap {
  kActivation,  // the input of every rectifier (ReLU, ReLU6, ELU): its sign is the unit's on/off code
  kLayer,       // the output of every conv and linear layer, before its BatchNorm
  kPrePool,     // the feature map the head pools (the last one tapped wins)
};

// Collects the taps of the forward passes run on this thread while it lives. One at a time.
class TapRecorder {
 public:
  TapRecorder();
  ~TapRecorder();
  TapRecorder(const TapRecorder&) = delete;
  TapRecorder& operator=(const TapRecorder&) = delete;
  void clear();

  std::vector<torch::Tensor> activations;
  std::vector<torch::Tensor> layers;
  torch::Tensor pre_pool;
  // Optional: replaces each tapped tensor (index: its position among the taps of its kind) in the
  // forward pass itself. Tests perturb activations through it to check gradients by differences.
  std::function<torch::Tensor(Tap, const torch::Tensor&, size_t)> transform;
};

// Returns t; records it in the live recorder, if any.
torch::Tensor tap(Tap kind, const torch::Tensor& t);

}  // namespace nnmass
