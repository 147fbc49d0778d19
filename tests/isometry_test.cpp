// Layer-wise dynamical isometry (method spec §3): activation derivatives (correct and the official
// code's), analytic layer Jacobians against autograd, the fast singular-value path against a
// plain SVD, hand-computed statistics, the Gaussian theory check, errors, and the paper's claim
// (more NN-Mass, larger mean singular value) on real Fashion-MNIST images.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/analysis/isometry.h"
#include "nnmass/data/dataset.h"
#include "nnmass/error.h"
#include "nnmass/links.h"
#include "nnmass/nn/dense_mlp.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec.h"

namespace nnmass {
namespace {

using Mlp = std::shared_ptr<DenseMlpImpl>;
constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kPi = 3.14159265358979323846;

Spec mlp_spec(std::vector<Cell> cells, int64_t in, int classes, Activation act) {
  Spec s;
  s.family = Family::kMlp;
  s.input = {in};
  s.classes = classes;
  s.cells = std::move(cells);
  s.activation = act;
  return s;
}

Mlp build_mlp(const Spec& spec, uint64_t seed, const Links* links = nullptr,
              InitKind kind = InitKind::kDefault) {
  Network net = build_network(spec, links, InitOptions{kind, 1.0, seed});
  Mlp mlp = std::dynamic_pointer_cast<DenseMlpImpl>(net);
  EXPECT_TRUE(mlp != nullptr);
  return mlp;
}

// Parameters to float64 (Module::to would also convert the int64 link-index buffers).
void to_double(DenseMlpImpl& mlp) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : mlp.parameters()) p.set_data(p.to(torch::kFloat64));
}

std::string name_of(Activation a) { return to_string(a); }

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

// Population-free pooled statistics of a list of values (std with n - 1), in long double.
struct Stats {
  double mean, std;
  int64_t count;
};
Stats stats_of(const std::vector<double>& v) {
  long double s = 0, ss = 0;
  for (double x : v) s += x;
  const long double m = s / v.size();
  for (double x : v) ss += (x - m) * (x - m);
  return {static_cast<double>(m), static_cast<double>(std::sqrt(ss / (v.size() - 1))),
          static_cast<int64_t>(v.size())};
}

// ---------------------------------------------------------------------------------------------
// Spec §3.2: the official code's ELU derivative is exp(x) for x > 0 and 0 elsewhere; the true
// one is 1 for x > 0 and exp(x) for x <= 0. For ReLU both are the indicator of x > 0. And the
// classifier (no activation in the forward pass) gets J = W, or W diag(phi'_ref(z)) in the
// reference mode; layer 1 gets W; layer 0 gets diag(phi'(Wz + b)) W.
TEST(Isometry, ActivationDerivativesAndJacobianFormsAreExactlyTheSpecs) {
  std::vector<double> grid = {-30, -5, -2.5, -1, -0.5, -1e-3, -1e-300, 0.0, 1e-3, 0.5, 1, 2.5, 5, 30};
  for (double x = -4; x <= 4; x += 0.125) grid.push_back(x);
  const torch::Tensor x = torch::tensor(grid, torch::kFloat64);
  const torch::Tensor elu_correct = activation_derivative(x, Activation::kElu, Derivative::kCorrect);
  const torch::Tensor elu_ref = activation_derivative(x, Activation::kElu, Derivative::kReference);
  const torch::Tensor relu_correct = activation_derivative(x, Activation::kRelu, Derivative::kCorrect);
  const torch::Tensor relu_ref = activation_derivative(x, Activation::kRelu, Derivative::kReference);
  for (const torch::Tensor& t : {elu_correct, elu_ref, relu_correct, relu_ref}) {
    EXPECT_EQ(t.scalar_type(), torch::kFloat64);
    EXPECT_TRUE(t.sizes().equals(x.sizes()));
  }
  // torch's exp and std::exp may differ in the last bit: 2 ulp relative.
  const auto near = [](double got, double want) { return std::abs(got - want) <= 2 * kEps * std::abs(want); };
  for (size_t i = 0; i < grid.size(); ++i) {
    const double v = grid[i];
    SCOPED_TRACE("x = " + std::to_string(v));
    const double c = elu_correct[i].item<double>(), r = elu_ref[i].item<double>();
    EXPECT_TRUE(near(c, v > 0 ? 1.0 : std::exp(v))) << c;
    EXPECT_TRUE(near(r, v > 0 ? std::exp(v) : 0.0)) << r;
    // They never agree on this grid: for x > 0, exp(x) > 1 (x >= 1e-3); for x <= 0 the reference
    // is 0 and exp(x) > 0 (at x = 0: correct 1, reference 0).
    EXPECT_NE(c, r);
    EXPECT_EQ(relu_correct[i].item<double>(), v > 0 ? 1.0 : 0.0);
    EXPECT_EQ(relu_ref[i].item<double>(), v > 0 ? 1.0 : 0.0);
  }
  // The correct derivative is what autograd says (at 0 too: ELU' = 1, ReLU' = 0).
  for (Activation act : {Activation::kElu, Activation::kRelu}) {
    const torch::Tensor in = x.clone().requires_grad_(true);
    const torch::Tensor y = act == Activation::kElu ? torch::elu(in) : torch::relu(in);
    const torch::Tensor g = torch::autograd::grad({y.sum()}, {in})[0];
    // Same formula as autograd's ELU backward, up to exp rounding: 2 ulp.
    EXPECT_LE(max_abs(g - activation_derivative(x, act, Derivative::kCorrect)), 2 * kEps) << name_of(act);
  }

  // Jacobian forms, on a float64 ELU MLP with links: d = 4, w = 3, t_c = 2, 5 inputs, 2 classes.
  const Spec spec = mlp_spec({{4, 3, 2}}, 5, 2, Activation::kElu);
  Mlp mlp = build_mlp(spec, 3);
  to_double(*mlp);
  torch::NoGradGuard no_grad;
  torch::manual_seed(11);
  const std::vector<LayerTrace> traces = mlp->trace(torch::randn({6, 5}, torch::kFloat64));
  ASSERT_EQ(traces.size(), 4u);
  const std::vector<LayerForm> forms = {LayerForm::kActivateAfter, LayerForm::kLinear,
                                        LayerForm::kActivateBefore, LayerForm::kClassifier};
  for (size_t k = 0; k < traces.size(); ++k) {
    const LayerTrace& t = traces[k];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.name, "cell0.layer" + std::to_string(k));
    EXPECT_EQ(t.form, forms[k]);
    const torch::Tensor w = t.linear->weight, b = t.linear->bias, z = t.input;
    for (Derivative der : {Derivative::kCorrect, Derivative::kReference}) {
      SCOPED_TRACE(to_string(der));
      const torch::Tensor j = layer_jacobian(t, Activation::kElu, der);
      ASSERT_TRUE(j.sizes().equals({6, w.size(0), w.size(1)}));
      for (int64_t s = 0; s < 6; ++s) {
        // Expected J built entry by entry with std::exp; products of two doubles, exp to 2 ulp.
        const auto phi = [&](double v) {
          if (der == Derivative::kCorrect) return v > 0 ? 1.0 : std::exp(v);
          return v > 0 ? std::exp(v) : 0.0;
        };
        for (int64_t i = 0; i < w.size(0); ++i) {
          double pre = b[i].item<double>();  // layer 0: (W z + b)_i
          for (int64_t c = 0; c < w.size(1); ++c) pre += w[i][c].item<double>() * z[s][c].item<double>();
          for (int64_t c = 0; c < w.size(1); ++c) {
            const double wic = w[i][c].item<double>();
            double want = wic;                                             // layer 1, classifier (correct)
            if (k == 0) want = phi(pre) * wic;                             // diag(phi'(Wz + b)) W
            if (k == 2) want = wic * phi(z[s][c].item<double>());          // W diag(phi'(z))
            if (k == 3 && der == Derivative::kReference) want = wic * phi(z[s][c].item<double>());
            const double got = j[s][i][c].item<double>();
            // Layer 0's pre-activation is summed in another order than torch's addmm: 1e-12
            // relative slack on phi (|W z + b| ~ 1, sums of 5 products, exp's condition ~1).
            EXPECT_NEAR(got, want, 1e-12 * std::max(1.0, std::abs(want))) << "sample " << s << " (" << i << ", " << c << ")";
          }
        }
      }
      if (k == 1 || (k == 3 && der == Derivative::kCorrect)) {
        // Exactly W for every sample, whatever the input.
        EXPECT_TRUE(torch::equal(j, w.unsqueeze(0).expand_as(j)));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// An orthogonal weight has all singular values 1; c * [I | 0] has all singular values c. On a
// network whose every pre-activation is positive, phi' = 1 (ReLU, and ELU's true derivative), so
// every layer's Jacobian is its weight.
TEST(Isometry, OrthogonalAndScaledIdentityWeightsGiveExactSingularValues) {
  const std::vector<double> c = {0.5, 2.0, 3.0, 0.25, 1.5};  // exact in float32
  for (Activation act : {Activation::kRelu, Activation::kElu}) {
    SCOPED_TRACE(name_of(act));
    // d = 5, w = 4, t_c = 3: layers 4->4, 4->4, 7->4, 7->4, 7->4 (classifier, 4 classes).
    const Spec spec = mlp_spec({{5, 4, 3}}, 4, 4, act);
    Mlp mlp = build_mlp(spec, 1);
    std::vector<LayerTrace> traces;
    torch::manual_seed(2);
    const torch::Tensor x = torch::rand({6, 4}) + 0.1;  // positive inputs
    {
      torch::NoGradGuard no_grad;
      traces = mlp->trace(x);
      ASSERT_EQ(traces.size(), 5u);
      for (size_t k = 0; k < traces.size(); ++k) {
        const torch::Tensor w = traces[k].linear->weight;
        w.zero_();
        w.narrow(1, 0, 4).copy_(c[k] * torch::eye(4));
        traces[k].linear->bias.zero_();
      }
      traces = mlp->trace(x);  // again, with the new weights
      for (const LayerTrace& t : traces) ASSERT_GT(t.input.min().item<double>(), 0.0) << t.name;
    }
    for (size_t k = 0; k < traces.size(); ++k) {
      SCOPED_TRACE(traces[k].name);
      // J = c [I | 0] exactly (entries c * 1 are exact in float32), so LAPACK's SVD returns c to
      // a few ulp: 1e-12 relative.
      const torch::Tensor s = singular_values(layer_jacobian(traces[k], act, Derivative::kCorrect));
      ASSERT_TRUE(s.sizes().equals({6, 4}));
      EXPECT_LE(max_abs(s - c[k]), 1e-12 * c[k]);
    }
    IsometryOptions options;
    options.batch_size = 4;  // two chunks (4 + 2)
    const IsometryResult r = measure_isometry(*mlp, x, options);
    ASSERT_EQ(r.layers.size(), 5u);
    std::vector<double> pooled;
    for (size_t k = 0; k < 5; ++k) {
      SCOPED_TRACE(r.layers[k].name);
      EXPECT_EQ(r.layers[k].name, "cell0.layer" + std::to_string(k));
      EXPECT_EQ(r.layers[k].count, 6 * 4);
      EXPECT_EQ(r.layers[k].rows, 4);
      EXPECT_EQ(r.layers[k].cols, k < 2 ? 4 : 7);
      // Gram matrices c^2 I are diagonal: the eigensolver returns c^2 exactly, sqrt is exact.
      EXPECT_NEAR(r.layers[k].mean, c[k], 1e-14 * c[k]);
      // The std comes from sum_sq - sum^2 / n: for constant values that cancellation leaves
      // O(eps * c^2) of variance, i.e. up to ~sqrt(n * eps) * c ~ 1e-7 * c of std.
      EXPECT_LE(r.layers[k].std, 1e-7 * c[k]);
      for (int i = 0; i < 24; ++i) pooled.push_back(c[k]);
    }
    const Stats want = stats_of(pooled);
    EXPECT_NEAR(r.mean, want.mean, 1e-14 * want.mean);
    EXPECT_NEAR(r.std, want.std, 1e-12 * want.std);
    EXPECT_EQ(r.count, want.count);
  }

  // Orthogonal weights on the two layers whose Jacobian is the bare weight (layer 1, and the
  // classifier under the correct derivative): sigma = gain, for any input.
  const Spec spec = mlp_spec({{4, 5, 3}}, 6, 5, Activation::kElu);  // classifier 8 -> 5
  Mlp mlp = build_mlp(spec, 4);
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({8, 6});
  const double gain = 1.75;
  {
    torch::NoGradGuard no_grad;
    std::vector<LayerTrace> traces = mlp->trace(x);
    const torch::Tensor q1 = std::get<0>(torch::linalg_qr(torch::randn({5, 5}, torch::kFloat64)));
    const torch::Tensor q3 = std::get<0>(torch::linalg_qr(torch::randn({8, 5}, torch::kFloat64)));  // 8x5, orthonormal columns
    traces[1].linear->weight.copy_(gain * q1);
    traces[3].linear->weight.copy_(gain * q3.t());  // 5x8, orthonormal rows
  }
  const std::vector<LayerTrace> traces = [&] { torch::NoGradGuard g; return mlp->trace(x); }();
  for (size_t k : {size_t{1}, size_t{3}}) {
    // Float32 rounding of an orthogonal matrix perturbs it by ~6e-8 per entry; its singular
    // values move by at most ||E||_2 <= ||E||_F ~ 5 * 6e-8 * gain: 1e-6 * gain is safe.
    const torch::Tensor s = singular_values(layer_jacobian(traces[k], Activation::kElu, Derivative::kCorrect));
    EXPECT_LE(max_abs(s - gain), 1e-6 * gain) << traces[k].name;
  }
  const IsometryResult correct = measure_isometry(*mlp, x, {Derivative::kCorrect, 1000, {}});
  EXPECT_NEAR(correct.layers[1].mean, gain, 1e-6 * gain);
  EXPECT_NEAR(correct.layers[3].mean, gain, 1e-6 * gain);
  EXPECT_LE(correct.layers[1].std, 1e-6 * gain);
  EXPECT_LE(correct.layers[3].std, 1e-6 * gain);
  // The reference derivative multiplies the classifier by phi'_ref(z), which varies with z.
  const IsometryResult reference = measure_isometry(*mlp, x, {Derivative::kReference, 1000, {}});
  EXPECT_NEAR(reference.layers[1].mean, gain, 1e-6 * gain);
  EXPECT_GT(reference.layers[3].std, 0.05);
}

// ---------------------------------------------------------------------------------------------
// Shapes used by the Jacobian and fast-path tests: links, several cells, t_c = 0, layer 0 wider
// than its input (out > in) and a classifier wider than its input.
struct Shape {
  std::string name;
  std::vector<Cell> cells;
  int64_t in;
  int classes;
};
const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {
      {"d6 w5 tc3, in 9, 4 classes", {{6, 5, 3}}, 9, 4},
      {"two cells (4,5,2) (5,6,4), in 7, 3 classes", {{4, 5, 2}, {5, 6, 4}}, 7, 3},
      {"d5 w4 tc0, in 3, 6 classes", {{5, 4, 0}}, 3, 6},
  };
  return s;
}

// The analytic Jacobian (correct derivative) equals autograd's for every traced layer, and the
// trace is the forward pass: each layer's function maps its recorded input to the next layer's
// recorded input (the first w columns of it for layers >= 2) and the last one to the logits.
TEST(Isometry, AnalyticJacobiansMatchAutogradAndTheTraceIsTheForwardPass) {
  for (const Shape& shape : shapes()) {
    for (Activation act : {Activation::kElu, Activation::kRelu}) {
      for (torch::Dtype dtype : {torch::kFloat32, torch::kFloat64}) {
        SCOPED_TRACE(shape.name + ", " + name_of(act) + (dtype == torch::kFloat64 ? ", float64" : ", float32"));
        Mlp mlp = build_mlp(mlp_spec(shape.cells, shape.in, shape.classes, act), 21);
        if (dtype == torch::kFloat64) to_double(*mlp);
        torch::manual_seed(22);
        const torch::Tensor x = torch::randn({5, shape.in}, dtype);
        torch::NoGradGuard no_grad;
        const std::vector<LayerTrace> traces = mlp->trace(x);
        size_t layers = 0;
        for (const Cell& c : shape.cells) layers += c.depth;
        ASSERT_EQ(traces.size(), layers);
        for (size_t k = 0; k < traces.size(); ++k) {
          const LayerTrace& t = traces[k];
          SCOPED_TRACE(t.name);
          const torch::Tensor analytic = layer_jacobian(t, act, Derivative::kCorrect);
          const torch::Tensor autograd = autograd_jacobian(layer_function(t, act), t.input);
          ASSERT_TRUE(analytic.sizes().equals(autograd.sizes()));
          ASSERT_TRUE(analytic.sizes().equals({5, t.linear->weight.size(0), t.linear->weight.size(1)}));
          // Both are products W_ij * phi'(.) of the same numbers (autograd's ELU backward uses
          // exp too): a few ulp. 1e-5 (float32) / 1e-12 (float64) absolute on entries ~< 1.
          EXPECT_LT(max_abs(analytic - autograd), dtype == torch::kFloat32 ? 1e-5 : 1e-12);
          EXPECT_GT(max_abs(autograd), 1e-2);  // not trivially zero
          // Trace consistency.
          const torch::Tensor out = layer_function(t, act)(t.input);
          if (k + 1 == traces.size()) {
            EXPECT_TRUE(torch::equal(out, mlp->forward(x)));
          } else {
            const torch::Tensor next = traces[k + 1].input;
            EXPECT_TRUE(torch::equal(out, next.narrow(1, 0, out.size(1))));
            if (traces[k + 1].form != LayerForm::kActivateBefore &&
                traces[k + 1].form != LayerForm::kClassifier) {
              EXPECT_EQ(next.size(1), out.size(1));
            }
          }
        }
        // Forms: per cell kActivateAfter, kLinear, then kActivateBefore; the very last kClassifier.
        size_t k = 0;
        for (size_t c = 0; c < shape.cells.size(); ++c)
          for (int i = 0; i < shape.cells[c].depth; ++i, ++k) {
            LayerForm want = i == 0 ? LayerForm::kActivateAfter : i == 1 ? LayerForm::kLinear : LayerForm::kActivateBefore;
            if (k + 1 == traces.size()) want = LayerForm::kClassifier;
            EXPECT_EQ(traces[k].form, want) << traces[k].name;
            EXPECT_EQ(traces[k].name, "cell" + std::to_string(c) + ".layer" + std::to_string(i));
          }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// measure_isometry's fast path (Gram matrices, own eigensolver, shared Jacobians counted once per
// sample) equals the plain computation: LAPACK SVD of every sample's Jacobian, pooled.
TEST(Isometry, FastPathEqualsPlainSvdOfEveryJacobian) {
  // See the comment on the comparisons below.
  const auto tolerance = [](const std::vector<double>& v) {
    const double top = *std::max_element(v.begin(), v.end());
    const double low = *std::min_element(v.begin(), v.end());
    return low >= 1e-3 * top ? 1e-10 * top : 1e-7 * top;
  };
  int tight = 0;  // comparisons made at the tight tolerance
  for (const Shape& shape : shapes()) {
    for (Activation act : {Activation::kElu, Activation::kRelu}) {
      for (Derivative der : {Derivative::kCorrect, Derivative::kReference}) {
        SCOPED_TRACE(shape.name + ", " + name_of(act) + ", " + to_string(der));
        Mlp mlp = build_mlp(mlp_spec(shape.cells, shape.in, shape.classes, act), 31);
        // Float64 network: the fast path computes in float64 anyway, but from float32 inputs a
        // float32 reference would differ by float32 rounding (~1e-7), hiding small errors.
        to_double(*mlp);
        torch::manual_seed(32);
        const int64_t n = 7;
        const torch::Tensor x = torch::randn({n, shape.in}, torch::kFloat64);
        std::vector<std::vector<double>> per_layer;
        std::vector<double> pooled;
        std::vector<LayerTrace> traces;
        {
          torch::NoGradGuard no_grad;
          traces = mlp->trace(x);
        }
        for (const LayerTrace& t : traces) {
          const torch::Tensor s = torch::linalg_svdvals(layer_jacobian(t, act, der).to(torch::kFloat64)).contiguous();
          per_layer.emplace_back(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
          pooled.insert(pooled.end(), per_layer.back().begin(), per_layer.back().end());
        }
        const Stats want = stats_of(pooled);
        for (int64_t batch : {int64_t{3}, int64_t{1000}}) {  // 3: chunks of 3, 3, 1
          SCOPED_TRACE("batch size " + std::to_string(batch));
          const IsometryResult r = measure_isometry(*mlp, x, {der, batch, {}});
          // Tolerances. The Gram route squares the singular values: the eigenvalues carry an
          // absolute error ~ n * eps * sigma_max^2 (n <= 8 here), so a singular value sigma is
          // off by ~ n * eps * sigma_max^2 / sigma, and an exact 0 (a rank-deficient Jacobian:
          // ReLU zeros, the reference ELU derivative's zeros) by up to sqrt(n * eps) * sigma_max
          // ~ 4e-8 * sigma_max (measured: ~1e-8; LAPACK's eigvalsh on the same Gram matrices
          // does the same). So: where every singular value is >= 1e-3 sigma_max, the error is
          // <= 2e-12 sigma_max per value and we require 1e-10 sigma_max; otherwise 1e-7 sigma_max.
          const double pooled_tol = tolerance(pooled);
          tight += pooled_tol < 1e-9;
          EXPECT_NEAR(r.mean, want.mean, pooled_tol);
          EXPECT_NEAR(r.std, want.std, pooled_tol);
          EXPECT_EQ(r.count, want.count);
          ASSERT_EQ(r.layers.size(), traces.size());
          for (size_t k = 0; k < traces.size(); ++k) {
            SCOPED_TRACE(traces[k].name);
            const Stats l = stats_of(per_layer[k]);
            EXPECT_EQ(r.layers[k].name, traces[k].name);
            EXPECT_EQ(r.layers[k].rows, traces[k].linear->weight.size(0));
            EXPECT_EQ(r.layers[k].cols, traces[k].linear->weight.size(1));
            EXPECT_EQ(r.layers[k].count, n * std::min(r.layers[k].rows, r.layers[k].cols));
            EXPECT_EQ(r.layers[k].count, l.count);
            EXPECT_NEAR(r.layers[k].mean, l.mean, tolerance(per_layer[k]));
            EXPECT_NEAR(r.layers[k].std, l.std, tolerance(per_layer[k]));
          }
        }
      }
    }
  }
  EXPECT_GE(tight, 4);  // at least the ELU / correct cases (no zero singular values)
  // The default float32 network, against a float64 reference from the same float32 numbers:
  // the inputs' and the trace's float32 rounding (~6e-8 relative) is all that differs: 1e-5.
  Mlp mlp = build_mlp(mlp_spec({{6, 5, 3}}, 9, 4, Activation::kElu), 33);
  torch::manual_seed(34);
  const torch::Tensor x = torch::randn({9, 9});
  std::vector<double> pooled;
  {
    torch::NoGradGuard no_grad;
    for (const LayerTrace& t : mlp->trace(x)) {
      const torch::Tensor s = torch::linalg_svdvals(layer_jacobian(t, Activation::kElu, Derivative::kCorrect).to(torch::kFloat64)).contiguous();
      pooled.insert(pooled.end(), s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
    }
  }
  const Stats want = stats_of(pooled);
  const IsometryResult r = measure_isometry(*mlp, x, {});
  EXPECT_NEAR(r.mean, want.mean, 1e-5 * want.mean);
  EXPECT_NEAR(r.std, want.std, 1e-5 * want.std);
  EXPECT_EQ(r.count, want.count);
}

// ---------------------------------------------------------------------------------------------
// A tiny ReLU MLP (d = 3, w = 2, t_c = 1, 2 inputs, 2 classes) with hand-set weights, zero biases
// and hand-set links (layer 2 takes channel 1 of h0), on two hand-chosen samples.
//   W0 = [[2, 0], [0, 3]]   W1 = [[1, -1], [1, 1]]   W2 = [[1, 0, 0], [0, 2, 2]]
//   z2 = [h1_0, h1_1, h0_1]
// s1 = (1, 2):  a0 = (2, 6)  phi'= (1, 1)  J0 = diag(2, 3)        sigma0 = {3, 2}
//               h0 = (2, 6)  h1 = (-4, 8)  z2 = (-4, 8, 6)        logits (-4, 28)
// s2 = (3, -1): a0 = (6, -3) phi'= (1, 0)  J0 = [[2, 0], [0, 0]]  sigma0 = {2, 0}
//               h0 = (6, 0)  h1 = (6, 6)   z2 = (6, 6, 0)         logits (6, 12)
// Layer 1: J1 = W1 = sqrt(2) * rotation: sigma1 = {sqrt2, sqrt2} per sample.
// Classifier, correct: J2 = W2, orthogonal rows of norms 1 and 2 sqrt2: {2 sqrt2, 1} per sample.
// Classifier, reference: J2 = W2 diag(1[z2 > 0]):
//   s1: d = (0, 1, 1): [[0, 0, 0], [0, 2, 2]] -> {2 sqrt2, 0};  s2: d = (1, 1, 0): [[1,0,0],[0,2,0]] -> {2, 1}
// Pooled (12 values):
//   correct:   3 2 2 0 | r r r r | 2r 1 2r 1 (r = sqrt2): sum 9 + 8r, sum of squares 43
//              mean = (9 + 8r)/12 = 1.692809042, var = (43 - (9 + 8r)^2/12)/11 = (43 - (209 + 144r)/12)/11
//              = 0.782979144, std = 0.884861087
//   reference: 3 2 2 0 | r r r r | 2r 0 2 1: sum 10 + 6r, sum of squares 38
//              mean = (10 + 6r)/12 = 1.540440115, var = (38 - (172 + 120r)/12)/11 = 0.865866458,
//              std = 0.930519456
// Per layer: layer 0 mean 7/4, std sqrt((9+4+4+0 - 7^2/4)/3) = sqrt(19/12); layer 1 mean r, std 0;
//   classifier: mean and std of its four values {2r, 1, 2r, 1} (correct) / {2r, 0, 2, 1} (reference).
TEST(Isometry, HandComputedStatisticsOfATinyReluMlp) {
  const Spec spec = mlp_spec({{3, 2, 1}}, 2, 2, Activation::kRelu);
  Links links;
  links.pool = LinkPool::kPaper;
  links.cells.resize(1);
  links.cells[0].layers = {{}, {}, {LinkSource{0, 1}}};
  check_links(spec, links);
  Mlp mlp = build_mlp(spec, 0, &links);
  {
    torch::NoGradGuard no_grad;
    const std::vector<LayerTrace> t = mlp->trace(torch::zeros({1, 2}));
    ASSERT_EQ(t.size(), 3u);
    t[0].linear->weight.copy_(torch::tensor({2.f, 0.f, 0.f, 3.f}).view({2, 2}));
    t[1].linear->weight.copy_(torch::tensor({1.f, -1.f, 1.f, 1.f}).view({2, 2}));
    t[2].linear->weight.copy_(torch::tensor({1.f, 0.f, 0.f, 0.f, 2.f, 2.f}).view({2, 3}));
    for (const LayerTrace& l : t) l.linear->bias.zero_();
  }
  const torch::Tensor x = torch::tensor({1.f, 2.f, 3.f, -1.f}).view({2, 2});
  {
    torch::NoGradGuard no_grad;
    // The hand computation of the forward pass (all exact small integers).
    EXPECT_TRUE(torch::equal(mlp->forward(x), torch::tensor({-4.f, 28.f, 6.f, 12.f}).view({2, 2})));
    EXPECT_TRUE(torch::equal(mlp->trace(x)[2].input, torch::tensor({-4.f, 8.f, 6.f, 6.f, 6.f, 0.f}).view({2, 3})));
  }
  const double r = std::sqrt(2.0);
  const double correct_mean = (9 + 8 * r) / 12;                                   // 1.692809042
  const double correct_std = std::sqrt((43 - (209 + 144 * r) / 12) / 11);         // 0.884861087
  const double reference_mean = (10 + 6 * r) / 12;                                // 1.540440115
  const double reference_std = std::sqrt((38 - (172 + 120 * r) / 12) / 11);       // 0.930519456
  EXPECT_NEAR(correct_mean, 1.692809042, 1e-9);  // the decimals above are the closed forms'
  EXPECT_NEAR(correct_std, 0.884861087, 1e-9);
  EXPECT_NEAR(reference_mean, 1.540440115, 1e-9);
  EXPECT_NEAR(reference_std, 0.930519456, 1e-9);
  for (int64_t batch : {int64_t{1}, int64_t{2}}) {
    SCOPED_TRACE("batch size " + std::to_string(batch));
    const IsometryResult c = measure_isometry(*mlp, x, {Derivative::kCorrect, batch, {}});
    const IsometryResult f = measure_isometry(*mlp, x, {Derivative::kReference, batch, {}});
    // Every singular value here is exact or a correctly rounded sqrt of an exact integer
    // eigenvalue (diagonal Gram matrices), or LAPACK's SVD of a 2x2/2x3 matrix (a few ulp):
    // 1e-12 relative on statistics of 12 values of size ~1.
    EXPECT_NEAR(c.mean, correct_mean, 1e-12);
    EXPECT_NEAR(c.std, correct_std, 1e-12);
    EXPECT_EQ(c.count, 12);
    EXPECT_NEAR(f.mean, reference_mean, 1e-12);
    EXPECT_NEAR(f.std, reference_std, 1e-12);
    EXPECT_EQ(f.count, 12);
    ASSERT_EQ(c.layers.size(), 3u);
    EXPECT_NEAR(c.layers[0].mean, 1.75, 1e-12);
    EXPECT_NEAR(c.layers[0].std, std::sqrt(19.0 / 12), 1e-12);  // values 3 2 2 0
    EXPECT_NEAR(c.layers[1].mean, r, 1e-12);
    EXPECT_LE(c.layers[1].std, 1e-7);  // constant values; sum_sq - sum^2/n cancellation (see above)
    const Stats cls = stats_of({2 * r, 1, 2 * r, 1});
    EXPECT_NEAR(c.layers[2].mean, cls.mean, 1e-12);
    EXPECT_NEAR(c.layers[2].std, cls.std, 1e-12);
    const Stats cls_ref = stats_of({2 * r, 0, 2, 1});
    EXPECT_NEAR(f.layers[2].mean, cls_ref.mean, 1e-12);
    EXPECT_NEAR(f.layers[2].std, cls_ref.std, 1e-12);
    // Layers 0 and 1 do not depend on the derivative kind under ReLU.
    EXPECT_EQ(f.layers[0].mean, c.layers[0].mean);
    EXPECT_EQ(f.layers[1].mean, c.layers[1].mean);
    for (size_t k = 0; k < 3; ++k) EXPECT_EQ(c.layers[k].count, 4);
  }
}

// ---------------------------------------------------------------------------------------------
// Gaussian matrices: singular_values against the Frobenius identity and the Marchenko-Pastur
// second moment, and the theory check gaussian_mean_singular_value (spec §3.3).
TEST(Isometry, GaussianMatricesAndTheTheoryCheck) {
  // singular_values: float64 out, [B, min(r, c)], descending, from float32 too.
  torch::manual_seed(41);
  for (const auto& shape : std::vector<std::vector<int64_t>>{{3, 3, 5}, {3, 5, 3}, {2, 1, 4}}) {
    const torch::Tensor m = torch::randn(shape);
    const torch::Tensor s = singular_values(m);
    EXPECT_EQ(s.scalar_type(), torch::kFloat64);
    ASSERT_TRUE(s.sizes().equals({shape[0], std::min(shape[1], shape[2])}));
    EXPECT_TRUE(s.diff(1, 1).le(0).all().item<bool>());
    // sum sigma^2 = ||M||_F^2 to SVD accuracy (~n eps relative): 1e-12.
    const torch::Tensor fro = m.to(torch::kFloat64).square().sum({1, 2});
    EXPECT_LE(max_abs(s.square().sum(1) / fro - 1), 1e-12);
  }

  // 200 matrices 64 x 64 with N(0, 1/64) entries: the mean of sigma^2 over all 200*64 singular
  // values is sum_ij a_ij^2 / (200*64) (sum sigma_i^2 = ||A||_F^2). Each a_ij^2 = g^2/64 with
  // g ~ N(0, 1): mean 1/64, variance 2/64^2. The sum of N = 200*64*64 of them has mean N/64 and
  // variance 2N/64^2; divided by 200*64 = N/64: mean exactly 1, variance 2/N, standard error
  // sqrt(2/819200) = 1.5625e-3. Tolerance: 5 standard errors = 7.8e-3.
  const int64_t n = 64, draws = 200;
  torch::manual_seed(42);
  const torch::Tensor a = torch::randn({draws, n, n}, torch::kFloat64) / std::sqrt(double(n));
  const torch::Tensor s = singular_values(a);
  const double mean_sq = s.square().mean().item<double>();
  EXPECT_NEAR(mean_sq, 1.0, 5 * std::sqrt(2.0 / (draws * n * n)));
  // Its mean singular value tends to the quarter-circle law's 8/(3 pi) = 0.8488 as n grows
  // (spec §3.3's "mean ~0.85 of the scale"). At n = 64 the finite-size shift is O(1/n) (measured
  // 0.8480 here) and the sampling error ~0.001: 0.015 is a loose bound that still rejects a
  // wrong scale (e.g. sqrt(n) or 1/n variance mistakes move it by far more).
  const double mean_sigma = s.mean().item<double>();
  EXPECT_NEAR(mean_sigma, 8 / (3 * kPi), 0.015);

  // gaussian_mean_singular_value(w, m, draws, seed): w x (w + floor(m/2)) N(0, 1) matrices.
  const int kDraws = 2000;
  const double m0 = gaussian_mean_singular_value(8, 0, kDraws, 7);
  // Spec §3.3's figure: E[sigma] ~ 2.3 at m = 0 for w = 8 (the n -> infinity law gives
  // sqrt(8) * 8/(3 pi) = 2.40). The per-matrix mean of 8 singular values has std ~0.3, so 2000
  // draws pin it to ~0.007: (2.0, 2.6) is wide.
  EXPECT_GT(m0, 2.0);
  EXPECT_LT(m0, 2.6);
  double previous = m0;
  for (double m : {10.0, 20.0, 40.0}) {
    const double v = gaussian_mean_singular_value(8, m, kDraws, 7);
    // Each step adds >= 5 columns: the mean grows by >= 0.4 (~sqrt(8 + m/2) growth), far above
    // the ~0.01 sampling noise.
    EXPECT_GT(v, previous + 0.2) << "m = " << m;
    previous = v;
  }
  // The spec's figure: ~6.0 at m ~ 58 (a 8 x 37 matrix: sqrt(37) = 6.08 minus MP shrinkage).
  EXPECT_NEAR(gaussian_mean_singular_value(8, 58, kDraws, 7), 6.0, 0.3);
  // For t >> w the singular values concentrate at sqrt(w + t): 8 x 1008 gives sqrt(1008) * (1 +
  // O(w/t)) with w/t < 0.01.
  EXPECT_NEAR(gaussian_mean_singular_value(8, 2000, 50, 7) / std::sqrt(1008.0), 1.0, 0.02);
  // Deterministic per seed; another seed, another value; floor(m/2) columns: m = 1 is m = 0 and
  // m = 21.9 is m = 20 (same matrix shape, so the same draws).
  EXPECT_EQ(gaussian_mean_singular_value(8, 0, 100, 9), gaussian_mean_singular_value(8, 0, 100, 9));
  EXPECT_NE(gaussian_mean_singular_value(8, 0, 100, 9), gaussian_mean_singular_value(8, 0, 100, 10));
  EXPECT_EQ(gaussian_mean_singular_value(8, 1, 100, 9), gaussian_mean_singular_value(8, 0, 100, 9));
  EXPECT_EQ(gaussian_mean_singular_value(8, 21.9, 100, 9), gaussian_mean_singular_value(8, 20, 100, 9));
  EXPECT_NE(gaussian_mean_singular_value(8, 2, 100, 9), gaussian_mean_singular_value(8, 0, 100, 9));
  EXPECT_THROW(gaussian_mean_singular_value(0, 0, 10, 1), SpecError);
  EXPECT_THROW(gaussian_mean_singular_value(8, 0, 0, 1), SpecError);
  EXPECT_THROW(gaussian_mean_singular_value(8, -1, 10, 1), SpecError);
  EXPECT_THROW(gaussian_mean_singular_value(8, std::nan(""), 10, 1), SpecError);
}

// ---------------------------------------------------------------------------------------------
TEST(Isometry, BadArgumentsThrowSpecError) {
  Mlp mlp = build_mlp(mlp_spec({{4, 5, 2}}, 6, 3, Activation::kElu), 1);
  const torch::Tensor x = torch::randn({4, 6});
  EXPECT_THROW(measure_isometry(*mlp, x, {Derivative::kCorrect, 0, {}}), SpecError);
  EXPECT_THROW(measure_isometry(*mlp, x, {Derivative::kCorrect, -5, {}}), SpecError);
  EXPECT_THROW(measure_isometry(*mlp, torch::randn({4, 7}), {}), SpecError);      // wrong features
  EXPECT_THROW(measure_isometry(*mlp, torch::randn({4, 2, 2}), {}), SpecError);   // 4 features, not 6
  EXPECT_THROW(measure_isometry(*mlp, torch::randn({0, 6}), {}), SpecError);      // no samples
  EXPECT_THROW(measure_isometry(*mlp, torch::randn({6}), {}), SpecError);         // not [batch, ...]
  EXPECT_NO_THROW(measure_isometry(*mlp, torch::randn({4, 2, 3}), {}));           // flattened to 6
  EXPECT_EQ(parse_derivative("correct"), Derivative::kCorrect);
  EXPECT_EQ(parse_derivative("reference"), Derivative::kReference);
  EXPECT_EQ(to_string(Derivative::kCorrect), "correct");
  EXPECT_EQ(to_string(Derivative::kReference), "reference");
  EXPECT_THROW(parse_derivative("Correct"), SpecError);
  try {
    parse_derivative("exact", "--derivative");
    FAIL() << "no throw";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("--derivative"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// The paper's claim on real data (spec §3.4): at default init, more NN-Mass (t_c = 12 vs 0) gives
// a larger mean singular value. w = 8, d = 16, 500 Fashion-MNIST test images, 3 topologies each.
TEST(Isometry, MoreNnMassGivesLargerMeanSingularValueOnFashionMnist) {
  if (!std::filesystem::exists(kFashionMnistDir)) GTEST_SKIP() << kFashionMnistDir << " is not installed";
  DataOptions options;
  options.need_train = false;
  options.limit_test = 500;
  const DataSplit data = load_data(options);
  ASSERT_EQ(data.test.size(), 500);
  for (Derivative der : {Derivative::kCorrect, Derivative::kReference}) {
    SCOPED_TRACE(to_string(der));
    double mean[2] = {0, 0};
    const int tcs[2] = {0, 12};
    for (int i = 0; i < 2; ++i) {
      for (uint64_t seed = 0; seed < 3; ++seed) {
        Mlp mlp = build_mlp(mlp_spec({{16, 8, tcs[i]}}, 784, 10, Activation::kElu), seed);
        mean[i] += measure_isometry(*mlp, data.test.to_input(data.test.inputs), {der, 1000, {}}).mean / 3;
      }
    }
    // Spec §3.4 (MNIST, reference derivative, d = 16): 0.321 -> 0.403; measured on 10k
    // Fashion-MNIST images with the correct derivative: 0.46 -> 0.51. Here (seeds 0-2) the
    // per-topology means spread by ~0.01 (correct) and ~0.02 (reference) around 0.46 -> 0.50 and
    // 0.33 -> 0.39; the 3-seed averages keep the ordering, required with a margin of 0.02.
    EXPECT_GT(mean[1], mean[0] + 0.02) << "t_c 0: " << mean[0] << ", t_c 12: " << mean[1];
    EXPECT_GT(mean[0], 0.1);
    EXPECT_LT(mean[1], 1.0);
    std::cout << "[          ] " << to_string(der) << ": t_c 0 -> " << mean[0] << ", t_c 12 -> " << mean[1] << "\n";
  }
}

}  // namespace
}  // namespace nnmass
