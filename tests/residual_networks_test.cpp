// ResNet / Wide-ResNet / ResNeXt and MobileNet-v2 as libtorch modules (method.md §2.3; resnet.h,
// mobilenet_v2.h).
//
// Golden values and where they come from:
//   * #params of small layouts: core's closed form count_cost(spec).params (cost.h), exactly.
//   * torchvision's published parameter counts at 1000 classes (torchvision model docs, also
//     pinned in cost_test.cpp): resnet18 11,689,512; resnet50 25,557,032; resnext50_32x4d
//     25,028,904; mobilenet_v2 3,504,872 (torchvision's dropout holds no parameters).
//   * torchvision's resnet18 has 62 parameter tensors: stem conv + bn (3), 8 basic blocks x
//     (conv1, bn1 w/b, conv2, bn2 w/b) = 48, 3 downsample conv + bn (9), fc w/b (2).
//   * Skip wiring: with the residual branch's last BN zeroed the branch outputs exactly 0, so a
//     block computes ReLU(shortcut(x)) (ResNet) or x / 0 (MobileNet with / without skip).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nn_test_support.h"
#include "nnmass/cost.h"
#include "nnmass/nn/mobilenet_v2.h"
#include "nnmass/nn/network.h"
#include "nnmass/nn/resnet.h"
#include "nnmass/residual.h"
#include "nnmass/spec.h"

using namespace nnmass;
using namespace nnmass::test;

namespace {

struct ResidualCase {
  std::string name;
  Spec spec;
};

Spec mobilenet_cifar_stem(Spec s) {
  s.mobilenet.stem = Stem::kCifar;
  return s;
}

std::vector<ResidualCase> residual_cases() {
  const auto basic = Block::kBasic, bottleneck = Block::kBottleneck;
  const auto cifar = Stem::kCifar, imagenet = Stem::kImageNet;
  return {
      {"basic_cifar", resnet_spec(basic, cifar, {1, 2}, {8, 16})},
      {"basic_imagenet", resnet_spec(basic, imagenet, {1, 2}, {8, 16})},
      {"basic_identity_first_block", resnet_spec(basic, cifar, {2}, {8}, /*stem_width=*/8)},
      {"basic_three_stages_odd_input",
       resnet_spec(basic, cifar, {1, 1, 1}, {4, 8, 16}, 4, 1, 64, {2, 9, 9}, 3)},
      {"bottleneck_cifar", resnet_spec(bottleneck, cifar, {1, 2}, {8, 16})},
      {"bottleneck_imagenet", resnet_spec(bottleneck, imagenet, {2, 1}, {8, 16}, 16)},
      {"resnext_groups2_wpg32", resnet_spec(bottleneck, cifar, {1, 2}, {8, 16}, 8, 2, 32)},
      {"resnext_groups4_wpg16_imagenet", resnet_spec(bottleneck, imagenet, {2, 1}, {16, 32}, 8, 4, 16)},
      {"wide_wpg128", resnet_spec(bottleneck, cifar, {1, 1}, {8, 16}, 8, 1, 128)},
      {"mobilenet_025_ones", mobilenet_spec(0.25, {1, 1, 1, 1, 1, 1, 1})},
      {"mobilenet_025_some_repeats", mobilenet_spec(0.25, {1, 2, 2, 2, 1, 1, 1})},
      {"mobilenet_05_16px", mobilenet_spec(0.5, {1, 1, 2, 1, 2, 1, 1}, {3, 16, 16}, 7)},
      {"mobilenet_035_zero_repeats", mobilenet_spec(0.35, {1, 0, 1, 0, 1, 0, 1})},
      {"mobilenet_no_blocks", mobilenet_spec(0.25, {0, 0, 0, 0, 0, 0, 0}, {3, 16, 16})},
      {"mobilenet_cifar_stem_28px", mobilenet_cifar_stem(mobilenet_spec(0.35, {1, 2, 1, 1, 1, 1, 1}, {1, 28, 28}, 10))},
  };
}

void check_parameters_and_output_shape(const Spec& spec) {
  Network net = build_network(spec, nullptr, init_of(InitKind::kDefault, 1.0, 1));
  EXPECT_EQ(count_parameters(*net), count_cost(spec).params);

  torch::manual_seed(2);
  const torch::Tensor y = net->forward(torch::randn(batch_shape(spec, 2)));
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, spec.classes}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
}

void check_layer_table(const Spec& spec) {
  Network net = build_network(spec, nullptr, InitOptions{});
  const std::vector<LayerInfo> rows = net->layer_table();
  const std::vector<ResidualBlock> blocks = residual_blocks(spec);
  const bool resnet = spec.family == Family::kResNet;
  // ResNet: conv1, blocks, fc. MobileNet-v2: features.0 (stem), blocks, last 1x1 conv, classifier.
  ASSERT_EQ(rows.size(), blocks.size() + (resnet ? 2 : 3));
  EXPECT_EQ(rows.front().name, resnet ? "conv1" : "features.0");
  EXPECT_EQ(rows.front().fan_in, spec.input[0]);
  for (size_t b = 0; b < blocks.size(); ++b) {
    const LayerInfo& row = rows[b + 1];
    EXPECT_EQ(row.name, blocks[b].label);
    EXPECT_EQ(row.fan_in, blocks[b].inp) << row.name;
    EXPECT_EQ(row.out, blocks[b].out) << row.name;
    EXPECT_EQ(row.stride, blocks[b].stride) << row.name;
  }
  EXPECT_EQ(rows.back().name, resnet ? "fc" : "classifier");
  EXPECT_EQ(rows.back().out, spec.classes);
  int64_t total = 0;
  for (const LayerInfo& row : rows) total += row.params;
  EXPECT_EQ(total, count_parameters(*net));
}

// One test per check, looping over the shapes (each ctest process pays ~0.5 s to load libtorch).
TEST(ResidualNetworks, ParametersMatchClosedFormAndOutputIsBatchByClasses) {
  for (const ResidualCase& c : residual_cases()) {
    SCOPED_TRACE(c.name);
    check_parameters_and_output_shape(c.spec);
  }
}

TEST(ResidualNetworks, LayerTableListsStemBlocksAndHeadAndAddsUp) {
  for (const ResidualCase& c : residual_cases()) {
    SCOPED_TRACE(c.name);
    check_layer_table(c.spec);
  }
}

// ---------------------------------------------------------------------------------------------
// torchvision's layouts at 1000 classes.

TEST(TorchvisionLayouts, ParameterCountsMatchTorchvision) {
  const std::vector<std::pair<std::string, int64_t>> golden = {
      {"resnet18", 11689512},
      {"resnet50", 25557032},
      {"resnext50_32x4d", 25028904},
      {"mobilenet_v2", 3504872},
  };
  for (const auto& [arch, params] : golden) {
    const Spec spec = standard_spec(arch);
    Network net = build_network(spec, nullptr, InitOptions{});
    EXPECT_EQ(count_parameters(*net), params) << arch;
    EXPECT_EQ(count_cost(spec).params, params) << arch;
  }
}

TEST(TorchvisionLayouts, Resnet18RunsAt224AndUsesTorchvisionNames) {
  const Spec spec = standard_spec("resnet18");
  Network net = build_network(spec, nullptr, InitOptions{});
  net->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(net->forward(torch::randn({1, 3, 224, 224})).sizes().vec(), (std::vector<int64_t>{1, 1000}));

  const auto p = params_of(*net);
  EXPECT_EQ(p.size(), 62u);
  for (const char* name : {"conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight",
                           "layer1.1.bn2.bias", "layer2.0.downsample.0.weight",
                           "layer2.0.downsample.1.weight", "layer4.1.conv2.weight", "fc.weight", "fc.bias"})
    EXPECT_EQ(p.count(name), 1u) << name;
  EXPECT_EQ(p.at("layer3.0.conv1.weight").sizes().vec(), (std::vector<int64_t>{256, 128, 3, 3}));
  EXPECT_EQ(p.at("fc.weight").sizes().vec(), (std::vector<int64_t>{1000, 512}));
  const auto b = buffers_of(*net);
  EXPECT_EQ(b.count("layer4.1.bn2.running_var"), 1u);
}

TEST(TorchvisionLayouts, MobileNetV2FeatureIndicesMatchTorchvision) {
  const Spec spec = standard_spec("mobilenet_v2");
  Network net = build_network(spec, nullptr, InitOptions{});
  const auto p = params_of(*net);
  // features.0 stem ConvBNReLU, features.1..17 blocks, features.18 the 1x1 conv to 1280.
  EXPECT_EQ(p.at("features.0.0.weight").sizes().vec(), (std::vector<int64_t>{32, 3, 3, 3}));
  EXPECT_EQ(p.at("features.18.0.weight").sizes().vec(), (std::vector<int64_t>{1280, 320, 1, 1}));
  EXPECT_EQ(p.count("features.18.1.weight"), 1u);
  EXPECT_EQ(p.count("features.19.0.weight"), 0u);
  // features.1 (t = 1) starts with the depthwise ConvBNReLU, as torchvision's conv.0.
  EXPECT_EQ(p.at("features.1.conv.0.0.weight").sizes().vec(), (std::vector<int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(p.at("classifier.weight").sizes().vec(), (std::vector<int64_t>{1000, 1280}));
}

// ---------------------------------------------------------------------------------------------
// Gradients.

TEST(ResidualGradients, EveryParameterGetsAFiniteNonZeroGradient) {
  for (const ResidualCase& c : residual_cases()) {
    SCOPED_TRACE(c.name);
    expect_gradients_flow(c.spec);
  }
}

// ---------------------------------------------------------------------------------------------
// Skip wiring, with the residual branch silenced.

void silence(torch::Tensor t) {
  torch::NoGradGuard no_grad;
  t.zero_();
}

TEST(ResidualBlocks, IdentityShortcutAddsTheInput) {
  torch::manual_seed(3);
  for (Block block : {Block::kBasic, Block::kBottleneck}) {
    ResidualBlock b;
    b.inp = 16;
    b.mid = block == Block::kBasic ? 16 : 4;
    b.out = 16;
    ResBlock m(block, b, 1);
    m->eval();
    const torch::Tensor x = torch::randn({2, 16, 5, 5});
    const torch::Tensor before = m->forward(x);
    EXPECT_FALSE(torch::equal(before, torch::relu(x))) << "the branch must contribute before it is silenced";
    const auto p = params_of(*m);
    const std::string last_bn = block == Block::kBasic ? "bn2" : "bn3";
    silence(p.at(last_bn + ".weight"));
    silence(p.at(last_bn + ".bias"));
    EXPECT_TRUE(torch::equal(m->forward(x), torch::relu(x))) << to_string(block);
  }
}

TEST(ResidualBlocks, ProjectionShortcutIsTheStridedOneByOneConvAndBn) {
  torch::manual_seed(4);
  for (Block block : {Block::kBasic, Block::kBottleneck}) {
    ResidualBlock b;
    b.inp = 4;
    b.mid = block == Block::kBasic ? 8 : 4;  // basic: mid = planes = out
    b.out = block == Block::kBasic ? 8 : 4 * 4;
    b.stride = 2;
    b.projection = true;
    ResBlock m(block, b, 1);
    m->eval();
    const auto p = params_of(*m);
    ASSERT_EQ(p.at("downsample.0.weight").sizes().vec(), (std::vector<int64_t>{b.out, 4, 1, 1}));
    const std::string last_bn = block == Block::kBasic ? "bn2" : "bn3";
    silence(p.at(last_bn + ".weight"));
    silence(p.at(last_bn + ".bias"));
    const torch::Tensor x = torch::randn({2, 4, 6, 6});
    auto downsample = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(m->named_children()["downsample"]);
    ASSERT_TRUE(downsample);
    const torch::Tensor y = m->forward(x);
    EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, b.out, 3, 3}));
    EXPECT_TRUE(torch::equal(y, torch::relu(downsample->forward(x)))) << to_string(block);
  }
}

// The projection (last) BatchNorm of an inverted residual block.
torch::nn::BatchNorm2dImpl* last_batchnorm(torch::nn::Module& m) {
  torch::nn::BatchNorm2dImpl* last = nullptr;
  for (auto& child : m.modules())
    if (auto* bn = child->as<torch::nn::BatchNorm2d>()) last = bn;
  return last;
}

TEST(ResidualBlocks, InvertedResidualSkipsOnlyWithStrideOneAndEqualWidths) {
  torch::manual_seed(5);
  for (bool residual : {true, false}) {
    ResidualBlock b;
    b.inp = 8;
    b.expand = 6;
    b.mid = 48;
    b.out = residual ? 8 : 16;
    b.stride = residual ? 1 : 2;
    b.residual = residual;
    InvertedResidual m(b);
    m->eval();
    const torch::Tensor x = torch::randn({2, 8, 6, 6});
    EXPECT_FALSE(torch::equal(m->forward(x), x));
    auto* bn = last_batchnorm(*m);
    ASSERT_NE(bn, nullptr);
    ASSERT_EQ(bn->options.num_features(), b.out);
    silence(bn->weight);
    silence(bn->bias);
    const torch::Tensor y = m->forward(x);
    if (residual) {
      EXPECT_TRUE(torch::equal(y, x));
    } else {
      EXPECT_EQ(y.abs().max().item<float>(), 0.0f);
      EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, 16, 3, 3}));
    }
  }
}

}  // namespace
