// Tests of the training layer (train/): learning on real Fashion-MNIST, resume = uninterrupted
// run (bit for bit), checkpoint refusal and corruption, divergence detection, learning-rate
// schedules, option validation, FlatOptimizer against torch::optim, the metrics log, evaluate()
// against a hand computation, and the progress printer.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "data_test_support.h"
#include "nn_test_support.h"
#include "nnmass/data/dataset.h"
#include "nnmass/error.h"
#include "nnmass/nn/network.h"
#include "nnmass/train/flat_optimizer.h"
#include "nnmass/train/progress.h"
#include "nnmass/train/trainer.h"

namespace nnmass {
namespace {

using test::build_seeded;
using test::max_abs_diff;
using test::mlp;
using test::ScratchDir;
using test::snapshot;
using test::throws_with;

// One intra-op thread: bit-identical results between runs need the same reduction order, and the
// machine has two cores shared with other tests.
class TrainTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};
using ResumeTest = TrainTest;
using CheckpointTest = TrainTest;
using FlatOptimizerTest = TrainTest;
using EvaluateTest = TrainTest;

// A learnable random problem: x ~ N(0, 1)^features, label = argmax of a fixed random projection
// (a linear rule, so a small MLP fits it well above chance). `shape` is the per-sample shape.
DataSplit random_split(int64_t n_train, int64_t n_test, std::vector<int64_t> shape, int64_t classes, uint64_t seed) {
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
  int64_t features = 1;
  for (int64_t d : shape) features *= d;
  const torch::Tensor w = torch::randn({features, classes}, g);
  const auto make = [&](int64_t n) {
    std::vector<int64_t> full = {n};
    full.insert(full.end(), shape.begin(), shape.end());
    const torch::Tensor x = torch::randn(full, g);
    return Dataset{x, x.view({n, features}).matmul(w).argmax(1), {}, {}};
  };
  DataSplit d;
  d.name = "random";
  d.train = make(n_train);
  d.test = make(n_test);
  d.classes = classes;
  d.shape = shape;
  return d;
}

// Parameters of two modules are bit-identical (names, shapes, values).
::testing::AssertionResult same_parameters(const torch::nn::Module& a, const torch::nn::Module& b) {
  const auto pa = snapshot(a), pb = snapshot(b);
  if (pa.size() != pb.size()) return ::testing::AssertionFailure() << pa.size() << " vs " << pb.size() << " tensors";
  for (const auto& [name, t] : pa) {
    const auto it = pb.find(name);
    if (it == pb.end()) return ::testing::AssertionFailure() << name << " missing";
    if (!t.sizes().equals(it->second.sizes()) || !torch::equal(t, it->second))
      return ::testing::AssertionFailure() << name << " differs (max |diff| "
                                           << (t - it->second).abs().max().item<double>() << ")";
  }
  return ::testing::AssertionSuccess();
}

// Records the epochs it is told about; throws Interrupt after epoch `stop` (0: never).
struct Interrupt : std::runtime_error {
  Interrupt() : std::runtime_error("interrupted by the test") {}
};
class RecordingSink : public ProgressSink {
 public:
  explicit RecordingSink(int stop = 0) : stop_(stop) {}
  void on_batch(int, int, int64_t, int64_t, double, double, double, double) override { ++batches; }
  void on_epoch(const EpochMetrics& m, int) override {
    epochs.push_back(m.epoch);
    if (m.epoch == stop_) throw Interrupt();
  }
  std::vector<int> epochs;
  int64_t batches = 0;

 private:
  int stop_;
};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Learning

TEST_F(TrainTest, LearnsFashionMnistWellAboveChance) {
  if (!test::fashion_mnist()) GTEST_SKIP() << kFashionMnistDir << " is not installed";
  const DataSplit data = test::fashion_slice(3000, 1000);
  const Spec spec = mlp({784}, 10, 6, 16, 8);
  Network net = build_seeded(spec, 1);
  TrainOptions opt;
  opt.optimizer = "adam";
  opt.lr = 1e-3;
  opt.batch_size = 100;
  opt.epochs = 3;
  const TrainResult r = train(*net, data, opt, nlohmann::json::object(), nullptr);
  ASSERT_EQ(r.history.size(), 3u);
  // Chance is 0.1 (ten balanced classes). 90 Adam steps of this w16 d6 MLP reach ~0.7 on the
  // 1000 test images (measured: init seeds 0-7 give 0.66-0.72); a broken loop (no step, wrong labels, shuffled
  // labels vs inputs, gradients not reaching the flat buffer) stays near 0.1. 0.6 leaves room
  // for seed and platform differences while failing any of those.
  EXPECT_GT(r.test.accuracy, 0.6);
  EXPECT_EQ(r.history.back().test_acc, r.test.accuracy);
  EXPECT_EQ(r.history.back().test_loss, r.test.loss);
  // The training loss goes down epoch after epoch (from ~2.3 = ln 10 at the start).
  EXPECT_LT(r.history[1].train_loss, r.history[0].train_loss);
  EXPECT_LT(r.history[2].train_loss, r.history[1].train_loss);
  EXPECT_LT(r.test.loss, 1.2);
  EXPECT_EQ(r.resumed_epochs, 0);
  for (size_t e = 0; e < r.history.size(); ++e) {
    EXPECT_EQ(r.history[e].epoch, static_cast<int>(e + 1));
    EXPECT_EQ(r.history[e].lr, 1e-3);
    EXPECT_GT(r.history[e].images_per_second, 0);
    EXPECT_GT(r.history[e].seconds, 0);
  }
}

// Every CNN family learns in one short epoch through train() (issue 12 item 5): 100 Adam steps on
// 3,000 Fashion-MNIST images. Chance is 0.1. Measured test accuracies (init seed 1): cnn 0.71,
// dwcnn 0.28, resnet 0.55, mobilenet_v2 0.68; the thresholds leave room for platform rounding
// while failing a broken loop, head or BatchNorm (~0.1). The same networks in Python PyTorch learn
// alike on the same recipe (bench/cnn_training_vs_pytorch.sh; the thin depth-wise CNN is as slow
// there: 0.18-0.28 train accuracy after these 100 steps).
TEST_F(TrainTest, EveryCnnFamilyLearnsFashionMnistInOneShortEpoch) {
  if (!test::fashion_mnist()) GTEST_SKIP() << kFashionMnistDir << " is not installed";
  const DataSplit data = test::fashion_slice(3000, 500);
  const std::vector<int64_t> image = {1, 28, 28};
  const std::vector<Cell> cells = {{4, 8, 4}, {4, 16, 8}, {4, 16, 8}};
  Spec mobilenet = test::mobilenet_spec(0.35, {1, 1, 1, 1, 1, 1, 1}, image, 10);
  mobilenet.mobilenet.stem = Stem::kCifar;
  const struct {
    const char* name;
    Spec spec;
    double min_accuracy;
  } cases[] = {
      {"cnn", test::cnn_spec(Family::kCnn, image, cells, Head::kReference, LinkPool::kPaper, 10), 0.5},
      {"dwcnn", test::cnn_spec(Family::kDepthwiseCnn, image, cells, Head::kReference, LinkPool::kPaper, 10), 0.2},
      {"resnet", test::resnet_spec(Block::kBasic, Stem::kCifar, {1, 1, 1}, {8, 16, 32}, 8, 1, 64, image, 10), 0.35},
      {"mobilenet_v2", mobilenet, 0.45},
  };
  TrainOptions opt;
  opt.optimizer = "adam";
  opt.lr = 1e-3;
  opt.batch_size = 30;
  opt.epochs = 1;
  for (const auto& c : cases) {
    Network net = build_seeded(c.spec, 1);
    const TrainResult r = train(*net, data, opt, nlohmann::json::object(), nullptr);
    std::printf("%s: train acc %.3f, test acc %.3f\n", c.name, r.history.back().train_acc, r.test.accuracy);
    EXPECT_GT(r.test.accuracy, c.min_accuracy) << c.name;
    EXPECT_LT(r.history.back().train_loss, std::log(10.0)) << c.name;  // below chance's cross-entropy
  }
}

TEST_F(TrainTest, ReportsBatchesAndEpochsToTheProgressSink) {
  const DataSplit data = random_split(250, 50, {6}, 3, 4);
  Network net = build_seeded(mlp({6}, 3, 3, 4, 2), 2);
  TrainOptions opt;
  opt.epochs = 2;
  opt.batch_size = 100;  // 250 samples: batches of 100, 100, 50
  RecordingSink sink;
  train(*net, data, opt, nlohmann::json::object(), &sink);
  EXPECT_EQ(sink.epochs, (std::vector<int>{1, 2}));
  EXPECT_EQ(sink.batches, 6);
}

// ---------------------------------------------------------------------------------------------
// Resume

// Run A: `opt.epochs` = 3 uninterrupted. Run B: same, interrupted after epoch 1 (on_epoch throws;
// the checkpoint is already written), then resumed on a freshly built network. Everything that
// does not measure time must be identical, bit for bit: same batches (per-epoch generators),
// same weights and optimizer state (checkpoint), same arithmetic (one thread).
void expect_resume_matches_uninterrupted(TrainOptions opt, const DataSplit& data, const Spec& spec) {
  ScratchDir dir;
  const nlohmann::json identity = {{"test", "resume"}, {"seed", 21}};
  opt.epochs = 3;

  opt.checkpoint = dir.file("a.ckpt");
  Network a = build_seeded(spec, 21);
  const auto initial = snapshot(*a);
  const TrainResult ra = train(*a, data, opt, identity, nullptr);
  // Training did something: otherwise "identical" would prove nothing.
  ASSERT_GT(max_abs_diff(initial, snapshot(*a)), 1e-3);

  opt.checkpoint = dir.file("b.ckpt");
  opt.metrics_log = dir.file("b.jsonl");
  {
    Network b = build_seeded(spec, 21);
    RecordingSink stop(1);
    EXPECT_THROW(train(*b, data, opt, identity, &stop), Interrupt);
    EXPECT_EQ(stop.epochs, (std::vector<int>{1}));
  }
  ASSERT_TRUE(test::fs::exists(opt.checkpoint));
  EXPECT_EQ(read_lines(opt.metrics_log).size(), 1u);

  opt.resume = true;
  Network b = build_seeded(spec, 21);
  RecordingSink sink;
  const TrainResult rb = train(*b, data, opt, identity, &sink);
  EXPECT_EQ(rb.resumed_epochs, 1);
  EXPECT_EQ(sink.epochs, (std::vector<int>{2, 3}));  // epoch 1 is not trained again
  ASSERT_EQ(rb.history.size(), 3u);
  ASSERT_EQ(ra.history.size(), 3u);
  for (size_t e = 0; e < 3; ++e) {
    SCOPED_TRACE("epoch " + std::to_string(e + 1));
    EXPECT_EQ(rb.history[e].epoch, ra.history[e].epoch);
    EXPECT_EQ(rb.history[e].lr, ra.history[e].lr);
    EXPECT_EQ(rb.history[e].lr, scheduled_lr(opt, static_cast<int>(e)));
    EXPECT_EQ(rb.history[e].train_loss, ra.history[e].train_loss);
    EXPECT_EQ(rb.history[e].train_acc, ra.history[e].train_acc);
    EXPECT_EQ(rb.history[e].test_loss, ra.history[e].test_loss);
    EXPECT_EQ(rb.history[e].test_acc, ra.history[e].test_acc);
  }
  EXPECT_EQ(rb.test.loss, ra.test.loss);
  EXPECT_EQ(rb.test.accuracy, ra.test.accuracy);
  EXPECT_TRUE(same_parameters(*a, *b));
  // The metrics log holds each epoch once, the resumed one included.
  const auto lines = read_lines(opt.metrics_log);
  ASSERT_EQ(lines.size(), 3u);
  for (int e = 0; e < 3; ++e) EXPECT_EQ(nlohmann::json::parse(lines[e]).at("epoch").get<int>(), e + 1);

  // Resuming a finished run trains nothing and reports the saved state.
  Network c = build_seeded(spec, 21);
  RecordingSink idle;
  const TrainResult rc = train(*c, data, opt, identity, &idle);
  EXPECT_EQ(rc.resumed_epochs, 3);
  EXPECT_TRUE(idle.epochs.empty());
  EXPECT_EQ(idle.batches, 0);
  ASSERT_EQ(rc.history.size(), 3u);
  EXPECT_EQ(rc.history[2].test_acc, ra.history[2].test_acc);
  EXPECT_EQ(rc.test.loss, ra.test.loss);
  EXPECT_EQ(rc.test.accuracy, ra.test.accuracy);
  EXPECT_TRUE(same_parameters(*a, *c));
}

TEST_F(ResumeTest, AdamResumeEqualsUninterruptedRun) {
  TrainOptions opt;
  opt.optimizer = "adam";
  opt.lr = 3e-3;
  opt.weight_decay = 1e-4;
  opt.batch_size = 32;
  opt.seed = 5;
  expect_resume_matches_uninterrupted(opt, random_split(400, 100, {12}, 4, 7), mlp({12}, 4, 5, 8, 6));
}

TEST_F(ResumeTest, NesterovSgdWithCosineScheduleResumeEqualsUninterruptedRun) {
  TrainOptions opt;
  opt.optimizer = "sgd";
  opt.lr = 0.05;
  opt.momentum = 0.9;
  opt.nesterov = true;
  opt.weight_decay = 5e-4;
  opt.schedule = "cosine";
  opt.batch_size = 32;
  opt.seed = 6;
  expect_resume_matches_uninterrupted(opt, random_split(400, 100, {12}, 4, 8), mlp({12}, 4, 5, 8, 6));
}

TEST_F(ResumeTest, AugmentedStepScheduleResumeEqualsUninterruptedRun) {
  // Images with crop/flip augmentation: the augmentation draws from the per-epoch generator too.
  TrainOptions opt;
  opt.optimizer = "sgd";
  opt.lr = 0.02;
  opt.momentum = 0.9;
  opt.schedule = "step";
  opt.step_size = 1;
  opt.gamma = 0.5;
  opt.batch_size = 25;
  opt.augment = true;
  opt.seed = 7;
  expect_resume_matches_uninterrupted(opt, random_split(200, 50, {1, 6, 6}, 3, 9), mlp({36}, 3, 4, 8, 4));
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

// A one-epoch run that leaves a checkpoint at `path`.
struct CheckpointFixture {
  DataSplit data = random_split(100, 40, {6}, 3, 10);
  Spec spec = mlp({6}, 3, 3, 4, 2);
  nlohmann::json identity = {{"model", "a"}};
  TrainOptions opt;
  explicit CheckpointFixture(const std::string& path) {
    opt.epochs = 1;
    opt.batch_size = 20;
    opt.checkpoint = path;
  }
  TrainResult run(const nlohmann::json& id, const TrainOptions& o) {
    Network net = build_seeded(spec, 3);
    return train(*net, data, o, id, nullptr);
  }
};

TEST_F(CheckpointTest, CheckpointOfAnotherModelOrRecipeIsRefused) {
  ScratchDir dir;
  const std::string path = dir.file("run.ckpt");
  CheckpointFixture f(path);
  f.run(f.identity, f.opt);
  ASSERT_TRUE(test::fs::exists(path));
  TrainOptions resume = f.opt;
  resume.resume = true;
  // Control: the same model and recipe resume (nothing left to train).
  EXPECT_EQ(f.run(f.identity, resume).resumed_epochs, 1);
  // Another identity (architecture or topology).
  EXPECT_TRUE(throws_with<IoError>([&] { f.run({{"model", "b"}}, resume); }, {path}));
  // Another recipe: the learning rate or the seed changes what training would produce.
  TrainOptions other_lr = resume;
  other_lr.lr = 2e-3;
  EXPECT_TRUE(throws_with<IoError>([&] { f.run(f.identity, other_lr); }, {path}));
  TrainOptions other_seed = resume;
  other_seed.seed = 99;
  EXPECT_TRUE(throws_with<IoError>([&] { f.run(f.identity, other_seed); }, {path}));
}

TEST_F(CheckpointTest, CorruptCheckpointIsAnIoError) {
  ScratchDir dir;
  const std::string path = dir.file("run.ckpt");
  CheckpointFixture f(path);
  f.run(f.identity, f.opt);
  const std::string good = test::read_bytes(path);
  ASSERT_GT(good.size(), 100u);
  TrainOptions resume = f.opt;
  resume.resume = true;

  // Garbage bytes.
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(1);
  test::write_bytes(path, test::tensor_bytes(torch::randint(0, 256, {4096}, g, torch::kUInt8)));
  EXPECT_TRUE(throws_with<IoError>([&] { f.run(f.identity, resume); }, {path}));
  // An empty file.
  test::write_bytes(path, "");
  EXPECT_TRUE(throws_with<IoError>([&] { f.run(f.identity, resume); }, {path}));
  // The first half of a real checkpoint (an interrupted copy).
  test::write_bytes(path, good.substr(0, good.size() / 2));
  EXPECT_TRUE(throws_with<IoError>([&] { f.run(f.identity, resume); }, {path}));
  // A valid torch archive that is not an nnmass checkpoint.
  {
    torch::serialize::OutputArchive other;
    other.write("weights", torch::ones({3}));
    other.save_to(path);
  }
  EXPECT_TRUE(throws_with<IoError>([&] { f.run(f.identity, resume); }, {path}));
  // Control: the intact checkpoint still loads.
  test::write_bytes(path, good);
  EXPECT_EQ(f.run(f.identity, resume).resumed_epochs, 1);
}

TEST_F(CheckpointTest, WithoutResumeAnExistingCheckpointIsReplaced) {
  ScratchDir dir;
  const std::string path = dir.file("run.ckpt");
  test::write_bytes(path, "not a checkpoint");
  CheckpointFixture f(path);
  EXPECT_NO_THROW(f.run(f.identity, f.opt));  // resume is off: the old file is not read
  TrainOptions resume = f.opt;
  resume.resume = true;
  EXPECT_EQ(f.run(f.identity, resume).resumed_epochs, 1);
}

// ---------------------------------------------------------------------------------------------
// Divergence

TEST_F(TrainTest, HugeLearningRateIsDetectedAsDivergence) {
  // Plain SGD at lr 1e6 on inputs of unit scale: the first step moves weights by ~1e6 x gradient
  // (gradients are O(0.1-1)), so the next logits are ~1e5-1e6 and the following steps multiply
  // through the layers to overflow float32 (3.4e38): an infinite or NaN loss. Measured: the loss
  // is NaN at batch 3 of epoch 1 for five data/init seeds, and even lr 100 diverges by batch 4,
  // so 1e6 over 5 epochs (50 steps) diverges with a wide margin.
  const DataSplit data = random_split(500, 100, {20}, 4, 11);
  Network net = build_seeded(mlp({20}, 4, 6, 16, 8), 4);
  TrainOptions opt;
  opt.optimizer = "sgd";
  opt.momentum = 0;
  opt.lr = 1e6;
  opt.epochs = 5;
  opt.batch_size = 50;
  try {
    train(*net, data, opt, nlohmann::json::object(), nullptr);
    FAIL() << "training at lr 1e6 did not report divergence";
  } catch (const DivergedError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    // The message points at the learning rate and shows its value (in whatever notation).
    EXPECT_NE(what.find("learning rate"), std::string::npos) << what;
    EXPECT_TRUE(what.find("1000000") != std::string::npos || what.find("1e+06") != std::string::npos ||
                what.find("1e6") != std::string::npos)
        << what;
  }
}

// ---------------------------------------------------------------------------------------------
// Schedules and validation

TEST(ScheduleTest, ConstantStepAndCosine) {
  TrainOptions o;
  o.lr = 0.4;
  o.epochs = 10;
  o.schedule = "constant";
  for (int e = 0; e < 10; ++e) EXPECT_EQ(scheduled_lr(o, e), 0.4);

  o.schedule = "step";
  o.step_size = 2;
  o.gamma = 0.1;
  const double step[] = {0.4, 0.4, 0.04, 0.04, 0.004};
  for (int e = 0; e < 5; ++e) EXPECT_DOUBLE_EQ(scheduled_lr(o, e), step[e]) << "epoch " << e;

  o.schedule = "cosine";  // CosineAnnealingLR over the run, eta_min 0
  EXPECT_EQ(scheduled_lr(o, 0), 0.4);
  EXPECT_DOUBLE_EQ(scheduled_lr(o, 5), 0.2);
  for (int e = 0; e <= 10; ++e)
    EXPECT_NEAR(scheduled_lr(o, e), 0.5 * 0.4 * (1 + std::cos(M_PI * e / 10)), 1e-15) << "epoch " << e;
  for (int e = 1; e < 10; ++e) EXPECT_LT(scheduled_lr(o, e), scheduled_lr(o, e - 1));
}

TEST(ValidateTest, DefaultsAreValid) { EXPECT_NO_THROW(validate(TrainOptions{})); }

TEST(ValidateTest, BadOptionsAreSpecErrors) {
  const auto bad = [](auto change, const std::string& why) {
    TrainOptions o;
    change(o);
    EXPECT_THROW(validate(o), SpecError) << why;
  };
  bad([](TrainOptions& o) { o.optimizer = "rmsprop"; }, "optimizer rmsprop");
  bad([](TrainOptions& o) { o.lr = 0; }, "lr 0");
  bad([](TrainOptions& o) { o.lr = -1e-3; }, "negative lr");
  bad([](TrainOptions& o) { o.lr = std::numeric_limits<double>::quiet_NaN(); }, "lr NaN");
  bad([](TrainOptions& o) { o.epochs = 0; }, "epochs 0");
  bad([](TrainOptions& o) { o.batch_size = 0; }, "batch 0");
  bad([](TrainOptions& o) { o.eval_batch_size = 0; }, "eval batch 0");
  bad([](TrainOptions& o) { o.nesterov = true; }, "nesterov with adam");
  bad([](TrainOptions& o) { o.optimizer = "sgd"; o.momentum = 0; o.nesterov = true; }, "nesterov without momentum");
  bad([](TrainOptions& o) { o.schedule = "linear"; }, "schedule linear");
  bad([](TrainOptions& o) { o.device = "tpu"; }, "device tpu");
  bad([](TrainOptions& o) { o.resume = true; }, "resume without checkpoint");
  bad([](TrainOptions& o) { o.weight_decay = -1; }, "negative weight decay");
  bad([](TrainOptions& o) { o.schedule = "step"; o.step_size = 0; }, "step size 0");
}

TEST(ValidateTest, CudaWithoutAGpuIsASpecErrorNamingCuda) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "CUDA is available here";
  TrainOptions o;
  o.device = "cuda";
  EXPECT_TRUE(throws_with<SpecError>([&] { validate(o); }, {"CUDA"}));
}

TEST(ValidateTest, TrainValidatesItsOptions) {
  const DataSplit data = random_split(10, 10, {4}, 2, 1);
  Network net = build_seeded(mlp({4}, 2, 3, 4, 2), 1);
  TrainOptions o;
  o.optimizer = "rmsprop";
  EXPECT_THROW(train(*net, data, o, nlohmann::json::object(), nullptr), SpecError);
}

// ---------------------------------------------------------------------------------------------
// FlatOptimizer against torch::optim

// Steps two copies of one network (same seed, so same links and weights) for 10 identical batches:
// copy A with FlatOptimizer, copy B with the torch::optim optimizer `make` returns.
template <typename MakeTorchOptimizer>
void compare_with_torch(const FlatOptimizerOptions& flat_options, double lr, MakeTorchOptimizer make) {
  const Spec spec = mlp({8}, 3, 4, 6, 4);
  Network a = build_seeded(spec, 17), b = build_seeded(spec, 17);
  ASSERT_TRUE(same_parameters(*a, *b));
  const auto initial = snapshot(*a);
  FlatOptimizer flat(a->parameters(), flat_options);
  EXPECT_EQ(flat.numel(), count_parameters(*a));
  auto reference = make(b->parameters());
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(3);
  for (int step = 0; step < 10; ++step) {
    const torch::Tensor x = torch::randn({16, 8}, g);
    const torch::Tensor y = torch::randint(0, 3, {16}, g, torch::kLong);
    flat.zero_grad();  // the module's zero_grad would unhook the flat gradient buffer
    torch::nn::functional::cross_entropy(a->forward(x), y).backward();
    flat.step(lr);
    reference.zero_grad();
    torch::nn::functional::cross_entropy(b->forward(x), y).backward();
    reference.step();
  }
  // The parameters moved (so agreement is not trivial)...
  EXPECT_GT(max_abs_diff(initial, snapshot(*a)), 1e-3);
  // ...and agree with PyTorch's. The arithmetic is the same sequence of float32 operations, so
  // only rounding can differ: parameters are O(1), float32's spacing there is ~1e-7, and 10 steps
  // accumulate at most a few ulps; 1e-6 is ~10 ulps and far below a real difference (a step
  // of lr = 1e-2 or a bias-correction slip changes weights by 1e-3 or more).
  EXPECT_LT(max_abs_diff(snapshot(*a), snapshot(*b)), 1e-6);
}

TEST_F(FlatOptimizerTest, AdamWithWeightDecayMatchesTorchAdam) {
  FlatOptimizerOptions o;
  o.kind = "adam";
  o.weight_decay = 1e-2;
  compare_with_torch(o, 1e-2, [](std::vector<torch::Tensor> params) {
    return torch::optim::Adam(params, torch::optim::AdamOptions(1e-2).weight_decay(1e-2));
  });
}

TEST_F(FlatOptimizerTest, NesterovSgdWithWeightDecayMatchesTorchSgd) {
  FlatOptimizerOptions o;
  o.kind = "sgd";
  o.momentum = 0.9;
  o.nesterov = true;
  o.weight_decay = 5e-4;
  compare_with_torch(o, 0.05, [](std::vector<torch::Tensor> params) {
    return torch::optim::SGD(params, torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true).weight_decay(5e-4));
  });
}

TEST_F(FlatOptimizerTest, MomentumSgdMatchesTorchSgd) {
  FlatOptimizerOptions o;
  o.kind = "sgd";
  o.momentum = 0.9;
  compare_with_torch(o, 0.05, [](std::vector<torch::Tensor> params) {
    return torch::optim::SGD(params, torch::optim::SGDOptions(0.05).momentum(0.9));
  });
}

TEST_F(FlatOptimizerTest, PlainSgdMatchesTorchSgd) {
  FlatOptimizerOptions o;
  o.kind = "sgd";
  o.momentum = 0;
  compare_with_torch(o, 0.1, [](std::vector<torch::Tensor> params) {
    return torch::optim::SGD(params, torch::optim::SGDOptions(0.1));
  });
}

// ---------------------------------------------------------------------------------------------
// Metrics log

TEST_F(TrainTest, MetricsLogHasOneJsonLinePerEpochEqualToTheHistory) {
  ScratchDir dir;
  const DataSplit data = random_split(200, 60, {6}, 3, 12);
  Network net = build_seeded(mlp({6}, 3, 3, 6, 4), 5);
  TrainOptions opt;
  opt.epochs = 3;
  opt.batch_size = 40;
  opt.schedule = "cosine";
  opt.lr = 1e-2;
  opt.metrics_log = dir.file("metrics.jsonl");
  const TrainResult r = train(*net, data, opt, nlohmann::json::object(), nullptr);
  const auto lines = read_lines(opt.metrics_log);
  ASSERT_EQ(lines.size(), 3u);
  ASSERT_EQ(r.history.size(), 3u);
  const std::vector<std::string> keys = {"epoch",    "lr",       "train_loss", "train_acc",
                                         "test_loss", "test_acc", "seconds",    "images_per_second"};
  for (size_t e = 0; e < 3; ++e) {
    SCOPED_TRACE("line " + std::to_string(e + 1));
    const nlohmann::json j = nlohmann::json::parse(lines[e]);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j.size(), keys.size());
    for (const auto& k : keys) ASSERT_TRUE(j.contains(k)) << k;
    const EpochMetrics& m = r.history[e];
    EXPECT_EQ(j["epoch"].get<int>(), m.epoch);
    EXPECT_EQ(j["epoch"].get<int>(), static_cast<int>(e + 1));
    // nlohmann::json prints doubles with 17 significant digits, which round-trip exactly; DOUBLE_EQ
    // (4 ulps) only allows for a printer that rounds the last digit.
    EXPECT_DOUBLE_EQ(j["lr"].get<double>(), m.lr);
    EXPECT_DOUBLE_EQ(j["lr"].get<double>(), scheduled_lr(opt, static_cast<int>(e)));
    EXPECT_DOUBLE_EQ(j["train_loss"].get<double>(), m.train_loss);
    EXPECT_DOUBLE_EQ(j["train_acc"].get<double>(), m.train_acc);
    EXPECT_DOUBLE_EQ(j["test_loss"].get<double>(), m.test_loss);
    EXPECT_DOUBLE_EQ(j["test_acc"].get<double>(), m.test_acc);
    EXPECT_DOUBLE_EQ(j["seconds"].get<double>(), m.seconds);
    EXPECT_DOUBLE_EQ(j["images_per_second"].get<double>(), m.images_per_second);
    EXPECT_GE(m.train_acc, 0.0);
    EXPECT_LE(m.train_acc, 1.0);
  }
}

// ---------------------------------------------------------------------------------------------
// evaluate()

// A one-Linear network whose weights the test sets: logits = W x + b.
class LinearNet : public NetworkImpl {
 public:
  LinearNet(int64_t in, int64_t out) : fc(register_module("fc", torch::nn::Linear(in, out))) {}
  torch::Tensor forward(torch::Tensor x) override { return fc->forward(x.flatten(1)); }
  std::vector<LayerInfo> layer_table() const override { return {}; }
  std::string script_source() const override {
    return script::forward({"return self.fc.forward(torch.flatten(x, 1))"});
  }
  torch::nn::Linear fc;
};

TEST_F(EvaluateTest, MatchesAHandComputation) {
  LinearNet net(2, 3);
  {
    torch::NoGradGuard no_grad;
    net.fc->weight.copy_(torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {-1.0f, -1.0f}}));
    net.fc->bias.copy_(torch::tensor({0.0f, 0.5f, 0.0f}));
  }
  // logits = (x0, x1 + 0.5, -x0 - x1). Five samples and batch size 2: the last batch is partial.
  const std::vector<std::vector<float>> xs = {{2, 0}, {0, 1}, {-1, -1}, {1, 1}, {0.5f, 3}};
  const std::vector<int64_t> ys = {0, 0, 2, 1, 1};
  Dataset d;
  d.inputs = torch::tensor({2.0f, 0.0f, 0.0f, 1.0f, -1.0f, -1.0f, 1.0f, 1.0f, 0.5f, 3.0f}).view({5, 2});
  d.labels = torch::tensor(ys, torch::kInt64);
  double loss = 0;
  int correct = 0;
  for (int i = 0; i < 5; ++i) {
    const double z[3] = {xs[i][0], xs[i][1] + 0.5, -xs[i][0] - xs[i][1]};
    const double lse = std::log(std::exp(z[0]) + std::exp(z[1]) + std::exp(z[2]));
    loss += lse - z[ys[i]];
    const int best = z[0] >= z[1] ? (z[0] >= z[2] ? 0 : 2) : (z[1] >= z[2] ? 1 : 2);
    correct += best == ys[i];
  }
  // By hand: predictions 0, 1, 2, 1, 1 -> samples 0, 2, 3, 4 right: 4 / 5.
  ASSERT_EQ(correct, 4);
  net.train();
  for (int batch : {1, 2, 5, 1000}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    const Evaluation e = evaluate(net, d, batch, torch::kCPU);
    EXPECT_DOUBLE_EQ(e.accuracy, 0.8);
    // float32 logits and log-softmax: relative error ~1e-7 on losses of O(1); 1e-6 absolute.
    EXPECT_NEAR(e.loss, loss / 5, 1e-6);
  }
  EXPECT_FALSE(net.is_training());  // evaluation runs in eval mode
}

TEST_F(EvaluateTest, MlpWithOnlyAFinalBiasPredictsThatBias) {
  // Every weight and bias zero except the classifier's bias: each hidden value is ELU(0) = 0, so
  // the logits are that bias for every input.
  const Spec spec = mlp({4}, 3, 4, 5, 3);
  Network net = build_seeded(spec, 8);
  const std::vector<double> bias = {0.3, -1.0, 1.2};
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net->named_parameters()) p.value().zero_();
    torch::Tensor b = net->named_parameters()["cell0.layer3.bias"];
    ASSERT_EQ(b.numel(), 3);
    b.copy_(torch::tensor({0.3f, -1.0f, 1.2f}));
  }
  Dataset d;
  torch::Generator g = at::make_generator<at::CPUGeneratorImpl>(2);
  d.inputs = torch::randn({7, 4}, g);
  d.labels = torch::tensor({2, 0, 1, 2, 2, 1, 0}, torch::kInt64);
  const double lse = std::log(std::exp(0.3) + std::exp(-1.0) + std::exp(1.2));
  double loss = 0;
  for (int64_t y : {2, 0, 1, 2, 2, 1, 0}) loss += lse - bias[y];
  const Evaluation e = evaluate(*net, d, 3, torch::kCPU);
  EXPECT_DOUBLE_EQ(e.accuracy, 3.0 / 7.0);  // class 2 has the largest bias; three labels are 2
  EXPECT_NEAR(e.loss, loss / 7, 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Progress printer

std::string file_text(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char buf[512];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  return text;
}

TEST(ProgressTest, PlainLinesWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  TerminalProgress p(f);
  p.on_batch(1, 3, 5, 10, 0.5, 0.8, 1000, 0.5);  // no bar in a file
  EpochMetrics m;
  m.epoch = 2;
  m.lr = 0.1;
  m.train_loss = 0.25;
  m.train_acc = 0.9;
  m.test_loss = 0.5;
  m.test_acc = 0.875;
  m.seconds = 1.5;
  m.images_per_second = 2000;
  p.on_epoch(m, 3);
  const std::string text = file_text(f);
  std::fclose(f);
  EXPECT_EQ(text,
            "epoch 2/3  train loss 0.2500 acc 90.00%  test loss 0.5000 acc 87.50%  lr 0.1  1.5 s  2000 img/s\n");
}

TEST(ProgressTest, BarIsRedrawnInPlaceWhenForced) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  TerminalProgress p(f, /*force_bar=*/true);
  p.on_batch(1, 2, 10, 10, 0.5, 0.25, 100, 2.0);  // the last batch is always drawn
  const std::string text = file_text(f);
  std::fclose(f);
  EXPECT_EQ(text.rfind("\r\033[K", 0), 0u) << text;  // starts by returning to the line start
  EXPECT_NE(text.find("epoch 1/2"), std::string::npos) << text;
  EXPECT_NE(text.find("10/10"), std::string::npos) << text;
  EXPECT_NE(text.find("acc 25.00%"), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), std::string::npos) << "a bar must not end the line";
}

}  // namespace
}  // namespace nnmass
