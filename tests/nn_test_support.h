// Helpers shared by the libtorch network tests (nn_tests): small specs of every family, building
// with a given init, and parameter comparisons. Header-only; the tests keep shapes tiny so the
// whole suite runs in seconds on two cores.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "nnmass/links.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec.h"

namespace nnmass::test {

inline Spec mlp_spec(std::vector<int64_t> input, std::vector<Cell> cells,
                     Activation activation = Activation::kElu, LinkPool pool = LinkPool::kPaper,
                     int classes = 3) {
  Spec s;
  s.family = Family::kMlp;
  s.input = std::move(input);
  s.classes = classes;
  s.cells = std::move(cells);
  s.activation = activation;
  s.link_pool = pool;
  return s;
}

inline Spec cnn_spec(Family family, std::vector<int64_t> input, std::vector<Cell> cells,
                     Head head = Head::kGap, LinkPool pool = LinkPool::kPaper, int classes = 4) {
  Spec s;
  s.family = family;
  s.input = std::move(input);
  s.classes = classes;
  s.cells = std::move(cells);
  s.head = head;
  s.link_pool = pool;
  return s;
}

inline Spec resnet_spec(Block block, Stem stem, std::vector<int> layers, std::vector<int> planes,
                        int stem_width = 8, int groups = 1, int width_per_group = 64,
                        std::vector<int64_t> input = {3, 16, 16}, int classes = 5) {
  Spec s;
  s.family = Family::kResNet;
  s.input = std::move(input);
  s.classes = classes;
  s.resnet.block = block;
  s.resnet.stem = stem;
  s.resnet.layers = std::move(layers);
  s.resnet.planes = std::move(planes);
  s.resnet.stem_width = stem_width;
  s.resnet.groups = groups;
  s.resnet.width_per_group = width_per_group;
  return s;
}

inline Spec mobilenet_spec(double width_mult, std::vector<int> repeats,
                           std::vector<int64_t> input = {3, 32, 32}, int classes = 10) {
  Spec s;
  s.family = Family::kMobileNetV2;
  s.input = std::move(input);
  s.classes = classes;
  s.mobilenet.width_mult = width_mult;
  s.mobilenet.repeats = std::move(repeats);
  return s;
}

inline InitOptions init_of(InitKind kind, double sigma = 1.0, uint64_t seed = 0) {
  InitOptions init;
  init.kind = kind;
  init.sigma = sigma;
  init.seed = seed;
  return init;
}

// [batch, input...]
inline std::vector<int64_t> batch_shape(const Spec& spec, int64_t batch) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), spec.input.begin(), spec.input.end());
  return shape;
}

inline std::map<std::string, torch::Tensor> params_of(const torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value();
  return out;
}

inline std::map<std::string, torch::Tensor> buffers_of(const torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& b : m.named_buffers()) out[b.key()] = b.value();
  return out;
}

// Same names, shapes and bit-identical values.
inline ::testing::AssertionResult same_tensors(const std::map<std::string, torch::Tensor>& a,
                                               const std::map<std::string, torch::Tensor>& b) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure() << a.size() << " tensors vs " << b.size();
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end()) return ::testing::AssertionFailure() << name << " missing";
    if (!t.sizes().equals(it->second.sizes()) || !torch::equal(t, it->second))
      return ::testing::AssertionFailure() << name << " differs";
  }
  return ::testing::AssertionSuccess();
}

// One forward + cross-entropy backward in training mode on a batch of 4; every parameter must get
// a defined, finite gradient, and (if `nonzero`) a gradient with at least one non-zero entry.
inline void expect_gradients_flow(const Spec& spec, bool nonzero = true, uint64_t seed = 5) {
  Network net = build_network(spec, nullptr, InitOptions{InitKind::kDefault, 1.0, seed});
  net->train();
  torch::manual_seed(seed + 100);
  const auto x = torch::randn(batch_shape(spec, 4));
  const auto target = torch::randint(0, spec.classes, {4}, torch::kLong);
  const auto loss = torch::nn::functional::cross_entropy(net->forward(x), target);
  ASSERT_TRUE(std::isfinite(loss.item<double>()));
  loss.backward();
  int checked = 0;
  for (const auto& p : net->named_parameters()) {
    const torch::Tensor& g = p.value().grad();
    ASSERT_TRUE(g.defined()) << p.key() << " has no gradient";
    EXPECT_TRUE(torch::isfinite(g).all().item<bool>()) << p.key();
    if (nonzero) {
      EXPECT_GT(g.abs().sum().item<double>(), 0.0) << p.key() << " has an all-zero gradient";
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace nnmass::test
