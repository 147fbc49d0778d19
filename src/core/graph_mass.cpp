// NN-Mass of a computation graph (docs/graph-mass.md): main path, units, links, cells, mass.
#include "nnmass/graph_mass.h"

#include <algorithm>
#include <map>

#include "nnmass/error.h"

namespace nnmass {

int MassGraph::add(const std::string& label, VertexKind kind, int64_t width, std::vector<int> inputs) {
  const int index = static_cast<int>(vertices.size());
  for (int u : inputs)
    if (u < 0 || u >= index) throw SpecError("graph vertex " + label + " reads vertex " + std::to_string(u) +
                                             ", which is not an earlier vertex");
  vertices.push_back({label, kind, width, std::move(inputs)});
  return index;
}

namespace {

constexpr int kUnreached = -1;

void check_graph(const MassGraph& g) {
  if (g.vertices.empty() || g.vertices[0].kind != VertexKind::kInput)
    throw SpecError("a mass graph starts with its input vertex");
  for (size_t v = 0; v < g.vertices.size(); ++v) {
    const GraphVertex& x = g.vertices[v];
    const bool single = x.kind == VertexKind::kLayer || x.kind == VertexKind::kPlumbing;
    if ((v > 0 && x.kind == VertexKind::kInput) || (single && x.inputs.size() != 1) || x.width < 0)
      throw SpecError("mass graph vertex " + x.label + " is malformed (one input vertex 0; layers and plumbing "
                      "read exactly one vertex; widths are not negative)");
  }
}

// The path from the input to the output with the most layers; ties go to the latest vertex, so a
// result does not depend on the order in which a sum lists its operands' creation. Empty when the
// output is unreachable (a cell of `none` edges cuts the network).
std::vector<int> longest_path(const MassGraph& g) {
  const size_t n = g.vertices.size();
  std::vector<int> best(n, kUnreached), prev(n, -1);
  best[0] = 0;
  for (size_t v = 1; v < n; ++v) {
    for (int u : g.vertices[v].inputs) {
      if (best[u] == kUnreached) continue;
      if (best[u] > best[v] || (best[u] == best[v] && u > prev[v])) {
        best[v] = best[u];
        prev[v] = u;
      }
    }
    if (best[v] != kUnreached && g.vertices[v].kind == VertexKind::kLayer) ++best[v];
  }
  std::vector<int> path;
  if (best[n - 1] == kUnreached) return path;
  for (int v = static_cast<int>(n) - 1; v != -1; v = prev[v]) path.push_back(v);
  std::reverse(path.begin(), path.end());
  return path;
}

struct Units {
  std::vector<int> source;         // per vertex on the path: the unit whose output it carries; -1 off the path
  std::vector<int64_t> width;      // per unit
  std::vector<std::string> label;  // per unit: its last vertex on the path
  std::vector<bool> merged;        // per unit: its output is a sum with a bypass
  int target(const MassGraph& g, int v) const {  // the unit a bypass into path vertex v joins
    const bool concat = g.vertices[v].kind == VertexKind::kConcat;
    return std::min<int>(source[v] + (concat ? 1 : 0), static_cast<int>(width.size()) - 1);
  }
};

Units units_of(const MassGraph& g, const std::vector<int>& path) {
  Units u;
  u.source.assign(g.vertices.size(), -1);
  int unit = 0;
  u.width.push_back(g.vertices[path[0]].width);
  u.label.push_back(g.vertices[path[0]].label);
  u.merged.push_back(false);
  for (size_t i = 0; i < path.size(); ++i) {
    const GraphVertex& x = g.vertices[path[i]];
    if (i > 0 && x.kind == VertexKind::kLayer) {
      ++unit;
      u.width.push_back(x.width);
      u.label.push_back(x.label);
      u.merged.push_back(false);
    }
    u.source[path[i]] = unit;
    if (x.kind == VertexKind::kLayer || x.kind == VertexKind::kAdd || x.kind == VertexKind::kInput) u.label[unit] = x.label;
    if (x.kind == VertexKind::kAdd && x.inputs.size() > 1) u.merged[unit] = true;
  }
  return u;
}

struct Link {
  int from, to;  // units
  int64_t channels;
};

// Every bypass into the path, with the unit it leaves and the channels it carries (the narrowest
// tensor on its way); off-path vertices learn, per path unit they descend from, that width.
std::vector<Link> bypasses(const MassGraph& g, const std::vector<int>& path, const Units& u) {
  std::vector<std::map<int, int64_t>> roots(g.vertices.size());
  for (size_t v = 1; v < g.vertices.size(); ++v) {
    if (u.source[v] >= 0) continue;
    const int64_t w = g.vertices[v].width;
    for (int in : g.vertices[v].inputs) {
      auto offer = [&](int unit, int64_t ch) { roots[v][unit] = std::max(roots[v][unit], std::min(ch, w)); };
      if (u.source[in] >= 0) offer(u.source[in], g.vertices[in].width);
      else for (const auto& [unit, ch] : roots[in]) offer(unit, ch);
    }
  }
  std::vector<Link> out;
  for (size_t i = 1; i < path.size(); ++i) {
    const int v = path[i];
    bool skipped_main = false;
    for (int in : g.vertices[v].inputs) {
      if (in == path[i - 1] && !skipped_main) {
        skipped_main = true;
        continue;
      }
      const int to = u.target(g, v);
      if (u.source[in] >= 0) out.push_back({u.source[in], to, g.vertices[in].width});
      else for (const auto& [unit, ch] : roots[in]) out.push_back({unit, to, ch});
    }
  }
  return out;
}

}  // namespace

std::vector<MassTerm> graph_mass_terms(const MassGraph& graph) {
  check_graph(graph);
  const std::vector<int> path = longest_path(graph);
  if (path.empty()) return {};
  const Units u = units_of(graph, path);
  const int n = static_cast<int>(u.width.size());
  // Long-range links: bypasses that skip at least one unit, channels summed per (from, to) and
  // capped at the source's width (two ways from one unit carry its channels once).
  std::map<std::pair<int, int>, int64_t> links;
  for (const Link& l : bypasses(graph, path, u)) {
    if (l.from > l.to - 2) continue;  // from the layer's own input: a wider layer, not a skip
    int64_t& c = links[{l.from, l.to}];
    c = std::min(c + l.channels, u.width[l.from]);
  }
  std::vector<bool> skipped(n, false);
  for (const auto& [ends, ch] : links)
    for (int k = ends.first + 1; k < ends.second; ++k) skipped[k] = true;
  std::vector<MassTerm> terms;
  for (int a = 0; a < n;) {
    int b = a + 1;
    while (b < n && skipped[b]) ++b;
    if (b >= n) break;
    if (b >= a + 2) {
      MassTerm t;
      t.label = u.label[b];
      int64_t prefix = 0;  // widths of units a..t-2
      for (int k = a + 2; k <= b; ++k) {
        prefix += u.width[k - 2];
        t.possible += prefix;
      }
      for (const auto& [ends, ch] : links)
        if (ends.second > a && ends.second <= b) t.links += ch;
      for (int k = a; k <= b; ++k) t.volume += u.width[k];
      if (u.merged[b]) t.volume -= u.width[b];
      t.density = static_cast<double>(t.links) / static_cast<double>(t.possible);
      t.mass = t.density * static_cast<double>(t.volume);
      terms.push_back(t);
    }
    a = b;
  }
  return terms;
}

double graph_nn_mass(const MassGraph& graph) {
  double m = 0;
  for (const MassTerm& t : graph_mass_terms(graph)) m += t.mass;
  return m;
}

}  // namespace nnmass
