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

int sign(double v) { return (v > 0) - (v < 0); }

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
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y);
  const size_t n = x.size();
  if (n < 2) return kNaN;
  double s = 0, tied_x = 0, tied_y = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const int a = sign(x[i] - x[j]), b = sign(y[i] - y[j]);
      s += a * b;
      tied_x += a == 0;
      tied_y += b == 0;
    }
  const double n0 = n * (n - 1) / 2.0;
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

}  // namespace nnmass
