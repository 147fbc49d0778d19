// Packed training against the plain path: the pack's hand-written forward and backward against
// libtorch autograd on the lone modules, and whole packs trained for a few steps against the same
// runs trained alone (every weight, the loss and the accuracy), with mixed t_c, mixed seeds, two
// cells, ELU and ReLU; a diverging model stopped without touching its pack-mates.
#include <gtest/gtest.h>

#include <limits>

#include "nn_test_support.h"
#include "pack_test_support.h"
#include "nnmass/error.h"
#include "nnmass/nn/packed_mlp.h"
#include "nnmass/nn/packed_mlp.h"
#include "nnmass/train/pack_trainer.h"

namespace nnmass {
namespace {

using test::mlp_spec;

double relative(const torch::Tensor& a, const torch::Tensor& b) { return test::relative_difference(a, b); }

DenseMlp build(const Spec& spec, uint64_t seed, double gaussian_sigma = 0) {
  const Links links = draw_links(spec, seed);
  InitOptions init;
  init.seed = seed;
  if (gaussian_sigma > 0) {  // biases 0: activations shrink layer by layer towards 0
    init.kind = InitKind::kGaussian;
    init.sigma = gaussian_sigma;
  }
  return std::dynamic_pointer_cast<DenseMlpImpl>(build_network(spec, &links, init));
}

// A small learnable data set: 12 features, 3 classes from a fixed random projection.
DataSplit make_data(int64_t train, int64_t test) { return test::projection_data({12}, train, test, 7); }

std::vector<const DenseMlpImpl*> pointers(const std::vector<DenseMlp>& models) {
  std::vector<const DenseMlpImpl*> p;
  for (const auto& m : models) p.push_back(m.get());
  return p;
}

// Every parameter of model i of the pack against the lone module's.
double worst_weight_difference(const PackedMlp& pack, int64_t i, const DenseMlp& lone, const Spec& spec) {
  DenseMlp copy = build(spec, 0);
  auto lone_params = lone->named_parameters();
  pack.copy_to(i, *copy);
  double worst = 0;
  for (const auto& p : copy->named_parameters()) worst = std::max(worst, relative(p.value(), lone_params[p.key()]));
  return worst;
}

struct Case {
  Activation activation;
  std::vector<Cell> cells;
  double gaussian_sigma = 0;  // > 0: tiny activations, where ELU must be computed as expm1
};

class PackGradient : public ::testing::TestWithParam<Case> {};

// One step: the pack's losses and gradients equal autograd's on each lone module, within 1e-5
// relative or, where rounding cancels more (sums of tiny terms of both signs), within 4x the error
// of libtorch's own float result against the same module in float64.
TEST_P(PackGradient, MatchesAutogradOnLoneModules) {
  const Case c = GetParam();
  std::vector<Spec> specs;
  for (int tc : {0, 2, 7}) {
    std::vector<Cell> cells = c.cells;
    for (Cell& cell : cells) cell.tc = tc;
    specs.push_back(mlp_spec({12}, cells, c.activation));
  }
  std::vector<DenseMlp> models, exact;
  for (size_t i = 0; i < specs.size(); ++i) {
    models.push_back(build(specs[i], 11 + i, c.gaussian_sigma));
    exact.push_back(build(specs[i], 11 + i, c.gaussian_sigma));
    torch::NoGradGuard no_grad;  // parameters only: Module::to would convert the link indices too
    for (torch::Tensor p : exact.back()->parameters()) p.set_data(p.to(torch::kFloat64));
  }
  PackedMlp pack(pointers(models));
  for (torch::Tensor& p : pack.parameters()) p.mutable_grad().zero_();
  const DataSplit data = make_data(37, 1);  // 37: not a multiple of the kernels' 16 lanes
  const PackStep step = pack.step({{data.train.inputs, data.train.labels, 0, 3}}, true);
  const auto params = pack.parameters();
  for (size_t i = 0; i < models.size(); ++i) {
    const auto backward = [&](DenseMlp& m, const torch::Tensor& x) {
      m->zero_grad();
      const torch::Tensor logits = m->forward(x);
      torch::nn::functional::cross_entropy(logits, data.train.labels).backward();
      return logits;
    };
    const torch::Tensor logits = backward(models[i], data.train.inputs);
    backward(exact[i], data.train.inputs.to(torch::kFloat64));
    const double loss = torch::nn::functional::cross_entropy(logits, data.train.labels).item<double>();
    EXPECT_NEAR(step.loss[i], loss, 1e-5 * loss) << "model " << i;
    EXPECT_EQ(step.correct[i], logits.argmax(1).eq(data.train.labels).sum().item<int64_t>());
    // The pack's parameters are in the lone module's order: weight, bias per layer, cells in order.
    auto reference = exact[i]->parameters();
    size_t next = 0;
    for (const auto& cell : models[i]->cells())
      for (const torch::nn::Linear& linear : cell->layers) {
        for (const torch::Tensor& lone : {linear->weight.grad(), linear->bias.grad()}) {
          const torch::Tensor mine = params[next].grad()[i].narrow(-1, 0, lone.size(-1));
          const torch::Tensor ref = reference[next++].grad().to(torch::kFloat32);
          const double tolerance = std::max(1e-5, 4 * relative(lone, ref));
          EXPECT_LT(relative(mine, lone), tolerance) << "model " << i << " parameter " << next;
          EXPECT_LT(relative(mine, ref), tolerance) << "model " << i << " parameter " << next;
        }
      }
    // Padded fan-in columns get no gradient.
    const torch::Tensor last = params[params.size() - 2].grad()[i];
    const int64_t used = models[i]->cells().back()->layers.back()->weight.size(1);
    if (used < last.size(1)) {
      EXPECT_EQ(last.narrow(1, used, last.size(1) - used).abs().max().item<float>(), 0.0f);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Forms, PackGradient,
                         ::testing::Values(Case{Activation::kElu, {{6, 4, 0}}}, Case{Activation::kRelu, {{6, 4, 0}}},
                                           Case{Activation::kElu, {{4, 5, 0}, {5, 3, 0}}},
                                           Case{Activation::kElu, {{9, 6, 0}}, 0.1}));

TrainOptions few_steps(const std::string& optimizer) {
  TrainOptions o;
  o.optimizer = optimizer;
  o.lr = optimizer == "adam" ? 1e-2 : 5e-2;
  o.weight_decay = 1e-4;
  o.epochs = 2;
  o.batch_size = 40;  // 160 samples: 4 steps an epoch, 8 in all
  return o;
}

class PackTraining : public ::testing::TestWithParam<std::string> {};

// Packs with mixed t_c and mixed seeds train as the same runs alone: every weight, loss, accuracy.
TEST_P(PackTraining, EqualsLoneRuns) {
  const TrainOptions options = few_steps(GetParam());
  const DataSplit data = make_data(160, 50);
  const std::vector<std::pair<int, uint64_t>> runs = {{0, 0}, {3, 0}, {9, 0}, {3, 1}, {6, 1}};  // (t_c, seed)
  std::vector<Spec> specs;
  std::vector<DenseMlp> packed, lone;
  std::vector<uint64_t> seeds;
  for (const auto& [tc, seed] : runs) {
    specs.push_back(mlp_spec({12}, {{7, 5, tc}}));
    packed.push_back(build(specs.back(), seed));
    lone.push_back(build(specs.back(), seed));
    seeds.push_back(seed);
  }
  PackedMlp pack(pointers(packed));
  const PackTrainResult result = train_pack(pack, seeds, data, options);
  for (size_t i = 0; i < runs.size(); ++i) {
    test::expect_like_lone_run(result.runs[i], *lone[i], data, options, seeds[i], "run " + std::to_string(i));
    EXPECT_LT(worst_weight_difference(pack, i, lone[i], specs[i]), 1e-5) << "run " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Optimizers, PackTraining, ::testing::Values("adam", "sgd"));

// A model poisoned with a NaN weight diverges at its first step: it is stopped with the lone
// run's message, and its pack-mates end exactly as the pack without it.
TEST(PackTraining, DivergedModelIsStoppedAndIsolated) {
  const TrainOptions options = few_steps("adam");
  const DataSplit data = make_data(160, 50);
  std::vector<Spec> specs;
  std::vector<DenseMlp> with, without;
  for (int tc : {1, 4, 8}) {
    specs.push_back(mlp_spec({12}, {{6, 4, tc}}));
    with.push_back(build(specs.back(), 3));
    if (tc != 4) without.push_back(build(specs.back(), 3));
  }
  {
    torch::NoGradGuard no_grad;
    with[1]->cells()[0]->layers[3]->weight[0][0] = std::numeric_limits<float>::quiet_NaN();
  }
  PackedMlp pack(pointers(with)), reference(pointers(without));
  const PackTrainResult a = train_pack(pack, {3, 3, 3}, data, options);
  const PackTrainResult b = train_pack(reference, {3, 3}, data, options);
  EXPECT_NE(a.runs[1].error.find("training diverged: the loss is nan at epoch 1, batch 1"), std::string::npos)
      << a.runs[1].error;
  EXPECT_FALSE(pack.alive(1));
  for (int j : {0, 1}) {
    const int i = j == 0 ? 0 : 2;
    EXPECT_EQ(a.runs[i].error, "");
    EXPECT_EQ(a.runs[i].test.loss, b.runs[j].test.loss);
    EXPECT_EQ(a.runs[i].test.accuracy, b.runs[j].test.accuracy);
    EXPECT_EQ(worst_weight_difference(pack, i, [&] {
                DenseMlp m = build(specs[i], 3);
                reference.copy_to(j, *m);
                return m;
              }(), specs[i]),
              0.0);
  }
}

TEST(PackedMlp, RefusesModelsOfAnotherStructure) {
  DenseMlp a = build(mlp_spec({12}, {{6, 4, 1}}), 0), b = build(mlp_spec({12}, {{7, 4, 1}}), 0);
  EXPECT_THROW(PackedMlp({a.get(), b.get()}), SpecError);
  EXPECT_EQ(pack_key(mlp_spec({12}, {{6, 4, 1}})), pack_key(mlp_spec({12}, {{6, 4, 9}})));
}

}  // namespace
}  // namespace nnmass
