// Layer-wise dynamical isometry (LDI, method spec §3): the singular values of every layer's
// Jacobian with respect to its own (concatenated) input, at initialization, on real inputs.
// For a dense MLP (spec §3.2), with z a layer's input and W its weight:
//   layer 0     h = phi(W z + b)   J = diag(phi'(W z + b)) W         [w x in]
//   layer 1     h = W z + b        J = W                             [w x w]
//   layer k>=2  h = W phi(z) + b   J = W diag(phi'(z))               [w x (w + t_k)]
//   classifier  h = W z + b        J = W (the official code multiplies by phi'(z) anyway)
// The statistic is the mean (and std) of all singular values pooled over layers and samples.
// `Derivative::kReference` reproduces the official code's ELU derivative (exp(x) where x > 0,
// 0 elsewhere) and its classifier factor, so published numbers can be compared. CNNs are not
// covered yet.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/nn/dense_mlp.h"

namespace nnmass {

enum class Derivative { kCorrect, kReference };
std::string to_string(Derivative derivative);
Derivative parse_derivative(const std::string& text, const std::string& field = "derivative");

// phi'(x) elementwise: the true derivative, or the official code's.
torch::Tensor activation_derivative(const torch::Tensor& x, Activation activation, Derivative derivative);

// Analytic Jacobian of a traced layer with respect to its input: [B, out, in].
torch::Tensor layer_jacobian(const LayerTrace& layer, Activation activation, Derivative derivative);

// The map a traced layer applies to its input (true activation), for autograd.
std::function<torch::Tensor(const torch::Tensor&)> layer_function(const LayerTrace& layer,
                                                                 Activation activation);
// Jacobian of a per-sample map f: [B, in] -> [B, out] at z by autograd, one backward pass per
// output row (each sample's output must depend on that sample alone): [B, out, in].
torch::Tensor autograd_jacobian(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                                const torch::Tensor& z);

// Singular values of a batch of matrices [B, r, c]: [B, min(r, c)], float64, descending.
torch::Tensor singular_values(const torch::Tensor& matrices);

struct IsometryOptions {
  Derivative derivative = Derivative::kCorrect;
  int64_t batch_size = 1000;  // samples per chunk (bounds memory)
  // Called after each chunk with the samples done and the total (wide layers take seconds a sample).
  std::function<void(int64_t done, int64_t total)> progress;
};

// How a figure was computed and its error: 0 for the analytic and exact paths; for a Lanczos
// estimate (conv_isometry.h) the probes' standard error and the quadrature's bound.
struct EstimateError {
  std::string method = "analytic";  // analytic (dense MLP), exact, lanczos, or mixed (pooled)
  double mean_se = 0, std_se = 0;
  double mean_bound = 0, std_bound = 0;
};

struct LayerIsometry {
  std::string name;
  int64_t rows = 0, cols = 0;  // Jacobian shape
  double mean = 0, std = 0;    // of this layer's singular values over all samples
  int64_t count = 0;           // singular values pooled
  EstimateError error;
};

struct IsometryResult {
  double mean = 0, std = 0;  // pooled over layers and samples (std: n - 1 denominator)
  int64_t count = 0;
  std::vector<LayerIsometry> layers;
  EstimateError error;
};

// LDI of a dense MLP on `inputs` ([N, ...] samples), in eval mode and without gradients.
IsometryResult measure_isometry(DenseMlpImpl& network, const torch::Tensor& inputs,
                                const IsometryOptions& options);

// Theory check (spec §3.3): the mean singular value of a w x (w + floor(m/2)) matrix of N(0, 1)
// entries, averaged over `draws` matrices drawn from `seed`.
double gaussian_mean_singular_value(int width, double mass, int draws, uint64_t seed);

}  // namespace nnmass
