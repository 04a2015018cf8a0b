// Column kernels. Built for the baseline ISA with AVX2 and AVX-512 clones chosen at run time
// (GCC target_clones through ifunc); no -march in public headers.
#include <cmath>
#include <cstring>

#include "embedrating/detail/kernels.hpp"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#define EMBEDRATING_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EMBEDRATING_CLONES
#endif

namespace embedrating::detail {

namespace {

EMBEDRATING_CLONES
void linear_kernel(const double* __restrict x, std::size_t n, double lower, double width, bool benefit,
                   double* __restrict out) noexcept {
  // Same arithmetic as score_value(): (x - lower) / (upper - lower). NaN propagates through the arithmetic and both comparisons (they are false for NaN).
  if (benefit) {
    for (std::size_t i = 0; i < n; ++i) {
      double s = (x[i] - lower) / width;
      s = s < 0.0 ? 0.0 : s;
      s = s > 1.0 ? 1.0 : s;
      out[i] = s;
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      double s = 1.0 - (x[i] - lower) / width;
      s = s < 0.0 ? 0.0 : s;
      s = s > 1.0 ? 1.0 : s;
      out[i] = s;
    }
  }
}

EMBEDRATING_CLONES
void points_kernel(const double* __restrict score, double available, std::size_t n, std::int64_t* __restrict out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const double s = score[i];
    const double p = s == s ? std::floor(s * available + 0.5) : 0.0;  // scores are >= 0
    out[i] = static_cast<std::int64_t>(p);
  }
}

EMBEDRATING_CLONES
void accumulate_kernel(const double* __restrict score, double available, std::size_t n, double* __restrict acc) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const double s = score[i];
    acc[i] += s == s ? std::floor(s * available + 0.5) : 0.0;
  }
}

EMBEDRATING_CLONES
void accumulate_gather_kernel(const double* __restrict score, const double* __restrict available, std::size_t stride,
                              const std::uint32_t* __restrict pattern, std::size_t n, double* __restrict acc) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const double s = score[i];
    const double a = available[static_cast<std::size_t>(pattern[i]) * stride];
    acc[i] += s == s ? std::floor(s * a + 0.5) : 0.0;
  }
}

EMBEDRATING_CLONES
void add_kernel(const std::int64_t* __restrict src, std::size_t n, std::int64_t* __restrict dst) noexcept {
  for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
}

EMBEDRATING_CLONES
void copy_kernel(const double* __restrict src, std::size_t n, double* __restrict dst) noexcept {
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
}

}  // namespace

void score_column(const scoring_function& f, const double* x, std::size_t n, double* out) noexcept {
  if (f.kind == scoring_kind::linear) {
    linear_kernel(x, n, f.lower, f.upper - f.lower, f.dir == direction::benefit, out);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) out[i] = std::isnan(x[i]) ? x[i] : score_value(f, x[i]);
}

void points_column(const double* score, std::int64_t available, std::size_t n, std::int64_t* out) noexcept {
  points_kernel(score, static_cast<double>(available), n, out);
}

void accumulate_points(const double* score, double available, std::size_t n, double* acc) noexcept {
  accumulate_kernel(score, available, n, acc);
}

void accumulate_points_by_pattern(const double* score, const double* available, std::size_t stride,
                                  const std::uint32_t* pattern, std::size_t n, double* acc) noexcept {
  accumulate_gather_kernel(score, available, stride, pattern, n, acc);
}

void add_column(const std::int64_t* src, std::size_t n, std::int64_t* dst) noexcept { add_kernel(src, n, dst); }

void stream_copy(const double* src, std::size_t n, double* dst) noexcept { copy_kernel(src, n, dst); }

}  // namespace embedrating::detail
