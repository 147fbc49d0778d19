// Packed dense CNNs against the same runs alone: grouped convolutions, per-model BatchNorm and the
// batched heads must leave every model where its lone run ends (weights, BN running statistics,
// loss, accuracy), with mixed t_c, mixed seeds, two cells (a stride-2 transition) and both heads;
// a diverging model is stopped without touching its pack-mates.
#include <gtest/gtest.h>

#include <limits>

#include "nn_test_support.h"
#include "pack_test_support.h"
#include "nnmass/error.h"
#include "nnmass/nn/packed_dense_cnn.h"
#include "nnmass/train/pack_trainer.h"

namespace nnmass {
namespace {

using test::cnn_spec;

// ||a - b|| / ||b||, with ||b|| floored at 1e-2: the BN after layer 1 of a cell feeds only
// BatchNorms, so its scale and shift have zero gradient and hold nothing but rounding noise
// (~1e-9 under SGD), of which a relative difference means nothing.
double relative(const torch::Tensor& a, const torch::Tensor& b) { return test::relative_difference(a, b, 1e-2); }

DenseCnn build(const Spec& spec, uint64_t seed) {
  const Links links = draw_links(spec, seed);
  InitOptions init;
  init.seed = seed;
  return std::dynamic_pointer_cast<DenseCnnImpl>(build_network(spec, &links, init));
}

// 8x8 one-channel images whose class is a fixed random projection of the pixels.
DataSplit make_images(int64_t train, int64_t test) { return test::projection_data({1, 8, 8}, train, test, 5); }

Spec spec_with(int tc, Head head) { return cnn_spec(Family::kCnn, {1, 8, 8}, {{4, 4, tc}, {3, 5, tc}}, head, LinkPool::kPaper, 3); }

// Largest relative difference over every parameter and BN running statistic.
double worst_difference(const PackedDenseCnn& pack, int64_t i, const DenseCnn& lone, const Spec& spec) {
  DenseCnn copy = build(spec, 0);
  pack.copy_to(i, *copy);
  double worst = 0;
  auto lone_params = lone->named_parameters();
  for (const auto& p : copy->named_parameters()) worst = std::max(worst, relative(p.value(), lone_params[p.key()]));
  auto lone_buffers = lone->named_buffers();
  for (const auto& b : copy->named_buffers())
    if (b.key().find("running") != std::string::npos) worst = std::max(worst, relative(b.value(), lone_buffers[b.key()]));
  return worst;
}

class PackedCnnTraining : public ::testing::TestWithParam<Head> {};

// SGD with momentum and weight decay (the official CNN recipe's optimizer). Not Adam: the BN after
// layer 1 of a cell feeds only BatchNorms (layer 2's and the links'), so its scale and shift have
// exactly zero gradient; Adam divides their rounding noise by its own magnitude and moves them by
// the full learning rate in directions that differ between any two summation orders (lone runs
// of different builds included). They do not change the network's function in training mode.
TEST_P(PackedCnnTraining, EqualsLoneRuns) {
  TrainOptions options;
  options.optimizer = "sgd";
  options.momentum = 0.9;
  options.weight_decay = 5e-4;
  options.lr = 5e-2;
  options.epochs = 2;
  options.batch_size = 30;  // 90 samples: 3 steps an epoch
  const DataSplit data = make_images(90, 40);
  const std::vector<std::pair<int, uint64_t>> runs = {{0, 2}, {2, 2}, {6, 2}, {3, 4}};  // (t_c, seed)
  std::vector<Spec> specs;
  std::vector<DenseCnn> packed, lone;
  std::vector<const DenseCnnImpl*> pointers;
  std::vector<uint64_t> seeds;
  for (const auto& [tc, seed] : runs) {
    specs.push_back(spec_with(tc, GetParam()));
    packed.push_back(build(specs.back(), seed));
    lone.push_back(build(specs.back(), seed));
    pointers.push_back(packed.back().get());
    seeds.push_back(seed);
  }
  PackedDenseCnn pack(pointers);
  const PackTrainResult result = train_pack(pack, seeds, data, options);
  for (size_t i = 0; i < runs.size(); ++i) {
    test::expect_like_lone_run(result.runs[i], *lone[i], data, options, seeds[i], "run " + std::to_string(i));
    EXPECT_LT(worst_difference(pack, i, lone[i], specs[i]), 1e-5) << "run " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Heads, PackedCnnTraining, ::testing::Values(Head::kGap, Head::kReference));

TEST(PackedCnnTraining, DivergedModelIsStoppedAndIsolated) {
  TrainOptions options;
  options.epochs = 1;
  options.batch_size = 30;
  const DataSplit data = make_images(90, 40);
  std::vector<DenseCnn> with, without;
  for (int tc : {1, 3, 5}) {
    with.push_back(build(spec_with(tc, Head::kGap), 8));
    if (tc != 3) without.push_back(build(spec_with(tc, Head::kGap), 8));
  }
  {
    torch::NoGradGuard no_grad;
    with[1]->named_parameters()["fc.weight"][0][0] = std::numeric_limits<float>::infinity();
  }
  PackedDenseCnn pack({with[0].get(), with[1].get(), with[2].get()}), reference({without[0].get(), without[1].get()});
  const PackTrainResult a = train_pack(pack, {8, 8, 8}, data, options);
  const PackTrainResult b = train_pack(reference, {8, 8}, data, options);
  EXPECT_NE(a.runs[1].error.find("training diverged"), std::string::npos) << a.runs[1].error;
  EXPECT_FALSE(pack.alive(1));
  EXPECT_EQ(a.runs[0].test.loss, b.runs[0].test.loss);
  EXPECT_EQ(a.runs[2].test.loss, b.runs[1].test.loss);
  EXPECT_EQ(a.runs[2].test.accuracy, b.runs[1].test.accuracy);
}

TEST(PackedDenseCnn, RefusesOtherStructuresAndDepthwiseCnns) {
  DenseCnn a = build(spec_with(1, Head::kGap), 0), b = build(spec_with(1, Head::kReference), 0);
  EXPECT_THROW(PackedDenseCnn({a.get(), b.get()}), SpecError);
  Spec depthwise = spec_with(1, Head::kGap);
  depthwise.family = Family::kDepthwiseCnn;
  EXPECT_FALSE(packable(Family::kDepthwiseCnn));
  EXPECT_TRUE(packable(Family::kCnn));
}

}  // namespace
}  // namespace nnmass
