// Correlation statistics; see statistics.h.
#include "nnmass/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/rng.h"
#include "nnmass/error.h"

namespace nnmass {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_pair(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw Error("statistics: x and y differ in length");
}

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }


}  // namespace

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y);
  if (x.size() < 2) return kNaN;
  const double mx = mean(x), my = mean(y);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

double r_squared(const std::vector<double>& x, const std::vector<double>& y) {
  const double r = pearson(x, y);  // with one predictor and an intercept, R^2 = r^2
  return r * r;
}

std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double rank = (i + j) / 2.0 + 1.0;  // mean of ranks i+1 .. j+1
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y);
  return pearson(average_ranks(x), average_ranks(y));
}

// tau-b = (concordant - discordant) / sqrt((n0 - n1)(n0 - n2)), n0 = n(n-1)/2, n1 / n2 the pairs
// tied in x / in y. O(n^2): sweeps hold hundreds to thousands of runs.
namespace {

// Pairs tied in a sorted run of values: sum over runs of t(t-1)/2.
template <typename Equal>
double tied_pairs(size_t n, Equal equal) {
  double tied = 0, run = 1;
  for (size_t i = 1; i <= n; ++i) {
    if (i < n && equal(i - 1, i)) {
      ++run;
    } else {
      tied += run * (run - 1) / 2;
      run = 1;
    }
  }
  return tied;
}

// Sorts v[lo, hi) ascending by merge sort; returns the number of swaps an exchange sort would make
// (the pairs out of order).
double merge_count(std::vector<double>& v, std::vector<double>& tmp, size_t lo, size_t hi) {
  if (hi - lo < 2) return 0;
  const size_t mid = lo + (hi - lo) / 2;
  double swaps = merge_count(v, tmp, lo, mid) + merge_count(v, tmp, mid, hi);
  size_t i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    if (v[j] < v[i]) {
      swaps += static_cast<double>(mid - i);
      tmp[k++] = v[j++];
    } else {
      tmp[k++] = v[i++];
    }
  }
  while (i < mid) tmp[k++] = v[i++];
  while (j < hi) tmp[k++] = v[j++];
  std::copy(tmp.begin() + lo, tmp.begin() + hi, v.begin() + lo);
  return swaps;
}

}  // namespace

// Knight's O(n log n) algorithm (1966): sort by (x, y), count the ties, then count the pairs a
// merge sort on y must swap (the discordant ones). Thousands of runs (all NAS-Bench-201 cells) and
// their bootstrap resamples need it; the O(n^2) definition is the test's reference.
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y);
  const size_t n = x.size();
  if (n < 2) return kNaN;
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  std::vector<double> ys(n), tmp(n);
  for (size_t i = 0; i < n; ++i) ys[i] = y[order[i]];
  const double tied_x = tied_pairs(n, [&](size_t a, size_t b) { return x[order[a]] == x[order[b]]; });
  const double tied_xy =
      tied_pairs(n, [&](size_t a, size_t b) { return x[order[a]] == x[order[b]] && ys[a] == ys[b]; });
  const double swaps = merge_count(ys, tmp, 0, n);
  const double tied_y = tied_pairs(n, [&](size_t a, size_t b) { return ys[a] == ys[b]; });
  const double n0 = n * (n - 1) / 2.0;
  const double s = n0 - tied_x - tied_y + tied_xy - 2 * swaps;
  const double denom = std::sqrt((n0 - tied_x) * (n0 - tied_y));
  return denom == 0 ? kNaN : s / denom;
}

Correlations correlate(const std::vector<double>& x, const std::vector<double>& y) {
  Correlations c;
  c.n = static_cast<int>(x.size());
  c.pearson = pearson(x, y);
  c.r2 = c.pearson * c.pearson;
  c.spearman = spearman(x, y);
  c.kendall = kendall_tau_b(x, y);
  return c;
}

namespace {

// The q-quantile (linear interpolation) of the defined values, NaN if there are none.
double quantile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double at = q * (v.size() - 1);
  const size_t below = static_cast<size_t>(at);
  const double frac = at - below;
  return below + 1 < v.size() ? v[below] * (1 - frac) + v[below + 1] * frac : v[below];
}

Interval interval_of(const std::vector<double>& values, double level) {
  return {quantile(values, (1 - level) / 2), quantile(values, (1 + level) / 2)};
}

}  // namespace

CorrelationIntervals bootstrap_intervals(const std::vector<double>& x, const std::vector<double>& y, int resamples,
                                         double level, uint64_t seed) {
  check_pair(x, y);
  if (resamples < 1 || !(level > 0 && level < 1)) throw Error("statistics: bootstrap needs resamples >= 1 and 0 < level < 1");
  CorrelationIntervals ci;
  ci.level = level;
  const size_t n = x.size();
  if (n < 3) {
    ci.r2 = ci.pearson = ci.spearman = ci.kendall = {kNaN, kNaN};
    return ci;
  }
  const double budget = 2e8 / (static_cast<double>(n) * n);
  ci.resamples = static_cast<int>(std::max<double>(std::min<double>(resamples, budget), std::min(resamples, 200)));
  detail::SplitMix64 rng(seed);
  std::vector<double> r2, pr, sp, kt, bx(n), by(n);
  for (int b = 0; b < ci.resamples; ++b) {
    for (size_t i = 0; i < n; ++i) {
      const size_t j = rng.uniform_below(n);
      bx[i] = x[j];
      by[i] = y[j];
    }
    const Correlations c = correlate(bx, by);
    r2.push_back(c.r2);
    pr.push_back(c.pearson);
    sp.push_back(c.spearman);
    kt.push_back(c.kendall);
  }
  ci.r2 = interval_of(r2, level);
  ci.pearson = interval_of(pr, level);
  ci.spearman = interval_of(sp, level);
  ci.kendall = interval_of(kt, level);
  return ci;
}

namespace {

// Regularized incomplete beta I_x(a, b) by its continued fraction (modified Lentz), used where it
// converges fast (x < (a + 1) / (a + b + 2)) and through the symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
double beta_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300, kEps = 1e-15;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::abs(d) < kTiny ? kTiny : d);
  double f = d;
  for (int m = 1; m <= 10000; ++m) {
    for (int half = 0; half < 2; ++half) {
      const double num = half == 0 ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                                   : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + num * d;
      d = 1 / (std::abs(d) < kTiny ? kTiny : d);
      c = 1 + num / c;
      if (std::abs(c) < kTiny) c = kTiny;
      f *= c * d;
      if (half == 1 && std::abs(c * d - 1) < kEps) return f;
    }
  }
  return f;
}

double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double sample_variance(const std::vector<double>& v) {
  const double m = mean(v);
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return ss / (v.size() - 1);
}

}  // namespace

double student_t_cdf(double t, double df) {
  if (!(df > 0)) throw Error("statistics: Student's t needs df > 0");
  if (std::isinf(t)) return t > 0 ? 1 : 0;
  const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));  // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double df) {
  if (!(p > 0 && p < 1)) throw Error("statistics: a quantile needs 0 < p < 1");
  if (p < 0.5) return -student_t_quantile(1 - p, df);
  double lo = 0, hi = 1;
  while (student_t_cdf(hi, df) < p) hi *= 2;  // the upper tail is heavy at df < 1: it may take a while
  for (int i = 0; i < 200 && hi - lo > 1e-12 * std::max(1.0, hi); ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

MeanDifference welch_difference(const std::vector<double>& a, const std::vector<double>& b, double level) {
  if (a.size() < 2 || b.size() < 2) throw Error("statistics: Welch's interval needs 2+ values in each sample");
  MeanDifference r;
  r.level = level;
  r.difference = mean(a) - mean(b);
  const double va = sample_variance(a) / a.size(), vb = sample_variance(b) / b.size();
  const double se2 = va + vb;
  if (se2 == 0) {
    r.ci = {r.difference, r.difference};
    r.df = kNaN;
    return r;
  }
  r.df = se2 * se2 / (va * va / (a.size() - 1) + vb * vb / (b.size() - 1));
  const double half = student_t_quantile((1 + level) / 2, r.df) * std::sqrt(se2);
  r.ci = {r.difference - half, r.difference + half};
  return r;
}

}  // namespace nnmass
