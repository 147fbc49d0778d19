// The graph definition of NN-Mass (graph_mass.h, docs/graph-mass.md) against the paper's closed
// forms: every family is scored through its graph and compared with mass.h, term by term.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "nnmass/error.h"
#include "nnmass/graph_mass.h"
#include "nnmass/links.h"
#include "nnmass/mass.h"
#include "nnmass/residual.h"
#include "nnmass/spec.h"

namespace nnmass {
namespace {

Spec dense(Family family, std::vector<Cell> cells, int classes = 10) {
  Spec s;
  s.family = family;
  s.input = family == Family::kMlp ? std::vector<int64_t>{784} : std::vector<int64_t>{3, 32, 32};
  s.classes = classes;
  s.cells = std::move(cells);
  validate(s);
  return s;
}

void expect_same_terms(const std::vector<MassTerm>& graph, const std::vector<MassTerm>& closed, const std::string& what) {
  ASSERT_EQ(graph.size(), closed.size()) << what;
  for (size_t k = 0; k < graph.size(); ++k) {
    EXPECT_EQ(graph[k].volume, closed[k].volume) << what << " term " << k;
    EXPECT_EQ(graph[k].links, closed[k].links) << what << " term " << k;
    EXPECT_EQ(graph[k].possible, closed[k].possible) << what << " term " << k;
    EXPECT_NEAR(graph[k].mass, closed[k].mass, 1e-9 * std::max(1.0, closed[k].mass)) << what << " term " << k;
  }
}

TEST(GraphMass, DenseCnnsReduceToThePapersClosedFormForEveryDrawOfLinks) {
  for (Family family : {Family::kCnn, Family::kDepthwiseCnn})
    for (const auto& cells : std::vector<std::vector<Cell>>{{{5, 4, 3}}, {{8, 8, 16}, {6, 16, 40}, {4, 32, 7}},
                                                            {{12, 3, 100}}, {{3, 2, 1}, {7, 5, 0}}})
      for (uint64_t seed : {1, 2, 3}) {
        const Spec s = dense(family, cells);
        const Links links = draw_links(s, seed);
        std::vector<MassTerm> closed;
        for (const MassTerm& t : mass_terms(s))
          if (t.links > 0) closed.push_back(t);  // a cell without links is a chain: no cell of the graph
        expect_same_terms(graph_mass_terms(mass_graph(s, &links)), closed, to_string(family));
        EXPECT_NEAR(graph_nn_mass(mass_graph(s, &links)), nn_mass(s), 1e-9 * nn_mass(s));
      }
}

// The paper counts the MLP's classifier (the last cell's last layer) as w wide; the graph counts
// its K outputs. Every other term is the same, and the difference is exactly rho * (w - K).
TEST(GraphMass, DenseMlpsDifferOnlyByTheClassifiersTrueWidth) {
  const Spec s = dense(Family::kMlp, {{6, 8, 5}, {10, 12, 30}}, 3);
  const Links links = draw_links(s, 7);
  const auto graph = graph_mass_terms(mass_graph(s, &links));
  const auto closed = mass_terms(s);
  ASSERT_EQ(graph.size(), 2u);
  expect_same_terms({graph[0]}, {closed[0]}, "first cell");
  EXPECT_EQ(graph[1].volume, closed[1].volume - (12 - 3));
  EXPECT_EQ(graph[1].links, closed[1].links);
  EXPECT_NEAR(graph[1].mass, closed[1].mass - closed[1].density * (12 - 3), 1e-9);
  const Spec square = dense(Family::kMlp, {{20, 10, 9}}, 10);  // K = w: identical
  const Links l2 = draw_links(square, 3);
  EXPECT_NEAR(graph_nn_mass(mass_graph(square, &l2)), nn_mass(square), 1e-9);
}

TEST(GraphMass, ResNetsReduceToTheResidualFormulas) {
  for (const std::string& arch : standard_arch_names()) {
    const Spec s = standard_spec(arch);
    expect_same_terms(graph_mass_terms(mass_graph(s, nullptr)), mass_terms(s), arch);
  }
  Spec small;
  small.family = Family::kResNet;
  small.input = {3, 32, 32};
  small.resnet.stem = Stem::kCifar;
  small.resnet.layers = {1, 3};
  small.resnet.planes = {16, 48};
  small.resnet.stem_width = 8;  // a projection in the first block too
  expect_same_terms(graph_mass_terms(mass_graph(small, nullptr)), mass_terms(small), "small resnet");
  EXPECT_NEAR(nn_mass(standard_spec("resnet18")), 3392, 1e-9);
}

TEST(GraphMass, MobileNetsReduceToTheResidualFormulas) {
  for (double wm : {0.5, 0.75, 1.0, 1.1, 1.4}) {
    Spec s = standard_spec("mobilenet_v2");
    s.mobilenet.width_mult = wm;
    s.mobilenet.repeats = {1, 3, 4, 5, 4, 3, 1};  // stage 0 twice would add a t = 1 residual (below)
    expect_same_terms(graph_mass_terms(mass_graph(s, nullptr)), mass_terms(s), "mobilenet x" + std::to_string(wm));
  }
}

// Where a residual block has no expansion layer (t = 1: a second block in stage 0, as in the
// paper's ImageNet model x1.1 [2,3,4,5,4,3,1], or the first block at x0.25), the official formula
// still assumes three layers and gives inp; the graph sees the two layers there are (volume
// 2 inp, every possible link taken): 2 inp. Stated, not hidden: the paper's model is 1797 in
// closed form and 1813 through the graph.
TEST(GraphMass, MobileNetBlockWithoutExpansionIsCountedAsTheLayersItHas) {
  for (const auto& [wm, repeats] : std::vector<std::pair<double, std::vector<int>>>{
           {0.25, {1, 2, 3, 4, 3, 3, 1}}, {1.1, {2, 3, 4, 5, 4, 3, 1}}}) {
    Spec s = standard_spec("mobilenet_v2");
    s.mobilenet.width_mult = wm;
    s.mobilenet.repeats = repeats;
    const auto graph = graph_mass_terms(mass_graph(s, nullptr));
    const auto closed = mass_terms(s);
    ASSERT_EQ(graph.size(), closed.size());
    int64_t t1_inputs = 0;
    for (const ResidualBlock& b : residual_blocks(s))
      if (b.residual && b.expand == 1) t1_inputs += b.inp;
    ASSERT_GT(t1_inputs, 0);
    EXPECT_NEAR(graph_nn_mass(mass_graph(s, nullptr)), nn_mass(s) + static_cast<double>(t1_inputs), 1e-9);
  }
  Spec paper = standard_spec("mobilenet_v2");
  paper.mobilenet.width_mult = 1.1;
  paper.mobilenet.repeats = {2, 3, 4, 5, 4, 3, 1};
  EXPECT_NEAR(nn_mass(paper), 1797, 0.5);
  EXPECT_NEAR(graph_nn_mass(mass_graph(paper, nullptr)), 1813, 0.5);
}

Spec nb201(const std::string& arch) {
  Spec s;
  s.family = Family::kNb201;
  s.input = {3, 32, 32};
  s.nb201.cell = parse_nb201_cell(arch);
  return s;
}

// Hand counts (docs/graph-mass.md works the first two): the reduction blocks are basic residual
// blocks, inp + planes = 16 + 32 and 32 + 64.
TEST(GraphMass, Nb201CellsByHand) {
  // Best cell: main path n0 -conv-> n1 -conv-> n2 -conv-> n3; links 0->2 (conv), 0->3 (skip),
  // 1->3 (conv) take all 3C possible channels; volume 3C; 15 cells.
  EXPECT_NEAR(nn_mass(nb201("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|"
                            "nor_conv_3x3~2|")),
              5 * 3 * (16 + 32 + 64) + 48 + 96, 1e-9);
  // A chain of three convs with one skip 0->3: rho = C/3C, volume 3C: mass C per cell.
  EXPECT_NEAR(nn_mass(nb201("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|")),
              5 * (16 + 32 + 64) + 144, 1e-9);
  // A plain chain: no link inside cells.
  EXPECT_NEAR(nn_mass(nb201("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_3x3~2|")), 144, 1e-9);
  // Parallel convs from the same node widen a layer; they skip nothing.
  EXPECT_NEAR(nn_mass(nb201("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|skip_connect~2|")), 144,
              1e-9);
  // No convolution in the cell: no units inside it.
  EXPECT_NEAR(nn_mass(nb201("|skip_connect~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|skip_connect~1|"
                            "avg_pool_3x3~2|")),
              144, 1e-9);
  // Node 3 receives nothing: the output does not depend on the input, no NN-Mass.
  EXPECT_EQ(nn_mass(nb201("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|")), 0.0);
}

TEST(GraphMass, EveryNb201CellHasAFiniteMassAndTheSpaceHasManyValues) {
  std::set<long long> values;
  for (int i = 0; i < kNb201Cells; ++i) {
    Spec s = nb201(nb201_arch_string(nb201_cell_at(i)));
    const double m = nn_mass(s);
    ASSERT_TRUE(std::isfinite(m) && m >= 0) << i;
    values.insert(std::llround(m * 1000));
  }
  // The units of every cell are C wide, so each cell adds a multiple of C: only five values
  // (0, 144, 704, 1264, 1824) over the 15,625 cells. Coarse, as #params (28 values) is.
  EXPECT_EQ(values, (std::set<long long>{0, 144000, 704000, 1264000, 1824000}));
}

TEST(GraphMass, MalformedGraphsAreRefused) {
  MassGraph g;
  g.add("x", VertexKind::kInput, 3, {});
  EXPECT_THROW(g.add("bad", VertexKind::kLayer, 4, {1}), SpecError);
  g.add("two", VertexKind::kLayer, 4, {0, 0});
  EXPECT_THROW(graph_mass_terms(g), SpecError);
}

}  // namespace
}  // namespace nnmass
