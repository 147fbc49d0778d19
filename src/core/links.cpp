// Seeded draw and checking of long-range links (§1.2). Each cell has its own PRNG stream
// (seed mixed with the cell index), so editing one cell of a spec leaves the other cells'
// links unchanged; within a cell, layers are drawn in order 2..d-1.
#include "nnmass/links.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <string>
#include <unordered_map>

#include "core/rng.h"
#include "nnmass/error.h"

namespace nnmass {

int layer_link_count(const Cell& cell, int layer) {
  if (layer < 2) return 0;
  const int64_t pool = int64_t{cell.width} * (layer - 1);
  return static_cast<int>(std::min<int64_t>(pool, cell.tc));
}

void link_pool_range(LinkPool pool, int layer, int* first, int* last) {
  // Both pools hold layer-1 whole layers: paper 0..i-2, reference (official CNN) 1..i-1.
  *first = pool == LinkPool::kPaper ? 0 : 1;
  *last = pool == LinkPool::kPaper ? layer - 2 : layer - 1;
}

namespace {

// Draws t distinct indices of [0, n) by a partial Fisher-Yates shuffle of the identity, kept
// sparse: only displaced positions are stored, so memory is O(t) however large the pool (a
// 100000-wide, 100000-deep cell has pools of 10^10 channels). Same draws as a dense shuffle.
void draw_distinct(detail::SplitMix64& rng, int64_t n, int t, std::unordered_map<int64_t, int64_t>& displaced,
                   std::vector<int64_t>& out) {
  displaced.clear();
  out.clear();
  const auto at = [&](int64_t i) {
    const auto it = displaced.find(i);
    return it == displaced.end() ? i : it->second;
  };
  for (int k = 0; k < t; ++k) {
    const int64_t j = k + static_cast<int64_t>(rng.uniform_below(static_cast<uint64_t>(n - k)));
    const int64_t picked = at(j);
    displaced[j] = at(k);
    out.push_back(picked);
  }
}

CellLinks draw_cell_links(const Cell& cell, LinkPool pool, uint64_t seed) {
  detail::SplitMix64 rng(seed);
  CellLinks links;
  links.layers.resize(cell.depth);
  std::unordered_map<int64_t, int64_t> displaced;
  std::vector<int64_t> picked;
  for (int i = 2; i < cell.depth; ++i) {
    int first = 0, last = 0;
    link_pool_range(pool, i, &first, &last);
    // Flat pool index p -> (layer first + p / w, channel p % w).
    draw_distinct(rng, int64_t{cell.width} * (i - 1), layer_link_count(cell, i), displaced, picked);
    std::sort(picked.begin(), picked.end());
    auto& sources = links.layers[i];
    sources.reserve(picked.size());
    for (int64_t p : picked)
      sources.push_back({first + static_cast<int>(p / cell.width), static_cast<int>(p % cell.width)});
  }
  return links;
}

}  // namespace

Links draw_links(const Spec& spec, uint64_t seed) {
  if (!is_dense(spec.family))
    throw SpecError("links exist only in dense families (mlp, cnn, dwcnn), not " +
                    to_string(spec.family));
  Links links;
  links.pool = spec.link_pool;
  links.seed = seed;
  for (size_t c = 0; c < spec.cells.size(); ++c)
    links.cells.push_back(draw_cell_links(spec.cells[c], spec.link_pool, detail::mix_seed(seed, c)));
  return links;
}

void check_links(const Spec& spec, const Links& links) {
  const auto fail = [](const std::string& m) { throw SpecError("links: " + m); };
  if (links.pool != spec.link_pool)
    fail("pool \"" + to_string(links.pool) + "\" differs from the spec's link_pool \"" +
         to_string(spec.link_pool) + "\"");
  if (links.cells.size() != spec.cells.size())
    fail("has " + std::to_string(links.cells.size()) + " cells, the spec has " +
         std::to_string(spec.cells.size()));
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const Cell& cell = spec.cells[c];
    const auto& layers = links.cells[c].layers;
    const std::string at = "cells[" + std::to_string(c) + "]";
    if (layers.size() != static_cast<size_t>(cell.depth))
      fail(at + " has " + std::to_string(layers.size()) + " layers, the spec's depth is " +
           std::to_string(cell.depth));
    for (int i = 0; i < cell.depth; ++i) {
      const auto& sources = layers[i];
      const std::string lat = at + ".layers[" + std::to_string(i) + "]";
      if (static_cast<int>(sources.size()) != layer_link_count(cell, i))
        fail(lat + " has " + std::to_string(sources.size()) + " links, expected t_i = " +
             std::to_string(layer_link_count(cell, i)));
      int first = 0, last = 0;
      link_pool_range(links.pool, i, &first, &last);
      std::set<std::pair<int, int>> seen;
      for (const LinkSource& s : sources) {
        if (s.layer < first || s.layer > last || s.channel < 0 || s.channel >= cell.width)
          fail(lat + " takes [" + std::to_string(s.layer) + ", " + std::to_string(s.channel) +
               "], outside its pool (layers " + std::to_string(first) + ".." +
               std::to_string(last) + ", channels 0.." + std::to_string(cell.width - 1) + ")");
        if (!seen.insert({s.layer, s.channel}).second)
          fail(lat + " takes [" + std::to_string(s.layer) + ", " + std::to_string(s.channel) +
               "] twice");
      }
    }
  }
}

}  // namespace nnmass
