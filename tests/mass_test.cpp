// NN-Density and NN-Mass of dense cells in closed form (method.md §1.3).
//
// Golden values: method.md §1.3 "Worked examples" (checked there against the official code's logs
// and file names) and §5.2 (the MNIST MLP table). They were recomputed independently from the
// reference algorithm of §1.4 with exact rational arithmetic before being written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/spec.h"

using namespace nnmass;

namespace {

Spec mlp_spec(int width, int depth, int tc) {
  Spec s;
  s.family = Family::kMlp;
  s.input = {784};
  s.classes = 10;
  s.cells = {Cell{depth, width, tc}};
  return s;
}

// The default CIFAR CNN of the official train_cifar.py (§1.3 last row, §4.2): 3 cells of depth
// 13, wm = 2 -> widths 32/64/128, t_c = 40/80/125, depth-wise layers, the reference head.
Spec default_cifar_cnn() {
  Spec s;
  s.family = Family::kDepthwiseCnn;
  s.input = {3, 32, 32};
  s.classes = 10;
  s.head = Head::kReference;
  s.cells = {Cell{13, 32, 40}, Cell{13, 64, 80}, Cell{13, 128, 125}};
  return s;
}

// Straight from the definition (§1.2): layer i >= 2 takes min(w(i-1), t_c) links.
int64_t brute_links(const Cell& c) {
  int64_t sum = 0;
  for (int i = 2; i <= c.depth - 1; ++i)
    sum += std::min<int64_t>(int64_t{c.width} * (i - 1), c.tc);
  return sum;
}
int64_t brute_possible(const Cell& c) {
  int64_t sum = 0;
  for (int i = 2; i <= c.depth - 1; ++i) sum += int64_t{c.width} * (i - 1);
  return sum;
}

// A grid of (w, d, tc) used by the identity checks below: small and large widths, the smallest
// legal depth, tc from 0 to far beyond saturation.
struct Wdt {
  int w, d, tc;
};
std::vector<Wdt> grid() {
  std::vector<Wdt> out;
  for (int w : {1, 2, 3, 8, 13, 32, 64, 256})
    for (int d : {3, 4, 5, 8, 13, 16, 20, 33, 64})
      for (int tc : {0, 1, 2, 5, 7, 8, 9, 10, 40, 80, 125, 300, 1000, 100000})
        out.push_back({w, d, tc});
  return out;
}

}  // namespace

// §1.3: MLP w=8, d=8, t_c=10. Layers 2..7 take min(8(i-1),10) = 8,10,10,10,10,10 = 58 links out of
// 8*(1+2+...+6) = 168 possible; m = 58/168 * 64 = 22.0952... (the official log's file name
// sigma_init_8_8_10_22.095...).
TEST(MassTest, MlpW8D8Tc10IsExactFraction) {
  const Spec s = mlp_spec(8, 8, 10);
  EXPECT_EQ(cell_links(s.cells[0]), 58);
  EXPECT_EQ(cell_possible_links(s.cells[0]), 168);
  EXPECT_NEAR(cell_density(s.cells[0]), 58.0 / 168.0, 1e-12);
  EXPECT_NEAR(nn_mass(s), 22.095, 5e-4);
  EXPECT_NEAR(nn_mass(s), 58.0 / 168.0 * 64.0, 1e-9);
  EXPECT_NEAR(average_density(s), 58.0 / 168.0, 1e-12);
}

// §1.3 worked examples and §5.2 (NN-Mass column of the MNIST table).
TEST(MassTest, MlpWorkedExamples) {
  EXPECT_NEAR(nn_mass(mlp_spec(8, 16, 1)), 2.1333, 5e-5);   // 32/15
  EXPECT_NEAR(cell_density(mlp_spec(8, 16, 1).cells[0]), 0.01667, 5e-6);
  EXPECT_NEAR(nn_mass(mlp_spec(8, 20, 7)), 14.737, 5e-4);   // 280/19
  EXPECT_NEAR(nn_mass(mlp_spec(8, 16, 9)), 19.048, 5e-4);   // first eligible layer capped at 8
  EXPECT_NEAR(nn_mass(mlp_spec(8, 20, 100)), 143.158, 5e-4);
  // §5.2 table, 2 decimals there.
  EXPECT_NEAR(nn_mass(mlp_spec(8, 20, 1)), 2.11, 5e-3);
  EXPECT_NEAR(nn_mass(mlp_spec(8, 32, 3)), 6.19, 5e-3);
  EXPECT_NEAR(nn_mass(mlp_spec(8, 16, 8)), 17.07, 5e-3);
  EXPECT_NEAR(nn_mass(mlp_spec(8, 24, 8)), 16.70, 5e-3);
}

// t_c = 0: no links at all, density and mass exactly zero.
TEST(MassTest, ZeroTcGivesZeroMass) {
  const Spec s = mlp_spec(8, 16, 0);
  EXPECT_EQ(cell_links(s.cells[0]), 0);
  EXPECT_EQ(cell_density(s.cells[0]), 0.0);
  EXPECT_EQ(nn_mass(s), 0.0);
}

// d = 3 is the smallest legal depth: one layer (i = 2) with a pool of w.
TEST(MassTest, SmallestDepth) {
  const Cell c{3, 4, 3};
  EXPECT_EQ(cell_links(c), 3);
  EXPECT_EQ(cell_possible_links(c), 4);
  EXPECT_NEAR(cell_density(c), 0.75, 1e-15);
  EXPECT_NEAR(nn_mass(mlp_spec(4, 3, 3)), 0.75 * 12, 1e-12);
}

// §1.3 last row: the default CIFAR CNN, rho = [0.20455, 0.20455, 0.16276], m = 526.106.
TEST(MassTest, DenseCnnDefaultCifar) {
  const Spec s = default_cifar_cnn();
  const std::vector<MassTerm> terms = mass_terms(s);
  ASSERT_EQ(terms.size(), 3u);
  const double rho[3] = {0.20455, 0.20455, 0.16276};
  const int w[3] = {32, 64, 128};
  for (int c = 0; c < 3; ++c) {
    SCOPED_TRACE(c);
    EXPECT_NEAR(terms[c].density, rho[c], 5e-6);
    EXPECT_EQ(terms[c].volume, int64_t{13} * w[c]);
    EXPECT_EQ(terms[c].links, brute_links(s.cells[c]));
    EXPECT_EQ(terms[c].possible, brute_possible(s.cells[c]));
    EXPECT_NEAR(terms[c].density, double(terms[c].links) / double(terms[c].possible), 1e-12);
    EXPECT_NEAR(terms[c].mass, terms[c].density * double(terms[c].volume), 1e-9);
    EXPECT_FALSE(terms[c].label.empty());
  }
  // Exact: cell 0 takes 32 + 10*40 = 432 of 32*66 = 2112, cell 1 takes 864 of 4224, cell 2 takes
  // 11*125 = 1375 of 128*66 = 8448.
  EXPECT_EQ(terms[0].links, 432);
  EXPECT_EQ(terms[0].possible, 2112);
  EXPECT_EQ(terms[1].links, 864);
  EXPECT_EQ(terms[1].possible, 4224);
  EXPECT_EQ(terms[2].links, 1375);
  EXPECT_EQ(terms[2].possible, 8448);
  EXPECT_NEAR(nn_mass(s), 526.106, 5e-4);
  EXPECT_NEAR(average_density(s), (rho[0] + rho[1] + rho[2]) / 3.0, 1e-5);
  EXPECT_NEAR(average_density(s),
              (terms[0].density + terms[1].density + terms[2].density) / 3.0, 1e-12);
}

// NN-Mass counts only cells, not the layer kind: the regular CNN of the same shape has the same
// mass (§2.2: "the same topology").
TEST(MassTest, RegularAndDepthwiseCnnHaveSameMass) {
  Spec regular = default_cifar_cnn();
  regular.family = Family::kCnn;
  EXPECT_NEAR(nn_mass(regular), nn_mass(default_cifar_cnn()), 1e-9);
  regular.head = Head::kGap;
  EXPECT_NEAR(nn_mass(regular), 526.106, 5e-4);
}

// The link pool kind changes which channels are linked, never how many (§2.2 "Link-pool quirk").
TEST(MassTest, LinkPoolDoesNotChangeMass) {
  Spec a = default_cifar_cnn();
  Spec b = a;
  a.link_pool = LinkPool::kPaper;
  b.link_pool = LinkPool::kReference;
  EXPECT_EQ(nn_mass(a), nn_mass(b));
}

// Closed-form cell_links / cell_possible_links against the definition, over the whole grid.
TEST(MassTest, CellLinksMatchBruteForce) {
  for (const Wdt& g : grid()) {
    const Cell c{g.d, g.w, g.tc};
    SCOPED_TRACE(testing::Message() << "w=" << g.w << " d=" << g.d << " tc=" << g.tc);
    EXPECT_EQ(cell_links(c), brute_links(c));
    EXPECT_EQ(cell_possible_links(c), brute_possible(c));
    EXPECT_EQ(cell_possible_links(c), int64_t{g.w} * (g.d - 1) * (g.d - 2) / 2);
  }
}

// Larger cells: the O(1) closed form must stay exact in 64 bits where a naive int would overflow.
TEST(MassTest, CellLinksLargeValues) {
  const Cell big{100000, 1 << 20, 1 << 30};
  EXPECT_EQ(cell_possible_links(big), brute_possible(big));
  EXPECT_EQ(cell_links(big), brute_links(big));
  const Cell mid{5000, 1000, 123457};
  EXPECT_EQ(cell_links(mid), brute_links(mid));
}

// tc <= w: every eligible layer takes exactly tc links, so rho = 2 tc / (w (d-1)) and
// m = 2 tc d / (d - 1), independent of w.
TEST(MassTest, SmallTcIdentity) {
  int checked = 0;
  for (const Wdt& g : grid()) {
    if (g.tc > g.w) continue;
    SCOPED_TRACE(testing::Message() << "w=" << g.w << " d=" << g.d << " tc=" << g.tc);
    const double expected = 2.0 * g.tc * g.d / (g.d - 1);
    const double m = nn_mass(mlp_spec(g.w, g.d, g.tc));
    EXPECT_NEAR(m, expected, 1e-9 * std::max(1.0, expected));
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

// tc >= w (d-2): every layer takes its whole pool (a fully dense cell), rho = 1, m = w d.
TEST(MassTest, SaturationIdentity) {
  int checked = 0;
  for (const Wdt& g : grid()) {
    if (int64_t{g.tc} < int64_t{g.w} * (g.d - 2)) continue;
    SCOPED_TRACE(testing::Message() << "w=" << g.w << " d=" << g.d << " tc=" << g.tc);
    const Spec s = mlp_spec(g.w, g.d, g.tc);
    EXPECT_EQ(cell_density(s.cells[0]), 1.0);
    EXPECT_NEAR(nn_mass(s), double(g.w) * g.d, 1e-9 * g.w * g.d);
    ++checked;
  }
  EXPECT_GT(checked, 50);
  // Just below saturation the cell is not full.
  EXPECT_LT(cell_density(Cell{10, 8, 8 * 8 - 1}), 1.0);
  EXPECT_EQ(cell_density(Cell{10, 8, 8 * 8}), 1.0);
}

// rho (and so m) is nondecreasing in tc, and strictly increasing while below saturation.
TEST(MassTest, DensityMonotoneInTc) {
  for (int w : {1, 3, 8, 32})
    for (int d : {3, 5, 16, 20}) {
      double prev = -1;
      const int sat = w * (d - 2);
      for (int tc = 0; tc <= sat + 5; ++tc) {
        SCOPED_TRACE(testing::Message() << "w=" << w << " d=" << d << " tc=" << tc);
        const double rho = cell_density(Cell{d, w, tc});
        if (tc <= sat) {
          EXPECT_GT(rho, prev);
        } else {
          EXPECT_EQ(rho, prev);
        }
        EXPECT_GE(rho, 0.0);
        EXPECT_LE(rho, 1.0);
        prev = rho;
      }
    }
}

// m = rho * w * d for a single cell, over the grid.
TEST(MassTest, SingleCellMassIsDensityTimesVolume) {
  for (const Wdt& g : grid()) {
    SCOPED_TRACE(testing::Message() << "w=" << g.w << " d=" << g.d << " tc=" << g.tc);
    const Spec s = mlp_spec(g.w, g.d, g.tc);
    const double rho = double(brute_links(s.cells[0])) / double(brute_possible(s.cells[0]));
    EXPECT_NEAR(cell_density(s.cells[0]), rho, 1e-12);
    EXPECT_NEAR(nn_mass(s), rho * g.w * g.d, 1e-9 * std::max(1.0, rho * g.w * g.d));
  }
}

// Multi-cell: m is the sum of the cells' masses, average_density the mean of their densities,
// and mass_terms lists them in order.
TEST(MassTest, MultiCellIsSumOfCells) {
  const std::vector<Wdt> g = grid();
  for (size_t k = 0; k + 3 < g.size(); k += 37) {
    Spec s;
    s.family = Family::kCnn;
    s.input = {3, 32, 32};
    s.head = Head::kGap;
    double sum = 0, rho_sum = 0;
    for (size_t j = k; j < k + 3; ++j) {
      s.cells.push_back(Cell{g[j].d, g[j].w, g[j].tc});
      sum += nn_mass(mlp_spec(g[j].w, g[j].d, g[j].tc));
      rho_sum += cell_density(s.cells.back());
    }
    SCOPED_TRACE(k);
    EXPECT_NEAR(nn_mass(s), sum, 1e-9 * std::max(1.0, sum));
    EXPECT_NEAR(average_density(s), rho_sum / 3.0, 1e-12);
    const std::vector<MassTerm> terms = mass_terms(s);
    ASSERT_EQ(terms.size(), 3u);
    double terms_sum = 0;
    for (size_t j = 0; j < 3; ++j) {
      EXPECT_EQ(terms[j].volume, int64_t{s.cells[j].depth} * s.cells[j].width);
      EXPECT_EQ(terms[j].links, cell_links(s.cells[j]));
      EXPECT_EQ(terms[j].possible, cell_possible_links(s.cells[j]));
      EXPECT_NEAR(terms[j].density, cell_density(s.cells[j]), 1e-15);
      terms_sum += terms[j].mass;
    }
    EXPECT_NEAR(nn_mass(s), terms_sum, 1e-9 * std::max(1.0, sum));
  }
}

// mass_terms of an MLP: one term "cell 0"-like, mass equal to nn_mass.
TEST(MassTest, MassTermsSumToNnMass) {
  for (const Wdt& g : grid()) {
    const Spec s = mlp_spec(g.w, g.d, g.tc);
    const std::vector<MassTerm> terms = mass_terms(s);
    ASSERT_EQ(terms.size(), 1u);
    EXPECT_NEAR(terms[0].mass, nn_mass(s), 1e-12 * std::max(1.0, nn_mass(s)));
    EXPECT_EQ(terms[0].volume, int64_t{g.w} * g.d);
  }
  // Order matters: cells come out in network order.
  Spec s = default_cifar_cnn();
  s.cells = {Cell{5, 8, 0}, Cell{5, 8, 100}};
  const std::vector<MassTerm> terms = mass_terms(s);
  ASSERT_EQ(terms.size(), 2u);
  EXPECT_EQ(terms[0].mass, 0.0);
  EXPECT_NEAR(terms[1].mass, 40.0, 1e-12);
  EXPECT_NE(terms[0].label, terms[1].label);
}
