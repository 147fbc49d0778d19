// NN-Density and NN-Mass in closed form (§1.3 for dense cells, §2.3 for residual blocks).
//   rho_c = sum_{i=2}^{d-1} min(w(i-1), t_c) / sum_{i=2}^{d-1} w(i-1)
//   m     = sum_c rho_c * w_c * d_c
// A residual block is a small cell (§2.3): volume, actual links and possible links give its
// density and mass the same way. The scalar functions allocate nothing (they are the hot path of
// `nnmass design`); `mass_terms` lists the per-cell / per-block terms for tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnmass/spec.h"

namespace nnmass {

// One term of the NN-Mass sum: a dense cell, or a residual block with a skip connection.
struct MassTerm {
  std::string label;     // "cell 0", "layer2.1", "features.5", ...
  int64_t volume = 0;    // w_c * d_c, or the block's channels summed over its layers
  int64_t links = 0;     // long-range inputs actually taken (sum of t_i; the shortcut's channels)
  int64_t possible = 0;  // long-range inputs that could be taken (sum of w(i-1))
  double density = 0;    // rho = links / possible
  double mass = 0;       // rho * volume
};

// Sum of t_i over the cell's layers, and of the pool sizes w(i-1): exact integers, O(1).
int64_t cell_links(const Cell& cell);
int64_t cell_possible_links(const Cell& cell);
// rho_c of one dense cell (requires depth >= 3).
double cell_density(const Cell& cell);

// NN-Mass of a valid spec of any family.
double nn_mass(const Spec& spec);
// NN-Density: the mean of rho over the terms (cells, or residual blocks with a skip).
double average_density(const Spec& spec);
// The terms of the sum, in network order.
std::vector<MassTerm> mass_terms(const Spec& spec);

}  // namespace nnmass
