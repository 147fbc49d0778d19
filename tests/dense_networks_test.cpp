// DenseNet-type MLP and CNNs as libtorch modules (method.md §1.2, §2.1, §2.2; dense_mlp.h,
// dense_cnn.h).
//
// Golden values and where they come from:
//   * #params: core's closed form count_cost(spec).params (cost.h, itself pinned to the official
//     MNIST logs and the CIFAR CNN's committed 867,656 / 4,653,192 in cost_test.cpp). The module
//     must have exactly that many parameters.
//   * fan-in of layer k >= 1 of a cell: w + t_k with t_k = layer_link_count (§1.2); layer 0 takes
//     the network input (cell 0) or the previous cell's width (the transition layer).
//   * Which channels a layer concatenates: the Links passed to build_network, checked two ways:
//     (1) hand-set weights make every channel of every layer output a unique constant
//         code(j, c) = 100*(j+1) + c, and the layer under test copies one column of its input z_k
//         to the cell output, so z_k = [o_{k-1}, o_j[c] for each link (j, c)] is read column by
//         column (catches a wrong column, an off-by-one layer, the reference-pool shift);
//     (2) an independent re-implementation of the forward pass written from §2.1/§2.2 (gathering
//         by (layer, channel), not by flat index), compared with the module on random weights.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nn_test_support.h"
#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/links.h"
#include "nnmass/nn/dense_cnn.h"
#include "nnmass/nn/dense_mlp.h"
#include "nnmass/nn/network.h"
#include "nnmass/spec.h"

using namespace nnmass;
using namespace nnmass::test;

namespace {

namespace F = torch::nn::functional;

struct DenseCase {
  std::string name;
  Spec spec;
};

std::vector<DenseCase> dense_cases() {
  const auto elu = Activation::kElu, relu = Activation::kRelu;
  const auto paper = LinkPool::kPaper, ref = LinkPool::kReference;
  return {
      {"mlp_elu_d5w4t3", mlp_spec({20}, {Cell{5, 4, 3}}, elu, paper)},
      {"mlp_relu_saturated_refpool", mlp_spec({20}, {Cell{6, 3, 100}}, relu, ref)},
      {"mlp_elu_two_cells", mlp_spec({1, 6, 6}, {Cell{4, 5, 2}, Cell{5, 3, 7}}, elu, paper)},
      {"mlp_relu_two_cells_refpool", mlp_spec({1, 6, 6}, {Cell{4, 5, 2}, Cell{5, 3, 7}}, relu, ref)},
      {"mlp_three_cells", mlp_spec({5}, {Cell{3, 1, 1}, Cell{4, 2, 3}, Cell{3, 3, 9}}, relu, ref)},
      {"mlp_no_links", mlp_spec({7}, {Cell{3, 2, 0}}, relu, paper)},
      {"mlp_w8_d8_t10", mlp_spec({20}, {Cell{8, 8, 10}}, elu, paper)},
      {"cnn_gap_one_cell", cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{4, 4, 3}})},
      {"cnn_refhead_refpool_two_cells",
       cnn_spec(Family::kCnn, {2, 9, 9}, {Cell{3, 3, 5}, Cell{4, 4, 6}}, Head::kReference, ref)},
      {"cnn_gap_refpool_three_cells",
       cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{3, 2, 1}, Cell{3, 3, 2}, Cell{4, 4, 9}}, Head::kGap, ref)},
      {"cnn_refhead_three_cells",  // 8 -> 8 -> 4 -> 2: the smallest map the reference head takes
       cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{3, 2, 2}, Cell{4, 3, 3}, Cell{3, 4, 4}}, Head::kReference)},
      {"cnn_no_links", cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{3, 4, 0}})},
      {"dwcnn_gap_two_cells", cnn_spec(Family::kDepthwiseCnn, {3, 8, 8}, {Cell{4, 4, 3}, Cell{3, 5, 4}})},
      {"dwcnn_refhead_refpool",
       cnn_spec(Family::kDepthwiseCnn, {2, 9, 9}, {Cell{3, 3, 5}, Cell{5, 4, 6}}, Head::kReference, ref)},
      {"dwcnn_refhead_three_cells",
       cnn_spec(Family::kDepthwiseCnn, {3, 8, 8}, {Cell{3, 2, 2}, Cell{3, 3, 3}, Cell{4, 4, 5}},
                Head::kReference)},
  };
}

int64_t input_features(const Spec& spec) {
  int64_t n = 1;
  for (int64_t d : spec.input) n *= d;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Parameter count (exact, against core's closed form) and output shape.

void check_parameters_and_output_shape(const Spec& spec) {
  Network net = build_network(spec, nullptr, init_of(InitKind::kDefault, 1.0, 1));
  EXPECT_EQ(count_parameters(*net), count_cost(spec).params);

  int64_t table_params = 0;
  for (const LayerInfo& row : net->layer_table()) table_params += row.params;
  EXPECT_EQ(table_params, count_parameters(*net)) << "layer_table params must add up to the total";

  torch::manual_seed(2);
  const torch::Tensor y = net->forward(torch::randn(batch_shape(spec, 2)));
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, spec.classes}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
}

// ---------------------------------------------------------------------------------------------
// Layer table: fan-in w + t_k, outputs, strides, and the links exactly as passed in.

void check_layer_table(const Spec& spec) {
  const bool mlp = spec.family == Family::kMlp;
  // Links drawn from a seed other than the init seed: the table must show these, not a redraw.
  const Links links = draw_links(spec, 7);
  Network net = build_network(spec, &links, init_of(InitKind::kDefault, 1.0, 3));
  const std::vector<LayerInfo> rows = net->layer_table();

  size_t expected_rows = mlp ? 0 : 1;  // the CNN head is a row of its own
  for (const Cell& cell : spec.cells) expected_rows += cell.depth;
  ASSERT_EQ(rows.size(), expected_rows);

  size_t r = 0;
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const Cell& cell = spec.cells[c];
    for (int k = 0; k < cell.depth; ++k, ++r) {
      const LayerInfo& row = rows[r];
      const std::string name = "cell" + std::to_string(c) + ".layer" + std::to_string(k);
      SCOPED_TRACE(name);
      EXPECT_EQ(row.name, name);
      int64_t fan_in = cell.width + layer_link_count(cell, k);
      if (k == 0) fan_in = c > 0 ? spec.cells[c - 1].width : (mlp ? input_features(spec) : spec.input[0]);
      EXPECT_EQ(row.fan_in, fan_in);
      const bool classifier = mlp && c + 1 == spec.cells.size() && k + 1 == cell.depth;
      EXPECT_EQ(row.out, classifier ? spec.classes : cell.width);
      EXPECT_EQ(row.stride, (!mlp && c > 0 && k == 0) ? 2 : 1);
      EXPECT_EQ(static_cast<int>(row.links.size()), layer_link_count(cell, k));
      EXPECT_EQ(row.links, links.cells[c].layers[k]);
      const bool plain_conv = spec.family == Family::kCnn || (c == 0 && k == 0);
      EXPECT_EQ(row.kind, mlp ? "linear" : plain_conv ? "conv3x3" : "conv_depth");
    }
  }
  if (!mlp) {
    const LayerInfo& head = rows.back();
    EXPECT_EQ(head.name, "fc");
    EXPECT_EQ(head.out, spec.classes);
    int64_t h = spec.input[1], w = spec.input[2];
    for (size_t c = 1; c < spec.cells.size(); ++c) h = (h - 1) / 2 + 1, w = (w - 1) / 2 + 1;
    const int64_t last = spec.cells.back().width;
    EXPECT_EQ(head.fan_in, spec.head == Head::kGap ? last : last * (h / 2) * (w / 2));
  }
}

// ---------------------------------------------------------------------------------------------
// An independent forward pass written from the method spec, on the module's own weights.

torch::Tensor act(Activation a, const torch::Tensor& x) {
  return a == Activation::kElu ? F::elu(x) : F::relu(x);
}

// [first, then the named (layer, channel) columns of outs], gathered one by one.
torch::Tensor concat_sources(const torch::Tensor& first, const std::vector<torch::Tensor>& outs,
                             const std::vector<LinkSource>& sources) {
  std::vector<torch::Tensor> parts = {first};
  for (const LinkSource& s : sources) parts.push_back(outs.at(s.layer).slice(1, s.channel, s.channel + 1));
  return torch::cat(parts, 1);
}

// §2.1: h0 = phi(L0 x); h1 = L1 h0; h_k = L_k phi([h_{k-1}, links]); the network's last layer
// gets no phi. A cell's last output feeds the next cell's L0.
torch::Tensor reference_mlp(const Spec& spec, const Links& links, const torch::nn::Module& net,
                            torch::Tensor x) {
  const auto p = params_of(net);
  x = x.flatten(1);
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const int d = spec.cells[c].depth;
    const auto L = [&](int k, const torch::Tensor& in) {
      const std::string n = "cell" + std::to_string(c) + ".layer" + std::to_string(k);
      return F::linear(in, p.at(n + ".weight"), p.at(n + ".bias"));
    };
    std::vector<torch::Tensor> h;
    h.push_back(act(spec.activation, L(0, x)));
    h.push_back(L(1, h[0]));
    for (int k = 2; k < d; ++k) {
      const torch::Tensor z = concat_sources(h[k - 1], h, links.cells[c].layers[k]);
      const bool classifier = c + 1 == spec.cells.size() && k + 1 == d;
      h.push_back(L(k, classifier ? z : act(spec.activation, z)));
    }
    x = h.back();
  }
  return x;
}

// §2.2: o0 = BN(conv0(x)); o1 = BN(conv1(ReLU(o0))); o_k = conv_k(ReLU(BN_k([o_{k-1}, links]))),
// using the cell's own conv and BN modules; head: global average pool or AvgPool(2), then fc.
torch::Tensor reference_cnn(const Spec& spec, const Links& links, torch::nn::Module& net,
                            torch::Tensor x) {
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    auto cell = std::dynamic_pointer_cast<CnnCellImpl>(net.named_children()["cell" + std::to_string(c)]);
    if (!cell) throw std::runtime_error("no CnnCell named cell" + std::to_string(c));
    std::vector<torch::Tensor> o;
    o.push_back(cell->norms[0]->forward(cell->convs[0].forward(x)));
    o.push_back(cell->norms[1]->forward(cell->convs[1].forward(F::relu(o[0]))));
    for (int k = 2; k < spec.cells[c].depth; ++k) {
      const torch::Tensor z = concat_sources(o[k - 1], o, links.cells[c].layers[k]);
      o.push_back(cell->convs[k].forward(F::relu(cell->norms[k]->forward(z))));
    }
    x = o.back();
  }
  x = spec.head == Head::kGap ? torch::adaptive_avg_pool2d(x, {1, 1}) : torch::avg_pool2d(x, 2);
  const auto p = params_of(net);
  return F::linear(x.flatten(1), p.at("fc.weight"), p.at("fc.bias"));
}

// Random BN affine parameters and running statistics, so eval-mode BN is not ~identity.
void randomise_batchnorms(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& m : net.modules()) {
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.uniform_(-0.5, 0.5);
      bn->running_mean.uniform_(-0.3, 0.3);
      bn->running_var.uniform_(0.5, 2.0);
    }
  }
}

void check_against_reference(const Spec& spec) {
  const Links links = draw_links(spec, 29);
  Network net = build_network(spec, &links, init_of(InitKind::kDefault, 1.0, 4));
  randomise_batchnorms(*net);
  net->eval();
  torch::manual_seed(6);
  const torch::Tensor x = torch::randn(batch_shape(spec, 3));
  torch::NoGradGuard no_grad;
  const torch::Tensor y = net->forward(x);
  const torch::Tensor expected = spec.family == Family::kMlp ? reference_mlp(spec, links, *net, x)
                                                             : reference_cnn(spec, links, *net, x);
  ASSERT_EQ(y.sizes(), expected.sizes());
  // Same float ops on the same values; 1e-5 leaves room for a different summation order only. A
  // wrong gathered column changes outputs by O(0.1).
  EXPECT_TRUE(torch::allclose(y, expected, /*rtol=*/1e-5, /*atol=*/1e-5))
      << "max |diff| = " << (y - expected).abs().max().item<double>();
}

// One test per check, looping over the shapes: every test is a process under ctest, and each
// process pays ~0.5 s to load libtorch.
TEST(DenseNetworks, ParametersMatchClosedFormAndOutputIsBatchByClasses) {
  for (const DenseCase& c : dense_cases()) {
    SCOPED_TRACE(c.name);
    check_parameters_and_output_shape(c.spec);
  }
}

TEST(DenseNetworks, LayerTableHasFanInWPlusTkAndTheGivenLinks) {
  for (const DenseCase& c : dense_cases()) {
    SCOPED_TRACE(c.name);
    check_layer_table(c.spec);
  }
}

TEST(DenseNetworks, ForwardMatchesAReferenceImplementationOfTheMethodSpec) {
  for (const DenseCase& c : dense_cases()) {
    SCOPED_TRACE(c.name);
    check_against_reference(c.spec);
  }
}

// ---------------------------------------------------------------------------------------------
// Hand-made weights: read z_k column by column.

// Unique, positive (so ReLU/ELU pass it unchanged) value of channel c of layer j; widths < 100.
float code(int layer, int channel) { return 100.0f * static_cast<float>(layer + 1) + static_cast<float>(channel); }

// z_k as the method spec defines it: o_{k-1}, then the named channels in the links' order.
std::vector<float> expected_z(const Cell& cell, const CellLinks& links, int k) {
  std::vector<float> z;
  for (int c = 0; c < cell.width; ++c) z.push_back(code(k - 1, c));
  for (const LinkSource& s : links.layers[k]) z.push_back(code(s.layer, s.channel));
  return z;
}

void probe_mlp_cell(const Cell& cell, LinkPool pool, Activation activation) {
  SCOPED_TRACE("mlp cell d=" + std::to_string(cell.depth) + " w=" + std::to_string(cell.width) +
               " tc=" + std::to_string(cell.tc) + " pool=" + to_string(pool) + " act=" + to_string(activation));
  const Spec spec = mlp_spec({2}, {cell}, activation, pool);
  const CellLinks links = draw_links(spec, 17).cells[0];
  const int d = cell.depth, w = cell.width;
  MlpCell m(cell, links, /*in=*/2, /*out=*/2, /*classifier=*/true, activation);
  torch::NoGradGuard no_grad;
  for (int k = 2; k < d; ++k) {
    const std::vector<float> z = expected_z(cell, links, k);
    ASSERT_EQ(static_cast<int64_t>(z.size()), m->layers[k]->options.in_features());
    for (size_t r = 0; r < z.size(); ++r) {
      for (int j = 0; j < d; ++j) {
        auto& L = m->layers[j];
        L->weight.zero_();
        L->bias.zero_();
        if (j < k) {  // h_j = code(j, .) whatever its input (h_0 = phi(code) = code: positive)
          for (int c = 0; c < w; ++c) L->bias.index_put_({c}, code(j, c));
        } else if (j == k) {  // h_k[0] = phi(z_k)[r] = z_k[r]
          L->weight.index_put_({0, static_cast<int64_t>(r)}, 1.0);
        } else {  // pass channel 0 through: h_j[0] = phi(h_{j-1}[0])
          L->weight.index_put_({0, 0}, 1.0);
        }
      }
      const torch::Tensor y = m->forward(torch::randn({1, 2}));
      // Exact in float (one product by 1, the rest by 0); codes differ by at least 1.
      EXPECT_NEAR(y[0][0].item<float>(), z[r], 1e-3) << "layer " << k << ", column " << r << " of z_k";
      EXPECT_EQ(y[0][1].item<float>(), 0.0f);
    }
  }
}

TEST(DenseMlpLinks, EachLayerConcatenatesExactlyTheNamedChannels) {
  for (LinkPool pool : {LinkPool::kPaper, LinkPool::kReference}) {
    for (Activation a : {Activation::kRelu, Activation::kElu}) {
      probe_mlp_cell(Cell{6, 3, 4}, pool, a);    // t = 0,0,3,4,4,4: capped from layer 3 on
      probe_mlp_cell(Cell{5, 2, 100}, pool, a);  // saturated: every layer takes its whole pool
    }
    probe_mlp_cell(Cell{4, 4, 1}, pool, Activation::kRelu);  // one link per layer
  }
}

void probe_cnn_cell(const Cell& cell, LinkPool pool) {
  SCOPED_TRACE("cnn cell d=" + std::to_string(cell.depth) + " w=" + std::to_string(cell.width) +
               " tc=" + std::to_string(cell.tc) + " pool=" + to_string(pool));
  const Spec spec = cnn_spec(Family::kCnn, {2, 5, 5}, {cell}, Head::kGap, pool);
  const CellLinks links = draw_links(spec, 23).cells[0];
  const int d = cell.depth, w = cell.width;
  CnnCell m(cell, links, /*in=*/2, /*stride=*/1, /*depthwise=*/false, /*first_cell=*/true);
  m->eval();  // BN uses its fresh running stats (mean 0, var 1): y = x / sqrt(1 + eps) * g + b
  const double eps = m->norms[0]->options.eps();
  const double bn_scale = 1.0 / std::sqrt(1.0 + eps);
  torch::NoGradGuard no_grad;
  for (int k = 2; k < d; ++k) {
    const std::vector<float> z = expected_z(cell, links, k);
    for (size_t r = 0; r < z.size(); ++r) {
      for (int j = 0; j < d; ++j) {
        auto conv = m->convs[j].get<torch::nn::Conv2d>();
        auto& bn = m->norms[j];
        conv->weight.zero_();
        bn->weight.fill_(1.0);
        bn->bias.zero_();
        if (j < 2) {  // o_j = BN(0) = bias = code(j, .)
          for (int c = 0; c < w; ++c) bn->bias.index_put_({c}, code(j, c));
        } else if (j < k) {  // ReLU(BN(z)) = 1 everywhere; the 3x3 centre tap writes code(j, c)
          bn->weight.zero_();
          bn->bias.fill_(1.0);
          for (int c = 0; c < w; ++c) conv->weight.index_put_({c, 0, 1, 1}, code(j, c));
        } else if (j == k) {  // o_k[0] = ReLU(BN(z_k))[r] = z_k[r] * bn_scale
          conv->weight.index_put_({0, static_cast<int64_t>(r), 1, 1}, 1.0);
        } else {  // o_j[0] = o_{j-1}[0] * bn_scale
          conv->weight.index_put_({0, 0, 1, 1}, 1.0);
        }
      }
      const torch::Tensor y = m->forward(torch::randn({1, 2, 5, 5}));
      ASSERT_EQ(y.sizes().vec(), (std::vector<int64_t>{1, w, 5, 5}));
      // Layers k .. d-1 each pass one BN. Float error is ~1e-4 on values <= 1000; codes differ
      // by >= 1, so 0.01 cannot confuse two columns.
      const double expected = z[r] * std::pow(bn_scale, d - k);
      const torch::Tensor ch0 = y[0][0];
      EXPECT_NEAR(ch0.min().item<double>(), expected, 0.01) << "layer " << k << ", column " << r;
      EXPECT_NEAR(ch0.max().item<double>(), expected, 0.01) << "layer " << k << ", column " << r;
    }
  }
}

TEST(DenseCnnLinks, EachLayerConcatenatesExactlyTheNamedChannels) {
  for (LinkPool pool : {LinkPool::kPaper, LinkPool::kReference}) {
    probe_cnn_cell(Cell{5, 3, 4}, pool);
    probe_cnn_cell(Cell{4, 2, 100}, pool);
  }
}

// The reference pool really differs from the paper pool (layers 1..k-1 vs 0..k-2, §2.2): layer 2
// of a saturated cell reads o_1 twice under the reference pool and o_0 under the paper pool.
TEST(DenseCnnLinks, ReferencePoolReadsThePredecessorPaperPoolReadsLayerZero) {
  const Cell cell{3, 2, 100};
  for (LinkPool pool : {LinkPool::kPaper, LinkPool::kReference}) {
    const CellLinks links = draw_links(cnn_spec(Family::kCnn, {2, 5, 5}, {cell}, Head::kGap, pool), 1).cells[0];
    ASSERT_EQ(links.layers[2].size(), 2u);
    const std::vector<float> z = expected_z(cell, links, 2);
    const float source_layer_code = pool == LinkPool::kPaper ? code(0, 0) : code(1, 0);
    EXPECT_EQ(z[2], source_layer_code);
  }
  probe_cnn_cell(cell, LinkPool::kPaper);
  probe_cnn_cell(cell, LinkPool::kReference);
}

// ---------------------------------------------------------------------------------------------
// Gradients reach every parameter (and through the links).

TEST(DenseGradients, MlpEveryParameterAndEveryLinkColumnGetsAGradient) {
  for (Activation a : {Activation::kElu, Activation::kRelu}) {
    SCOPED_TRACE(to_string(a));
    // ReLU with width 8 so that no layer is entirely dead on a batch of 4.
    const Spec spec = a == Activation::kElu ? mlp_spec({1, 6, 6}, {Cell{4, 5, 2}, Cell{5, 3, 7}}, a)
                                            : mlp_spec({20}, {Cell{6, 8, 10}}, a);
    expect_gradients_flow(spec);

    Network net = build_network(spec, nullptr, init_of(InitKind::kDefault, 1.0, 8));
    torch::manual_seed(9);
    const auto target = torch::randint(0, spec.classes, {4}, torch::kLong);
    F::cross_entropy(net->forward(torch::randn(batch_shape(spec, 4))), target).backward();
    const auto p = params_of(*net);
    for (size_t c = 0; c < spec.cells.size(); ++c) {
      const Cell& cell = spec.cells[c];
      for (int k = 2; k < cell.depth; ++k) {
        const std::string n = "cell" + std::to_string(c) + ".layer" + std::to_string(k) + ".weight";
        const torch::Tensor link_cols = p.at(n).grad().slice(1, cell.width);
        ASSERT_EQ(link_cols.size(1), layer_link_count(cell, k)) << n;
        EXPECT_GT(link_cols.abs().sum().item<double>(), 0.0) << n << ": the link columns get no gradient";
      }
    }
  }
}

TEST(DenseGradients, CnnEveryParameterGetsAFiniteNonZeroGradient) {
  expect_gradients_flow(cnn_spec(Family::kCnn, {3, 8, 8}, {Cell{4, 4, 3}, Cell{3, 5, 4}}));
  expect_gradients_flow(cnn_spec(Family::kCnn, {2, 9, 9}, {Cell{3, 3, 5}, Cell{4, 4, 6}},
                                 Head::kReference, LinkPool::kReference));
  expect_gradients_flow(cnn_spec(Family::kDepthwiseCnn, {3, 8, 8}, {Cell{4, 4, 3}, Cell{3, 5, 4}}));
  expect_gradients_flow(cnn_spec(Family::kDepthwiseCnn, {2, 9, 9}, {Cell{3, 3, 5}, Cell{5, 4, 6}},
                                 Head::kReference, LinkPool::kReference));
}

// ---------------------------------------------------------------------------------------------
// Forward input checks.

TEST(DenseForward, MlpRejectsTheWrongNumberOfFeatures) {
  const Spec spec = mlp_spec({20}, {Cell{4, 3, 2}});
  Network net = build_network(spec, nullptr, InitOptions{});
  EXPECT_EQ(net->forward(torch::randn({2, 4, 5})).sizes().vec(), (std::vector<int64_t>{2, 3}))
      << "any shape with 20 features per sample is flattened";
  try {
    net->forward(torch::randn({2, 21}));
    FAIL() << "no SpecError for 21 features";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("21"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("20"), std::string::npos) << e.what();
  }
}

TEST(DenseForward, CnnRejectsANon4DInputAndTheWrongChannelCount) {
  for (Family f : {Family::kCnn, Family::kDepthwiseCnn}) {
    const Spec spec = cnn_spec(f, {3, 8, 8}, {Cell{3, 4, 2}});
    Network net = build_network(spec, nullptr, InitOptions{});
    EXPECT_THROW(net->forward(torch::randn({3, 8, 8})), SpecError);
    EXPECT_THROW(net->forward(torch::randn({2, 2, 8, 8})), SpecError);
    EXPECT_EQ(net->forward(torch::randn({2, 3, 8, 8})).sizes().vec(), (std::vector<int64_t>{2, 4}));
  }
}

}  // namespace
