// The mass graph (graph_mass.h) of every family, laid out as the libtorch builder lays out the
// network: layers are convs/linears (with their BN), pools and activations are plumbing.
#include <map>

#include "nnmass/error.h"
#include "nnmass/graph_mass.h"
#include "nnmass/residual.h"

namespace nnmass {
namespace {

using K = VertexKind;

// Dense cells: layer k reads the concatenation of layer k-1 and its links (one selection per
// source layer); the MLP's classifier is the last cell's last layer, the CNNs' head a pool + Linear.
int dense_graph(const Spec& spec, const Links& links, MassGraph& g, int x) {
  for (size_t c = 0; c < spec.cells.size(); ++c) {
    const Cell& cell = spec.cells[c];
    const std::string at = "cell" + std::to_string(c) + ".layer";
    const bool classifier_cell = spec.family == Family::kMlp && c + 1 == spec.cells.size();
    std::vector<int> nodes;
    for (int k = 0; k < cell.depth; ++k) {
      const int64_t width = classifier_cell && k + 1 == cell.depth ? spec.classes : cell.width;
      int in = k == 0 ? x : nodes[k - 1];
      const auto& sources = links.cells[c].layers;
      if (k >= 2 && k < static_cast<int>(sources.size()) && !sources[k].empty()) {
        std::map<int, int64_t> per_layer;
        for (const LinkSource& s : sources[k]) ++per_layer[s.layer];
        std::vector<int> parts = {in};
        for (const auto& [layer, count] : per_layer)
          parts.push_back(g.add(at + std::to_string(k) + ".links" + std::to_string(layer), K::kPlumbing, count,
                                {nodes[layer]}));
        in = g.add(at + std::to_string(k) + ".concat", K::kConcat, cell.width + layer_link_count(cell, k), parts);
      }
      nodes.push_back(g.add(at + std::to_string(k), K::kLayer, width, {in}));
    }
    x = nodes.back();
  }
  if (spec.family == Family::kMlp) return x;
  x = g.add("pool", K::kPlumbing, spec.cells.back().width, {x});
  return g.add("fc", K::kLayer, spec.classes, {x});
}

int resnet_graph(const Spec& spec, MassGraph& g, int x) {
  const ResNetLayout& r = spec.resnet;
  x = g.add("conv1", K::kLayer, r.stem_width, {x});
  if (r.stem == Stem::kImageNet) x = g.add("maxpool", K::kPlumbing, r.stem_width, {x});
  for (const ResidualBlock& b : residual_blocks(spec)) {
    int h = g.add(b.label + ".conv1", K::kLayer, b.mid, {x});
    h = g.add(b.label + ".conv2", K::kLayer, r.block == Block::kBasic ? b.out : b.mid, {h});
    if (r.block == Block::kBottleneck) h = g.add(b.label + ".conv3", K::kLayer, b.out, {h});
    const int shortcut = b.projection ? g.add(b.label + ".downsample", K::kLayer, b.out, {x}) : x;
    x = g.add(b.label, K::kAdd, b.out, {h, shortcut});
  }
  x = g.add("avgpool", K::kPlumbing, residual_blocks(spec).back().out, {x});
  return g.add("fc", K::kLayer, spec.classes, {x});
}

int mobilenet_graph(const Spec& spec, MassGraph& g, int x) {
  x = g.add("features.0", K::kLayer, mobilenet_stem_channels(spec.mobilenet.width_mult), {x});
  for (const ResidualBlock& b : residual_blocks(spec)) {
    int h = x;
    if (b.expand != 1) h = g.add(b.label + ".expand", K::kLayer, b.mid, {h});
    h = g.add(b.label + ".depthwise", K::kLayer, b.mid, {h});
    h = g.add(b.label + ".project", K::kLayer, b.out, {h});
    x = b.residual ? g.add(b.label, K::kAdd, b.out, {h, x}) : h;
  }
  const int64_t last = mobilenet_last_channels(spec.mobilenet.width_mult);
  x = g.add("features.last", K::kLayer, last, {x});
  x = g.add("avgpool", K::kPlumbing, last, {x});
  return g.add("classifier", K::kLayer, spec.classes, {x});
}

// One NAS-Bench-201 cell at `c` channels: node j sums its edges' outputs; conv edges are layers,
// pool edges plumbing, none edges nothing. A node with no edge is zero (-1 here): edges from it
// carry nothing, and a zero cell output leaves the rest of the network unreachable.
int nb201_cell_graph(const Nb201Cell& cell, int64_t c, const std::string& at, MassGraph& g, int x) {
  int node[4] = {x, -1, -1, -1};
  for (int j = 1; j <= 3; ++j) {
    std::vector<int> parts;
    for (int e = 0; e < kNb201Edges; ++e) {
      const int i = nb201_edge_from(e);
      if (nb201_edge_to(e) != j || node[i] < 0) continue;
      const std::string edge = at + ".edge" + std::to_string(i) + std::to_string(j);
      switch (cell[e]) {
        case Nb201Op::kNone: break;
        case Nb201Op::kSkip: parts.push_back(node[i]); break;
        case Nb201Op::kConv1x1:
        case Nb201Op::kConv3x3: parts.push_back(g.add(edge, K::kLayer, c, {node[i]})); break;
        case Nb201Op::kAvgPool: parts.push_back(g.add(edge, K::kPlumbing, c, {node[i]})); break;
      }
    }
    if (!parts.empty()) node[j] = g.add(at + ".node" + std::to_string(j), K::kAdd, c, parts);
  }
  return node[3] >= 0 ? node[3] : g.add(at + ".zero", K::kAdd, c, {});
}

int nb201_graph(const Spec& spec, MassGraph& g, int x) {
  const Nb201Layout& nb = spec.nb201;
  int64_t c = nb.channels;
  x = g.add("stem", K::kLayer, c, {x});
  int index = 0;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {  // the residual reduction block
      const std::string at = "cells." + std::to_string(index++);
      const int pooled = g.add(at + ".downsample.pool", K::kPlumbing, c, {x});
      const int shortcut = g.add(at + ".downsample.conv", K::kLayer, 2 * c, {pooled});
      c *= 2;
      int h = g.add(at + ".conv_a", K::kLayer, c, {x});
      h = g.add(at + ".conv_b", K::kLayer, c, {h});
      x = g.add(at, K::kAdd, c, {h, shortcut});
    }
    for (int k = 0; k < nb.cells_per_stage; ++k)
      x = nb201_cell_graph(nb.cell, c, "cells." + std::to_string(index++), g, x);
  }
  x = g.add("lastact", K::kPlumbing, c, {x});
  return g.add("classifier", K::kLayer, spec.classes, {x});
}

}  // namespace

MassGraph mass_graph(const Spec& spec, const Links* links) {
  MassGraph g;
  int64_t in = spec.input[0];
  if (spec.family == Family::kMlp)
    for (size_t k = 1; k < spec.input.size(); ++k) in *= spec.input[k];
  const int x = g.add("input", K::kInput, in, {});
  if (is_dense(spec.family)) {
    if (!links) throw SpecError("the mass graph of a dense family needs its links");
    check_links(spec, *links);
    dense_graph(spec, *links, g, x);
  } else if (spec.family == Family::kResNet) {
    resnet_graph(spec, g, x);
  } else if (spec.family == Family::kMobileNetV2) {
    mobilenet_graph(spec, g, x);
  } else {
    nb201_graph(spec, g, x);
  }
  return g;
}

}  // namespace nnmass
