// Statistics for "does X predict accuracy?": the R^2 of a least-squares line, Pearson's r,
// Spearman's rho (average ranks for ties) and Kendall's tau-b (tie-corrected). Torch-free.
// Every function needs at least two points; a constant sample has no defined correlation, and
// the functions return NaN for it rather than a made-up number.
#pragma once

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

}  // namespace nnmass
