// Long-range links (method.md §1.2, §2.2 "Link-pool quirk"): counts t_i = min(w(i-1), t_c), pools
// (paper: layers 0..i-2; reference/official CNN: layers 1..i-1), distinct sources, determinism of
// the seeded draw, uniformity, checking of tampered links, and the JSON round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnmass/error.h"
#include "nnmass/links.h"
#include "nnmass/spec.h"
#include "nnmass/spec_json.h"

using namespace nnmass;

namespace {

Spec mlp_spec(std::vector<Cell> cells, LinkPool pool = LinkPool::kPaper) {
  Spec s;
  s.family = Family::kMlp;
  s.input = {784};
  s.classes = 10;
  s.cells = std::move(cells);
  s.link_pool = pool;
  return s;
}

Spec cnn_spec(Family family, std::vector<Cell> cells, LinkPool pool) {
  Spec s;
  s.family = family;
  s.input = {3, 32, 32};
  s.classes = 10;
  s.head = Head::kGap;
  s.cells = std::move(cells);
  s.link_pool = pool;
  return s;
}

// A spread of dense specs: single and multi-cell, MLP and both CNNs, both pools, t_c from 0 to
// beyond saturation, width 1 (pool = whole layers) and the default CIFAR CNN.
std::vector<Spec> specs() {
  std::vector<Spec> out;
  for (LinkPool pool : {LinkPool::kPaper, LinkPool::kReference}) {
    out.push_back(mlp_spec({Cell{8, 8, 10}}, pool));
    out.push_back(mlp_spec({Cell{5, 4, 3}}, pool));
    out.push_back(mlp_spec({Cell{3, 4, 100}}, pool));
    out.push_back(mlp_spec({Cell{16, 8, 0}}, pool));
    out.push_back(mlp_spec({Cell{6, 1, 2}, Cell{7, 3, 50}}, pool));
    out.push_back(cnn_spec(Family::kCnn, {Cell{13, 32, 40}, Cell{13, 64, 80}, Cell{13, 128, 125}},
                           pool));
    out.push_back(cnn_spec(Family::kDepthwiseCnn, {Cell{4, 2, 5}, Cell{10, 5, 7}}, pool));
  }
  return out;
}

std::string describe(const Spec& s) {
  std::string d = to_string(s.family) + "/" + to_string(s.link_pool) + ":";
  for (const Cell& c : s.cells)
    d += " (d" + std::to_string(c.depth) + ",w" + std::to_string(c.width) + ",t" +
         std::to_string(c.tc) + ")";
  return d;
}

bool same_links(const Links& a, const Links& b) {
  if (a.pool != b.pool || a.seed != b.seed || a.cells.size() != b.cells.size()) return false;
  for (size_t c = 0; c < a.cells.size(); ++c)
    if (a.cells[c].layers != b.cells[c].layers) return false;
  return true;
}

// Expects `f` to throw SpecError whose message contains `needle`.
template <typename F>
void expect_spec_error(F f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no SpecError thrown; expected one mentioning \"" << needle << "\"";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message \"" << e.what() << "\" lacks \"" << needle << "\"";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

}  // namespace

TEST(LinksTest, LayerLinkCount) {
  const Cell c{8, 8, 10};
  EXPECT_EQ(layer_link_count(c, 0), 0);
  EXPECT_EQ(layer_link_count(c, 1), 0);
  EXPECT_EQ(layer_link_count(c, 2), 8);   // whole pool of 8, below the cap
  EXPECT_EQ(layer_link_count(c, 3), 10);  // capped
  EXPECT_EQ(layer_link_count(c, 7), 10);
  EXPECT_EQ(layer_link_count(Cell{5, 4, 0}, 4), 0);
  EXPECT_EQ(layer_link_count(Cell{5, 1 << 20, 1 << 30}, 4), 3 << 20);  // 64-bit pool, no overflow
}

TEST(LinksTest, LinkPoolRange) {
  int first = -1, last = -1;
  link_pool_range(LinkPool::kPaper, 2, &first, &last);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(last, 0);
  link_pool_range(LinkPool::kPaper, 7, &first, &last);
  EXPECT_EQ(first, 0);
  EXPECT_EQ(last, 5);
  link_pool_range(LinkPool::kReference, 2, &first, &last);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(last, 1);
  link_pool_range(LinkPool::kReference, 7, &first, &last);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(last, 6);
}

// Every drawn layer: t_i sources, distinct, inside the pool, sorted by (layer, channel).
TEST(LinksTest, DrawnLinksHaveTheRightShape) {
  for (const Spec& s : specs()) {
    for (uint64_t seed : {0ull, 1ull, 42ull, 0xFFFFFFFFFFFFFFFFull}) {
      SCOPED_TRACE(describe(s) + " seed " + std::to_string(seed));
      const Links links = draw_links(s, seed);
      EXPECT_EQ(links.pool, s.link_pool);
      EXPECT_EQ(links.seed, seed);
      ASSERT_EQ(links.cells.size(), s.cells.size());
      for (size_t c = 0; c < s.cells.size(); ++c) {
        const Cell& cell = s.cells[c];
        ASSERT_EQ(links.cells[c].layers.size(), size_t(cell.depth));
        for (int i = 0; i < cell.depth; ++i) {
          const auto& src = links.cells[c].layers[i];
          const int64_t expected =
              i < 2 ? 0 : std::min<int64_t>(int64_t{cell.width} * (i - 1), cell.tc);
          EXPECT_EQ(int64_t(src.size()), expected) << "cell " << c << " layer " << i;
          EXPECT_EQ(int(src.size()), layer_link_count(cell, i));
          // Pool bounds straight from §1.2 / §2.2, not from link_pool_range.
          const int lo = s.link_pool == LinkPool::kPaper ? 0 : 1;
          const int hi = s.link_pool == LinkPool::kPaper ? i - 2 : i - 1;
          std::set<std::pair<int, int>> seen;
          for (size_t k = 0; k < src.size(); ++k) {
            EXPECT_GE(src[k].layer, lo);
            EXPECT_LE(src[k].layer, hi);
            EXPECT_GE(src[k].channel, 0);
            EXPECT_LT(src[k].channel, cell.width);
            EXPECT_TRUE(seen.insert({src[k].layer, src[k].channel}).second) << "duplicate";
            if (k > 0) {
              EXPECT_LT(std::make_pair(src[k - 1].layer, src[k - 1].channel),
                        std::make_pair(src[k].layer, src[k].channel))
                  << "not sorted";
            }
          }
        }
      }
      EXPECT_NO_THROW(check_links(s, links));
    }
  }
}

// A saturated layer takes its whole pool: every channel of every pool layer, once.
TEST(LinksTest, SaturatedLayerTakesWholePool) {
  for (LinkPool pool : {LinkPool::kPaper, LinkPool::kReference}) {
    const Spec s = mlp_spec({Cell{6, 3, 1000}}, pool);
    const Links links = draw_links(s, 7);
    const int lo = pool == LinkPool::kPaper ? 0 : 1;
    std::vector<LinkSource> whole;
    for (int l = lo; l <= lo + 3; ++l)
      for (int ch = 0; ch < 3; ++ch) whole.push_back({l, ch});
    EXPECT_EQ(links.cells[0].layers[5], whole);  // layer 5: 4 pool layers of 3 channels
  }
}

TEST(LinksTest, SameSeedSameLinks) {
  for (const Spec& s : specs()) {
    SCOPED_TRACE(describe(s));
    EXPECT_TRUE(same_links(draw_links(s, 12345), draw_links(s, 12345)));
  }
}

TEST(LinksTest, DifferentSeedsDifferentLinks) {
  // Layer 9 alone has C(64, 10) ~ 1.5e11 possible draws, so a collision is practically impossible.
  const Spec s = mlp_spec({Cell{10, 8, 10}});
  const Links a = draw_links(s, 1);
  const Links b = draw_links(s, 2);
  EXPECT_NE(a.cells[0].layers, b.cells[0].layers);
  // Over 50 seeds, the draws of layer 9 are pairwise different.
  std::set<std::vector<std::pair<int, int>>> distinct;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    std::vector<std::pair<int, int>> v;
    for (const LinkSource& l : draw_links(s, seed).cells[0].layers[9]) v.push_back({l.layer, l.channel});
    distinct.insert(v);
  }
  EXPECT_EQ(distinct.size(), 50u);
}

// Each cell draws from its own stream (links.cpp: the seed is mixed with the cell index), so two
// identical cells of one spec get different links, and editing cell 1 leaves cell 0's alone.
TEST(LinksTest, CellsHaveIndependentStreams) {
  const Spec s = mlp_spec({Cell{10, 8, 10}, Cell{10, 8, 10}});
  const Links a = draw_links(s, 99);
  EXPECT_NE(a.cells[0].layers, a.cells[1].layers);
  Spec edited = s;
  edited.cells[1].tc = 3;
  const Links b = draw_links(edited, 99);
  EXPECT_EQ(a.cells[0].layers, b.cells[0].layers);
}

// The two pool kinds draw the same flat indices, shifted by one layer: reference = paper + 1
// layer. (Both pools have w(i-1) candidates; §2.2.)
TEST(LinksTest, ReferencePoolIsPaperPoolShiftedByOneLayer) {
  const Spec paper = mlp_spec({Cell{9, 5, 12}}, LinkPool::kPaper);
  const Spec ref = mlp_spec({Cell{9, 5, 12}}, LinkPool::kReference);
  const Links a = draw_links(paper, 5), b = draw_links(ref, 5);
  for (int i = 2; i < 9; ++i) {
    ASSERT_EQ(a.cells[0].layers[i].size(), b.cells[0].layers[i].size());
    for (size_t k = 0; k < a.cells[0].layers[i].size(); ++k) {
      EXPECT_EQ(a.cells[0].layers[i][k].layer + 1, b.cells[0].layers[i][k].layer);
      EXPECT_EQ(a.cells[0].layers[i][k].channel, b.cells[0].layers[i][k].channel);
    }
  }
}

// Uniform without replacement: in w=4, d=5, t_c=3, layer 4 takes 3 of 12 candidates, so each is
// chosen with probability 1/4. Over N = 20000 seeds the count of one candidate is
// Binomial(N, 1/4): mean 5000, sigma = sqrt(N * 1/4 * 3/4) = 61.2. We accept 5000 +/- 5 sigma
// (306): a correct sampler fails one of the 12 checks with probability < 12 * 6e-7, while a biased
// one (e.g. always favouring low indices, or a modulo bias of a few %) lands far outside.
// Layer 2 (3 of its 4 candidates, p = 3/4) gets the same sigma around 15000.
TEST(LinksTest, DrawIsUniform) {
  const int kSeeds = 20000;
  const double sigma = std::sqrt(kSeeds * 0.25 * 0.75);
  for (LinkPool pool : {LinkPool::kPaper, LinkPool::kReference}) {
    SCOPED_TRACE(to_string(pool));
    const Spec s = mlp_spec({Cell{5, 4, 3}}, pool);
    const int lo = pool == LinkPool::kPaper ? 0 : 1;
    std::vector<int> count4(12, 0), count2(4, 0);
    for (int seed = 0; seed < kSeeds; ++seed) {
      const Links l = draw_links(s, uint64_t(seed));
      for (const LinkSource& src : l.cells[0].layers[4]) ++count4[(src.layer - lo) * 4 + src.channel];
      for (const LinkSource& src : l.cells[0].layers[2]) ++count2[(src.layer - lo) * 4 + src.channel];
    }
    for (int k = 0; k < 12; ++k) EXPECT_NEAR(count4[k], 5000.0, 5 * sigma) << "candidate " << k;
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(count2[k], 15000.0, 5 * sigma) << "candidate " << k;
  }
}

// Golden draw: pins the exact output of the library's own PRNG (SplitMix64 + rejection sampling +
// partial Fisher-Yates, cell seed mixed with the cell index), so a topology saved as "seed 42" is
// the same on every machine, compiler and standard library. The values were produced by the
// implementation once and hard-coded, and confirmed by an independent Python re-implementation
// of the documented algorithm (SplitMix64 as in Steele et al. 2014, cell seed =
// SplitMix64(seed ^ cell * 0xD1B54A32D192ED03).next(), uniform_below by rejection of the lowest
// 2^64 mod n values, partial Fisher-Yates over the flat pool, then sorted). A change here means
// every seed-only topology ever saved changes.
TEST(LinksTest, GoldenDrawSeed42) {
  const Spec s = mlp_spec({Cell{5, 4, 3}});
  const Links l = draw_links(s, 42);
  ASSERT_EQ(l.cells.size(), 1u);
  const auto& layers = l.cells[0].layers;
  ASSERT_EQ(layers.size(), 5u);
  EXPECT_TRUE(layers[0].empty());
  EXPECT_TRUE(layers[1].empty());
  const std::vector<LinkSource> layer2 = {{0, 0}, {0, 1}, {0, 2}};
  const std::vector<LinkSource> layer3 = {{0, 0}, {1, 1}, {1, 2}};
  const std::vector<LinkSource> layer4 = {{1, 1}, {2, 0}, {2, 3}};
  EXPECT_EQ(layers[2], layer2);
  EXPECT_EQ(layers[3], layer3);
  EXPECT_EQ(layers[4], layer4);
}

TEST(LinksTest, CheckLinksRejectsTampering) {
  const Spec s = mlp_spec({Cell{6, 4, 5}, Cell{5, 3, 2}});
  const Links good = draw_links(s, 3);
  ASSERT_NO_THROW(check_links(s, good));

  {  // Duplicate source.
    Links l = good;
    auto& layer = l.cells[0].layers[4];  // 5 links out of 12
    layer[1] = layer[0];
    expect_spec_error([&] { check_links(s, l); }, "twice");
  }
  {  // Source outside the paper pool: layer 4 may not take layer 3 (its predecessor).
    Links l = good;
    l.cells[0].layers[4][0] = LinkSource{3, 0};
    expect_spec_error([&] { check_links(s, l); }, "outside its pool");
  }
  {  // Channel out of range.
    Links l = good;
    l.cells[1].layers[3][0] = LinkSource{0, 3};  // width 3: channels 0..2
    expect_spec_error([&] { check_links(s, l); }, "outside its pool");
  }
  {  // Negative layer.
    Links l = good;
    l.cells[0].layers[2][0] = LinkSource{-1, 0};
    expect_spec_error([&] { check_links(s, l); }, "outside its pool");
  }
  {  // Too few links in a layer.
    Links l = good;
    l.cells[0].layers[5].pop_back();
    expect_spec_error([&] { check_links(s, l); }, "cells[0].layers[5]");
  }
  {  // Links on layer 1, which takes none.
    Links l = good;
    l.cells[1].layers[1].push_back(LinkSource{0, 0});
    expect_spec_error([&] { check_links(s, l); }, "cells[1].layers[1]");
  }
  {  // Wrong number of cells.
    Links l = good;
    l.cells.pop_back();
    expect_spec_error([&] { check_links(s, l); }, "cells");
    l = good;
    l.cells.push_back(good.cells[1]);
    expect_spec_error([&] { check_links(s, l); }, "cells");
  }
  {  // Wrong number of layers in a cell.
    Links l = good;
    l.cells[1].layers.pop_back();
    expect_spec_error([&] { check_links(s, l); }, "cells[1]");
  }
  {  // Links drawn for another spec.
    const Spec other = mlp_spec({Cell{6, 4, 6}, Cell{5, 3, 2}});
    expect_spec_error([&] { check_links(other, good); }, "cells[0]");
  }
}

// Reference pool: layer 0 is not a candidate, the predecessor is.
TEST(LinksTest, CheckLinksReferencePool) {
  const Spec s = mlp_spec({Cell{6, 4, 5}}, LinkPool::kReference);
  const Links good = draw_links(s, 3);
  ASSERT_NO_THROW(check_links(s, good));
  Links l = good;
  l.cells[0].layers[4][0] = LinkSource{0, 0};
  // Make sure the tampered source is not a duplicate of another one (layer 0 never appears).
  expect_spec_error([&] { check_links(s, l); }, "outside its pool");
}

TEST(LinksTest, DrawLinksRejectsResidualFamilies) {
  EXPECT_THROW(draw_links(standard_spec("resnet18"), 1), SpecError);
  EXPECT_THROW(draw_links(standard_spec("mobilenet_v2"), 1), SpecError);
}

TEST(LinksTest, JsonRoundTrip) {
  for (const Spec& s : specs()) {
    for (uint64_t seed : {0ull, 42ull, 0xFFFFFFFFFFFFFFFFull}) {
      SCOPED_TRACE(describe(s) + " seed " + std::to_string(seed));
      const Links a = draw_links(s, seed);
      const nlohmann::json j = links_to_json(a);
      const Links b = links_from_json(j, s);
      EXPECT_TRUE(same_links(a, b));
      // Through text, as a file would go.
      const Links c = links_from_json(parse_json_text(j.dump(), "links.json"), s);
      EXPECT_TRUE(same_links(a, c));
    }
  }
}

TEST(LinksTest, JsonRejectsBadLinks) {
  const Spec s = mlp_spec({Cell{6, 4, 5}});
  const nlohmann::json good = links_to_json(draw_links(s, 9));
  ASSERT_NO_THROW(links_from_json(good, s));
  {
    nlohmann::json j = good;
    j["cells"][0]["layers"][4][1] = j["cells"][0]["layers"][4][0];
    expect_spec_error([&] { links_from_json(j, s); }, "twice");
  }
  {
    nlohmann::json j = good;
    j.erase("seed");
    expect_spec_error([&] { links_from_json(j, s); }, "seed");
  }
  {
    nlohmann::json j = good;
    j["seed"] = -1;
    expect_spec_error([&] { links_from_json(j, s); }, "seed");
  }
  {
    nlohmann::json j = good;
    j["extra"] = 1;
    expect_spec_error([&] { links_from_json(j, s); }, "extra");
  }
  {
    nlohmann::json j = good;
    j["pool"] = "reference";  // the spec uses the paper pool
    expect_spec_error([&] { links_from_json(j, s); }, "pool");
  }
  {
    nlohmann::json j = good;
    j["cells"][0]["layers"][3][0] = {1, 2, 3};
    expect_spec_error([&] { links_from_json(j, s); }, "[layer, channel]");
  }
  {
    nlohmann::json j = good;
    j["cells"][0]["layers"][3][0] = {"a", 0};
    expect_spec_error([&] { links_from_json(j, s); }, "cells[0].layers[3][0]");
  }
  {
    nlohmann::json j = good;
    j["format"] = "nnmass-spec";
    expect_spec_error([&] { links_from_json(j, s); }, "format");
  }
  {
    nlohmann::json j = good;
    j["version"] = kLinksFormatVersion + 1;
    expect_spec_error([&] { links_from_json(j, s); }, "version");
  }
}
