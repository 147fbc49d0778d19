// Zero-cost proxies (analysis/proxies.h) against independent computations on tiny networks in
// float64: gradients by central differences (grad_norm, snip, synflow, ZiCo), Hessian-gradient
// products by differences of gradients (grasp), channel saliencies by differences of the loss
// under channel scaling (fisher), the input Jacobian by differences (jacob_cov), a brute-force
// Hamming kernel and a hand-written Cholesky (NASWOT), loop correlations and the QL eigensolver
// (MeCo, jacob_cov), batch variances from the conv outputs (Zen-score).
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "nnmass/analysis/proxies.h"
#include "nnmass/analysis/symmetric_eigen.h"
#include "nnmass/error.h"
#include "nnmass/nn/network.h"
#include "nnmass/nn/tap.h"

namespace nnmass {
namespace {

Spec tiny_nb201() {
  Spec s;
  s.family = Family::kNb201;
  s.input = {3, 4, 4};
  s.classes = 3;
  s.nb201.cell = parse_nb201_cell("|nor_conv_1x1~0|+|skip_connect~0|nor_conv_3x3~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|");
  s.nb201.channels = 2;
  s.nb201.cells_per_stage = 1;
  return s;
}

Spec tiny_cnn() {
  Spec s;
  s.family = Family::kCnn;
  s.input = {2, 4, 4};
  s.classes = 3;
  s.cells = {{4, 2, 2}};
  return s;
}

Spec tiny_mlp() {
  Spec s;
  s.family = Family::kMlp;
  s.input = {5};
  s.classes = 3;
  s.cells = {{5, 3, 4}};
  s.activation = Activation::kRelu;
  return s;
}

Spec tiny_resnet() {
  Spec s;
  s.family = Family::kResNet;
  s.input = {3, 8, 8};
  s.classes = 3;
  s.resnet.stem = Stem::kCifar;
  s.resnet.layers = {1, 1};
  s.resnet.planes = {4, 6};
  s.resnet.stem_width = 3;
  return s;
}

std::unique_ptr<ProxyModel> double_model(const Spec& spec, uint64_t seed = 3) {
  InitOptions init;
  init.seed = seed;
  auto m = wrap_network(build_network(spec, nullptr, init));
  m->to_double();
  return m;
}

ProxyData double_data(const Spec& spec, int64_t batch = 4, int batches = 2, uint64_t seed = 11) {
  torch::manual_seed(seed);
  ProxyData d;
  d.input_shape = spec.input;
  d.classes = spec.classes;
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), spec.input.begin(), spec.input.end());
  for (int b = 0; b < batches; ++b) {
    d.images.push_back(torch::randn(shape, torch::kFloat64));
    d.labels.push_back(torch::randint(spec.classes, {batch}, torch::kInt64));
  }
  return d;
}

double loss_value(ProxyModel& m, const ProxyBatch& b) {
  torch::NoGradGuard no_grad;
  return proxy_loss(m, b).item<double>();
}

// dL/dW of every conv/linear weight by central differences.
std::vector<torch::Tensor> difference_gradients(ProxyModel& m, const ProxyBatch& b, double h = 1e-6) {
  std::vector<torch::Tensor> grads;
  for (torch::Tensor& w : m.weights()) {
    torch::Tensor g = torch::zeros_like(w);
    double* p = w.data_ptr<double>();
    double* gp = g.data_ptr<double>();
    for (int64_t i = 0; i < w.numel(); ++i) {
      const double keep = p[i];
      p[i] = keep + h;
      const double up = loss_value(m, b);
      p[i] = keep - h;
      const double down = loss_value(m, b);
      p[i] = keep;
      gp[i] = (up - down) / (2 * h);
    }
    grads.push_back(g);
  }
  return grads;
}

void expect_relative(double got, double want, double tol, const std::string& what) {
  EXPECT_NEAR(got, want, tol * std::max(1.0, std::abs(want))) << what;
}

TEST(Proxies, GradNormAndSnipMatchDifferenceGradients) {
  for (const Spec& spec : {tiny_nb201(), tiny_cnn(), tiny_mlp()}) {
    const ProxyData data = double_data(spec);
    auto probe = double_model(spec);
    probe->set_train(true);
    const auto g = difference_gradients(*probe, proxy_batch(data, 0));
    const auto w = probe->weights();
    double norm = 0, saliency = 0;
    for (size_t k = 0; k < g.size(); ++k) {
      norm += g[k].norm().item<double>();
      saliency += (w[k] * g[k]).abs().sum().item<double>();
    }
    expect_relative(grad_norm(*double_model(spec), data), norm, 1e-6, to_string(spec.family) + " grad_norm");
    expect_relative(snip(*double_model(spec), data), saliency, 1e-6, to_string(spec.family) + " snip");
  }
}

TEST(Proxies, SynflowMatchesDifferencesOfTheBatchNormFreeAbsoluteNetwork) {
  for (const Spec& spec : {tiny_nb201(), tiny_cnn(), tiny_resnet()}) {
    ProxyData data;
    data.input_shape = spec.input;
    auto probe = double_model(spec);
    probe->remove_batch_norm();
    {
      torch::NoGradGuard no_grad;
      for (torch::Tensor& p : probe->parameters()) p.abs_();
    }
    std::vector<int64_t> shape = {1};
    shape.insert(shape.end(), spec.input.begin(), spec.input.end());
    const torch::Tensor ones = torch::ones(shape, torch::kFloat64);
    const auto r = [&] {
      torch::NoGradGuard no_grad;
      return probe->forward(ones).sum().item<double>();
    };
    double want = 0;
    const double h = 1e-6;
    for (torch::Tensor& w : probe->weights()) {
      double* p = w.data_ptr<double>();
      for (int64_t i = 0; i < w.numel(); ++i) {
        const double keep = p[i];
        p[i] = keep + h;
        const double up = r();
        p[i] = keep - h;
        const double down = r();
        p[i] = keep;
        want += std::abs(keep * (up - down) / (2 * h));
      }
    }
    expect_relative(synflow(*double_model(spec), data), want, 1e-6, to_string(spec.family));
  }
}

// A deep net's synflow overflows float32 (the reason for float64): still finite here.
TEST(Proxies, SynflowOfADeepNetworkIsFiniteInFloat64) {
  Spec deep = tiny_cnn();
  deep.input = {3, 8, 8};
  deep.cells = {{60, 16, 8}, {60, 16, 8}};
  ProxyData data;
  data.input_shape = deep.input;
  const double s = compute_proxy("synflow", network_factory(deep, nullptr, {}), data);
  EXPECT_TRUE(std::isfinite(s) && s > 3.4e38) << s;
}

// The step is small: ReLU kinks and BatchNorm over 4 values make the gradient non-smooth within
// 1e-5 of the initial weights of the NB201 net.
TEST(Proxies, GraspMatchesDifferencesOfGradientsAlongTheGradient) {
  for (const Spec& spec : {tiny_mlp(), tiny_cnn(), tiny_nb201()}) {
    const ProxyData data = double_data(spec);
    auto probe = double_model(spec);
    probe->set_train(true);
    const ProxyBatch batch = proxy_batch(data, 0);
    auto w = probe->weights();
    const auto grad_at = [&] {
      return torch::autograd::grad({proxy_loss(*probe, batch)}, w, {}, false, false, true);
    };
    const auto g = grad_at();
    const double h = 1e-7;
    const auto shift = [&](double s) {
      torch::NoGradGuard no_grad;
      for (size_t k = 0; k < w.size(); ++k) w[k].add_(s * g[k]);
    };
    shift(h);
    const auto up = grad_at();
    shift(-2 * h);
    const auto down = grad_at();
    shift(h);
    double want = 0;
    for (size_t k = 0; k < w.size(); ++k) want -= (w[k] * (up[k] - down[k]) / (2 * h)).sum().item<double>();
    expect_relative(grasp(*double_model(spec), data), want, 1e-5, "grasp " + to_string(spec.family));
  }
}

TEST(Proxies, FisherMatchesDifferencesOfTheLossUnderChannelScaling) {
  for (const Spec& spec : {tiny_nb201(), tiny_cnn()}) {
    const ProxyData data = double_data(spec);
    auto probe = double_model(spec);
    probe->set_train(true);
    const ProxyBatch batch = proxy_batch(data, 0);
    size_t layers = 0;
    std::vector<int64_t> channels;
    {
      TapRecorder rec;
      loss_value(*probe, batch);
      layers = rec.layers.size();
      for (const auto& a : rec.layers) channels.push_back(a.size(1));
    }
    const int64_t n = batch.images.size(0);
    const double h = 1e-6;
    double want = 0;
    for (size_t l = 0; l < layers; ++l)
      for (int64_t k = 0; k < channels[l]; ++k) {
        double mean_square = 0;
        for (int64_t s = 0; s < n; ++s) {
          const auto scaled = [&](double eps) {
            TapRecorder rec;
            rec.transform = [&](Tap kind, const torch::Tensor& t, size_t index) {
              if (kind != Tap::kLayer || index != l) return t;
              torch::Tensor scale = torch::ones_like(t);
              scale[s][k].fill_(1 + eps);
              return t * scale;
            };
            return loss_value(*probe, batch);
          };
          const double g = (scaled(h) - scaled(-h)) / (2 * h);  // sum over positions of a dL/da
          mean_square += g * g / n;
        }
        want += 0.5 * mean_square;
      }
    expect_relative(fisher(*double_model(spec), data), want, 1e-5, to_string(spec.family));
  }
}

// Correlation of the rows by loops, eigenvalues by the QL solver, the reference's formula.
double brute_jacob_cov(const torch::Tensor& j) {
  const int64_t b = j.size(0), d = j.size(1);
  auto a = j.accessor<double, 2>();
  std::vector<double> mean(b, 0), corr(b * b);
  for (int64_t r = 0; r < b; ++r) {
    for (int64_t c = 0; c < d; ++c) mean[r] += a[r][c] / d;
  }
  const auto cov = [&](int64_t x, int64_t y) {
    double s = 0;
    for (int64_t c = 0; c < d; ++c) s += (a[x][c] - mean[x]) * (a[y][c] - mean[y]);
    return s;
  };
  for (int64_t x = 0; x < b; ++x)
    for (int64_t y = 0; y < b; ++y) corr[x * b + y] = cov(x, y) / std::sqrt(cov(x, x) * cov(y, y));
  std::vector<double> ev(b), work(b * b + 3 * b);
  EXPECT_TRUE(symmetric_eigenvalues(corr.data(), static_cast<int>(b), ev.data(), work.data()));
  double s = 0;
  for (double v : ev) s -= std::log(v + 1e-5) + 1 / (v + 1e-5);
  return s;
}

TEST(Proxies, JacobCovMatchesTheDifferenceJacobianAndLoopStatistics) {
  for (const Spec& spec : {tiny_nb201(), tiny_cnn()}) {
    const ProxyData data = double_data(spec, 5);
    auto probe = double_model(spec);
    probe->set_train(true);
    torch::Tensor x = data.images[0].clone();
    const int64_t b = x.size(0), d = x.numel() / b;
    torch::Tensor jac = torch::zeros({b, d}, torch::kFloat64);
    const auto out_sum = [&] {
      torch::NoGradGuard no_grad;
      return probe->forward(x).sum().item<double>();
    };
    double* p = x.data_ptr<double>();
    const double h = 1e-6;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double keep = p[i];
      p[i] = keep + h;
      const double up = out_sum();
      p[i] = keep - h;
      const double down = out_sum();
      p[i] = keep;
      jac[i / d][i % d] = (up - down) / (2 * h);
    }
    const double want = brute_jacob_cov(jac);
    expect_relative(jacob_cov_score(jac), want, 1e-9, "score");
    expect_relative(jacob_cov(*double_model(spec), data), want, 1e-4, to_string(spec.family));
  }
}

TEST(Proxies, NaswotIsTheLogDeterminantOfTheBruteForceHammingKernel) {
  Spec wide_mlp = tiny_mlp();
  wide_mlp.cells = {{6, 16, 8}};
  for (const Spec& spec : {tiny_nb201(), tiny_resnet(), wide_mlp}) {
    const ProxyData data = double_data(spec, 6);
    auto probe = double_model(spec);
    probe->set_train(true);
    std::vector<std::vector<bool>> code(6);
    {
      TapRecorder rec;
      torch::NoGradGuard no_grad;
      probe->forward(data.images[0]);
      for (const auto& a : rec.activations) {
        const torch::Tensor flat = a.reshape({6, -1});
        for (int64_t s = 0; s < 6; ++s)
          for (int64_t u = 0; u < flat.size(1); ++u) code[s].push_back(flat[s][u].item<double>() > 0);
      }
    }
    // K[i][j] = units where i and j agree (units minus Hamming distance); log det by Cholesky.
    double k[6][6];
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        int agree = 0;
        for (size_t u = 0; u < code[i].size(); ++u) agree += code[i][u] == code[j][u];
        k[i][j] = agree;
      }
    double l[6][6] = {}, logdet = 0;
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j <= i; ++j) {
        double s = k[i][j];
        for (int m = 0; m < j; ++m) s -= l[i][m] * l[j][m];
        if (i == j) {
          ASSERT_GT(s, 0) << to_string(spec.family) << ": the codes are not independent";
          l[i][i] = std::sqrt(s);
          logdet += 2 * std::log(l[i][i]);
        } else {
          l[i][j] = s / l[j][j];
        }
      }
    expect_relative(naswot(*double_model(spec), data), logdet, 1e-9, to_string(spec.family));
  }
}

TEST(Proxies, ZicoMatchesPerWeightStatisticsOfDifferenceGradients) {
  const Spec spec = tiny_nb201();
  const ProxyData data = double_data(spec, 4, 3);
  auto probe = double_model(spec);
  probe->set_train(true);
  std::vector<std::vector<torch::Tensor>> grads;  // [batch][layer]
  for (int b = 0; b < 3; ++b) grads.push_back(difference_gradients(*probe, proxy_batch(data, b)));
  double want = 0;
  for (size_t l = 0; l < grads[0].size(); ++l) {
    double sum = 0;
    for (int64_t i = 0; i < grads[0][l].numel(); ++i) {
      double mean = 0, mean_abs = 0, var = 0;
      for (int b = 0; b < 3; ++b) {
        const double g = grads[b][l].reshape(-1)[i].item<double>();
        mean += g / 3;
        mean_abs += std::abs(g) / 3;
      }
      for (int b = 0; b < 3; ++b) var += std::pow(grads[b][l].reshape(-1)[i].item<double>() - mean, 2) / 3;
      if (var > 1e-24) sum += mean_abs / std::sqrt(var);
    }
    if (sum != 0) want += std::log(sum);
  }
  expect_relative(zico(*double_model(spec), data), want, 1e-4, "zico");
}

// In this ResNet every BatchNorm follows a conv, so the BN term is the batch variance of the conv
// outputs (unbiased, per channel, averaged), read from the taps rather than from BN's buffers.
TEST(Proxies, ZenScoreBatchNormTermIsTheBatchVarianceOfTheConvOutputs) {
  const Spec spec = tiny_resnet();
  ProxyData data;
  data.input_shape = spec.input;
  data.batch_size = 8;
  data.seed = 5;
  auto model = wrap_network(build_network(spec, nullptr, {}));
  const double score = zen_score(*model, data);
  // Recompute: the same draws, the taps of x's forward pass.
  auto probe = wrap_network(build_network(spec, nullptr, {}));
  probe->set_train(true);
  torch::NoGradGuard no_grad;
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(data.seed * 7919);
  probe->gaussian_init(gen);
  const torch::Tensor x = at::randn({8, 3, 8, 8}, gen, torch::kFloat32), e = at::randn({8, 3, 8, 8}, gen, torch::kFloat32);
  torch::Tensor mixed, plain;
  double bn = 0;
  {
    TapRecorder rec;
    probe->forward(x + 0.01 * e);
    mixed = rec.pre_pool;
  }
  {
    TapRecorder rec;
    probe->forward(x);
    plain = rec.pre_pool;
    for (const auto& a : rec.layers)
      if (a.dim() == 4) bn += 0.5 * std::log(a.transpose(0, 1).reshape({a.size(1), -1}).var(1).mean().item<double>());
  }
  const double delta = (plain - mixed).abs().sum({1, 2, 3}).mean().item<double>();
  expect_relative(score, std::log(delta) + bn, 1e-4, "zen");
}

TEST(Proxies, MecoMatchesLoopCorrelationsAndQlEigenvalues) {
  const Spec spec = tiny_resnet();
  const ProxyData data = double_data(spec, 3);
  auto probe = double_model(spec);
  probe->set_train(true);
  double want = 0;
  {
    TapRecorder rec;
    torch::NoGradGuard no_grad;
    probe->forward(data.images[0]);
    for (const auto& a : rec.layers) {
      if (a.dim() != 4) continue;
      const int64_t c = a.size(1), n = a.size(2) * a.size(3);
      const torch::Tensor f = a[0].reshape({c, n});
      std::vector<double> corr(c * c), ev(c), work(c * c + 3 * c);
      for (int64_t i = 0; i < c; ++i)
        for (int64_t j = 0; j < c; ++j) {
          double mi = 0, mj = 0;
          for (int64_t t = 0; t < n; ++t) mi += f[i][t].item<double>() / n, mj += f[j][t].item<double>() / n;
          double sij = 0, sii = 0, sjj = 0;
          for (int64_t t = 0; t < n; ++t) {
            const double u = f[i][t].item<double>() - mi, v = f[j][t].item<double>() - mj;
            sij += u * v, sii += u * u, sjj += v * v;
          }
          const double r = sij / std::sqrt(sii * sjj);
          corr[i * c + j] = std::isfinite(r) ? r : 0.0;
        }
      ASSERT_TRUE(symmetric_eigenvalues(corr.data(), static_cast<int>(c), ev.data(), work.data()));
      want += ev.back();  // descending order
    }
  }
  expect_relative(meco(*double_model(spec), data), want, 1e-9, "meco");
}

TEST(Proxies, EveryProxyIsDeterministicAndStatesHowItIsComputed) {
  Spec spec = tiny_nb201();
  spec.input = {3, 8, 8};
  ProxyData data;
  data.input_shape = spec.input;
  data.classes = spec.classes;
  data.gaussian_data = true;
  data.batch_size = 8;
  for (const ProxyInfo& info : proxy_catalogue()) {
    EXPECT_FALSE(info.paper.empty() || info.bn.empty() || info.input.empty() || info.precision.empty() ||
                 info.summary.empty())
        << info.name;
    const ModelFactory make = network_factory(spec, nullptr, {});
    const double a = compute_proxy(info.name, make, data), b = compute_proxy(info.name, make, data);
    EXPECT_TRUE(std::isfinite(a)) << info.name;
    EXPECT_EQ(a, b) << info.name;
  }
  EXPECT_EQ(data_free_proxy_names(), (std::vector<std::string>{"synflow", "zen", "meco"}));
}

TEST(Proxies, ProxiesThatCannotApplyAreRefusedClearly) {
  ProxyData none;
  none.input_shape = {5};
  const ModelFactory mlp = network_factory(tiny_mlp(), nullptr, {});
  EXPECT_THROW(compute_proxy("snip", mlp, none), SpecError);   // needs data
  EXPECT_THROW(compute_proxy("zen", mlp, none), SpecError);    // no pooled feature map
  EXPECT_THROW(compute_proxy("meco", mlp, none), SpecError);   // no conv feature maps
  EXPECT_THROW(compute_proxy("nope", mlp, none), SpecError);
  ProxyData one = double_data(tiny_nb201(), 4, 1);
  auto m = double_model(tiny_nb201());
  EXPECT_THROW(zico(*m, one), SpecError);  // two batches
}

}  // namespace
}  // namespace nnmass
