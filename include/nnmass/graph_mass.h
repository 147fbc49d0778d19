// NN-Mass of a computation graph: the paper's definition (§1.3, §2.3) stated on any DAG of layers,
// so that NAS-Bench-201 cells and traced PyTorch models get an NN-Mass too. docs/graph-mass.md
// gives the definition, why each rule is there, and what it reduces to on the paper's families.
//
// In short: vertices are tensors; a `layer` vertex is the output of a weighted layer (conv,
// linear), the only vertices that add depth. The main path is the path from the input to the output
// with the most layers; its layers, plus the input, are the units 0..n. A bypass is any other
// way into the main path; it carries the channels of the narrowest tensor on it, and it is a
// long-range link when it skips at least one unit. An added bypass joins the unit whose output it is
// added to; a concatenated one joins the unit of the layer that reads the concatenation. Units that
// no link skips cut the path into cells; per cell
//   possible = sum over units t >= 2 (in the cell) of the widths of units 0..t-2
//   links    = channels of the links into the cell's units
//   volume   = widths of the cell's units (its last unit left out when it is a sum with a bypass)
//   mass     = links / possible * volume,        NN-Mass = sum over cells.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnmass/links.h"
#include "nnmass/mass.h"
#include "nnmass/spec.h"

namespace nnmass {

enum class VertexKind {
  kInput,     // the network's input (vertex 0)
  kLayer,     // output of a weighted layer reading its one input (conv or linear, with its BN)
  kAdd,       // sum of its inputs (a node with one input is a plain copy)
  kConcat,    // channel concatenation of its inputs, read by the next layer
  kPlumbing,  // a parameter-free map of one input: identity, pooling, activation, channel selection
};

struct GraphVertex {
  std::string label;
  VertexKind kind = VertexKind::kPlumbing;
  int64_t width = 0;        // channels (features) of the tensor
  std::vector<int> inputs;  // earlier vertices (the graph is stored in topological order)
};

// A DAG in topological order: vertex 0 is the input, the last vertex the output.
struct MassGraph {
  std::vector<GraphVertex> vertices;
  int add(const std::string& label, VertexKind kind, int64_t width, std::vector<int> inputs);
};

// The cells of the definition, in order; their masses sum to the graph's NN-Mass. Empty when no
// unit is skipped by a link (a plain chain), or when the output does not depend on the input.
std::vector<MassTerm> graph_mass_terms(const MassGraph& graph);
double graph_nn_mass(const MassGraph& graph);

// The graph of a spec as nnmass builds it (every family; dense families need their links). The
// graph path for the paper's families exists so tests can show the definition reduces to their
// closed forms; for nb201 it is how NN-Mass is computed.
MassGraph mass_graph(const Spec& spec, const Links* links);

}  // namespace nnmass
