// NAS-Bench-201 networks in libtorch: parameters and MACs of the built module against core's
// closed form (itself checked against the benchmark's formulas in core_tests), the zero cell,
// taps, layer maps.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "nnmass/cost.h"
#include "nnmass/nn/nb201.h"
#include "nnmass/nn/network.h"
#include "nnmass/nn/tap.h"

namespace nnmass {
namespace {

Spec nb201(const Nb201Cell& cell, int channels = 4, int cells = 1, int classes = 7) {
  Spec s;
  s.family = Family::kNb201;
  s.input = {3, 16, 16};
  s.classes = classes;
  s.nb201.cell = cell;
  s.nb201.channels = channels;
  s.nb201.cells_per_stage = cells;
  return s;
}

// MACs measured on the module: each conv's weights times the output pixels it was applied to
// (the taps give the outputs, in the order the modules were registered), each linear's weights.
int64_t measured_macs(NetworkImpl& net, const torch::Tensor& x) {
  TapRecorder rec;
  torch::NoGradGuard no_grad;
  net.forward(x);
  std::vector<torch::Tensor> weights;
  for (const auto& m : net.modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) weights.push_back(c->weight);
    if (auto* l = m->as<torch::nn::Linear>()) weights.push_back(l->weight);
  }
  EXPECT_EQ(weights.size(), rec.layers.size());
  int64_t macs = 0;
  for (size_t k = 0; k < weights.size() && k < rec.layers.size(); ++k) {
    const torch::Tensor& out = rec.layers[k];
    macs += weights[k].numel() * (out.dim() == 4 ? out.size(2) * out.size(3) : 1);
  }
  return macs;
}

TEST(Nb201Network, ParametersAndMacsOfTheModuleEqualTheClosedForm) {
  for (int i = 0; i < kNb201Cells; i += 331) {
    const Spec s = nb201(nb201_cell_at(i), 4, 2);
    const Network net = build_network(s, nullptr, {});
    const Cost c = count_cost(s);
    EXPECT_EQ(count_parameters(*net), c.params) << nb201_arch_string(s.nb201.cell);
    EXPECT_EQ(measured_macs(*net, torch::randn({1, 3, 16, 16})), c.macs) << nb201_arch_string(s.nb201.cell);
  }
  Spec best = nb201(nb201_best_cifar10_cell(), 16, 5, 10);
  best.input = {3, 32, 32};
  const Network net = build_network(best, nullptr, {});
  EXPECT_EQ(count_parameters(*net), 1073466);
  EXPECT_EQ(measured_macs(*net, torch::randn({1, 3, 32, 32})) + 10, 153272970);  // 7,782,400 + 65K + 35,389,440 n3 + 3,932,160 n1: 153.27 M
}

TEST(Nb201Network, ForwardGivesLogitsAndAZeroCellCutsTheInputOff) {
  const Network net = build_network(nb201(nb201_best_cifar10_cell()), nullptr, {});
  const torch::Tensor x = torch::randn({5, 3, 16, 16});
  EXPECT_EQ(net->forward(x).sizes(), (std::vector<int64_t>{5, 7}));
  // Node 3 takes no edge: every cell outputs zeros, so the logits do not depend on the input.
  const Network cut = build_network(
      nb201(parse_nb201_cell("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|none~2|")), nullptr, {});
  cut->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor a = cut->forward(x), b = cut->forward(torch::randn({5, 3, 16, 16}));
  EXPECT_TRUE(torch::allclose(a, b));
}

TEST(Nb201Network, TapsSeeEveryRectifierAndThePrePoolMap) {
  // Best cell: 5 conv edges per cell, each a ReLU; reductions 2 ReLUs; the head 1.
  const Network net = build_network(nb201(nb201_best_cifar10_cell(), 4, 1), nullptr, {});
  TapRecorder rec;
  net->forward(torch::randn({2, 3, 16, 16}));
  EXPECT_EQ(rec.activations.size(), 3u * 5 + 2 * 2 + 1);
  EXPECT_EQ(rec.layers.size(), 1u + 3 * 5 + 2 * 3 + 1);
  EXPECT_EQ(rec.pre_pool.sizes(), (std::vector<int64_t>{2, 16, 4, 4}));
  EXPECT_EQ(net->layer_maps(torch::randn({2, 3, 16, 16})).size(), 1u + 3 + 2);
  EXPECT_EQ(net->layer_table().size(), 1u + 3 + 2 + 1);
}

}  // namespace
}  // namespace nnmass
