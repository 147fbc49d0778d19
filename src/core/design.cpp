// Exhaustive closed-form design search; see design.h.
#include "nnmass/design.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <functional>

#include "nnmass/error.h"
#include "nnmass/mass.h"

namespace nnmass {
namespace {

[[noreturn]] void fail(const std::string& m) { throw SpecError(m); }

// The spec's own limits (spec.h), so that every candidate is a valid spec.
constexpr double kMaxWidthMult = 64;
// The most candidates one search walks (about 90 s at 11 M candidates/s): a larger space is
// refused at once rather than left running for hours.
constexpr double kMaxCandidates = 1e9;

void check_size(double candidates) {
  if (candidates <= kMaxCandidates) return;
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", candidates);
  fail(std::string("design space: up to ") + text + " candidates, more than the 1e9 one search walks; narrow the lists");
}

void check_list(const std::vector<int>& v, int lo, int hi, const char* name) {
  if (v.empty()) fail(std::string("design space: ") + name + " is empty");
  for (int x : v)
    if (x < lo || x > hi)
      fail(std::string("design space: ") + name + " values must be between " + std::to_string(lo) + " and " +
           std::to_string(hi) + ", got " + std::to_string(x));
}

void validate_space(const Spec& ref, const DesignSpace& s) {
  if (is_dense(ref.family)) {
    check_list(s.depths, 3, kMaxDepth, "depths");
    int max_ratio = 1;  // later cells scale the first cell's width by the reference's ratios
    for (const Cell& c : ref.cells) max_ratio = std::max(max_ratio, (c.width + ref.cells[0].width - 1) / ref.cells[0].width);
    check_list(s.widths, 1, kMaxWidth / max_ratio, "widths");
    check_list(s.tcs, 0, INT32_MAX, "tcs");
    check_size(double(s.depths.size()) * double(s.widths.size()) * std::pow(double(s.tcs.size()), double(ref.cells.size())));
    return;
  }
  if (ref.family != Family::kMobileNetV2)
    fail("design supports the dense families and mobilenet_v2, not " + to_string(ref.family));
  if (s.width_mults.empty()) fail("design space: width_mults is empty");
  for (double w : s.width_mults)
    if (!(w > 0 && w <= kMaxWidthMult)) fail("design space: width_mults must be positive (at most 64)");
  if (s.repeats_min.size() != 7 || s.repeats_max.size() != 7) fail("design space: repeats ranges need 7 stages");
  for (int k = 0; k < 7; ++k)
    if (s.repeats_min[k] < 0 || s.repeats_max[k] < s.repeats_min[k] || s.repeats_max[k] > kMaxDepth)
      fail("design space: stage " + std::to_string(k) + " repeats range " + std::to_string(s.repeats_min[k]) + ".." +
           std::to_string(s.repeats_max[k]) + " is empty or negative");
  double candidates = double(s.width_mults.size());
  for (int k = 0; k < 7; ++k) candidates *= double(s.repeats_max[k] - s.repeats_min[k] + 1);
  check_size(candidates);
}

// Calls visit(spec) for every candidate; t_c values past saturation are skipped (exact: they
// build the same network as saturation, at the same NN-Mass and cost).
void for_each_candidate(const Spec& ref, const DesignSpace& s, const std::function<void(const Spec&)>& visit) {
  Spec spec = ref;
  if (is_dense(ref.family)) {
    const size_t cells = ref.cells.size();
    for (int d : s.depths)
      for (int w0 : s.widths) {
        for (size_t c = 0; c < cells; ++c) {
          spec.cells[c].depth = d;
          spec.cells[c].width = std::max(1, static_cast<int>(std::lround(double(w0) * ref.cells[c].width / ref.cells[0].width)));
        }
        // Odometer over one t_c per cell.
        std::vector<size_t> index(cells, 0);
        for (;;) {
          bool saturated_dup = false;
          for (size_t c = 0; c < cells; ++c) {
            const int tc = s.tcs[index[c]];
            const int64_t saturation = int64_t{spec.cells[c].width} * (d - 2);
            // Keep the first listed value at or past saturation, skip the rest.
            if (tc >= saturation)
              for (size_t j = 0; j < index[c]; ++j)
                if (s.tcs[j] >= saturation) saturated_dup = true;
            spec.cells[c].tc = tc;
          }
          if (!saturated_dup) visit(spec);
          size_t c = 0;
          while (c < cells && ++index[c] == s.tcs.size()) index[c++] = 0;
          if (c == cells) break;
        }
      }
    return;
  }
  for (double wm : s.width_mults) {
    spec.mobilenet.width_mult = wm;
    std::vector<int> r = s.repeats_min;
    for (;;) {
      spec.mobilenet.repeats = r;
      visit(spec);
      int k = 0;
      while (k < 7 && ++r[k] > s.repeats_max[k]) r[k] = s.repeats_min[k], ++k;
      if (k == 7) break;
    }
  }
}

}  // namespace

std::string to_string(Objective o) {
  return o == Objective::kParams ? "params" : o == Objective::kMacs ? "macs" : "flops";
}

Objective parse_objective(const std::string& t) {
  if (t == "params") return Objective::kParams;
  if (t == "macs") return Objective::kMacs;
  if (t == "flops") return Objective::kFlops;
  fail("objective must be params, macs or flops, got \"" + t + "\"");
}

namespace {

std::string int_list_text(const std::vector<int>& values) {
  std::string text;
  for (int x : values) text += (text.empty() ? "" : ",") + std::to_string(x);
  return text;
}

}  // namespace

std::string architecture_text(const Spec& s) {
  if (s.family == Family::kNb201) {  // the benchmark's key; a non-standard skeleton says so
    std::string text = nb201_arch_string(s.nb201.cell);
    if (s.nb201.channels != 16 || s.nb201.cells_per_stage != 5)
      text += " C" + std::to_string(s.nb201.channels) + " N" + std::to_string(s.nb201.cells_per_stage);
    return text;
  }
  if (s.family == Family::kMobileNetV2) {
    char mult[32];
    std::snprintf(mult, sizeof mult, "x%.2f", s.mobilenet.width_mult);
    return std::string(mult) + " [" + int_list_text(s.mobilenet.repeats) + "]" +
           (s.mobilenet.stem == Stem::kCifar ? " cifar" : "");
  }
  if (s.family == Family::kResNet) {
    const ResNetLayout& r = s.resnet;
    std::string text = to_string(r.block) + " [" + int_list_text(r.layers) + "] " + int_list_text(r.planes) + " " +
                       to_string(r.stem) + "/" + std::to_string(r.stem_width);
    if (r.block == Block::kBottleneck && (r.groups != 1 || r.width_per_group != 64))
      text += " " + std::to_string(r.groups) + "x" + std::to_string(r.width_per_group);
    return text;
  }
  std::string text;
  for (const Cell& c : s.cells)
    text += (text.empty() ? "" : ":") + std::to_string(c.depth) + "x" + std::to_string(c.width) + "x" + std::to_string(c.tc);
  return text;
}

int64_t objective_value(const Cost& c, Objective o) {
  return o == Objective::kParams ? c.params : o == Objective::kMacs ? c.macs : c.flops;
}

bool satisfies(double mass, const Cost& cost, const DesignConstraints& k) {
  if (k.at_least ? mass < k.target_mass : std::abs(mass - k.target_mass) > k.tolerance * k.target_mass) return false;
  if (k.max_params > 0 && cost.params > k.max_params) return false;
  if (k.max_flops > 0 && cost.flops > k.max_flops) return false;
  return true;
}

DesignResult design_search(const Spec& ref, const DesignSpace& space, const DesignConstraints& k, Objective objective) {
  validate(ref);
  validate_space(ref, space);
  if (!(k.target_mass >= 0) || !(k.tolerance >= 0)) fail("design: the target NN-Mass and the tolerance must be >= 0");
  struct Point {
    double mass;
    int64_t cost;
    Spec spec;
  };
  DesignResult result;
  std::vector<Point> frontier;  // kept small: only points not yet dominated
  std::optional<Point> best;
  int64_t best_cost = 0;
  for_each_candidate(ref, space, [&](const Spec& spec) {
    ++result.evaluated;
    const double mass = nn_mass(spec);
    const Cost cost = count_cost(spec);
    const int64_t value = objective_value(cost, objective);
    if (satisfies(mass, cost, k)) {
      ++result.feasible;
      // Cheapest wins; ties go to the larger NN-Mass, then to the first found.
      if (!best || value < best_cost || (value == best_cost && mass > best->mass)) {
        best = Point{mass, value, spec};
        best_cost = value;
      }
    }
    // Frontier: no other point has >= mass at <= cost (one strictly better).
    for (const Point& p : frontier)
      if (p.mass >= mass && p.cost <= value) return;
    frontier.erase(std::remove_if(frontier.begin(), frontier.end(),
                                  [&](const Point& p) { return mass >= p.mass && value <= p.cost; }),
                   frontier.end());
    frontier.push_back({mass, value, spec});
  });
  std::sort(frontier.begin(), frontier.end(), [](const Point& a, const Point& b) { return a.cost < b.cost; });
  for (const Point& p : frontier) result.pareto.push_back({p.spec, p.mass, count_cost(p.spec)});
  if (best) result.best = Candidate{best->spec, best->mass, count_cost(best->spec)};
  return result;
}

std::vector<Candidate> enumerate_space(const Spec& ref, const DesignSpace& space) {
  validate(ref);
  validate_space(ref, space);
  std::vector<Candidate> all;
  for_each_candidate(ref, space, [&](const Spec& s) { all.push_back({s, nn_mass(s), count_cost(s)}); });
  return all;
}

}  // namespace nnmass
