#pragma once
// One-pass column statistics for the objective weights (entropy, CRITIC, standard deviation,
// coefficient of variation), compiled in weights_kernels.cpp with run-time instruction-set
// dispatch (GCC target_clones). Private to the library: not installed.
#include <cstddef>

#include "embedrating/weights.hpp"

namespace embedrating::weights::kernels {

/// Per column j of `x`: sum[j] = Σ_i x_ij, sxl[j] = Σ_{x_ij > 0} x_ij ln(x_ij · inv_c[j]) and
/// bad[j] = the number of values that are not in [0, +inf) (negative, NaN, inf).
void entropy_sums(const matrix_view& x, const double* inv_c, double* sum, double* sxl, double* bad) noexcept;

/// Per column j, with d = x − c[j]: sum[j] = Σ d, sumsq[j] = Σ d², min[j], max[j] of x, bad[j] =
/// the number of non-finite values; when `gram` is not null, gram[i·n + j] (i <= j) = Σ d_i d_j
/// (upper triangle of the n × n cross-product matrix; the lower triangle is left as is).
void moments(const matrix_view& x, const double* c, double* sum, double* sumsq, double* min, double* max, double* bad,
             double* gram) noexcept;

/// The streaming reference for the benchmarks: out[j] = Σ_i x_ij (one read of every value).
void column_sums(const matrix_view& x, double* out) noexcept;

/// ln x for x > 0 (subnormals included), vectorisable: x = 2^e·m with m in [√½, √2),
/// ln m = 2 atanh(s), s = (m − 1)/(m + 1), by its series to s^23 (|s| < 0.1716: truncation
/// below 1e-19). Exposed for the tests (compared with std::log).
double log_positive(double x) noexcept;

}  // namespace embedrating::weights::kernels
