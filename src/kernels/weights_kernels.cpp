// One-pass column statistics for the objective weights. Built for the baseline ISA with AVX2 and
// AVX-512 clones chosen at run time (GCC target_clones through ifunc), like scoring_kernels.cpp.
// Floating-point sums are never reassociated by the compiler (no -ffast-math): the loops keep
// explicit lanes of partial sums so they vectorise anyway.
#include "weights_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)  // an ifunc resolver runs before the sanitizer runtime is up
#define EMBEDRATING_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EMBEDRATING_CLONES
#endif

namespace embedrating::weights::kernels {

namespace {

constexpr int lanes = 16;             // partial sums per column (two AVX-512 vectors: independent work)
constexpr std::ptrdiff_t block = 256;  // rows per block for the cross-products

inline std::uint64_t bits_of(double x) noexcept {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

inline double double_of(std::uint64_t b) noexcept {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

/// ln x for x > 0 without branches or calls (see the header). The exponent is read as a double
/// by the 2^52 trick (no int64 → double conversion, which AVX2 lacks).
inline double log_inline(double x) noexcept {
  constexpr double tiny = 2.2250738585072014e-308;  // smallest normal
  const bool sub = x < tiny;
  x = sub ? x * 4503599627370496.0 : x;  // × 2^52
  const std::uint64_t b = bits_of(x);
  const double e_field = double_of((b >> 52) | 0x4330000000000000ULL) - 4503599627370496.0;  // biased exponent
  double m = double_of((b & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);                 // [1, 2)
  const bool big = m > 1.4142135623730951;
  m = big ? m * 0.5 : m;
  const double e = e_field - 1023.0 + (big ? 1.0 : 0.0) - (sub ? 52.0 : 0.0);
  const double s = (m - 1.0) / (m + 1.0);
  const double z = s * s;
  // Σ_{k=0..11} z^k/(2k+1) by Estrin's scheme (a dependency chain of 5 instead of 12 steps)
  const double z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
  const double q0 = (1.0 + z * (1.0 / 3)) + z2 * (1.0 / 5 + z * (1.0 / 7));
  const double q1 = (1.0 / 9 + z * (1.0 / 11)) + z2 * (1.0 / 13 + z * (1.0 / 15));
  const double q2 = (1.0 / 17 + z * (1.0 / 19)) + z2 * (1.0 / 21 + z * (1.0 / 23));
  const double p = q0 + z4 * q1 + z8 * q2;
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // ln 2 split so e·ln2_hi is exact
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  return e * ln2_hi + (2.0 * s * p + e * ln2_lo);
}

inline double xlog_term(double v, double inv_c) noexcept {
  const double t = log_inline(v > 0.0 ? v * inv_c : 1.0);
  return v > 0.0 ? v * t : 0.0;
}

inline double not_nonnegative(double v) noexcept {
  return (v >= 0.0 && v <= std::numeric_limits<double>::max()) ? 0.0 : 1.0;
}

inline double not_finite(double v) noexcept {
  return (v >= -std::numeric_limits<double>::max() && v <= std::numeric_limits<double>::max()) ? 0.0 : 1.0;
}

EMBEDRATING_CLONES
void entropy_column(const double* __restrict x, std::ptrdiff_t m, double inv_c, double* out) noexcept {
  double s[lanes] = {}, t[lanes] = {}, b[lanes] = {};
  std::ptrdiff_t i = 0;
  for (; i + lanes <= m; i += lanes)
    for (int l = 0; l < lanes; ++l) {
      const double v = x[i + l];
      s[l] += v;
      t[l] += xlog_term(v, inv_c);
      b[l] += not_nonnegative(v);
    }
  for (; i < m; ++i) {
    s[0] += x[i];
    t[0] += xlog_term(x[i], inv_c);
    b[0] += not_nonnegative(x[i]);
  }
  double ss = 0.0, tt = 0.0, bb = 0.0;
  for (int l = 0; l < lanes; ++l) {
    ss += s[l];
    tt += t[l];
    bb += b[l];
  }
  out[0] = ss;
  out[1] = tt;
  out[2] = bb;
}

EMBEDRATING_CLONES
void entropy_rows(const double* __restrict x, std::ptrdiff_t m, std::ptrdiff_t n, std::ptrdiff_t row_stride,
                  const double* __restrict inv_c, double* __restrict sum, double* __restrict sxl,
                  double* __restrict bad) noexcept {
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const double* __restrict row = x + i * row_stride;
    for (std::ptrdiff_t j = 0; j < n; ++j) {
      const double v = row[j];
      sum[j] += v;
      sxl[j] += xlog_term(v, inv_c[j]);
      bad[j] += not_nonnegative(v);
    }
  }
}

/// Shifted copy of rows [r0, r0 + rows) into a row-major buffer (rows × n) with column stats.
EMBEDRATING_CLONES
void fill_block_colmajor(const double* __restrict x, std::ptrdiff_t col_stride, std::ptrdiff_t r0, std::ptrdiff_t rows,
                         std::ptrdiff_t n, std::ptrdiff_t ld, const double* __restrict c, double* __restrict buf, double* __restrict sum,
                         double* __restrict sumsq, double* __restrict mn, double* __restrict mx,
                         double* __restrict bad) noexcept {
  for (std::ptrdiff_t j = 0; j < n; ++j) {
    const double* __restrict col = x + j * col_stride + r0;
    const double cj = c[j];
    double s = 0.0, q = 0.0, lo = mn[j], hi = mx[j], b = 0.0;
    for (std::ptrdiff_t r = 0; r < rows; ++r) {
      const double v = col[r];
      const double d = v - cj;
      buf[r * ld + j] = d;
      s += d;
      q += d * d;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
      b += not_finite(v);
    }
    sum[j] += s;
    sumsq[j] += q;
    mn[j] = lo;
    mx[j] = hi;
    bad[j] += b;
  }
}

EMBEDRATING_CLONES
void fill_block_rowmajor(const double* __restrict x, std::ptrdiff_t row_stride, std::ptrdiff_t r0, std::ptrdiff_t rows,
                         std::ptrdiff_t n, std::ptrdiff_t ld, const double* __restrict c, double* __restrict buf, double* __restrict sum,
                         double* __restrict sumsq, double* __restrict mn, double* __restrict mx,
                         double* __restrict bad) noexcept {
  for (std::ptrdiff_t r = 0; r < rows; ++r) {
    const double* __restrict row = x + (r0 + r) * row_stride;
    double* __restrict out = buf + r * ld;
    for (std::ptrdiff_t j = 0; j < n; ++j) {
      const double v = row[j];
      const double d = v - c[j];
      out[j] = d;
      sum[j] += d;
      sumsq[j] += d * d;
      mn[j] = v < mn[j] ? v : mn[j];
      mx[j] = v > mx[j] ? v : mx[j];
      bad[j] += not_finite(v);
    }
  }
}

/// gram[i·ld + j] += Σ_r buf[r][i]·buf[r][j] for the tiles on or above the diagonal; buf rows have
/// ld (a multiple of 8) values, zero-padded. Register tiles of 4 × 8 accumulators: per row of the
/// block, four broadcasts and one 8-wide load feed 32 multiply-adds.
EMBEDRATING_CLONES
void gram_block(const double* __restrict buf, std::ptrdiff_t rows, std::ptrdiff_t ld, double* __restrict gram) noexcept {
  for (std::ptrdiff_t i0 = 0; i0 < ld; i0 += 4)
    for (std::ptrdiff_t j0 = i0 - i0 % 8; j0 < ld; j0 += 8) {
      double acc[4][8] = {};
      for (std::ptrdiff_t r = 0; r < rows; ++r) {
        const double* __restrict d = buf + r * ld;
        for (int a = 0; a < 4; ++a) {
          const double da = d[i0 + a];
          for (int b = 0; b < 8; ++b) acc[a][b] += da * d[j0 + b];
        }
      }
      for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 8; ++b) gram[(i0 + a) * ld + j0 + b] += acc[a][b];
    }
}

EMBEDRATING_CLONES
double sum_column(const double* __restrict x, std::ptrdiff_t m) noexcept {
  double s[lanes] = {};
  std::ptrdiff_t i = 0;
  for (; i + lanes <= m; i += lanes)
    for (int l = 0; l < lanes; ++l) s[l] += x[i + l];
  for (; i < m; ++i) s[0] += x[i];
  double out = 0.0;
  for (int l = 0; l < lanes; ++l) out += s[l];
  return out;
}

EMBEDRATING_CLONES
void sum_rows(const double* __restrict x, std::ptrdiff_t m, std::ptrdiff_t n, std::ptrdiff_t row_stride,
              double* __restrict out) noexcept {
  for (std::ptrdiff_t i = 0; i < m; ++i) {
    const double* __restrict row = x + i * row_stride;
    for (std::ptrdiff_t j = 0; j < n; ++j) out[j] += row[j];
  }
}

}  // namespace

double log_positive(double x) noexcept { return log_inline(x); }

void entropy_sums(const matrix_view& x, const double* inv_c, double* sum, double* sxl, double* bad) noexcept {
  const std::ptrdiff_t m = x.rows, n = x.cols;
  if (x.column_major()) {
    for (std::ptrdiff_t j = 0; j < n; ++j) {
      double out[3];
      entropy_column(x.data + j * x.col_stride, m, inv_c[j], out);
      sum[j] = out[0];
      sxl[j] = out[1];
      bad[j] = out[2];
    }
    return;
  }
  std::fill(sum, sum + n, 0.0);
  std::fill(sxl, sxl + n, 0.0);
  std::fill(bad, bad + n, 0.0);
  if (x.row_major()) {
    entropy_rows(x.data, m, n, x.row_stride, inv_c, sum, sxl, bad);
    return;
  }
  for (std::ptrdiff_t i = 0; i < m; ++i)
    for (std::ptrdiff_t j = 0; j < n; ++j) {
      const double v = x(i, j);
      sum[j] += v;
      sxl[j] += xlog_term(v, inv_c[j]);
      bad[j] += not_nonnegative(v);
    }
}

void moments(const matrix_view& x, const double* c, double* sum, double* sumsq, double* min, double* max, double* bad,
             double* gram) noexcept {
  const std::ptrdiff_t m = x.rows, n = x.cols;
  std::fill(sum, sum + n, 0.0);
  std::fill(sumsq, sumsq + n, 0.0);
  std::fill(bad, bad + n, 0.0);
  for (std::ptrdiff_t j = 0; j < n; ++j) min[j] = max[j] = x(0, j);
  const std::ptrdiff_t ld = (n + 7) / 8 * 8;  // buffer rows padded with zeros to whole 8-wide vectors
  std::vector<double> buf(static_cast<std::size_t>(block * ld), 0.0);
  std::vector<double> local(gram ? static_cast<std::size_t>(ld * ld) : 0);
  if (gram)
    for (std::ptrdiff_t i = 0; i < n; ++i) std::fill(gram + i * n + i, gram + i * n + n, 0.0);
  for (std::ptrdiff_t r0 = 0; r0 < m; r0 += block) {
    const std::ptrdiff_t rows = std::min(block, m - r0);
    if (x.column_major()) {
      fill_block_colmajor(x.data, x.col_stride, r0, rows, n, ld, c, buf.data(), sum, sumsq, min, max, bad);
    } else if (x.row_major()) {
      fill_block_rowmajor(x.data, x.row_stride, r0, rows, n, ld, c, buf.data(), sum, sumsq, min, max, bad);
    } else {
      for (std::ptrdiff_t r = 0; r < rows; ++r)
        for (std::ptrdiff_t j = 0; j < n; ++j) {
          const double v = x(r0 + r, j);
          const double d = v - c[j];
          buf[static_cast<std::size_t>(r * ld + j)] = d;
          sum[j] += d;
          sumsq[j] += d * d;
          min[j] = v < min[j] ? v : min[j];
          max[j] = v > max[j] ? v : max[j];
          bad[j] += not_finite(v);
        }
    }
    if (gram) {
      // block-local sums, then added: the rounding error grows with block + m/block, not m
      std::fill(local.begin(), local.end(), 0.0);
      gram_block(buf.data(), rows, ld, local.data());
      for (std::ptrdiff_t i = 0; i < n; ++i)
        for (std::ptrdiff_t j = i; j < n; ++j) gram[i * n + j] += local[static_cast<std::size_t>(i * ld + j)];
    }
  }
}

void column_sums(const matrix_view& x, double* out) noexcept {
  const std::ptrdiff_t m = x.rows, n = x.cols;
  if (x.column_major()) {
    for (std::ptrdiff_t j = 0; j < n; ++j) out[j] = sum_column(x.data + j * x.col_stride, m);
    return;
  }
  std::fill(out, out + n, 0.0);
  if (x.row_major()) {
    sum_rows(x.data, m, n, x.row_stride, out);
    return;
  }
  for (std::ptrdiff_t i = 0; i < m; ++i)
    for (std::ptrdiff_t j = 0; j < n; ++j) out[j] += x(i, j);
}

}  // namespace embedrating::weights::kernels
