// Statistics for "does X predict accuracy?": the R^2 of a least-squares line, Pearson's r,
// Spearman's rho (average ranks for ties) and Kendall's tau-b (tie-corrected), each with a
// percentile-bootstrap confidence interval over the (x, y) pairs. Torch-free.
// Every function needs at least two points; a constant sample has no defined correlation, and
// the functions return NaN for it rather than a made-up number.
#pragma once

#include <cstdint>
#include <vector>

namespace nnmass {

struct Correlations {
  int n = 0;
  double r2 = 0;        // R^2 of y ~ a + b x (equals pearson^2 for one predictor)
  double pearson = 0;
  double spearman = 0;
  double kendall = 0;   // tau-b
};

double pearson(const std::vector<double>& x, const std::vector<double>& y);
double r_squared(const std::vector<double>& x, const std::vector<double>& y);
double spearman(const std::vector<double>& x, const std::vector<double>& y);
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y);
// Ranks 1..n, ties get the mean of the ranks they span.
std::vector<double> average_ranks(const std::vector<double>& v);
Correlations correlate(const std::vector<double>& x, const std::vector<double>& y);

// A confidence interval; NaN ends where it is not defined (fewer than 3 pairs, constant samples).
struct Interval {
  double lo = 0, hi = 0;
};

struct CorrelationIntervals {
  Interval r2, pearson, spearman, kendall;
  int resamples = 0;   // bootstrap resamples drawn
  double level = 0.95;
};

// Percentile bootstrap: `resamples` resamples of the n pairs with replacement (the library's own
// PRNG from `seed`, so a report is reproducible everywhere), each statistic's (1 - level) / 2 and
// (1 + level) / 2 quantiles over the resamples where it is defined. Kendall's tau-b costs n^2 per
// resample: above n^2 x resamples = 2e8 the resamples are reduced (at least 200) and say so.
CorrelationIntervals bootstrap_intervals(const std::vector<double>& x, const std::vector<double>& y,
                                         int resamples = 1000, double level = 0.95, uint64_t seed = 0x5eed);

// Student's t distribution with `df` > 0 degrees of freedom: its CDF, and its quantile at
// probability p in (0, 1) (by bisection on the CDF, to ~1e-12).
double student_t_cdf(double t, double df);
double student_t_quantile(double p, double df);

// mean(a) - mean(b) with Welch's confidence interval (unequal variances, Welch-Satterthwaite
// degrees of freedom): what "the design loses d points" rests on when each model has a few seeds.
// Needs 2+ values in each sample; a zero spread in both gives the point itself as the interval.
struct MeanDifference {
  double difference = 0;
  Interval ci;
  double df = 0;
  double level = 0.95;
};
MeanDifference welch_difference(const std::vector<double>& a, const std::vector<double>& b, double level = 0.95);

}  // namespace nnmass
