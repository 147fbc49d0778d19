// LDI of convolutional layers (conv_isometry.h): the explicit Jacobian against the map itself and
// finite differences, the exact spectrum against the MLP's analytic path, Lanczos quadrature
// against exact values (on diagonal Jacobians, where it must be exact, and on every family's real
// layers, where its error must sit within the stated bounds), its standard error against its
// actual spread, independence from batching, and the network's state left as it was.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/analysis/conv_isometry.h"
#include "nnmass/analysis/isometry.h"
#include "nnmass/data/dataset.h"
#include "nnmass/error.h"
#include "nnmass/nn/dense_mlp.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec.h"

namespace nnmass {
namespace {

using Map = std::function<torch::Tensor(const torch::Tensor&)>;

Spec conv_spec(Family family, std::vector<Cell> cells, std::vector<int64_t> input = {1, 14, 14}) {
  Spec s;
  s.family = family;
  s.input = std::move(input);
  s.classes = 10;
  s.cells = std::move(cells);
  s.head = Head::kReference;
  return s;
}

Spec resnet(std::vector<int64_t> input = {1, 14, 14}) {
  Spec s;
  s.family = Family::kResNet;
  s.input = std::move(input);
  s.classes = 10;
  s.resnet.block = Block::kBasic;
  s.resnet.stem = Stem::kCifar;
  s.resnet.layers = {1, 1};
  s.resnet.planes = {4, 8};
  s.resnet.stem_width = 4;
  return s;
}

Spec mobilenet() {
  Spec s;
  s.family = Family::kMobileNetV2;
  s.input = {1, 14, 14};
  s.classes = 10;
  s.mobilenet.width_mult = 0.1;
  s.mobilenet.repeats = {1, 1, 1, 1, 1, 1, 1};
  s.mobilenet.stem = Stem::kCifar;
  return s;
}

Network build(const Spec& spec, uint64_t seed = 0) { return build_network(spec, nullptr, InitOptions{InitKind::kDefault, 1.0, seed}); }

// Fashion-MNIST test images average-pooled to 14x14 (small Jacobians, real statistics); Gaussian
// images if the data set is not installed.
torch::Tensor images(int64_t n) {
  if (std::filesystem::exists(kFashionMnistDir)) {
    DataOptions options;
    options.need_train = false;
    options.limit_test = n;
    const DataSplit data = load_data(options);
    return torch::avg_pool2d(data.test.input_slice(0, n), 2);
  }
  torch::manual_seed(1);
  return torch::randn({n, 1, 14, 14});
}

ConvIsometryOptions method(JacobianMethod m, int steps = 32, int probes = 2, uint64_t seed = 0) {
  ConvIsometryOptions o;
  o.method = m;
  o.steps = steps;
  o.probes = probes;
  o.seed = seed;
  return o;
}

TEST(ConvIsometry, ExplicitJacobianOfALinearConvIsItsMatrix) {
  torch::manual_seed(0);
  auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1).stride(2).bias(false));
  conv->to(torch::kFloat64);
  const Map f = [&](const torch::Tensor& x) { return conv->forward(x); };
  const torch::Tensor z = torch::randn({2, 3, 5, 5}, torch::kFloat64);
  const torch::Tensor j = explicit_jacobian(f, z);  // [2, 4*3*3, 3*5*5]
  ASSERT_EQ(j.sizes(), (std::vector<int64_t>{2, 36, 75}));
  EXPECT_TRUE(torch::equal(j[0], j[1]));  // linear: the same matrix at every sample
  const torch::Tensor u = torch::randn({5, 3, 5, 5}, torch::kFloat64);
  torch::NoGradGuard no_grad;
  const torch::Tensor ju = u.reshape({5, 75}).mm(j[0].t());
  EXPECT_LT((ju - f(u).reshape({5, 36})).abs().max().item<double>(), 1e-12);
}

TEST(ConvIsometry, ExplicitJacobianMatchesFiniteDifferencesThroughReluAndBatchNorm) {
  torch::manual_seed(0);
  auto conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 3, 3).padding(1).bias(false));
  auto bn = torch::nn::BatchNorm2d(2);
  conv->to(torch::kFloat64);
  bn->to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    bn->running_mean.uniform_(-0.5, 0.5);
    bn->running_var.uniform_(0.5, 2);
    bn->weight.uniform_(0.5, 1.5);
  }
  bn->eval();
  const Map f = [&](const torch::Tensor& x) { return conv->forward(torch::relu(bn->forward(x))); };
  const torch::Tensor z = torch::randn({3, 2, 4, 4}, torch::kFloat64);
  const torch::Tensor j = explicit_jacobian(f, z);
  const double eps = 1e-7;
  torch::NoGradGuard no_grad;
  for (int64_t b = 0; b < 3; ++b) {
    const torch::Tensor u = torch::randn({1, 2, 4, 4}, torch::kFloat64);
    const torch::Tensor zb = z.narrow(0, b, 1);
    const torch::Tensor fd = (f(zb + eps * u) - f(zb - eps * u)) / (2 * eps);
    EXPECT_LT((j[b].mv(u.flatten()) - fd.flatten()).abs().max().item<double>(), 1e-6) << "sample " << b;
  }
}

// On a diagonal Gram matrix every Rademacher probe gives the trace exactly (v_i^2 = 1), so Lanczos
// quadrature must reproduce the singular values' sums to rounding once the Krylov space is whole:
// 4 distinct squared values among 8 (0 included) make it break down after 4 steps, which must be
// exact; with 2 steps the Gauss/Radau bracket must hold the true value.
TEST(ConvIsometry, LanczosIsExactOnDiagonalJacobiansIncludingBreakdown) {
  const torch::Tensor s = torch::tensor({3.0, -1.0, 0.5, 3.0, 0.5, -1.0, 3.0, 0.0}, torch::kFloat64);
  const Map f = [&](const torch::Tensor& x) { return x.narrow(1, 0, 8) * s; };  // J = [diag(s) 0], 8 x 12
  const torch::Tensor z = torch::randn({3, 12}, torch::kFloat64);
  const double s1 = s.abs().sum().item<double>(), s2 = s.square().sum().item<double>();
  const auto two = jacobian_spectrum(f, z, JacobianMethod::kLanczos, method(JacobianMethod::kLanczos, 2), 7);
  for (const SpectrumSums& r : two) {
    EXPECT_GT(r.bound, 0);
    EXPECT_LE(std::abs(r.s1 - s1), r.bound * (1 + 1e-9));
  }
  for (int steps : {4, 8, 20}) {
    const auto sums = jacobian_spectrum(f, z, JacobianMethod::kLanczos, method(JacobianMethod::kLanczos, steps), 7);
    ASSERT_EQ(sums.size(), 3u);
    for (const SpectrumSums& r : sums) {
      EXPECT_NEAR(r.s1, s1, 1e-9 * s1) << steps << " steps";
      EXPECT_NEAR(r.s2, s2, 1e-9 * s2);
      EXPECT_EQ(r.count, 8);
      EXPECT_NEAR(r.mean_se(), 0, 1e-9);  // every probe agrees
      EXPECT_NEAR(r.bound, 0, 1e-9 * s1);
    }
  }
  const auto exact = jacobian_spectrum(f, z, JacobianMethod::kExact, method(JacobianMethod::kExact), 0);
  EXPECT_NEAR(exact[0].s1, s1, 1e-9 * s1);
  EXPECT_NEAR(exact[0].s2, s2, 1e-9 * s2);
}

// The exact conv path on the dense MLP's layers (autograd, explicit J, Gram eigenvalues) against
// the MLP's analytic path (isometry.cpp: closed-form Gram matrices): two independent computations.
TEST(ConvIsometry, ExactPathEqualsTheMlpAnalyticPath) {
  Spec spec;
  spec.family = Family::kMlp;
  spec.input = {20};
  spec.classes = 5;
  spec.cells = {{6, 8, 4}};
  Network net = build(spec, 3);
  auto mlp = std::dynamic_pointer_cast<DenseMlpImpl>(net);
  ASSERT_TRUE(mlp);
  mlp->eval();
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({5, 20});
  const IsometryResult analytic = measure_isometry(*mlp, x, {Derivative::kCorrect, 1000, {}});
  std::vector<LayerTrace> traces;
  {
    torch::NoGradGuard no_grad;
    traces = mlp->trace(x);
  }
  ASSERT_EQ(traces.size(), analytic.layers.size());
  for (size_t k = 0; k < traces.size(); ++k) {
    SpectrumSums sums;
    for (const SpectrumSums& s : jacobian_spectrum(layer_function(traces[k], mlp->activation()), traces[k].input,
                                                   JacobianMethod::kExact, method(JacobianMethod::kExact), 0))
      sums.add(s);
    EXPECT_NEAR(sums.mean(), analytic.layers[k].mean, 1e-5) << traces[k].name;
    EXPECT_NEAR(sums.std(), analytic.layers[k].std, 1e-5) << traces[k].name;
    EXPECT_EQ(sums.count, analytic.layers[k].count);
  }
  EXPECT_THROW(measure_conv_isometry(*net, x, {}), SpecError);  // the MLP has no conv layers
}

struct Compared {
  double worst_mean = 0, worst_std = 0;  // largest relative error over layers
  double worst_z = 0;                    // largest (|error| - quadrature bound) / standard error
};

// Every layer of `net` on `x`: Lanczos (32 steps, 8 probes a sample) against the exact values;
// each layer's error must lie within its reported error (4 standard errors plus the bound).
Compared compare_methods(NetworkImpl& net, const torch::Tensor& x, const std::string& label) {
  const ConvIsometryResult exact = measure_conv_isometry(net, x, method(JacobianMethod::kExact));
  const ConvIsometryResult slq = measure_conv_isometry(net, x, method(JacobianMethod::kLanczos, 32, 8));
  EXPECT_EQ(exact.layers.size(), slq.layers.size());
  Compared c;
  for (size_t k = 0; k < exact.layers.size(); ++k) {
    const std::string& name = exact.layers[k].name;
    const SpectrumSums &e = exact.layers[k].sums, &l = slq.layers[k].sums;
    EXPECT_EQ(e.count, l.count);
    EXPECT_EQ(exact.layers[k].method, "exact");
    EXPECT_EQ(slq.layers[k].method, "lanczos");
    EXPECT_EQ(e.mean_se(), 0);
    EXPECT_EQ(e.mean_bound(), 0);
    EXPECT_GT(e.mean(), 0) << name;
    const double err_mean = std::abs(l.mean() - e.mean()), err_std = std::abs(l.std() - e.std());
    EXPECT_LE(err_mean, 4 * l.mean_se() + l.mean_bound()) << label << " " << name;
    EXPECT_LE(err_std, 4 * l.std_se() + l.std_bound()) << label << " " << name;
    c.worst_mean = std::max(c.worst_mean, err_mean / e.mean());
    c.worst_std = std::max(c.worst_std, err_std / e.std());
    c.worst_z = std::max(c.worst_z, (err_mean - l.mean_bound()) / l.mean_se());
    std::cout << "[          ] " << label << " " << name << " " << exact.layers[k].rows << "x" << exact.layers[k].cols
              << ": exact " << e.mean() << " +- " << e.std() << ", lanczos " << l.mean() << " (se " << l.mean_se()
              << ", bound " << l.mean_bound() << ") +- " << l.std() << " (se " << l.std_se() << ")\n";
  }
  const double pooled = std::abs(slq.sums.mean() - exact.sums.mean());
  EXPECT_LE(pooled, 4 * slq.sums.mean_se() + slq.sums.mean_bound()) << label;
  EXPECT_LT(pooled / exact.sums.mean(), 0.03) << label;
  return c;
}

// The estimator on real layers of every family (Fashion-MNIST images at 14x14, default init).
TEST(ConvIsometry, LanczosAgreesWithExactOnEveryFamilysLayers) {
  const torch::Tensor x = images(3);
  struct Case {
    std::string label;
    Spec spec;
  };
  const std::vector<Case> cases = {
      {"cnn", conv_spec(Family::kCnn, {{4, 4, 2}, {4, 6, 4}, {4, 6, 4}})},
      {"dwcnn", conv_spec(Family::kDepthwiseCnn, {{4, 4, 2}, {4, 6, 4}, {4, 6, 4}})},
      {"resnet", resnet()},
      {"mobilenet_v2", mobilenet()},
  };
  for (const Case& c : cases) {
    Network net = build(c.spec);
    const Compared r = compare_methods(*net, x, c.label);
    std::cout << "[          ] " << c.label << ": worst relative error mean " << r.worst_mean << ", std "
              << r.worst_std << ", worst (|error| - bound)/se " << r.worst_z << "\n";
  }
}

// The reported standard error describes the probes' spread: over 12 probe seeds the estimates of
// one layer scatter around the exact value with a root-mean-square z-score near 1 (4 samples x 4
// probes: the se has 12 degrees of freedom, so z is t-distributed with rms 1.1).
TEST(ConvIsometry, StandardErrorMatchesTheSpreadOverProbeSeeds) {
  Network net = build(conv_spec(Family::kCnn, {{3, 4, 2}, {3, 4, 2}, {3, 4, 2}}));
  const torch::Tensor x = images(4);
  const ConvIsometryResult exact = measure_conv_isometry(*net, x, method(JacobianMethod::kExact));
  const size_t layer = 2;  // cell0.layer2: 4 x 14 x 14 outputs from 6 channels, ReLU-masked
  double sum_z2 = 0;
  const int seeds = 12;
  for (int seed = 0; seed < seeds; ++seed) {
    const auto r = measure_conv_isometry(*net, x, method(JacobianMethod::kLanczos, 32, 4, seed)).layers[layer].sums;
    const double z = (r.mean() - exact.layers[layer].sums.mean()) / r.mean_se();
    sum_z2 += z * z;
  }
  const double rms = std::sqrt(sum_z2 / seeds);
  std::cout << "[          ] rms z-score over " << seeds << " seeds: " << rms << "\n";
  // 12 draws of a t(12) variable: rms within [0.55, 1.8] at about 99 %.
  EXPECT_GT(rms, 0.5);
  EXPECT_LT(rms, 2.0);
}

TEST(ConvIsometry, ResultsDoNotDependOnBatchingAndTheNetworkIsLeftAsItWas) {
  Network net = build(resnet());
  const torch::Tensor x = images(4);
  std::vector<torch::Tensor> before;
  for (const auto& b : net->buffers()) before.push_back(b.clone());
  for (bool training : {true, false}) {
    net->train(training);
    for (JacobianMethod m : {JacobianMethod::kExact, JacobianMethod::kLanczos}) {
      ConvIsometryOptions one = method(m), all = method(m);
      one.batch_size = 1;
      all.batch_size = 4;
      const ConvIsometryResult a = measure_conv_isometry(*net, x, one), b = measure_conv_isometry(*net, x, all);
      EXPECT_NEAR(a.sums.s1, b.sums.s1, 1e-6 * b.sums.s1) << to_string(m);
      EXPECT_NEAR(a.sums.s2, b.sums.s2, 1e-6 * b.sums.s2) << to_string(m);
      EXPECT_EQ(a.sums.count, b.sums.count);
      EXPECT_EQ(net->is_training(), training);
    }
  }
  const auto after = net->buffers();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i])) << "buffer " << i;
}

TEST(ConvIsometry, LayerShapesAndCountsFollowTheNetwork) {
  Network net = build(conv_spec(Family::kCnn, {{3, 4, 2}, {3, 6, 4}, {3, 6, 4}}));
  const torch::Tensor x = images(2);
  const ConvIsometryResult r = measure_conv_isometry(*net, x, method(JacobianMethod::kAuto));
  ASSERT_EQ(r.layers.size(), 9u);
  EXPECT_EQ(r.layers[0].name, "cell0.layer0");
  EXPECT_EQ(r.layers[0].cols, 1 * 14 * 14);
  EXPECT_EQ(r.layers[0].rows, 4 * 14 * 14);
  const std::vector<LayerInfo> table = net->layer_table();
  EXPECT_EQ(r.layers[2].cols, table[2].fan_in * 14 * 14);  // o_1 and its links
  EXPECT_GT(table[2].fan_in, 4);
  EXPECT_EQ(r.layers[3].name, "cell1.layer0");
  EXPECT_EQ(r.layers[3].rows, 6 * 7 * 7);  // stride 2
  int64_t count = 0;
  for (const auto& l : r.layers) {
    EXPECT_EQ(l.sums.count, 2 * std::min(l.rows, l.cols)) << l.name;
    EXPECT_EQ(l.method, l.rows * l.cols <= ConvIsometryOptions{}.exact_max_entries ? "exact" : "lanczos");
    count += l.sums.count;
  }
  EXPECT_EQ(r.sums.count, count);
  EXPECT_THROW(measure_conv_isometry(*net, x.narrow(0, 0, 0), {}), SpecError);
  EXPECT_THROW(parse_jacobian_method("svd"), SpecError);

  // One 4x4 image through two stride-2 stages leaves one value per channel: BatchNorm statistics
  // cannot be taken. A clear error, and the network as it was.
  Spec tiny = resnet({1, 4, 4});
  tiny.resnet.layers = {1, 1, 1};
  tiny.resnet.planes = {2, 2, 2};
  Network small = build(tiny);
  small->train();
  std::vector<torch::Tensor> before;
  for (const auto& b : small->buffers()) before.push_back(b.clone());
  try {
    measure_conv_isometry(*small, torch::randn({1, 1, 4, 4}), {});
    ADD_FAILURE() << "no error";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("more than one value per channel"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(small->is_training());
  const auto after = small->buffers();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i])) << "buffer " << i;
}

}  // namespace
}  // namespace nnmass
