// Design at initialization (the paper's compressed DenseNets and MobileNets): the cheapest
// architecture of a search space whose NN-Mass matches a target, found from the closed forms
// alone, without training. Exhaustive over the space, with the exact pruning that t_c values past
// a cell's saturation (t_c >= w (d-2)) give the same network as saturation itself. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nnmass/cost.h"
#include "nnmass/spec.h"

namespace nnmass {

enum class Objective { kParams, kMacs, kFlops };
std::string to_string(Objective objective);
Objective parse_objective(const std::string& text);

// Candidate values. Dense families: every cell takes a depth and a t_c from the lists (one depth
// for all cells, as the official CNN; one t_c per cell) and the first cell a width from `widths`;
// cell c's width is the first cell's times the reference's ratio w_c / w_0. MobileNet-v2: a width
// multiplier and, per stage, a number of blocks in [repeats_min, repeats_max].
struct DesignSpace {
  std::vector<int> depths, widths, tcs;
  std::vector<double> width_mults;
  std::vector<int> repeats_min, repeats_max;  // 7 stages each
};

struct DesignConstraints {
  double target_mass = 0;     // NN-Mass to match
  double tolerance = 0.02;    // relative: |m - target| <= tolerance * target
  bool at_least = false;      // instead: m >= target
  int64_t max_params = 0;     // 0: no limit
  int64_t max_flops = 0;      // 0: no limit
};

struct Candidate {
  Spec spec;
  double mass = 0;
  Cost cost;
};

struct DesignResult {
  std::vector<Candidate> pareto;    // NN-Mass vs cost frontier of the space (cheapest first)
  std::optional<Candidate> best;    // cheapest candidate meeting every constraint
  int64_t evaluated = 0;            // candidates whose closed form was computed
  int64_t feasible = 0;             // of which met every constraint
};

// An architecture in one short line: "24x16x16" per cell (depth x width x t_c, cells joined by ':'),
// "x1.10 [2,3,4,5,4,3,1]" for MobileNet-v2 (width multiplier, blocks per stage; " cifar" with the
// stride-1 stem), "basic [2,2,2] 16,32,64 cifar/16" for a ResNet (block, blocks and planes per
// stage, stem/stem width; "groups x width per group" after a non-standard bottleneck).
std::string architecture_text(const Spec& spec);

// The objective's value of a cost.
int64_t objective_value(const Cost& cost, Objective objective);
// True if (mass, cost) meets the constraints.
bool satisfies(double mass, const Cost& cost, const DesignConstraints& constraints);

// Searches the space around `reference` (its family, input, classes, cell count, head and width
// ratios). SpecError on an empty or impossible space (e.g. a depth below 3).
DesignResult design_search(const Spec& reference, const DesignSpace& space,
                           const DesignConstraints& constraints, Objective objective);

// Every candidate of the space, for brute-force checks (small spaces only).
std::vector<Candidate> enumerate_space(const Spec& reference, const DesignSpace& space);

}  // namespace nnmass
