// Eigenvalues of small dense symmetric matrices, fast. The isometry analysis needs the spectra of
// hundreds of thousands of 8x8 to 64x64 Gram matrices; LAPACK spends most of its ~3 us per 8x8
// matrix on call overhead, while the arithmetic is under a thousand flops. This is the textbook
// method, written for that size: Householder reduction to tridiagonal form (eigenvalues only),
// then the implicit QL algorithm with Wilkinson shifts. Torch-free.
#pragma once

namespace nnmass {

// Eigenvalues of the symmetric n x n matrix `a` (row-major; only read, the lower triangle is
// used), written to `eigenvalues` in descending order. `work` needs n*n + 3*n doubles.
// Returns false if the QL iteration did not converge (never seen; 60 iterations per eigenvalue).
bool symmetric_eigenvalues(const double* a, int n, double* eigenvalues, double* work);

}  // namespace nnmass
