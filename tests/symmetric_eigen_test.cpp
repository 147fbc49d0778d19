// The small symmetric eigensolver behind the isometry analysis (Householder + implicit QL),
// against LAPACK (torch::linalg_eigvalsh, float64) on random and structured matrices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nnmass/analysis/symmetric_eigen.h"

namespace nnmass {
namespace {

// Tolerance: both solvers are backward stable, so each eigenvalue is exact for a matrix within
// O(n * eps * ||A||_2) of A, and by Weyl's inequality it moves by at most that much:
// n <= 20, eps = 2.2e-16 gives ~5e-15 * ||A||_2 per solver (times a small constant). 1e-12 of
// max|lambda| = ||A||_2 leaves a factor ~100 of slack for those constants and still catches any
// algorithmic error (a wrong rotation or a missed deflation moves eigenvalues by O(||A||)).
constexpr double kRelTol = 1e-12;

struct Case {
  std::string name;
  torch::Tensor a;  // float64 [n, n], symmetric
};

// Our solver's eigenvalues of `a` (n x n), checking the documented contract along the way:
// returns true, leaves `a` untouched, needs only n*n + 3*n doubles of work.
std::vector<double> ours(const torch::Tensor& a) {
  const int n = static_cast<int>(a.size(0));
  const torch::Tensor c = a.contiguous();
  std::vector<double> in(c.data_ptr<double>(), c.data_ptr<double>() + n * n);
  const std::vector<double> before = in;
  std::vector<double> values(n, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> work(n * n + 3 * n);
  EXPECT_TRUE(symmetric_eigenvalues(in.data(), n, values.data(), work.data()));
  EXPECT_EQ(std::memcmp(in.data(), before.data(), n * n * sizeof(double)), 0) << "input modified";  // NaN-safe
  return values;
}

void expect_matches_lapack(const Case& c) {
  SCOPED_TRACE(c.name + ", n = " + std::to_string(c.a.size(0)));
  const std::vector<double> got = ours(c.a);
  // eigvalsh is ascending; ours is descending.
  const torch::Tensor ref = torch::linalg_eigvalsh(c.a).flip(0).contiguous();
  const double* want = ref.data_ptr<double>();
  const int n = static_cast<int>(got.size());
  double scale = 0;
  for (int i = 0; i < n; ++i) scale = std::max(scale, std::abs(want[i]));
  for (int i = 0; i + 1 < n; ++i) EXPECT_GE(got[i], got[i + 1]) << "not descending at " << i;
  double worst = 0;
  for (int i = 0; i < n; ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
  // For the zero matrix scale = 0: the eigenvalues must then be exactly 0.
  EXPECT_LE(worst, kRelTol * scale) << "max |lambda| = " << scale;
}

torch::Tensor sym(const torch::Tensor& x) { return (x + x.t()) / 2; }

std::vector<Case> all_cases() {
  torch::manual_seed(20210619);
  const auto opts = torch::kFloat64;
  std::vector<Case> cases;
  for (int n = 1; n <= 20; ++n) {
    for (int r = 0; r < 5; ++r) {
      cases.push_back({"random symmetric", sym(torch::randn({n, n}, opts))});
      const torch::Tensor b = torch::randn({n, n + 3}, opts);
      cases.push_back({"PSD Gram", b.mm(b.t())});
      const torch::Tensor thin = torch::randn({n, std::max(1, n / 3)}, opts);
      cases.push_back({"rank-deficient Gram", thin.mm(thin.t())});
      cases.push_back({"diagonal", torch::diag(torch::randn({n}, opts))});
    }
    // Zero diagonal (the QL shift starts from d = 0).
    cases.push_back({"zero diagonal", sym(torch::randn({n, n}, opts)).fill_diagonal_(0)});
    cases.push_back({"identity", torch::eye(n, opts)});
    cases.push_back({"-3.5 I", -3.5 * torch::eye(n, opts)});
    cases.push_back({"zero", torch::zeros({n, n}, opts)});
    const torch::Tensor v = torch::randn({n, 1}, opts);
    cases.push_back({"rank 1", v.mm(v.t())});
    cases.push_back({"rank 1 negative", -2.0 * v.mm(v.t())});
    cases.push_back({"all ones", torch::ones({n, n}, opts)});
    // Repeated eigenvalues in a non-diagonal basis: Q diag(2, 2, .., -1, -1, ..) Q^T.
    const torch::Tensor q = std::get<0>(torch::linalg_qr(torch::randn({n, n}, opts)));
    torch::Tensor d = torch::full({n}, 2.0, opts);
    d.narrow(0, 0, n / 2).fill_(-1.0);
    cases.push_back({"repeated eigenvalues", sym(q.mm(torch::diag(d)).mm(q.t()))});
    // Badly scaled: tiny and huge entries, and a graded Gram matrix (1e-4 .. 1e4 rows).
    cases.push_back({"entries ~1e-8", 1e-8 * sym(torch::randn({n, n}, opts))});
    cases.push_back({"entries ~1e8", 1e8 * sym(torch::randn({n, n}, opts))});
    const torch::Tensor graded = torch::logspace(-4, 4, n, 10, opts).unsqueeze(1) * torch::randn({n, n}, opts);
    cases.push_back({"graded Gram", graded.mm(graded.t())});
    // Tridiagonal already (Householder has nothing to do), with a tiny coupling.
    torch::Tensor tri = torch::diag(torch::randn({n}, opts));
    if (n > 1) {
      const torch::Tensor off = 1e-9 * torch::randn({n - 1}, opts);
      tri = tri + torch::diag(off, 1) + torch::diag(off, -1);
    }
    cases.push_back({"tridiagonal, tiny coupling", tri});
  }
  return cases;
}

TEST(SymmetricEigen, MatchesLapackOnRandomAndStructuredMatrices) {
  const std::vector<Case> cases = all_cases();
  ASSERT_GT(cases.size(), 600u);
  for (const Case& c : cases) expect_matches_lapack(c);
}

TEST(SymmetricEigen, ReadsOnlyTheLowerTriangleAndHandlesTinySizes) {
  // Documented: only the lower triangle is used. Poison the strict upper triangle with NaN.
  torch::manual_seed(7);
  for (int n = 1; n <= 12; ++n) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const torch::Tensor a = sym(torch::randn({n, n}, torch::kFloat64));
    const torch::Tensor poisoned = torch::where(torch::ones({n, n}, torch::kBool).triu(1),
                            torch::full({n, n}, std::numeric_limits<double>::quiet_NaN(), torch::kFloat64), a);
    const std::vector<double> clean = ours(a), dirty = ours(poisoned);
    // Same arithmetic on the same lower triangle: bit-identical.
    EXPECT_EQ(clean, dirty);
  }
  // n = 0 is a no-op that succeeds.
  double dummy = 0;
  EXPECT_TRUE(symmetric_eigenvalues(&dummy, 0, &dummy, &dummy));
  // 1x1 and 2x2 in closed form: [[a, b], [b, c]] has (a+c)/2 +- sqrt(((a-c)/2)^2 + b^2).
  const std::vector<double> one = ours(torch::full({1, 1}, -4.25, torch::kFloat64));
  EXPECT_EQ(one[0], -4.25);
  const std::vector<double> two = ours(torch::tensor({3.0, 1.0, 1.0, 3.0}, torch::kFloat64).view({2, 2}));
  // Eigenvalues 4 and 2; rounding of a handful of flops: 4 ulp.
  EXPECT_NEAR(two[0], 4.0, 4 * 4.0 * std::numeric_limits<double>::epsilon());
  EXPECT_NEAR(two[1], 2.0, 4 * 4.0 * std::numeric_limits<double>::epsilon());
}

}  // namespace
}  // namespace nnmass
