// Adam and SGD over one flat buffer. Every parameter (and its gradient) becomes a view into one
// contiguous tensor, so a step is a handful of whole-buffer operations instead of about ten per
// parameter tensor. This is what matters for the deep, narrow networks NN-Mass studies: a w8
// d32 MLP has 64 parameter tensors of ~100 numbers, and torch::optim::Adam spends more time
// dispatching than computing on them. The arithmetic is PyTorch's (torch.optim.Adam / SGD with
// L2 weight decay, bias-corrected Adam, Nesterov optional), in the same order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/recipe.h"

namespace nnmass {

struct FlatOptimizerOptions {
  std::string kind = "adam";  // adam | sgd
  double weight_decay = 0.0;
  double momentum = 0.9;      // sgd
  bool nesterov = false;      // sgd
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam (PyTorch's defaults)
};

// The optimizer part of a training recipe.
FlatOptimizerOptions flat_optimizer_options(const TrainOptions& recipe);

class FlatOptimizer {
 public:
  // Re-seats every parameter as a view of one flat buffer (call after moving the module to its
  // device and after loading weights: Module::load and Module::to re-seat parameters again).
  FlatOptimizer(std::vector<torch::Tensor> parameters, FlatOptimizerOptions options);
  void zero_grad();
  void step(double lr);
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);
  int64_t numel() const { return flat_.numel(); }

 private:
  FlatOptimizerOptions options_;
  std::vector<torch::Tensor> parameters_;
  torch::Tensor flat_, grad_;  // [P] all parameters, all gradients
  torch::Tensor m_, v_;        // adam moments, or m_ = sgd momentum buffer
  int64_t steps_ = 0;
};

}  // namespace nnmass
