// A pack: K DenseNet-type MLPs of one layer structure (same cells' depths and widths, input,
// classes and activation; t_c and links may differ) trained in lockstep as one computation.
//
// Why: a width-8 MLP is bound by per-operation overhead, not arithmetic. In a pack, every layer
// of every model runs in one hand-vectorised loop nest (the batch transposed once per data order
// and shared), with no autograd and no dispatch, so the machine computes instead of dispatching.
//
// How results stay those of the lone runs: the pack is built from K lone networks (their
// initial weights and links as `build_network` made them) and copies their weights; each model's
// forward and backward use only its own weights and its own batch, so a model's numbers differ
// from its lone run only by float rounding. Fan-ins that differ (different t_c) are padded with
// weights that are zero and stay zero: nothing is ever written to their gradients.
//
// Layout: every model owns buffers of [rows][lanes] floats (a row is one neuron of one layer,
// lanes the batch rounded up to 16); the backward pass is written out (the MLP's derivative is
// simple) and is tested against libtorch's autograd on the lone modules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/nn/dense_mlp.h"
#include "nnmass/nn/pack.h"

namespace nnmass {

class PackedMlp : public Pack {
 public:
  // Copies the weights and links of `models` (all of one pack_key; SpecError otherwise).
  PackedMlp(const std::vector<const DenseMlpImpl*>& models);
  int64_t size() const override { return static_cast<int64_t>(alive_.size()); }

  // The packed parameters ([K, out, fan_in] weights and [K, out] biases), to hand to a
  // FlatOptimizer. Their gradients are written (not accumulated) by `step` with gradients.
  std::vector<torch::Tensor> parameters() const override;

  // Forward (and, with `gradients`, backward) of every live model on its batch. Batches must
  // cover the live models and all have the same size. `sum_loss`: loss[i] is the sum over the
  // batch instead of the mean (evaluation).
  PackStep step(const std::vector<PackBatch>& batches, bool gradients, bool sum_loss = false) override;

  // Stops model i (diverged): it is skipped from now on, its weights and gradients set to zero.
  void stop(int64_t i) override;
  bool alive(int64_t i) const override { return alive_[i]; }

  // Writes model i's current weights into a lone module of the same spec and links (tests, export).
  void copy_to(int64_t i, DenseMlpImpl& model) const;

  // Bytes a pack of `models` holds per model for batches of `batch` (buffers and parameters with
  // gradients and optimizer state), for the memory budget.
  static int64_t bytes_per_model(const Spec& spec, int64_t batch);

  // One layer of every model of the pack.
  struct Layer {
    int64_t out = 0, fan_max = 0, out_row = 0;  // outputs, padded fan-in, first output row
    bool external = false;  // cell 0's first layer: its input is the batch (rows: its features)
    bool phi_in = false;    // h = L phi(z)
    bool phi_out = false;   // h = phi(L z)
    bool logits = false;    // the classifier
    std::vector<std::vector<int32_t>> rows;  // per model: the buffer rows of its input columns, in order
    torch::Tensor weight, bias;              // [K, out, fan_max], [K, out]
  };

 private:
  void reserve(int64_t lanes);
  Activation activation_;
  int64_t features_ = 0, classes_ = 0, rows_ = 0, lanes_ = 0;
  std::vector<Layer> layers_;
  std::vector<bool> alive_;
  torch::Tensor buffers_;  // [K, 4, rows, lanes]: values, phi(values), phi'(values), gradients
};

}  // namespace nnmass
