// TorchScript export (torchscript_export.h) and model files: for every family, the exported module
// computes what the C++ module computes, in eval mode (running statistics) and in training mode
// (batch statistics, the same running-statistics update, the same gradients); model files run
// under torch::jit::load and load back into nnmass; files of the weights-only format 1 still load.
#include <gtest/gtest.h>

#include <torch/script.h>

#include "nn_test_support.h"
#include "scratch_dir.h"
#include "nnmass/error.h"
#include "nnmass/nb201.h"
#include "nnmass/spec_json.h"
#include "nnmass/nn/torchscript_export.h"

namespace nnmass {
namespace {

using test::batch_shape;
using test::buffers_of;
using test::cnn_spec;
using test::mlp_spec;
using test::mobilenet_spec;
using test::resnet_spec;

struct ExportCase {
  std::string name;
  Spec spec;
};

void PrintTo(const ExportCase& c, std::ostream* os) { *os << c.name; }

Spec nb201_spec(const Nb201Cell& cell, int cells_per_stage) {
  Spec s;
  s.family = Family::kNb201;
  s.input = {3, 8, 8};
  s.classes = 5;
  s.nb201.cell = cell;
  s.nb201.channels = 4;
  s.nb201.cells_per_stage = cells_per_stage;
  return s;
}

std::vector<ExportCase> export_cases() {
  const auto elu = Activation::kElu, relu = Activation::kRelu;
  const auto basic = Block::kBasic, bottleneck = Block::kBottleneck;
  const auto cifar = Stem::kCifar, imagenet = Stem::kImageNet;
  return {
      {"mlp_elu_two_cells", mlp_spec({1, 6, 6}, {Cell{4, 5, 2}, Cell{5, 3, 7}}, elu)},
      {"mlp_relu_refpool", mlp_spec({20}, {Cell{6, 3, 100}}, relu, LinkPool::kReference)},
      {"mlp_no_links", mlp_spec({7}, {Cell{3, 2, 0}}, relu)},
      {"cnn_gap_two_cells", cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{4, 4, 3}, Cell{3, 5, 4}})},
      {"cnn_refhead_refpool",
       cnn_spec(Family::kCnn, {2, 9, 9}, {Cell{3, 3, 5}, Cell{4, 4, 6}}, Head::kReference, LinkPool::kReference)},
      {"cnn_no_links", cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{3, 4, 0}})},
      {"dwcnn_two_cells", cnn_spec(Family::kDepthwiseCnn, {3, 8, 8}, {Cell{4, 4, 3}, Cell{3, 5, 4}})},
      {"resnet_basic_cifar", resnet_spec(basic, cifar, {1, 2}, {8, 16})},
      {"resnet_basic_imagenet", resnet_spec(basic, imagenet, {1, 2}, {8, 16})},
      {"resnet_bottleneck_imagenet", resnet_spec(bottleneck, imagenet, {2, 1}, {8, 16}, 16)},
      {"resnext_groups2", resnet_spec(bottleneck, cifar, {1, 2}, {8, 16}, 8, 2, 32)},
      {"mobilenet_v2", mobilenet_spec(0.25, {1, 2, 1, 1, 1, 1, 1}, {3, 16, 16})},
      {"nb201_best", nb201_spec(nb201_best_cifar10_cell(), 1)},
      {"nb201_zero_nodes", nb201_spec(parse_nb201_cell("|none~0|+|none~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|"), 2)},
      {"nb201_cut_off", nb201_spec(nb201_cell_at(0), 1)},
  };
}

// BatchNorm running statistics and affine parameters away from their initial values, so that eval
// mode tests them (a fresh BN in eval mode is nearly the identity).
void perturb_batch_norms(torch::nn::Module& net, uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (const auto& m : net.modules()) {
    auto* bn = m->as<torch::nn::BatchNorm2d>();
    if (!bn) continue;
    bn->running_mean.normal_(0.0, 0.3);
    bn->running_var.uniform_(0.5, 2.0);
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.normal_(0.0, 0.2);
  }
}

Network build(const Spec& spec) {
  Network net = build_network(spec, nullptr, test::init_of(InitKind::kDefault, 1.0, 11));
  perturb_batch_norms(*net, 12);
  return net;
}

torch::Tensor sample(const Spec& spec) {
  torch::manual_seed(13);
  return torch::randn(batch_shape(spec, 3));
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

class Export : public ::testing::TestWithParam<ExportCase> {};

TEST_P(Export, EvalForwardEqualsTheModule) {
  const Spec& spec = GetParam().spec;
  Network net = build(spec);
  net->eval();
  torch::jit::Module script = to_torchscript(*net);
  const torch::Tensor x = sample(spec);
  const torch::Tensor expected = net->forward(x);
  const torch::Tensor got = script.forward({x}).toTensor();
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LE(max_diff(got, expected), 1e-6);
}

// Two identical networks, one run natively and one through its export, in training mode: the same
// outputs, the same running statistics and batch counts afterwards, the same gradients.
TEST_P(Export, TrainingForwardUpdatesTheSameStatisticsAndGradients) {
  const Spec& spec = GetParam().spec;
  Network native = build(spec), exported = build(spec);
  native->train();
  exported->train();
  torch::jit::Module script = to_torchscript(*exported);
  const torch::Tensor x = sample(spec);
  const torch::Tensor y_native = native->forward(x);
  const torch::Tensor y_script = script.forward({x}).toTensor();
  EXPECT_LE(max_diff(y_script, y_native), 1e-6);
  const auto a = buffers_of(*native), b = buffers_of(*exported);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_LE(max_diff(t.to(torch::kDouble), b.at(name).to(torch::kDouble)), 1e-6) << name;
  y_native.pow(2).sum().backward();
  y_script.pow(2).sum().backward();
  const auto pa = native->named_parameters(), pb = exported->named_parameters();
  for (const auto& p : pa) {
    const torch::Tensor& g = pb[p.key()].grad();
    ASSERT_EQ(g.defined(), p.value().grad().defined()) << p.key();  // a cut-off cell leaves the stem without
    if (!g.defined()) continue;
    EXPECT_LE(max_diff(g, p.value().grad()), 1e-5 * (1 + p.value().grad().abs().max().item<double>())) << p.key();
  }
}

TEST_P(Export, ModelFileRunsUnderJitLoadAndLoadsBack) {
  const Spec& spec = GetParam().spec;
  test::ScratchDir dir;
  Network net = build(spec);
  net->eval();
  const std::string path = (dir.path() / "model.pt").string();
  const InitOptions init = test::init_of(InitKind::kDefault, 1.0, 11);
  save_model(path, spec, nullptr, init, *net);
  const torch::Tensor x = sample(spec);
  const torch::Tensor expected = net->forward(x);

  torch::jit::Module loaded = torch::jit::load(path);
  EXPECT_FALSE(loaded.is_training());  // saved in the network's mode
  EXPECT_LE(max_diff(loaded.forward({x}).toTensor(), expected), 1e-6);
  EXPECT_EQ(loaded.attr("nnmass_format").toStringRef(), "nnmass-model");
  EXPECT_EQ(loaded.attr("nnmass_format_version").toInt(), 2);

  LoadedModel back = load_model(path);
  back.network->eval();
  EXPECT_LE(max_diff(back.network->forward(x), expected), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(EveryFamily, Export, ::testing::ValuesIn(export_cases()),
                         [](const auto& info) { return info.param.name; });

// Model files of format 1 (a plain archive of the weights, before the export existed) still load.
TEST(ModelFile, FormatOneStillLoads) {
  test::ScratchDir dir;
  const Spec spec = cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{4, 4, 3}});
  Network net = build(spec);
  torch::serialize::OutputArchive archive;
  archive.write("nnmass_format", c10::IValue(std::string("nnmass-model")));
  archive.write("nnmass_format_version", c10::IValue(int64_t{1}));
  archive.write("nnmass_tool_version", c10::IValue(std::string("0.1.0")));
  archive.write("nnmass_spec", c10::IValue(spec_to_json(spec).dump()));
  archive.write("nnmass_links", c10::IValue(std::string()));
  archive.write("nnmass_init", c10::IValue(std::string(R"({"kind":"default","sigma":1.0,"seed":11})")));
  net->save(archive);
  const std::string path = (dir.path() / "v1.pt").string();
  archive.save_to(path);
  LoadedModel back = load_model(path);
  net->eval();
  back.network->eval();
  const torch::Tensor x = sample(spec);
  EXPECT_LE(max_diff(back.network->forward(x), net->forward(x)), 1e-6);
}

TEST(ModelFile, AnotherFormatVersionIsRefusedWithTheRangeRead) {
  test::ScratchDir dir;
  torch::serialize::OutputArchive archive;
  archive.write("nnmass_format", c10::IValue(std::string("nnmass-model")));
  archive.write("nnmass_format_version", c10::IValue(int64_t{3}));
  const std::string path = (dir.path() / "v3.pt").string();
  archive.save_to(path);
  try {
    load_model(path);
    FAIL() << "loaded a format 3 file";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("model format version 3, this nnmass reads versions 1 to 2"),
              std::string::npos) << e.what();
  }
}

TEST(Export, AModuleWithoutATorchScriptFormIsASpecError) {
  torch::nn::Sequential seq(torch::nn::Linear(3, 2), torch::nn::Dropout(0.5));
  EXPECT_THROW(to_torchscript(*seq), SpecError);
}

}  // namespace
}  // namespace nnmass
