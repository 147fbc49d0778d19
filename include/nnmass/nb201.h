// NAS-Bench-201 (the NATS-Bench topology space): one 4-node cell repeated in a fixed skeleton.
// Node 0 is the cell's input; node j = 1..3 is the sum of one operation applied to every earlier
// node i < j: six edges, in the arch string's order 0->1 | 0->2, 1->2 | 0->3, 1->3, 2->3.
//   |op~0|+|op~0|op~1|+|op~0|op~1|op~2|     (op~i is the edge from node i)
// Five operations on an edge give 5^6 = 15,625 cells. shared/spec/nb201.md has the skeleton and
// its exact counts. Cells are keyed by their arch string; `nb201_index` is nnmass's own base-5
// numbering (edge 0->1 the most significant digit, ops in kNb201OpNames order), not the
// benchmark's internal index.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace nnmass {

enum class Nb201Op { kNone, kSkip, kConv1x1, kConv3x3, kAvgPool };
constexpr int kNb201Edges = 6;
constexpr int kNb201Ops = 5;
constexpr int kNb201Cells = 15625;  // 5^6
using Nb201Cell = std::array<Nb201Op, kNb201Edges>;

// The benchmark's names: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.
std::string to_string(Nb201Op op);

// Edge k's endpoints (k in arch-string order).
int nb201_edge_from(int edge);
int nb201_edge_to(int edge);

// Strict parser of an arch string; SpecError names `field` and the first thing wrong.
Nb201Cell parse_nb201_cell(const std::string& text, const std::string& field = "cell");
std::string nb201_arch_string(const Nb201Cell& cell);

// Base-5 numbering 0..15624 and its inverse.
int nb201_index(const Nb201Cell& cell);
Nb201Cell nb201_cell_at(int index);

// Edges of a given op.
int nb201_count(const Nb201Cell& cell, Nb201Op op);

// The benchmark's best CIFAR-10 cell (1,073,466 params at 10 classes).
Nb201Cell nb201_best_cifar10_cell();

}  // namespace nnmass
