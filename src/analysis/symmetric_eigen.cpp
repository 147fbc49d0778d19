// Householder tridiagonalisation + implicit QL (eigenvalues only); see symmetric_eigen.h.
//   Golub & Van Loan, Matrix Computations, §8.3 (tridiagonalisation) and §8.3.5 (implicit
//   symmetric QR/QL step with Wilkinson shift).
#include "nnmass/analysis/symmetric_eigen.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace nnmass {
namespace {

// sqrt(a^2 + b^2) without std::hypot's overflow care, which costs more than the whole rotation;
// Gram matrices of layer Jacobians are nowhere near 1e150.
inline double norm2d(double a, double b) { return std::sqrt(a * a + b * b); }

// Reduces the symmetric matrix in `m` (n x n, row-major, overwritten) to tridiagonal form:
// diagonal d[0..n-1], off-diagonal e[0..n-2] (e[i] couples i and i+1), e[n-1] = 0.
void tridiagonalize(double* m, int n, double* d, double* e, double* v, double* p) {
  for (int k = 0; k + 2 < n; ++k) {
    // Householder vector v for the column below the diagonal, x = m[k+1.., k].
    double norm2 = 0;
    for (int i = k + 1; i < n; ++i) norm2 += m[i * n + k] * m[i * n + k];
    d[k] = m[k * n + k];
    if (norm2 == 0) {
      e[k] = 0;
      continue;
    }
    const double x0 = m[(k + 1) * n + k];
    const double alpha = x0 > 0 ? -std::sqrt(norm2) : std::sqrt(norm2);  // H x = alpha e1
    for (int i = k + 1; i < n; ++i) v[i] = m[i * n + k];
    v[k + 1] = x0 - alpha;
    const double tau = 1.0 / (norm2 - alpha * x0);  // 2 / (v^T v)
    // A22 <- H A22 H = A22 - v q^T - q v^T, with p = tau A22 v, q = p - (tau/2)(v^T p) v.
    double vp = 0;
    for (int i = k + 1; i < n; ++i) {
      double s = 0;
      for (int j = k + 1; j < n; ++j) s += m[i * n + j] * v[j];
      p[i] = tau * s;
      vp += v[i] * p[i];
    }
    const double half = 0.5 * tau * vp;
    for (int i = k + 1; i < n; ++i) p[i] -= half * v[i];  // p now holds q
    for (int i = k + 1; i < n; ++i)
      for (int j = k + 1; j < n; ++j) m[i * n + j] -= v[i] * p[j] + p[i] * v[j];
    e[k] = alpha;
  }
  if (n >= 2) {
    d[n - 2] = m[(n - 2) * n + (n - 2)];
    e[n - 2] = m[(n - 1) * n + (n - 2)];
  }
  d[n - 1] = m[(n - 1) * n + (n - 1)];
  e[n - 1] = 0;
}

// Implicit QL with Wilkinson shifts on the tridiagonal (d, e); eigenvalues left in d.
bool tridiagonal_eigenvalues(double* d, double* e, int n) {
  constexpr int kMaxIterations = 60;
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  for (int l = 0; l < n; ++l) {
    for (int iteration = 0;; ++iteration) {
      int m = l;  // first negligible off-diagonal at or after l
      for (; m + 1 < n; ++m)
        if (std::abs(e[m]) <= kEps * (std::abs(d[m]) + std::abs(d[m + 1]))) break;
      if (m == l) break;  // d[l] has converged
      if (iteration == kMaxIterations) return false;
      // Wilkinson shift from the leading 2x2 block, then chase the bulge from m up to l.
      double g = (d[l + 1] - d[l]) / (2.0 * e[l]);
      double r = norm2d(g, 1.0);
      g = d[m] - d[l] + e[l] / (g + std::copysign(r, g));
      double s = 1, c = 1, p = 0;
      int i = m - 1;
      for (; i >= l; --i) {
        const double f = s * e[i], b = c * e[i];
        r = norm2d(f, g);
        e[i + 1] = r;
        if (r == 0) {  // the matrix splits: undo the partial shift and restart
          d[i + 1] -= p;
          e[m] = 0;
          break;
        }
        const double inv = 1.0 / r;  // one division per rotation, not two
        s = f * inv;
        c = g * inv;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2.0 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (r == 0 && i >= l) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return true;
}

}  // namespace

bool symmetric_eigenvalues(const double* a, int n, double* eigenvalues, double* work) {
  if (n <= 0) return true;
  double* m = work;          // n*n copy, overwritten
  double* e = m + n * n;     // n
  double* v = e + n;         // n
  double* p = v + n;         // n
  for (int i = 0; i < n; ++i)  // symmetrise from the lower triangle
    for (int j = 0; j < n; ++j) m[i * n + j] = i >= j ? a[i * n + j] : a[j * n + i];
  tridiagonalize(m, n, eigenvalues, e, v, p);
  const bool ok = tridiagonal_eigenvalues(eigenvalues, e, n);
  std::sort(eigenvalues, eigenvalues + n, std::greater<double>());
  return ok;
}

}  // namespace nnmass
