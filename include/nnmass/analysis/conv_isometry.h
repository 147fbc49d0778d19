// Layer-wise dynamical isometry of convolutional networks (beyond the paper, whose LDI is
// MLP-only): the singular values of each layer's Jacobian at initialization, at real inputs.
//
// A layer is a map from its input z (all channels and pixels of one sample) to its output, with
// the BatchNorm and activations the forward pass applies (see NetworkImpl::layer_maps: dense CNN
// conv layers, ResNet and MobileNet-v2 stems and blocks, skips included). Its Jacobian J at a
// sample is [out channels*pixels x in channels*pixels]; the ReLU masks come from that sample.
//
// BatchNorm: at initialization the running statistics are mean 0, variance 1, which a training
// step never uses. The measurement takes each BatchNorm's statistics from the samples themselves
// (the statistics a training step at initialization normalises with) and holds them fixed, so J
// is a per-sample Jacobian; the network's buffers and mode are restored afterwards.
//
// Two ways to get J's singular values (mean and std, pooled like the MLP's LDI):
//   exact    the explicit J, one vector-Jacobian product per output row in a single batched
//            backward pass, then the eigenvalues of its smaller Gram matrix (float64);
//   lanczos  stochastic Lanczos quadrature: sum_i sigma_i = tr sqrt(G) and sum_i sigma_i^2 = tr G
//            for G the smaller of J J^T / J^T J, from Rademacher probes v and `steps` Lanczos steps
//            on G (matrix-vector products by autograd: J^T v a backward pass, J u the double
//            backward of it), with full reorthogonalisation. For each probe the Gauss rule
//            over-estimates v^T sqrt(G) v and the Gauss-Radau rule with a node at 0 under-
//            estimates it (sqrt's derivatives alternate in sign on [0, inf)): the estimate is the
//            middle of that bracket and its half-width a bound on the quadrature error. Each
//            sample gets `probes` probes; their spread gives a standard error (tr G is exact per
//            probe; only the probes' randomness is in its error).
// `auto` takes the exact path when J has at most `exact_max_entries` entries.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/analysis/isometry.h"
#include "nnmass/nn/network.h"

namespace nnmass {

enum class JacobianMethod { kAuto, kExact, kLanczos };
std::string to_string(JacobianMethod method);
JacobianMethod parse_jacobian_method(const std::string& text, const std::string& field = "method");

struct ConvIsometryOptions {
  JacobianMethod method = JacobianMethod::kAuto;
  int64_t exact_max_entries = int64_t{1} << 18;  // auto: exact when rows * cols is at most this
  int steps = 32;                                // Lanczos steps per probe
  int probes = 2;                                // Rademacher probes per sample (>= 2 for an error)
  uint64_t seed = 0;                             // of the probes
  int64_t batch_size = 32;                       // samples traced at a time
  std::function<void(int64_t done, int64_t total)> progress;  // after each batch of samples
};

// Singular-value sums of one or more Jacobians, with the estimator's (co)variances.
struct SpectrumSums {
  double s1 = 0, s2 = 0;  // sum of sigma, sum of sigma^2
  int64_t count = 0;      // singular values
  double v11 = 0, v22 = 0, v12 = 0;  // variances and covariance of (s1, s2) from the probes (0: exact)
  double bound = 0;                  // bound on the quadrature error of s1 (0: exact)
  void add(const SpectrumSums& o);
  double mean() const;
  double std() const;      // n - 1 denominator
  double mean_se() const;  // standard errors from the probes (delta method for the std)
  double std_se() const;
  double mean_bound() const;  // the quadrature bound carried to the mean and the std
  double std_bound() const;
};

struct ConvLayerIsometry {
  std::string name;
  int64_t rows = 0, cols = 0;  // Jacobian shape per sample
  std::string method;          // "exact" or "lanczos"
  SpectrumSums sums;
};

struct ConvIsometryResult {
  SpectrumSums sums;  // pooled over layers and samples
  std::vector<ConvLayerIsometry> layers;
};

// LDI of a convolutional network on `inputs` [N, C, H, W]. Throws SpecError for families without
// layer maps (the dense MLP has its own analytic path, measure_isometry).
ConvIsometryResult measure_conv_isometry(NetworkImpl& network, const torch::Tensor& inputs,
                                         const ConvIsometryOptions& options);

// The result in the MLP's form (means, stds, and each figure's method and error).
IsometryResult to_isometry_result(const ConvIsometryResult& result);

// The singular-value sums of f's Jacobian at each sample of z (f maps [B, ...] to [B, ...], each
// sample's output depending on that sample alone), by one method (kExact or kLanczos).
// Returns one SpectrumSums per sample.
std::vector<SpectrumSums> jacobian_spectrum(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                                            const torch::Tensor& z, JacobianMethod method,
                                            const ConvIsometryOptions& options, uint64_t probe_seed);

// The explicit Jacobian of f at each sample of z: [B, out numel, in numel] (float32, f's dtype).
torch::Tensor explicit_jacobian(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                                const torch::Tensor& z);

}  // namespace nnmass
