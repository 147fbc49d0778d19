// NN-Density and NN-Mass in closed form (§1.3, §2.3).
//
// Dense cell (d layers, width w, cap t): layer i = 2..d-1 takes t_i = min(w*j, t) links, j = i-1.
// With J = d-2 eligible layers and q = min(J, floor(t/w)) uncapped ones:
//   links    = sum_{j=1}^{J} min(w*j, t) = w*q(q+1)/2 + (J-q)*t
//   possible = sum_{j=1}^{J} w*j         = w*J(J+1)/2
// Both are exact integers, so rho = links/possible is one division and costs O(1) per cell.
#include "nnmass/mass.h"

#include <algorithm>

#include "nnmass/graph_mass.h"
#include "nnmass/residual.h"

namespace nnmass {

int64_t cell_links(const Cell& cell) {
  const int64_t w = cell.width, t = cell.tc, J = cell.depth - 2;
  const int64_t q = std::min(J, t / w);
  return w * q * (q + 1) / 2 + (J - q) * t;
}

int64_t cell_possible_links(const Cell& cell) {
  const int64_t w = cell.width, J = cell.depth - 2;
  return w * J * (J + 1) / 2;
}

double cell_density(const Cell& cell) {
  return static_cast<double>(cell_links(cell)) / static_cast<double>(cell_possible_links(cell));
}

namespace {

double cell_mass(const Cell& cell) {
  return cell_density(cell) * static_cast<double>(int64_t{cell.width} * cell.depth);
}

double term_mass(int64_t volume, int64_t links, int64_t possible) {
  return possible == 0 ? 0.0 : static_cast<double>(links) / possible * volume;
}

}  // namespace

double nn_mass(const Spec& spec) {
  double m = 0;
  if (is_dense(spec.family)) {
    for (const Cell& cell : spec.cells) m += cell_mass(cell);
    return m;
  }
  for (const MassTerm& term : mass_terms(spec)) m += term.mass;
  return m;
}

double average_density(const Spec& spec) {
  if (is_dense(spec.family)) {
    double sum = 0;
    for (const Cell& cell : spec.cells) sum += cell_density(cell);
    return sum / static_cast<double>(spec.cells.size());
  }
  const auto terms = mass_terms(spec);
  if (terms.empty()) return 0;
  double sum = 0;
  for (const MassTerm& term : terms) sum += term.density;
  return sum / static_cast<double>(terms.size());
}

std::vector<MassTerm> mass_terms(const Spec& spec) {
  // NAS-Bench-201 cells are no chain with skips: their NN-Mass comes from the graph definition.
  if (spec.family == Family::kNb201) return graph_mass_terms(mass_graph(spec, nullptr));
  std::vector<MassTerm> terms;
  if (is_dense(spec.family)) {
    for (size_t c = 0; c < spec.cells.size(); ++c) {
      const Cell& cell = spec.cells[c];
      MassTerm t;
      t.label = "cell " + std::to_string(c);
      t.volume = int64_t{cell.width} * cell.depth;
      t.links = cell_links(cell);
      t.possible = cell_possible_links(cell);
      t.density = cell_density(cell);
      t.mass = cell_mass(cell);
      terms.push_back(t);
    }
    return terms;
  }
  // Residual families: one term per block that has a skip connection.
  for (const ResidualBlock& b : residual_blocks(spec)) {
    if (!b.residual) continue;
    MassTerm t;
    t.label = b.label;
    residual_block_terms(spec.family, spec.resnet.block, b, &t.volume, &t.links, &t.possible);
    t.density = static_cast<double>(t.links) / static_cast<double>(t.possible);
    t.mass = term_mass(t.volume, t.links, t.possible);
    terms.push_back(t);
  }
  return terms;
}

}  // namespace nnmass
