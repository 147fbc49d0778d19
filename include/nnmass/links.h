// Long-range links (§1.2): which earlier channels each layer of a dense cell concatenates to its
// input. Layer i >= 2 takes t_i = min(w*(i-1), t_c) distinct channels, drawn uniformly without
// replacement from its pool; layers 0 and 1 take none. The draw uses the library's own PRNG
// (SplitMix64 + rejection sampling + partial Fisher-Yates), so one seed gives the same topology on
// every machine and compiler. Topology is data: links are written to and read from JSON.
#pragma once

#include <cstdint>
#include <vector>

#include "nnmass/spec.h"

namespace nnmass {

// One long-range input: channel `channel` of layer `layer` of the same cell.
struct LinkSource {
  int layer = 0;
  int channel = 0;
  bool operator==(const LinkSource& o) const { return layer == o.layer && channel == o.channel; }
};

struct CellLinks {
  // layers[i]: the sources layer i concatenates (draw_links sorts them by layer, then channel);
  // empty for i < 2.
  std::vector<std::vector<LinkSource>> layers;
};

struct Links {
  LinkPool pool = LinkPool::kPaper;
  uint64_t seed = 0;
  std::vector<CellLinks> cells;  // one per cell of the spec
};

// t_i: long-range inputs of layer i (0-based) of a cell.
int layer_link_count(const Cell& cell, int layer);
// The pool layer i draws from, as [first, last] layer indices (inclusive) for the given pool kind.
void link_pool_range(LinkPool pool, int layer, int* first, int* last);

// Draws every cell's links of a dense spec from `seed` (pool kind from spec.link_pool).
Links draw_links(const Spec& spec, uint64_t seed);

// Throws SpecError if `links` does not fit `spec` (pool kind, cell/layer counts, t_i per layer,
// sources out of the pool, duplicates). Used on links read from a file.
void check_links(const Spec& spec, const Links& links);

}  // namespace nnmass
