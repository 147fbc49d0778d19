// The builder, weight initialisation and model files (network.h; design.md "Init", "Topology is
// data"; method.md §3.3 for the Gaussian init).
//
// Golden values and where they come from:
//   * Gaussian init: weights ~ N(0, sigma^2) and zero biases (network.h). The sample std of n
//     i.i.d. normals has standard error sigma/sqrt(2n); with n >= 25,600 that is < 0.45 % of
//     sigma, so a 3 % band is > 6 standard errors wide. The sample mean has standard error
//     sigma/sqrt(n) <= 0.63 % of sigma; the band is 3 % of sigma.
//   * Orthogonal init with gain sigma: the rows (out <= in) or columns (out > in) of the flattened
//     weight are orthogonal with norm sigma, so W W^T = sigma^2 I (or W^T W); 1e-4 is float32
//     round-off of a QR on matrices of <= 100 columns.
//   * Default init is libtorch's Kaiming-uniform (a = sqrt(5)) for Linear: |w| <= 1/sqrt(fan_in).
//   * Determinism: build_network seeds torch's generator from InitOptions::seed (network.h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nn_test_support.h"
#include "nnmass/error.h"
#include "nnmass/links.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec.h"
#include "nnmass/spec_json.h"

using namespace nnmass;
using namespace nnmass::test;

namespace {

// One intra-op thread: the tests are tiny, and ctest may run several test processes at once.
const bool kOneThread = [] {
  torch::set_num_threads(1);
  return true;
}();

std::vector<Spec> one_of_each_family() {
  return {
      mlp_spec({20}, {Cell{5, 4, 3}}, Activation::kElu),
      cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{4, 4, 3}, Cell{3, 5, 4}}),
      cnn_spec(Family::kDepthwiseCnn, {2, 9, 9}, {Cell{3, 3, 5}, Cell{4, 4, 6}}, Head::kReference,
               LinkPool::kReference),
      resnet_spec(Block::kBottleneck, Stem::kCifar, {1, 2}, {8, 16}, 8, 2, 32),
      mobilenet_spec(0.25, {1, 1, 1, 1, 1, 1, 1}),
  };
}

// Weights (Linear and Conv2d) of a module, with their names.
std::vector<std::pair<std::string, torch::Tensor>> weights_of(const torch::nn::Module& net) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& m : net.named_modules()) {
    if (const auto* l = m.value()->as<torch::nn::Linear>()) out.emplace_back(m.key(), l->weight);
    if (const auto* c = m.value()->as<torch::nn::Conv2d>()) out.emplace_back(m.key(), c->weight);
  }
  return out;
}

std::vector<torch::Tensor> biases_of(const torch::nn::Module& net) {
  std::vector<torch::Tensor> out;
  for (const auto& m : net.modules()) {
    if (const auto* l = m->as<torch::nn::Linear>()) out.push_back(l->bias);
    if (const auto* c = m->as<torch::nn::Conv2d>())
      if (c->bias.defined()) out.push_back(c->bias);
  }
  return out;
}

TEST(Threads, SetTorchThreadsSetsAndReportsTheCount) {
  EXPECT_EQ(set_torch_threads(2), 2);
  EXPECT_EQ(torch::get_num_threads(), 2);
  const int all = set_torch_threads(0);  // 0: one per hardware core
  EXPECT_GE(all, 1);
  EXPECT_EQ(torch::get_num_threads(), all);
  EXPECT_EQ(set_torch_threads(1), 1);
  EXPECT_EQ(torch::get_num_threads(), 1);
}

// ---------------------------------------------------------------------------------------------
// Init kinds and determinism.

TEST(InitKinds, NamesRoundTripAndUnknownNamesAreSpecErrors) {
  for (InitKind k : {InitKind::kDefault, InitKind::kGaussian, InitKind::kOrthogonal})
    EXPECT_EQ(parse_init(to_string(k)), k);
  try {
    parse_init("xavier", "--init");
    FAIL() << "no SpecError";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("--init"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("xavier"), std::string::npos) << e.what();
  }
}

TEST(InitDeterminism, SameSeedSameWeightsDifferentSeedDifferentWeights) {
  for (const Spec& spec : one_of_each_family()) {
    for (InitKind kind : {InitKind::kDefault, InitKind::kGaussian, InitKind::kOrthogonal}) {
      SCOPED_TRACE(to_string(spec.family) + " " + to_string(kind));
      Network a = build_network(spec, nullptr, init_of(kind, 0.7, 11));
      Network b = build_network(spec, nullptr, init_of(kind, 0.7, 11));
      Network c = build_network(spec, nullptr, init_of(kind, 0.7, 12));
      EXPECT_TRUE(same_tensors(params_of(*a), params_of(*b)));
      EXPECT_TRUE(same_tensors(buffers_of(*a), buffers_of(*b)));  // incl. the link index buffers
      EXPECT_FALSE(same_tensors(params_of(*a), params_of(*c)));
      // Building something in between does not change what a seed gives.
      torch::manual_seed(999);
      torch::randn({100});
      Network d = build_network(spec, nullptr, init_of(kind, 0.7, 11));
      EXPECT_TRUE(same_tensors(params_of(*a), params_of(*d)));
    }
  }
}

TEST(InitDeterminism, DenseLinksDrawnFromTheInitSeedWhenNoneAreGiven) {
  const Spec spec = mlp_spec({20}, {Cell{6, 4, 5}});
  Network drawn = build_network(spec, nullptr, init_of(InitKind::kDefault, 1.0, 21));
  const Links links = draw_links(spec, 21);
  const auto rows = drawn->layer_table();
  for (int k = 0; k < 6; ++k) EXPECT_EQ(rows[k].links, links.cells[0].layers[k]) << k;
}

TEST(InitGaussian, WeightsHaveStdSigmaAndBiasesAreZero) {
  const double sigma = 0.5;
  // MLP: L0 is 64 x 400 = 25,600 weights.
  Network mlp = build_network(mlp_spec({400}, {Cell{4, 64, 8}}), nullptr, init_of(InitKind::kGaussian, sigma, 3));
  bool checked_big = false;
  for (const auto& [name, w] : weights_of(*mlp)) {
    if (w.numel() < 25600) continue;
    checked_big = true;
    EXPECT_NEAR(w.std().item<double>(), sigma, 0.03 * sigma) << name;
    EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.03 * sigma) << name;
  }
  EXPECT_TRUE(checked_big);
  for (const torch::Tensor& b : biases_of(*mlp)) EXPECT_EQ(b.abs().max().item<float>(), 0.0f);

  // CNN: every conv and fc weight pooled (32*3*9 + 32*32*9 + 4 * 32*48*9 + 4*32 = 65,440), BN
  // stays weight 1, bias 0.
  Network cnn = build_network(cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{6, 32, 16}}), nullptr,
                              init_of(InitKind::kGaussian, sigma, 3));
  std::vector<torch::Tensor> flat;
  for (const auto& [name, w] : weights_of(*cnn)) flat.push_back(w.flatten());
  const torch::Tensor all = torch::cat(flat);
  ASSERT_GE(all.numel(), 25600);
  EXPECT_NEAR(all.std().item<double>(), sigma, 0.03 * sigma);
  EXPECT_NEAR(all.mean().item<double>(), 0.0, 0.03 * sigma);
  for (const torch::Tensor& b : biases_of(*cnn)) EXPECT_EQ(b.abs().max().item<float>(), 0.0f);
  for (const auto& m : cnn->modules())
    if (const auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      EXPECT_TRUE(torch::equal(bn->weight, torch::ones_like(bn->weight)));
      EXPECT_TRUE(torch::equal(bn->bias, torch::zeros_like(bn->bias)));
    }
}

TEST(InitOrthogonal, FlattenedWeightsAreOrthogonalWithGainSigma) {
  const double sigma = 1.5;
  const std::vector<Spec> specs = {
      mlp_spec({20}, {Cell{5, 4, 3}}),  // L0 4x20, L1 4x4, L2.. 4x7, classifier 3x7: out <= in
      mlp_spec({2}, {Cell{4, 8, 3}}),   // L0 8x2: out > in, columns orthogonal
      cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{4, 4, 3}}),  // conv weights 4 x (in*9)
  };
  int checked = 0;
  for (const Spec& spec : specs) {
    Network net = build_network(spec, nullptr, init_of(InitKind::kOrthogonal, sigma, 5));
    for (const auto& [name, w4] : weights_of(*net)) {
      const torch::Tensor w = w4.flatten(1);
      const bool rows = w.size(0) <= w.size(1);
      const torch::Tensor gram = rows ? w.mm(w.t()) : w.t().mm(w);
      const torch::Tensor expected = sigma * sigma * torch::eye(gram.size(0));
      EXPECT_TRUE(torch::allclose(gram, expected, /*rtol=*/0, /*atol=*/1e-4))
          << name << " " << w.sizes() << ": max |W W^T - sigma^2 I| = "
          << (gram - expected).abs().max().item<double>();
      ++checked;
    }
    for (const torch::Tensor& b : biases_of(*net)) EXPECT_EQ(b.abs().max().item<float>(), 0.0f);
  }
  EXPECT_EQ(checked, 5 + 4 + 5);  // the Linear and Conv2d layers of the three specs
}

TEST(InitDefault, LinearWeightsKeepLibtorchsKaimingUniformBound) {
  Network net = build_network(mlp_spec({20}, {Cell{5, 4, 3}}), nullptr, InitOptions{});
  for (const auto& m : net->modules()) {
    const auto* l = m->as<torch::nn::Linear>();
    if (!l) continue;
    const double bound = 1.0 / std::sqrt(static_cast<double>(l->options.in_features()));
    EXPECT_LE(l->weight.abs().max().item<double>(), bound + 1e-7);
    EXPECT_LE(l->bias.abs().max().item<double>(), bound + 1e-7);
    EXPECT_GT(l->bias.abs().max().item<double>(), 0.0) << "default init leaves non-zero biases";
  }
}

// ---------------------------------------------------------------------------------------------
// Bad specs: SpecError from the validation that precedes any allocation.

// Calls build_network, expects a SpecError whose message contains `needle`, and checks that torch's
// generator was neither seeded nor drawn from (nothing was built or initialised).
void expect_spec_error(const Spec& spec, const Links* links, const InitOptions& init,
                       const std::string& needle) {
  torch::manual_seed(4242);
  const torch::Tensor expected_draw = torch::rand({4});
  torch::manual_seed(4242);
  try {
    build_network(spec, links, init);
    ADD_FAILURE() << "no SpecError (expected one mentioning \"" << needle << "\")";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a SpecError: " << e.what();
  }
  EXPECT_TRUE(torch::equal(torch::rand({4}), expected_draw)) << "torch's generator was touched";
}

TEST(BuildErrors, BadSpecsAreSpecErrorsBeforeAnythingIsBuilt) {
  const InitOptions init;
  expect_spec_error(mlp_spec({20}, {Cell{2, 4, 3}}), nullptr, init, "depth");
  expect_spec_error(mlp_spec({20}, {Cell{5, 0, 3}}), nullptr, init, "width");
  expect_spec_error(mlp_spec({20}, {Cell{5, 4, -1}}), nullptr, init, "tc");
  expect_spec_error(mlp_spec({20}, {}), nullptr, init, "cells");
  expect_spec_error(cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{5, 0, 3}}), nullptr, init, "width");
  expect_spec_error(cnn_spec(Family::kCnn, {8, 8}, {Cell{5, 4, 3}}), nullptr, init, "input");
  expect_spec_error(cnn_spec(Family::kCnn, {3, 4, 4}, {Cell{3, 4, 3}, Cell{3, 4, 3}, Cell{3, 4, 3}},
                             Head::kReference),
                    nullptr, init, "2x2");
  expect_spec_error(resnet_spec(Block::kBasic, Stem::kCifar, {1, 2}, {8}), nullptr, init, "planes");
  expect_spec_error(mobilenet_spec(0.25, {1, 1, 1}), nullptr, init, "repeats");
}

TEST(BuildErrors, LinksThatDoNotFitTheSpecAreSpecErrors) {
  const Spec spec = mlp_spec({20}, {Cell{5, 4, 3}});
  const InitOptions init;
  // Drawn for another spec: one layer deeper.
  const Links deeper = draw_links(mlp_spec({20}, {Cell{6, 4, 3}}), 1);
  expect_spec_error(spec, &deeper, init, "links");
  // Drawn for another t_c.
  const Links more = draw_links(mlp_spec({20}, {Cell{5, 4, 6}}), 1);
  expect_spec_error(spec, &more, init, "links");
  // Drawn for the other pool.
  const Links other_pool = draw_links(mlp_spec({20}, {Cell{5, 4, 3}}, Activation::kElu, LinkPool::kReference), 1);
  expect_spec_error(spec, &other_pool, init, "pool");
  // A source outside the pool (layer 3 cannot feed layer 3) and a duplicate.
  Links tampered = draw_links(spec, 1);
  tampered.cells[0].layers[3][0] = LinkSource{3, 0};
  expect_spec_error(spec, &tampered, init, "outside its pool");
  Links duplicate = draw_links(spec, 1);
  duplicate.cells[0].layers[4][1] = duplicate.cells[0].layers[4][0];
  expect_spec_error(spec, &duplicate, init, "twice");
  // A CNN spec with the MLP's links.
  const Spec cnn = cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{5, 4, 3}, Cell{3, 4, 3}});
  expect_spec_error(cnn, &deeper, init, "links");
}

TEST(BuildErrors, NonPositiveOrNonFiniteSigmaIsASpecError) {
  const Spec spec = mlp_spec({20}, {Cell{5, 4, 3}});
  for (double sigma : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                       std::numeric_limits<double>::infinity()})
    for (InitKind kind : {InitKind::kDefault, InitKind::kGaussian, InitKind::kOrthogonal})
      expect_spec_error(spec, nullptr, init_of(kind, sigma, 0), "sigma");
}

// ---------------------------------------------------------------------------------------------
// Model files.

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "nnmass_nn_" + name; }

// Perturb every parameter and run training-mode forwards, so that weights and BN running stats
// differ from what a fresh build with the same init gives.
void train_a_little(NetworkImpl& net, const Spec& spec) {
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net.parameters()) p.add_(torch::randn_like(p) * 0.05);
  }
  net.train();
  for (int i = 0; i < 2; ++i) net.forward(torch::randn(batch_shape(spec, 4)));
}

void expect_round_trip(const std::string& name, const Spec& spec, const Links* links, const InitOptions& init) {
  SCOPED_TRACE(name);
  Network net = build_network(spec, links, init);
  torch::manual_seed(77);
  train_a_little(*net, spec);
  const std::string path = temp_path(name + ".pt");
  save_model(path, spec, links, init, *net);

  const LoadedModel loaded = load_model(path);
  EXPECT_EQ(spec_to_json(loaded.spec), spec_to_json(spec));
  ASSERT_EQ(loaded.links.has_value(), links != nullptr);
  if (links) {
    EXPECT_EQ(links_to_json(*loaded.links), links_to_json(*links));
  }
  EXPECT_EQ(loaded.init.kind, init.kind);
  EXPECT_EQ(loaded.init.sigma, init.sigma);
  EXPECT_EQ(loaded.init.seed, init.seed);

  EXPECT_TRUE(same_tensors(params_of(*loaded.network), params_of(*net)));
  EXPECT_TRUE(same_tensors(buffers_of(*loaded.network), buffers_of(*net)));
  // A fresh build from the same init differs: the weights really came from the file.
  EXPECT_FALSE(same_tensors(params_of(*build_network(spec, links, init)), params_of(*net)));

  net->eval();
  loaded.network->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn(batch_shape(spec, 3));
  EXPECT_TRUE(torch::equal(loaded.network->forward(x), net->forward(x)));
  std::filesystem::remove(path);
}

TEST(ModelFiles, SaveThenLoadGivesIdenticalOutputsSpecLinksAndInit) {
  // MLP with links drawn from a seed other than the init's: the file must carry them.
  const Spec mlp = mlp_spec({1, 6, 6}, {Cell{4, 5, 2}, Cell{5, 3, 7}}, Activation::kRelu, LinkPool::kReference);
  const Links mlp_links = draw_links(mlp, 123);
  expect_round_trip("mlp", mlp, &mlp_links, init_of(InitKind::kGaussian, 0.3, 9));
  // CNN without explicit links (drawn from the init seed on both sides).
  expect_round_trip("cnn", cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{4, 4, 3}, Cell{3, 5, 4}}, Head::kReference),
                    nullptr, init_of(InitKind::kDefault, 1.0, 4));
  const Spec dw = cnn_spec(Family::kDepthwiseCnn, {2, 9, 9}, {Cell{3, 3, 5}, Cell{4, 4, 6}});
  const Links dw_links = draw_links(dw, 5);
  expect_round_trip("dwcnn", dw, &dw_links, init_of(InitKind::kOrthogonal, 1.2, 6));
  expect_round_trip("resnet", resnet_spec(Block::kBottleneck, Stem::kImageNet, {2, 1}, {8, 16}, 16), nullptr,
                    init_of(InitKind::kDefault, 1.0, 7));
  expect_round_trip("mobilenet", mobilenet_spec(0.25, {1, 2, 1, 1, 1, 1, 1}), nullptr,
                    init_of(InitKind::kGaussian, 0.1, 8));
}

// An IoError whose one-line message names the path.
void expect_io_error(const std::string& path, const std::string& needle = "") {
  try {
    load_model(path);
    ADD_FAILURE() << "no IoError for " << path;
  } catch (const IoError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
    if (!needle.empty()) {
      EXPECT_NE(what.find(needle), std::string::npos) << what;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an IoError: " << e.what();
  }
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ModelFiles, UnreadableFilesAreOneLineIoErrorsNamingThePath) {
  expect_io_error(temp_path("does_not_exist.pt"), "no such file");
  expect_io_error(::testing::TempDir());  // a folder

  const std::string garbage = temp_path("garbage.pt");
  std::string bytes;
  for (int i = 0; i < 200; ++i) bytes += "this is not a model file ";
  write_bytes(garbage, bytes);
  expect_io_error(garbage);

  const Spec spec = mlp_spec({20}, {Cell{5, 4, 3}});
  Network net = build_network(spec, nullptr, InitOptions{});
  const std::string good = temp_path("good.pt");
  save_model(good, spec, nullptr, InitOptions{}, *net);
  const std::string whole = read_bytes(good);
  ASSERT_GT(whole.size(), 100u);
  const std::string truncated = temp_path("truncated.pt");
  write_bytes(truncated, whole.substr(0, whole.size() / 2));
  expect_io_error(truncated);

  // A valid libtorch archive that is not an nnmass model.
  const std::string foreign = temp_path("foreign.pt");
  torch::nn::Linear linear(3, 2);
  torch::save(linear, foreign);
  expect_io_error(foreign, "not an nnmass model file");

  for (const auto& p : {garbage, good, truncated, foreign}) std::filesystem::remove(p);
}

}  // namespace
