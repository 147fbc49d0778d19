// Tests of the correlation statistics (core/statistics): R², Pearson, Spearman (average ranks for
// ties) and Kendall tau-b against hand computations on small data sets (written out below), the
// degenerate cases (constant sample, n < 2, length mismatch), and against second, independent
// implementations: Spearman by the classic 1 - 6 Σd² / (n(n² - 1)) formula (no ties), tau-b from
// tie-group sizes, and R² as 1 - SS_res / SS_tot of an explicit least-squares line. Torch-free.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <vector>

#include "nnmass/error.h"
#include "nnmass/statistics.h"

namespace nnmass {
namespace {

using Vec = std::vector<double>;

constexpr double kTol = 1e-12;  // every expected value below is exact up to rounding

// ---------------------------------------------------------------------------------------------
// Independent reference implementations (deliberately different formulas from the library's).

// Spearman for data WITHOUT ties: rank by counting smaller elements (O(n²)), then the classic
// rho = 1 - 6 Σ d_i² / (n (n² - 1)).
double classic_spearman_no_ties(const Vec& x, const Vec& y) {
  const size_t n = x.size();
  const auto rank = [](const Vec& v, size_t i) {
    double r = 1;
    for (double w : v) r += w < v[i];
    return r;
  };
  double sum_d2 = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = rank(x, i) - rank(y, i);
    sum_d2 += d * d;
  }
  const double nn = static_cast<double>(n);
  return 1.0 - 6.0 * sum_d2 / (nn * (nn * nn - 1.0));
}

// tau-b = (C - D) / sqrt((n0 - n1)(n0 - n2)) with n1 = Σ t(t-1)/2 over the groups of equal x
// values (and n2 likewise for y), C / D counted over pairs that are tied in neither.
double reference_tau_b(const Vec& x, const Vec& y) {
  const size_t n = x.size();
  double c = 0, d = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) {
      const double p = (x[i] - x[j]) * (y[i] - y[j]);
      if (p > 0) ++c;
      if (p < 0) ++d;
    }
  const auto tied_pairs = [](const Vec& v) {
    std::map<double, double> groups;
    for (double w : v) groups[w] += 1;
    double t = 0;
    for (const auto& [value, count] : groups) t += count * (count - 1) / 2;
    return t;
  };
  const double n0 = n * (n - 1) / 2.0;
  return (c - d) / std::sqrt((n0 - tied_pairs(x)) * (n0 - tied_pairs(y)));
}

// R² of y ~ a + b x: fit the line explicitly (b = Sxy / Sxx, a = ȳ - b x̄), then 1 - SS_res / SS_tot.
double reference_r2(const Vec& x, const Vec& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  const double b = sxy / sxx, a = my - b * mx;
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    ss_res += (y[i] - (a + b * x[i])) * (y[i] - (a + b * x[i]));
    ss_tot += (y[i] - my) * (y[i] - my);
  }
  return 1.0 - ss_res / ss_tot;
}

// A deterministic pseudo-random sample: a 64-bit LCG (Knuth's MMIX constants) mapped to [0, 1). Values are distinct with overwhelming probability; the test checks it.
Vec lcg_sample(size_t n, uint64_t seed) {
  Vec v(n);
  uint64_t s = seed;
  for (double& x : v) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    x = static_cast<double>(s >> 11) / 9007199254740992.0;  // 53 bits
  }
  return v;
}

bool has_ties(Vec v) {
  std::sort(v.begin(), v.end());
  return std::adjacent_find(v.begin(), v.end()) != v.end();
}

// ---------------------------------------------------------------------------------------------

// x = {1,2,3,4,5}, y = {2,1,4,3,5}. Means 3 and 3.
//   dx = {-2,-1,0,1,2}, dy = {-1,-2,1,0,2}
//   Sxy = 2 + 2 + 0 + 0 + 4 = 8, Sxx = Syy = 4+1+0+1+4 = 10 -> Pearson = 8 / 10 = 0.8, R² = 0.64.
//   Both are already ranks 1..5 -> Spearman = Pearson = 0.8
//     (classic: d = {-1,1,-1,1,0}, Σd² = 4, 1 - 6*4/(5*24) = 0.8).
//   Pairs (10): discordant (1,2) [y 2>1] and (3,4) [y 4>3]; the other 8 concordant, no ties
//     -> tau = (8 - 2) / 10 = 0.6.
TEST(Statistics, SmallHandComputedExample) {
  const Vec x = {1, 2, 3, 4, 5}, y = {2, 1, 4, 3, 5};
  EXPECT_NEAR(pearson(x, y), 0.8, kTol);
  EXPECT_NEAR(r_squared(x, y), 0.64, kTol);
  EXPECT_NEAR(spearman(x, y), 0.8, kTol);
  EXPECT_NEAR(kendall_tau_b(x, y), 0.6, kTol);
  const Correlations c = correlate(x, y);
  EXPECT_EQ(c.n, 5);
  EXPECT_NEAR(c.r2, 0.64, kTol);
  EXPECT_NEAR(c.pearson, 0.8, kTol);
  EXPECT_NEAR(c.spearman, 0.8, kTol);
  EXPECT_NEAR(c.kendall, 0.6, kTol);
  // Symmetric in x and y.
  EXPECT_NEAR(pearson(y, x), 0.8, kTol);
  EXPECT_NEAR(spearman(y, x), 0.8, kTol);
  EXPECT_NEAR(kendall_tau_b(y, x), 0.6, kTol);
}

// x = {1,2,2,3}, y = {1,3,2,3}: ties in both.
//   Pairs (i<j), n0 = 6:
//     (0,1) x 1<2, y 1<3 concordant     (0,2) x 1<2, y 1<2 concordant
//     (0,3) x 1<3, y 1<3 concordant     (1,2) x 2=2 -> tied in x (y 3>2)
//     (1,3) y 3=3 -> tied in y (x 2<3)   (2,3) x 2<3, y 2<3 concordant
//   C = 4, D = 0, n1 = 1 (x ties), n2 = 1 (y ties): tau-b = 4 / sqrt(5 * 5) = 0.8
//   (tau-a would be 4/6: the tie correction matters).
//   Pearson: x̄ = 2, ȳ = 9/4; dx = {-1,0,0,1}, dy = {-5/4, 3/4, -1/4, 3/4};
//     Sxy = 5/4 + 3/4 = 2, Sxx = 2, Syy = (25 + 9 + 1 + 9)/16 = 11/4 -> r = 2 / sqrt(5.5).
//   Spearman: average ranks x -> {1, 2.5, 2.5, 4}, y -> {1, 3.5, 2, 3.5}; both mean 2.5;
//     drx = {-1.5,0,0,1.5}, dry = {-1.5,1,-0.5,1}; S = 2.25 + 1.5 = 3.75, Sxx = Syy = 4.5
//     -> rho = 3.75 / 4.5 = 5/6.
TEST(Statistics, TiedHandComputedExample) {
  const Vec x = {1, 2, 2, 3}, y = {1, 3, 2, 3};
  EXPECT_NEAR(kendall_tau_b(x, y), 0.8, kTol);
  EXPECT_NEAR(reference_tau_b(x, y), 0.8, kTol);  // the reference agrees with the hand count
  EXPECT_NEAR(pearson(x, y), 2.0 / std::sqrt(5.5), kTol);
  EXPECT_NEAR(r_squared(x, y), 4.0 / 5.5, kTol);
  EXPECT_NEAR(spearman(x, y), 5.0 / 6.0, kTol);
  const Vec rx = average_ranks(x), ry = average_ranks(y);
  EXPECT_EQ(rx, (Vec{1, 2.5, 2.5, 4}));
  EXPECT_EQ(ry, (Vec{1, 3.5, 2, 3.5}));
  // Spearman with ties is, by definition, Pearson of the average ranks.
  EXPECT_NEAR(spearman(x, y), pearson(rx, ry), kTol);
}

TEST(Statistics, AverageRanks) {
  // Ranks 1..4; the two 20s span ranks 2 and 3 -> 2.5 each.
  EXPECT_EQ(average_ranks({10, 20, 20, 30}), (Vec{1, 2.5, 2.5, 4}));
  // Unsorted input with a triple tie: sorted 0 (rank 1), 1 (rank 2), 5,5,5 (ranks 3,4,5 -> 4).
  EXPECT_EQ(average_ranks({5, 1, 5, 5, 0}), (Vec{4, 2, 4, 4, 1}));
  // All equal: every rank is the mean of 1..4 = 2.5.
  EXPECT_EQ(average_ranks({7, 7, 7, 7}), (Vec{2.5, 2.5, 2.5, 2.5}));
  // Negative values and a tie at the top: -3 (1), -1 (2), 2,2 (3,4 -> 3.5).
  EXPECT_EQ(average_ranks({2, -1, -3, 2}), (Vec{3.5, 2, 1, 3.5}));
  EXPECT_EQ(average_ranks({42}), (Vec{1}));
  EXPECT_TRUE(average_ranks({}).empty());
  // Ranks always sum to n(n+1)/2.
  const Vec v = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
  const Vec r = average_ranks(v);
  EXPECT_NEAR(std::accumulate(r.begin(), r.end(), 0.0), 11.0 * 12.0 / 2.0, kTol);
}

// y = x³ on x = 1..5: strictly increasing, so every pair is concordant and the ranks coincide:
// Spearman = Kendall = 1. Pearson is not 1 (not linear): ȳ = 225/5 = 45,
// dy = {-44,-37,-18,19,80}, Sxy = 88 + 37 + 0 + 19 + 160 = 304, Sxx = 10,
// Syy = 1936 + 1369 + 324 + 361 + 6400 = 10390 -> r = 304 / sqrt(103900) ≈ 0.94313.
TEST(Statistics, MonotoneNonlinearAndReversed) {
  const Vec x = {1, 2, 3, 4, 5}, cube = {1, 8, 27, 64, 125};
  EXPECT_NEAR(spearman(x, cube), 1.0, kTol);
  EXPECT_NEAR(kendall_tau_b(x, cube), 1.0, kTol);
  EXPECT_NEAR(pearson(x, cube), 304.0 / std::sqrt(103900.0), kTol);
  EXPECT_LT(pearson(x, cube), 0.95);
  EXPECT_NEAR(r_squared(x, cube), 304.0 * 304.0 / 103900.0, kTol);

  // Reversed order: every statistic of the correlation is -1 (R² = 1).
  const Vec rev = {5, 4, 3, 2, 1};
  EXPECT_NEAR(pearson(x, rev), -1.0, kTol);
  EXPECT_NEAR(spearman(x, rev), -1.0, kTol);
  EXPECT_NEAR(kendall_tau_b(x, rev), -1.0, kTol);
  EXPECT_NEAR(r_squared(x, rev), 1.0, kTol);
  // Decreasing nonlinear: -x³ -> rank statistics -1.
  const Vec neg_cube = {-1, -8, -27, -64, -125};
  EXPECT_NEAR(spearman(x, neg_cube), -1.0, kTol);
  EXPECT_NEAR(kendall_tau_b(x, neg_cube), -1.0, kTol);
  EXPECT_NEAR(pearson(x, neg_cube), -304.0 / std::sqrt(103900.0), kTol);

  // Exact linear relation: all four are 1.
  const Vec lin = {3, 5, 7, 9, 11};  // 2x + 1
  const Correlations c = correlate(x, lin);
  EXPECT_NEAR(c.r2, 1.0, kTol);
  EXPECT_NEAR(c.pearson, 1.0, kTol);
  EXPECT_NEAR(c.spearman, 1.0, kTol);
  EXPECT_NEAR(c.kendall, 1.0, kTol);
}

// Invariances that follow from the definitions: Pearson under positive affine maps of either
// variable; Spearman and Kendall under any strictly increasing map (exp).
TEST(Statistics, Invariances) {
  const Vec x = {0.3, -1.2, 2.5, 0.9, 1.7, -0.4, 3.1}, y = {1.1, -0.7, 1.9, 0.2, 2.4, 0.1, 1.8};
  Vec xa(x.size()), ye(y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    xa[i] = 3.0 * x[i] - 7.0;
    ye[i] = std::exp(y[i]);
  }
  EXPECT_NEAR(pearson(xa, y), pearson(x, y), 1e-12);
  EXPECT_NEAR(spearman(x, ye), spearman(x, y), kTol);
  EXPECT_NEAR(kendall_tau_b(x, ye), kendall_tau_b(x, y), kTol);
  // Negating one variable negates every correlation (R² unchanged).
  Vec yn(y.size());
  for (size_t i = 0; i < y.size(); ++i) yn[i] = -y[i];
  EXPECT_NEAR(pearson(x, yn), -pearson(x, y), kTol);
  EXPECT_NEAR(spearman(x, yn), -spearman(x, y), kTol);
  EXPECT_NEAR(kendall_tau_b(x, yn), -kendall_tau_b(x, y), kTol);
  EXPECT_NEAR(r_squared(x, yn), r_squared(x, y), kTol);
}

// A constant sample has no defined correlation: NaN, not a number made up. n < 2 likewise.
TEST(Statistics, DegenerateSamplesGiveNaN) {
  const Vec constant = {2, 2, 2, 2}, y = {1, 2, 3, 4};
  for (const auto& [a, b] : {std::pair{constant, y}, std::pair{y, constant}, std::pair{constant, constant}}) {
    EXPECT_TRUE(std::isnan(pearson(a, b)));
    EXPECT_TRUE(std::isnan(r_squared(a, b)));
    EXPECT_TRUE(std::isnan(spearman(a, b)));
    EXPECT_TRUE(std::isnan(kendall_tau_b(a, b)));
    const Correlations c = correlate(a, b);
    EXPECT_EQ(c.n, 4);
    EXPECT_TRUE(std::isnan(c.r2) && std::isnan(c.pearson) && std::isnan(c.spearman) && std::isnan(c.kendall));
  }
  for (const Vec& v : {Vec{}, Vec{1.5}}) {
    EXPECT_TRUE(std::isnan(pearson(v, v))) << v.size();
    EXPECT_TRUE(std::isnan(r_squared(v, v))) << v.size();
    EXPECT_TRUE(std::isnan(spearman(v, v))) << v.size();
    EXPECT_TRUE(std::isnan(kendall_tau_b(v, v))) << v.size();
    const Correlations c = correlate(v, v);
    EXPECT_EQ(c.n, static_cast<int>(v.size()));
    EXPECT_TRUE(std::isnan(c.r2) && std::isnan(c.pearson) && std::isnan(c.spearman) && std::isnan(c.kendall));
  }
  // n = 2, distinct values: a line fits exactly: ±1 for every statistic.
  EXPECT_NEAR(pearson({1, 2}, {5, 3}), -1.0, kTol);
  EXPECT_NEAR(spearman({1, 2}, {5, 3}), -1.0, kTol);
  EXPECT_NEAR(kendall_tau_b({1, 2}, {5, 3}), -1.0, kTol);
}

TEST(Statistics, LengthMismatchThrows) {
  const Vec a = {1, 2, 3}, b = {1, 2};
  EXPECT_THROW(pearson(a, b), Error);
  EXPECT_THROW(r_squared(a, b), Error);
  EXPECT_THROW(spearman(a, b), Error);
  EXPECT_THROW(kendall_tau_b(a, b), Error);
  EXPECT_THROW(correlate(a, b), Error);
  EXPECT_THROW(correlate(b, a), Error);
  // Even when both are too short for a correlation, a mismatch is an error, not NaN.
  EXPECT_THROW(pearson({1.0}, {}), Error);
  EXPECT_THROW(kendall_tau_b({}, {1.0}), Error);
}

// Against the independent references on pseudo-random data of several sizes: no ties (classic
// Spearman formula), and with many ties (values rounded to a coarse grid) for tau-b and Spearman
// (Pearson of average ranks computed here by a plain mean/covariance loop).
TEST(Statistics, AgreesWithIndependentImplementations) {
  for (size_t n : {3u, 7u, 20u, 101u}) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      Vec x = lcg_sample(n, seed), y = lcg_sample(n, seed + 1000);
      ASSERT_FALSE(has_ties(x) || has_ties(y));
      // Give y a partial dependence on x so the correlations are not all near 0.
      for (size_t i = 0; i < n; ++i) y[i] = 0.6 * x[i] + 0.4 * y[i];
      ASSERT_FALSE(has_ties(y));
      SCOPED_TRACE("n=" + std::to_string(n) + " seed=" + std::to_string(seed));
      EXPECT_NEAR(spearman(x, y), classic_spearman_no_ties(x, y), 1e-12);
      EXPECT_NEAR(kendall_tau_b(x, y), reference_tau_b(x, y), 1e-12);
      EXPECT_NEAR(r_squared(x, y), reference_r2(x, y), 1e-12);
      EXPECT_NEAR(correlate(x, y).r2, reference_r2(x, y), 1e-12);

      // Ties: round to a grid of 4 levels (x) and 3 levels (y).
      Vec xt(n), yt(n);
      for (size_t i = 0; i < n; ++i) {
        xt[i] = std::floor(x[i] * 4);
        yt[i] = std::floor(y[i] * 3);
      }
      const double tau = kendall_tau_b(xt, yt), ref = reference_tau_b(xt, yt);
      if (std::isnan(ref)) {
        EXPECT_TRUE(std::isnan(tau));
      } else {
        EXPECT_NEAR(tau, ref, 1e-12);
      }
      // Spearman with ties = Pearson of average ranks; an explicit covariance formula here.
      const Vec rx = average_ranks(xt), ry = average_ranks(yt);
      const double mean_rank = (n + 1) / 2.0;  // average ranks keep the mean (n+1)/2
      double sxy = 0, sxx = 0, syy = 0;
      for (size_t i = 0; i < n; ++i) {
        sxy += (rx[i] - mean_rank) * (ry[i] - mean_rank);
        sxx += (rx[i] - mean_rank) * (rx[i] - mean_rank);
        syy += (ry[i] - mean_rank) * (ry[i] - mean_rank);
      }
      const double rho = spearman(xt, yt);
      if (sxx == 0 || syy == 0) {
        EXPECT_TRUE(std::isnan(rho));
      } else {
        EXPECT_NEAR(rho, sxy / std::sqrt(sxx * syy), 1e-12);
      }
    }
  }
}

// Bootstrap intervals: reproducible (a fixed seed), around the point estimate for a noisy linear
// relation, degenerate at [1, 1] for a perfect monotone one, NaN below 3 pairs, narrower with more
// data, and refusing a bad level.
TEST(Statistics, BootstrapIntervals) {
  std::vector<double> x, y;
  uint64_t state = 42;
  const auto noise = [&] {  // a small LCG: deterministic noise in [-0.5, 0.5)
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5;
  };
  for (int i = 0; i < 60; ++i) {
    x.push_back(i);
    y.push_back(i / 60.0 + 0.6 * noise());
  }
  const Correlations c = correlate(x, y);
  const CorrelationIntervals ci = bootstrap_intervals(x, y);
  EXPECT_EQ(ci.resamples, 1000);
  for (const auto& [point, in] : {std::pair{c.r2, ci.r2}, {c.pearson, ci.pearson}, {c.spearman, ci.spearman},
                                  {c.kendall, ci.kendall}}) {
    EXPECT_LT(in.lo, point);
    EXPECT_GT(in.hi, point);
    EXPECT_LT(in.hi - in.lo, 0.6);
  }
  const CorrelationIntervals again = bootstrap_intervals(x, y);
  EXPECT_EQ(again.spearman.lo, ci.spearman.lo);
  EXPECT_EQ(again.kendall.hi, ci.kendall.hi);
  EXPECT_NE(bootstrap_intervals(x, y, 1000, 0.95, 7).spearman.lo, ci.spearman.lo);  // the seed matters
  // Four times the data: a narrower interval.
  std::vector<double> x4, y4;
  for (int i = 0; i < 240; ++i) {
    x4.push_back(i);
    y4.push_back(i / 240.0 + 0.6 * noise());
  }
  const CorrelationIntervals wide = ci, narrow = bootstrap_intervals(x4, y4);
  EXPECT_LT(narrow.pearson.hi - narrow.pearson.lo, wide.pearson.hi - wide.pearson.lo);
  // Perfect monotone relation: every resample is perfectly ranked.
  std::vector<double> sq;
  for (double v : x) sq.push_back(v * v);
  const CorrelationIntervals perfect = bootstrap_intervals(x, sq);
  EXPECT_EQ(perfect.spearman.lo, 1.0);
  EXPECT_EQ(perfect.kendall.hi, 1.0);
  EXPECT_TRUE(std::isnan(bootstrap_intervals({1, 2}, {3, 4}).pearson.lo));
  EXPECT_THROW(bootstrap_intervals(x, y, 100, 1.5), Error);
  // Large samples: fewer resamples (Kendall is n^2 per resample): 2e8 / 700^2 = 408.
  std::vector<double> big(700);
  std::iota(big.begin(), big.end(), 0.0);
  EXPECT_EQ(bootstrap_intervals(big, big).resamples, 408);
}


// Student's t against closed forms (df 1: Cauchy, F(t) = 1/2 + atan(t)/pi; df 2: F(t) =
// 1/2 + t / (2 sqrt(2 + t^2))) and tabulated 97.5 % quantiles.
TEST(Statistics, StudentTDistribution) {
  const double pi = std::acos(-1.0);
  for (double t : {-7.0, -1.0, 0.0, 0.3, 1.0, 12.0}) {
    EXPECT_NEAR(student_t_cdf(t, 1), 0.5 + std::atan(t) / pi, 1e-13) << t;
    EXPECT_NEAR(student_t_cdf(t, 2), 0.5 + t / (2 * std::sqrt(2 + t * t)), 1e-13) << t;
  }
  EXPECT_NEAR(student_t_quantile(0.75, 1), 1.0, 1e-10);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.302652729696, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.776445105198, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.042272456301, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 1e7), 1.959963984540, 1e-6);  // the normal's
  EXPECT_NEAR(student_t_quantile(0.025, 4), -2.776445105198, 1e-9);
  EXPECT_THROW(student_t_quantile(1.0, 3), Error);
  EXPECT_THROW(student_t_cdf(1.0, 0), Error);
}

// Welch's interval by hand: a = {1, 2, 3} (mean 2, s^2 1), b = {2, 4, 6} (mean 4, s^2 4):
// se^2 = 1/3 + 4/3 = 5/3, df = (5/3)^2 / ((1/3)^2 / 2 + (4/3)^2 / 2) = 50/17.
TEST(Statistics, WelchDifference) {
  const MeanDifference d = welch_difference({1, 2, 3}, {2, 4, 6});
  EXPECT_DOUBLE_EQ(d.difference, -2.0);
  EXPECT_NEAR(d.df, 50.0 / 17.0, 1e-12);
  const double half = student_t_quantile(0.975, 50.0 / 17.0) * std::sqrt(5.0 / 3.0);
  EXPECT_NEAR(d.ci.lo, -2.0 - half, 1e-12);
  EXPECT_NEAR(d.ci.hi, -2.0 + half, 1e-12);
  EXPECT_GT(half, 4.30 * std::sqrt(5.0 / 3.0) * 0.7);  // a t quantile near df 3 (3.2), not the normal's 1.96
  // Equal samples: no spread, the interval is the point.
  const MeanDifference z = welch_difference({5, 5}, {3, 3, 3});
  EXPECT_EQ(z.difference, 2.0);
  EXPECT_EQ(z.ci.lo, 2.0);
  EXPECT_EQ(z.ci.hi, 2.0);
  EXPECT_THROW(welch_difference({1}, {1, 2}), Error);
}

// Knight's O(n log n) tau-b against the definition over all pairs, with many ties in x, in y and
// in both, and with infinite scores (Zen-score's log 0), which rank like any value.
TEST(Statistics, KendallTauBEqualsTheDefinitionOverAllPairs) {
  const auto brute = [](const std::vector<double>& x, const std::vector<double>& y) {
    double s = 0, tx = 0, ty = 0;
    const size_t n = x.size();
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j) {
        const int a = (x[i] > x[j]) - (x[i] < x[j]), b = (y[i] > y[j]) - (y[i] < y[j]);
        s += a * b;
        tx += a == 0;
        ty += b == 0;
      }
    const double n0 = n * (n - 1) / 2.0;
    return s / std::sqrt((n0 - tx) * (n0 - ty));
  };
  uint64_t state = 12345;
  const auto next = [&state](int mod) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state >> 33) % mod);
  };
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 2 + next(60);
    const int levels = 1 + next(8);
    std::vector<double> x(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = next(levels);
      y[i] = next(3) == 0 ? x[i] : next(levels + 2);
      if (next(10) == 0) x[i] = -INFINITY;
    }
    const double want = brute(x, y), got = kendall_tau_b(x, y);
    if (std::isnan(want)) EXPECT_TRUE(std::isnan(got));
    else EXPECT_NEAR(got, want, 1e-12) << "trial " << trial;
  }
}

}  // namespace
}  // namespace nnmass
