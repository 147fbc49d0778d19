// A pack: K networks of one family and layer structure trained in lockstep as one computation
// (nnmass/train/pack_trainer.h trains any pack). Each model of a pack computes with its own
// weights on its own batch only, so its numbers are those of its lone run up to float rounding.
// Implementations: PackedMlp (packed_mlp.h, hand-written kernels) and PackedDenseCnn
// (packed_dense_cnn.h, grouped convolutions under autograd).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/nn/network.h"

namespace nnmass {

// One batch of a pack's step, for the models [first, first + count) that share a data order.
struct PackBatch {
  torch::Tensor x;       // float [B, input...]
  torch::Tensor labels;  // int64 [B]
  int64_t first = 0, count = 0;
};

// Per-model results of one step.
struct PackStep {
  std::vector<double> loss;       // mean cross-entropy of the batch (sum when evaluating)
  std::vector<int64_t> correct;   // samples whose argmax is the label
};

class Pack {
 public:
  virtual ~Pack() = default;
  virtual int64_t size() const = 0;
  // The packed parameters, to hand to one FlatOptimizer: a model's slice of each evolves as its
  // lone run's parameters would (Adam and SGD are elementwise). `step` with gradients leaves
  // d(loss_i)/d(params_i) in their gradients.
  virtual std::vector<torch::Tensor> parameters() const = 0;
  // Forward (and, with `gradients`, backward: training mode) of every live model on its batch;
  // without gradients the models evaluate (eval mode). Batches must cover the models and have one
  // size. `sum_loss`: loss[i] is the batch's sum instead of its mean.
  virtual PackStep step(const std::vector<PackBatch>& batches, bool gradients, bool sum_loss = false) = 0;
  // Stops model i (diverged): it is skipped or zeroed from now on and never touches the others.
  virtual void stop(int64_t i) = 0;
  virtual bool alive(int64_t i) const = 0;
};

// The batch size of a step, SpecError unless the batches have one size and cover `models` models.
int64_t checked_batch_size(const std::vector<PackBatch>& batches, int64_t models);

// The part of a spec that must agree within a pack (family, input, classes, head or activation,
// cells' depths and widths): specs with the same key can be packed. t_c and links may differ.
std::string pack_key(const Spec& spec);
// Families packed: dense MLPs and regular dense CNNs (depth-wise CNNs and residual families train
// alone).
bool packable(Family family);
// A pack of lone networks (all of one pack_key and a packable family), their weights copied.
std::unique_ptr<Pack> make_pack(const std::vector<Network>& models);
// Bytes one model of a pack holds for batches of `batch` (buffers, parameters, gradients,
// optimizer state), for the memory budget.
int64_t pack_bytes_per_model(const Spec& spec, int64_t batch);

}  // namespace nnmass
