// Closed-form design search (design.h): the cheapest architecture of a space whose NN-Mass matches
// a target, and the NN-Mass vs cost Pareto frontier of the space. Torch-free.
//
// Golden values:
//   * MobileNet-v2 x1.4: NN-Mass 1807, 6.11 M params; the width-1.1, repeats [2,3,4,5,4,3,1]
//     ImageNet model of the official train_imagenet.py: NN-Mass 1797, 4.30 M params (method.md
//     §2.3 table and the paragraph after it, §4.3). The exact parameter counts 6,108,776 and
//     4,304,504 (1000 classes) are the torchvision-layout recounts pinned in cost_test.cpp.
//   * Saturation: t_c >= w (d-2) makes every layer take its whole pool, rho = 1 (method.md §1.3).
// Everything else is checked against an independent brute force written here: every point of the
// space (no saturation pruning), with nn_mass / count_cost evaluated directly on each spec.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "nnmass/cost.h"
#include "nnmass/design.h"
#include "nnmass/error.h"
#include "nnmass/mass.h"
#include "nnmass/spec.h"

using namespace nnmass;

namespace {

constexpr Objective kObjectives[] = {Objective::kParams, Objective::kMacs, Objective::kFlops};

Spec mlp_spec(int width, int depth, int tc) {
  Spec s;
  s.family = Family::kMlp;
  s.input = {784};
  s.classes = 10;
  s.cells = {Cell{depth, width, tc}};
  return s;
}

// A small dense CNN (16x16 inputs keep count_cost cheap); widths in integer ratios so that the
// brute force below can scale them exactly.
Spec small_cnn(Family family, Head head, std::vector<Cell> cells) {
  Spec s;
  s.family = family;
  s.input = {3, 16, 16};
  s.classes = 10;
  s.head = head;
  s.cells = std::move(cells);
  return s;
}

Spec mobilenet(double width_mult, std::vector<int> repeats = {1, 2, 3, 4, 3, 3, 1}) {
  Spec s = standard_spec("mobilenet_v2");
  s.mobilenet.width_mult = width_mult;
  s.mobilenet.repeats = std::move(repeats);
  return s;
}

// The space of the paper's compressed MobileNet-v2 (the CLI's `--case mobilenet_v2` defaults):
// it holds both x1.4 and the width-1.1, [2,3,4,5,4,3,1] model.
DesignSpace mobilenet_space() {
  DesignSpace s;
  s.width_mults = {0.75, 1.0, 1.1, 1.2, 1.3, 1.4};
  s.repeats_min = {1, 2, 3, 4, 3, 3, 1};
  s.repeats_max = {2, 3, 4, 5, 4, 4, 1};
  return s;
}

bool same_cost(const Cost& a, const Cost& b) {
  return a.params == b.params && a.macs == b.macs && a.flops == b.flops;
}

// Independent brute force: every point of the space, t_c past saturation included.
std::vector<Candidate> brute_dense(const Spec& ref, const DesignSpace& s) {
  std::vector<Candidate> all;
  const size_t cells = ref.cells.size();
  for (size_t c = 0; c < cells; ++c)  // the helper scales widths exactly: integer ratios only
    EXPECT_EQ(ref.cells[c].width % ref.cells[0].width, 0) << "test setup: use integer width ratios";
  for (int d : s.depths)
    for (int w0 : s.widths) {
      Spec spec = ref;
      for (size_t c = 0; c < cells; ++c) {
        spec.cells[c].depth = d;
        spec.cells[c].width = w0 * (ref.cells[c].width / ref.cells[0].width);
      }
      std::function<void(size_t)> rec = [&](size_t c) {
        if (c == cells) {
          all.push_back({spec, nn_mass(spec), count_cost(spec)});
          return;
        }
        for (int tc : s.tcs) {
          spec.cells[c].tc = tc;
          rec(c + 1);
        }
      };
      rec(0);
    }
  return all;
}

std::vector<Candidate> brute_mobilenet(const Spec& ref, const DesignSpace& s) {
  std::vector<Candidate> all;
  for (double wm : s.width_mults) {
    Spec spec = ref;
    spec.mobilenet.width_mult = wm;
    std::vector<int> r(7);
    std::function<void(int)> rec = [&](int k) {
      if (k == 7) {
        spec.mobilenet.repeats = r;
        all.push_back({spec, nn_mass(spec), count_cost(spec)});
        return;
      }
      for (int n = s.repeats_min[k]; n <= s.repeats_max[k]; ++n) {
        r[k] = n;
        rec(k + 1);
      }
    };
    rec(0);
  }
  return all;
}

std::string describe(const DesignConstraints& k, Objective o) {
  return "target " + std::to_string(k.target_mass) + " tol " + std::to_string(k.tolerance) +
         (k.at_least ? " at_least" : "") + " max_params " + std::to_string(k.max_params) +
         " max_flops " + std::to_string(k.max_flops) + " objective " + to_string(o);
}

// The search's answers against the brute force `brute` (every point of the space):
//   * evaluated == |enumerate_space|, feasible == #{enumerated candidates meeting satisfies()};
//   * best meets the constraints, is a point of the space, and no feasible point is cheaper; ties
//     go to the larger NN-Mass (design.cpp's documented rule); no feasible point -> no best;
//   * pareto: sorted by cost, each point is a point of the space that no point dominates, and
//     every point of the space is dominated by or equal to a pareto point.
void check_search(const Spec& ref, const DesignSpace& space, const std::vector<Candidate>& brute,
                  const DesignConstraints& k, Objective obj) {
  SCOPED_TRACE(describe(k, obj));
  const DesignResult result = design_search(ref, space, k, obj);
  const std::vector<Candidate> enumerated = enumerate_space(ref, space);

  EXPECT_EQ(result.evaluated, static_cast<int64_t>(enumerated.size()));
  int64_t feasible = 0;
  for (const Candidate& c : enumerated) feasible += satisfies(c.mass, c.cost, k) ? 1 : 0;
  EXPECT_EQ(result.feasible, feasible);

  // Cheapest feasible value over the full space, and the largest NN-Mass at that value.
  std::optional<int64_t> min_value;
  double mass_at_min = -1;
  for (const Candidate& c : brute) {
    if (!satisfies(c.mass, c.cost, k)) continue;
    const int64_t v = objective_value(c.cost, obj);
    if (!min_value || v < *min_value) {
      min_value = v;
      mass_at_min = c.mass;
    } else if (v == *min_value) {
      mass_at_min = std::max(mass_at_min, c.mass);
    }
  }
  if (!min_value) {
    EXPECT_FALSE(result.best.has_value()) << "nothing in the space is feasible, yet a best was returned";
    EXPECT_EQ(result.feasible, 0);
  } else {
    EXPECT_GT(result.feasible, 0);
    if (!result.best) {
      ADD_FAILURE() << "a feasible point exists (objective " << *min_value << ") but best is empty";
    } else {
      const Candidate& b = *result.best;
      EXPECT_TRUE(satisfies(b.mass, b.cost, k)) << "best has NN-Mass " << b.mass;
      EXPECT_EQ(objective_value(b.cost, obj), *min_value) << "a cheaper feasible point exists";
      EXPECT_EQ(b.mass, mass_at_min) << "tie on cost should go to the larger NN-Mass";
      EXPECT_EQ(b.mass, nn_mass(b.spec));
      EXPECT_TRUE(same_cost(b.cost, count_cost(b.spec)));
      EXPECT_NO_THROW(validate(b.spec));
    }
  }

  // Pareto frontier (cost = the objective's value).
  const auto value = [&](const Candidate& c) { return objective_value(c.cost, obj); };
  ASSERT_FALSE(result.pareto.empty());
  for (size_t i = 1; i < result.pareto.size(); ++i) {
    EXPECT_LT(value(result.pareto[i - 1]), value(result.pareto[i])) << "pareto not sorted by cost at " << i;
    EXPECT_LT(result.pareto[i - 1].mass, result.pareto[i].mass) << "pareto point " << i << " is dominated";
  }
  for (const Candidate& p : result.pareto) {
    EXPECT_EQ(p.mass, nn_mass(p.spec));
    EXPECT_TRUE(same_cost(p.cost, count_cost(p.spec)));
    bool in_space = false;
    for (const Candidate& c : brute) {
      in_space = in_space || (c.mass == p.mass && same_cost(c.cost, p.cost));
      const bool dominates = c.mass >= p.mass && value(c) <= value(p) && (c.mass > p.mass || value(c) < value(p));
      if (dominates) {
        ADD_FAILURE() << "pareto point (mass " << p.mass << ", cost " << value(p) << ") dominated by (mass "
                      << c.mass << ", cost " << value(c) << ")";
        break;
      }
    }
    EXPECT_TRUE(in_space) << "pareto point (mass " << p.mass << ", cost " << value(p) << ") not in the space";
  }
  int uncovered = 0;
  for (const Candidate& c : brute) {
    bool covered = false;
    for (const Candidate& p : result.pareto) covered = covered || (p.mass >= c.mass && value(p) <= value(c));
    if (!covered && ++uncovered <= 3)
      ADD_FAILURE() << "point (mass " << c.mass << ", cost " << value(c) << ") not covered by the pareto set";
  }
  EXPECT_EQ(uncovered, 0);
}

// The constraint settings exercised on every small space: around the reference's NN-Mass (a
// point of each space, so the tolerance-0 setting has a feasible point), one-sided, with cost caps,
// and two impossible ones.
std::vector<DesignConstraints> constraint_settings(const Spec& ref) {
  const double m = nn_mass(ref);
  const Cost c = count_cost(ref);
  std::vector<DesignConstraints> out;
  const auto add = [&](double target, double tol, bool at_least, int64_t max_params, int64_t max_flops) {
    DesignConstraints k;
    k.target_mass = target;
    k.tolerance = tol;
    k.at_least = at_least;
    k.max_params = max_params;
    k.max_flops = max_flops;
    out.push_back(k);
  };
  add(m, 0.02, false, 0, 0);                 // the default tolerance
  add(m, 0.0, false, 0, 0);                  // exact match
  add(m, 0.10, false, c.params * 3 / 4, 0);  // match within 10 %, at most 3/4 of the params
  add(m, 0.10, false, 0, c.flops * 3 / 4);   // ... at most 3/4 of the FLOPs
  add(m, 0.0, true, 0, 0);                   // at least the reference's NN-Mass
  add(m, 0.0, true, c.params, c.flops);      // ... no more params or FLOPs than it
  add(0.0, 0.0, false, 0, 0);                // NN-Mass exactly 0 (t_c = 0 everywhere)
  add(1e9, 0.02, false, 0, 0);               // impossible NN-Mass
  add(m, 0.5, false, 1, 0);                  // impossible params cap
  return out;
}

void check_all_settings(const Spec& ref, const DesignSpace& space, const std::vector<Candidate>& brute) {
  for (const DesignConstraints& k : constraint_settings(ref))
    for (Objective o : kObjectives) check_search(ref, space, brute, k, o);
}

// Runs fn, expects a SpecError whose message contains every one of `parts`.
void expect_spec_error(const std::function<void()>& fn, const std::vector<std::string>& parts,
                       const std::string& what) {
  SCOPED_TRACE(what);
  try {
    fn();
    ADD_FAILURE() << "no exception";
  } catch (const SpecError& e) {
    const std::string msg = e.what();
    for (const std::string& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "message \"" << msg << "\" lacks \"" << p << "\"";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a SpecError: " << e.what();
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. The paper's compressed MobileNet-v2 (method.md §2.3, §4.3).

TEST(DesignTest, MobileNetV2ReferenceAndCompressedModel) {
  const Spec ref = mobilenet(1.4);
  const Spec cand = mobilenet(1.1, {2, 3, 4, 5, 4, 3, 1});
  const double ref_mass = nn_mass(ref), cand_mass = nn_mass(cand);
  const Cost ref_cost = count_cost(ref), cand_cost = count_cost(cand);
  // §2.3: NN-Mass 1807 and 1797 (integers in the table; exact to +-0.5).
  EXPECT_NEAR(ref_mass, 1807.0, 0.5);
  EXPECT_NEAR(cand_mass, 1797.0, 0.5);
  // §2.3: 6.11 M and 4.30 M params, 3 significant figures; exact recounts from cost_test.cpp.
  EXPECT_NEAR(ref_cost.params / 1e6, 6.11, 0.005);
  EXPECT_NEAR(cand_cost.params / 1e6, 4.30, 0.005);
  EXPECT_EQ(ref_cost.params, 6108776);
  EXPECT_EQ(cand_cost.params, 4304504);

  // The candidate is a point of the space.
  const DesignSpace space = mobilenet_space();
  const std::vector<Candidate> all = enumerate_space(ref, space);
  EXPECT_EQ(all.size(), 6u * 64u);  // 6 multipliers x 2^6 repeat choices (the last stage is fixed)
  bool found = false;
  for (const Candidate& c : all)
    if (c.spec.mobilenet.width_mult == 1.1 && c.spec.mobilenet.repeats == cand.mobilenet.repeats) {
      found = true;
      EXPECT_EQ(c.mass, cand_mass);
      EXPECT_TRUE(same_cost(c.cost, cand_cost));
    }
  EXPECT_TRUE(found) << "width 1.1, repeats [2,3,4,5,4,3,1] missing from enumerate_space";

  // It matches x1.4's NN-Mass within 1 % (|1797 - 1807| = 10 <= 18.07).
  DesignConstraints k;
  k.target_mass = ref_mass;
  k.tolerance = 0.01;
  EXPECT_TRUE(satisfies(cand_mass, cand_cost, k));
  EXPECT_TRUE(satisfies(ref_mass, ref_cost, k));

  // The search returns something at least as cheap as the paper's model, at a matching NN-Mass.
  const DesignResult r = design_search(ref, space, k, Objective::kParams);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_LE(r.best->cost.params, cand_cost.params);
  EXPECT_LE(std::abs(r.best->mass - ref_mass), 0.01 * ref_mass);
  EXPECT_EQ(r.evaluated, 384);
  EXPECT_GE(r.feasible, 2);  // x1.4 itself and the paper's model at least
  std::string reps;
  for (int n : r.best->spec.mobilenet.repeats) reps += std::to_string(n) + " ";
  std::cout << "[ info ] best: x" << r.best->spec.mobilenet.width_mult << " [ " << reps << "] NN-Mass "
            << r.best->mass << ", " << r.best->cost.params << " params; feasible " << r.feasible << " of "
            << r.evaluated << "\n";
}

// ---------------------------------------------------------------------------------------------
// 2-4. Best is feasible and cheapest, counts match, the Pareto frontier is exact; against an
// independent brute force on small spaces, for many constraint settings and every objective.

TEST(DesignTest, MlpSpaceAgainstBruteForce) {
  // Reference: the MLP of §1.3's first worked example, w=8, d=8, t_c=10, NN-Mass 22.095.
  const Spec ref = mlp_spec(8, 8, 10);
  EXPECT_NEAR(nn_mass(ref), 22.095, 0.0005);
  DesignSpace space;
  for (int d = 4; d <= 12; ++d) space.depths.push_back(d);
  space.widths = {4, 6, 8};
  for (int t = 0; t <= 12; ++t) space.tcs.push_back(t);
  const std::vector<Candidate> brute = brute_dense(ref, space);
  ASSERT_EQ(brute.size(), 9u * 3u * 13u);
  check_all_settings(ref, space, brute);
}

TEST(DesignTest, DenseCnnThreeCellsAgainstBruteForce) {
  // Widths 8/16/32 (ratios 1:2:4, as the official CNN's 16 wm 2^c); GAP head.
  const Spec ref = small_cnn(Family::kCnn, Head::kGap, {Cell{5, 8, 6}, Cell{5, 16, 12}, Cell{5, 32, 24}});
  DesignSpace space;
  space.depths = {3, 4, 5};
  space.widths = {4, 6, 8};
  space.tcs = {0, 3, 6, 12, 24, 100};  // 100 is past every cell's saturation
  const std::vector<Candidate> brute = brute_dense(ref, space);
  ASSERT_EQ(brute.size(), 3u * 3u * 6u * 6u * 6u);
  check_all_settings(ref, space, brute);
}

TEST(DesignTest, DepthwiseCnnTwoCellsAgainstBruteForce) {
  // Two cells on 16x16 inputs with the reference head (final map 8x8, pooled to 4x4).
  const Spec ref = small_cnn(Family::kDepthwiseCnn, Head::kReference, {Cell{4, 6, 5}, Cell{4, 12, 10}});
  DesignSpace space;
  space.depths = {3, 4, 6};
  space.widths = {3, 6};
  space.tcs = {0, 1, 5, 10, 24, 48};
  const std::vector<Candidate> brute = brute_dense(ref, space);
  ASSERT_EQ(brute.size(), 3u * 2u * 6u * 6u);
  check_all_settings(ref, space, brute);
}

TEST(DesignTest, MobileNetSpaceAgainstBruteForce) {
  const Spec ref = mobilenet(1.4);
  const DesignSpace space = mobilenet_space();
  const std::vector<Candidate> brute = brute_mobilenet(ref, space);
  ASSERT_EQ(brute.size(), 384u);
  // No saturation pruning for MobileNet: enumerate_space is exactly the product, each point once.
  const std::vector<Candidate> enumerated = enumerate_space(ref, space);
  ASSERT_EQ(enumerated.size(), brute.size());
  for (const Candidate& b : brute) {
    int hits = 0;
    for (const Candidate& e : enumerated)
      hits += (e.spec.mobilenet.width_mult == b.spec.mobilenet.width_mult &&
               e.spec.mobilenet.repeats == b.spec.mobilenet.repeats)
                  ? 1
                  : 0;
    EXPECT_EQ(hits, 1);
  }
  check_all_settings(ref, space, brute);
  // The paper's 1 % tolerance as well.
  DesignConstraints k;
  k.target_mass = nn_mass(ref);
  k.tolerance = 0.01;
  for (Objective o : kObjectives) check_search(ref, space, brute, k, o);
}

// Every enumerated candidate is a valid spec whose recorded NN-Mass and cost are its own, with
// the same depth in every cell and widths in the reference's ratios.
TEST(DesignTest, EnumeratedCandidatesAreValidAndConsistent) {
  const Spec ref = small_cnn(Family::kCnn, Head::kGap, {Cell{5, 8, 6}, Cell{5, 16, 12}, Cell{5, 32, 24}});
  DesignSpace space;
  space.depths = {3, 7};
  space.widths = {2, 5};
  space.tcs = {0, 4, 50};
  const std::vector<Candidate> all = enumerate_space(ref, space);
  ASSERT_FALSE(all.empty());
  for (const Candidate& c : all) {
    EXPECT_NO_THROW(validate(c.spec));
    EXPECT_EQ(c.mass, nn_mass(c.spec));
    EXPECT_TRUE(same_cost(c.cost, count_cost(c.spec)));
    ASSERT_EQ(c.spec.cells.size(), 3u);
    EXPECT_EQ(c.spec.family, ref.family);
    EXPECT_EQ(c.spec.input, ref.input);
    EXPECT_EQ(c.spec.head, ref.head);
    for (const Cell& cell : c.spec.cells) EXPECT_EQ(cell.depth, c.spec.cells[0].depth);
    EXPECT_EQ(c.spec.cells[1].width, 2 * c.spec.cells[0].width);
    EXPECT_EQ(c.spec.cells[2].width, 4 * c.spec.cells[0].width);
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Saturation pruning is exact (method.md §1.3: t_c >= w (d-2) gives rho = 1).

TEST(DesignTest, SaturationPruningKeepsFirstSaturatedValue) {
  // w = 4, d = 5: saturation t_c = w (d-2) = 12.
  const Spec ref = mlp_spec(4, 5, 0);
  DesignSpace space;
  space.depths = {5};
  space.widths = {4};
  space.tcs = {10, 12, 13, 20, 40};
  const std::vector<Candidate> all = enumerate_space(ref, space);
  std::vector<int> kept;
  for (const Candidate& c : all) kept.push_back(c.spec.cells[0].tc);
  EXPECT_EQ(kept, (std::vector<int>{10, 12}));

  // The skipped values build the same network: NN-Mass w d = 20 (rho = 1) and the same cost.
  const Spec sat = mlp_spec(4, 5, 12);
  EXPECT_DOUBLE_EQ(nn_mass(sat), 20.0);
  for (int tc : {13, 20, 40}) {
    const Spec s = mlp_spec(4, 5, tc);
    EXPECT_EQ(nn_mass(s), nn_mass(sat)) << "tc " << tc;
    EXPECT_TRUE(same_cost(count_cost(s), count_cost(sat))) << "tc " << tc;
  }
  // Below saturation the value matters: t_c = 10 is lighter.
  EXPECT_LT(nn_mass(mlp_spec(4, 5, 10)), nn_mass(sat));

  // design_search evaluates the same pruned set.
  DesignConstraints k;
  k.target_mass = 20.0;
  k.tolerance = 0.0;
  const DesignResult r = design_search(ref, space, k, Objective::kParams);
  EXPECT_EQ(r.evaluated, 2);
  EXPECT_EQ(r.feasible, 1);
  ASSERT_TRUE(r.best.has_value());
  EXPECT_EQ(r.best->spec.cells[0].tc, 12);
}

TEST(DesignTest, SaturationPruningNoneSaturated) {
  // All below saturation (12): nothing pruned.
  const Spec ref = mlp_spec(4, 5, 0);
  DesignSpace space;
  space.depths = {5};
  space.widths = {4};
  space.tcs = {0, 5, 11};
  EXPECT_EQ(enumerate_space(ref, space).size(), 3u);
  // First saturated value strictly past saturation: kept, the rest dropped.
  space.tcs = {3, 30, 31};
  std::vector<int> kept;
  for (const Candidate& c : enumerate_space(ref, space)) kept.push_back(c.spec.cells[0].tc);
  EXPECT_EQ(kept, (std::vector<int>{3, 30}));
}

TEST(DesignTest, SaturationPruningPerCell) {
  // Two cells of depth 5, widths 4 and 8: saturation 12 and 24, pruned per cell.
  const Spec ref = small_cnn(Family::kCnn, Head::kGap, {Cell{5, 4, 0}, Cell{5, 8, 0}});
  DesignSpace space;
  space.depths = {5};
  space.widths = {4};
  space.tcs = {10, 12, 13, 20, 24, 30};
  const std::vector<Candidate> all = enumerate_space(ref, space);
  // Cell 0 keeps {10, 12}; cell 1 keeps {10, 12, 13, 20, 24}.
  EXPECT_EQ(all.size(), 2u * 5u);
  for (const Candidate& c : all) {
    EXPECT_LE(c.spec.cells[0].tc, 12);
    EXPECT_LE(c.spec.cells[1].tc, 24);
  }
  // The pruned set has exactly the full space's (NN-Mass, cost) points.
  const std::vector<Candidate> brute = brute_dense(ref, space);
  ASSERT_EQ(brute.size(), 36u);
  for (const Candidate& b : brute) {
    bool found = false;
    for (const Candidate& e : all) found = found || (e.mass == b.mass && same_cost(e.cost, b.cost));
    EXPECT_TRUE(found) << "tcs " << b.spec.cells[0].tc << "," << b.spec.cells[1].tc << " lost by pruning";
  }
}

// The kept value is "the first listed value at or past saturation" (design.cpp); a list need
// not be sorted (the CLI accepts "--tcs 40,12"): only one saturated value per cell survives.
TEST(DesignTest, SaturationPruningUnsortedList) {
  const Spec ref = mlp_spec(4, 5, 0);
  DesignSpace space;
  space.depths = {5};
  space.widths = {4};
  space.tcs = {40, 13, 10, 12};  // saturation 12: 40 is the first saturated value
  std::vector<int> kept;
  for (const Candidate& c : enumerate_space(ref, space)) kept.push_back(c.spec.cells[0].tc);
  EXPECT_EQ(kept, (std::vector<int>{40, 10}));
}

// ---------------------------------------------------------------------------------------------
// 6. Bad ranges: a SpecError naming the field.

TEST(DesignTest, BadDenseRangesAreSpecErrors) {
  const Spec ref = mlp_spec(8, 8, 10);
  DesignSpace good;
  good.depths = {4, 8};
  good.widths = {4, 8};
  good.tcs = {0, 10};
  DesignConstraints k;
  k.target_mass = nn_mass(ref);
  EXPECT_NO_THROW(enumerate_space(ref, good));
  EXPECT_NO_THROW(design_search(ref, good, k, Objective::kParams));

  struct Case {
    const char* what;
    std::function<void(DesignSpace&)> edit;
    std::vector<std::string> parts;
  } cases[] = {
      {"empty depths", [](DesignSpace& s) { s.depths.clear(); }, {"depths", "empty"}},
      {"depth 2", [](DesignSpace& s) { s.depths = {2, 8}; }, {"depths", "3"}},
      {"width 0", [](DesignSpace& s) { s.widths = {0}; }, {"widths"}},
      {"empty widths", [](DesignSpace& s) { s.widths.clear(); }, {"widths", "empty"}},
      {"negative tc", [](DesignSpace& s) { s.tcs = {0, -1}; }, {"tcs"}},
      {"empty tcs", [](DesignSpace& s) { s.tcs.clear(); }, {"tcs", "empty"}},
  };
  for (const Case& c : cases) {
    DesignSpace s = good;
    c.edit(s);
    expect_spec_error([&] { enumerate_space(ref, s); }, c.parts, std::string("enumerate_space: ") + c.what);
    expect_spec_error([&] { design_search(ref, s, k, Objective::kParams); }, c.parts,
                      std::string("design_search: ") + c.what);
  }
}

TEST(DesignTest, BadMobileNetRangesAreSpecErrors) {
  const Spec ref = mobilenet(1.4);
  const DesignSpace good = mobilenet_space();
  DesignConstraints k;
  k.target_mass = 1807;

  struct Case {
    const char* what;
    std::function<void(DesignSpace&)> edit;
    std::vector<std::string> parts;
  } cases[] = {
      {"repeats_min > repeats_max", [](DesignSpace& s) { s.repeats_min[3] = 6; }, {"stage 3", "repeats"}},
      {"negative repeats", [](DesignSpace& s) { s.repeats_min[0] = -1; }, {"stage 0", "repeats"}},
      {"repeats_min length 6", [](DesignSpace& s) { s.repeats_min.pop_back(); }, {"repeats", "7"}},
      {"repeats_max length 8", [](DesignSpace& s) { s.repeats_max.push_back(1); }, {"repeats", "7"}},
      {"width multiplier 0", [](DesignSpace& s) { s.width_mults = {1.0, 0.0}; }, {"width", "positive"}},
      {"negative width multiplier", [](DesignSpace& s) { s.width_mults = {-1.0}; }, {"width", "positive"}},
      {"NaN width multiplier", [](DesignSpace& s) { s.width_mults = {std::nan("")}; }, {"width", "positive"}},
      {"empty width multipliers", [](DesignSpace& s) { s.width_mults.clear(); }, {"width_mults", "empty"}},
  };
  for (const Case& c : cases) {
    DesignSpace s = good;
    c.edit(s);
    expect_spec_error([&] { enumerate_space(ref, s); }, c.parts, std::string("enumerate_space: ") + c.what);
    expect_spec_error([&] { design_search(ref, s, k, Objective::kParams); }, c.parts,
                      std::string("design_search: ") + c.what);
  }
}

// A space must not reach past the limits validate() puts on a spec (spec.cpp: width_mult at most
// 64, depth at most 100000, width at most 1048576): otherwise the search returns, and the CLI can
// save, a "best" spec that validate() (and so loading it back) rejects.
TEST(DesignTest, SpaceBeyondSpecLimitsIsSpecError) {
  DesignConstraints k;
  k.target_mass = 100;
  const Spec mnet = mobilenet(1.0);
  DesignSpace m = mobilenet_space();
  m.width_mults = {1.0, 100.0};
  expect_spec_error([&] { enumerate_space(mnet, m); }, {"width"}, "enumerate_space: width multiplier 100");
  expect_spec_error([&] { design_search(mnet, m, k, Objective::kParams); }, {"width"},
                    "design_search: width multiplier 100");

  const Spec mlp = mlp_spec(8, 8, 10);
  DesignSpace d;
  d.depths = {8, 200000};
  d.widths = {8};
  d.tcs = {0};
  expect_spec_error([&] { design_search(mlp, d, k, Objective::kParams); }, {"depth"}, "depth 200000");
  d.depths = {8};
  d.widths = {8, 2000000};
  expect_spec_error([&] { design_search(mlp, d, k, Objective::kParams); }, {"width"}, "width 2000000");
}

TEST(DesignTest, UnsupportedFamilyAndBadConstraints) {
  // ResNets have no design space (their blocks are not parameterised by d / w / t_c).
  const Spec resnet = standard_spec("resnet18");
  DesignSpace space;
  space.depths = {4};
  space.widths = {4};
  space.tcs = {0};
  space.width_mults = {1.0};
  space.repeats_min = {1, 1, 1, 1, 1, 1, 1};
  space.repeats_max = {1, 1, 1, 1, 1, 1, 1};
  DesignConstraints k;
  k.target_mass = 100;
  expect_spec_error([&] { enumerate_space(resnet, space); }, {"resnet"}, "enumerate_space: resnet");
  expect_spec_error([&] { design_search(resnet, space, k, Objective::kParams); }, {"resnet"},
                    "design_search: resnet");

  const Spec ref = mlp_spec(8, 8, 10);
  DesignConstraints bad = k;
  bad.tolerance = -0.01;
  expect_spec_error([&] { design_search(ref, space, bad, Objective::kParams); }, {"tolerance"},
                    "negative tolerance");
  bad = k;
  bad.target_mass = -1;
  expect_spec_error([&] { design_search(ref, space, bad, Objective::kParams); }, {"target"},
                    "negative target");
  bad = k;
  bad.tolerance = std::nan("");
  expect_spec_error([&] { design_search(ref, space, bad, Objective::kParams); }, {"tolerance"},
                    "NaN tolerance");

  // An invalid reference is rejected by validate() (its message names the cell field).
  Spec broken = mlp_spec(8, 2, 0);
  expect_spec_error([&] { design_search(broken, space, k, Objective::kParams); }, {"depth"},
                    "invalid reference");
}

// ---------------------------------------------------------------------------------------------
// 7. Objectives.

TEST(DesignTest, ObjectiveParsingAndValues) {
  EXPECT_EQ(parse_objective("params"), Objective::kParams);
  EXPECT_EQ(parse_objective("macs"), Objective::kMacs);
  EXPECT_EQ(parse_objective("flops"), Objective::kFlops);
  for (Objective o : kObjectives) EXPECT_EQ(parse_objective(to_string(o)), o);
  EXPECT_EQ(to_string(Objective::kParams), "params");
  EXPECT_EQ(to_string(Objective::kMacs), "macs");
  EXPECT_EQ(to_string(Objective::kFlops), "flops");
  for (const char* bad : {"", "Params", "flop", "latency", " params"})
    expect_spec_error([&] { parse_objective(bad); }, {"objective", "params"}, std::string("objective \"") + bad + "\"");

  Cost c;
  c.params = 11;
  c.macs = 22;
  c.flops = 45;
  EXPECT_EQ(objective_value(c, Objective::kParams), 11);
  EXPECT_EQ(objective_value(c, Objective::kMacs), 22);
  EXPECT_EQ(objective_value(c, Objective::kFlops), 45);
}

TEST(DesignTest, SatisfiesBoundaries) {
  Cost c;
  c.params = 100;
  c.flops = 1000;
  DesignConstraints k;
  k.target_mass = 100;
  k.tolerance = 0.02;  // |m - 100| <= 2
  EXPECT_TRUE(satisfies(102.0, c, k));
  EXPECT_TRUE(satisfies(98.0, c, k));
  EXPECT_FALSE(satisfies(102.01, c, k));
  EXPECT_FALSE(satisfies(97.99, c, k));
  k.max_params = 100;
  EXPECT_TRUE(satisfies(100.0, c, k));
  k.max_params = 99;
  EXPECT_FALSE(satisfies(100.0, c, k));
  k.max_params = 0;
  k.max_flops = 999;
  EXPECT_FALSE(satisfies(100.0, c, k));
  k.max_flops = 1000;
  EXPECT_TRUE(satisfies(100.0, c, k));
  k.at_least = true;  // m >= 100, any amount above
  EXPECT_TRUE(satisfies(1e6, c, k));
  EXPECT_TRUE(satisfies(100.0, c, k));
  EXPECT_FALSE(satisfies(99.99, c, k));
}
