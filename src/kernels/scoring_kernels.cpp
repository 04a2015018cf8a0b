// Column kernels. Built for the baseline ISA with AVX2 and AVX-512 clones chosen at run time
// (GCC target_clones through ifunc); no -march in public headers.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "embedrating/detail/kernels.hpp"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)  // an ifunc resolver runs before the sanitizer runtime is up
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
void accumulate_pattern_kernel(const double* __restrict score, double available, const std::uint32_t* __restrict pattern,
                               std::uint32_t which, std::size_t n, double* __restrict acc) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const double s = score[i];
    const double p = std::floor(s * available + 0.5);
    acc[i] += (pattern[i] == which) & (s == s) ? p : 0.0;
  }
}

EMBEDRATING_CLONES
void accumulate_two_kernel(const double* __restrict score, double a0, double a1, const std::uint32_t* __restrict pattern,
                           std::uint32_t second, std::size_t n, double* __restrict acc) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const double s = score[i];
    const double a = pattern[i] == second ? a1 : a0;
    const double p = std::floor(s * a + 0.5);
    acc[i] += s == s ? p : 0.0;
  }
}

EMBEDRATING_CLONES
void accumulate_gather_kernel(const double* __restrict score, const double* __restrict available, int stride,
                              const std::uint32_t* __restrict pattern, std::size_t n, double* __restrict acc) noexcept {
  // 32-bit indices: the loop vectorises with gathers from the (small) table of patterns
  for (std::size_t i = 0; i < n; ++i) {
    const double s = score[i];
    const double a = available[static_cast<int>(pattern[i]) * stride];
    const double p = std::floor(s * a + 0.5);
    acc[i] += s == s ? p : 0.0;
  }
}

EMBEDRATING_CLONES
std::size_t outside_kernel(const double* __restrict x, std::size_t n, double lo, double hi) noexcept {
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i) c += static_cast<std::size_t>((x[i] < lo) | (x[i] > hi));
  return c;
}

EMBEDRATING_CLONES
std::size_t nan_kernel(const double* __restrict x, std::size_t n) noexcept {
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i) c += static_cast<std::size_t>(x[i] != x[i]);
  return c;
}

EMBEDRATING_CLONES
std::size_t noncanonical_kernel(const std::uint64_t* __restrict u, std::size_t n) noexcept {
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i)
    c += static_cast<std::size_t>(((u[i] & 0x7FFFFFFFFFFFFFFFull) > 0x7FF0000000000000ull) | (u[i] == 0x8000000000000000ull));
  return c;
}

EMBEDRATING_CLONES
void add_kernel(const std::int64_t* __restrict src, std::size_t n, std::int64_t* __restrict dst) noexcept {
  for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
}

EMBEDRATING_CLONES
void copy_kernel(const double* __restrict src, std::size_t n, double* __restrict dst) noexcept {
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
}

EMBEDRATING_CLONES
void steps_kernel(const double* __restrict x, std::size_t n, const double* __restrict t, const double* __restrict sc,
                  std::size_t k, bool benefit, double otherwise, double* __restrict out) noexcept {
  // the first step that holds, in the function's order: go through the steps backwards, the
  // later assignment (an earlier step) winning
  for (std::size_t i = 0; i < n; ++i) out[i] = otherwise;
  for (std::size_t s = k; s-- > 0;) {
    const double th = t[s], v = sc[s];
    if (benefit)
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] >= th ? v : out[i];
    else
      for (std::size_t i = 0; i < n; ++i) out[i] = x[i] <= th ? v : out[i];
  }
  for (std::size_t i = 0; i < n; ++i) out[i] = x[i] != x[i] ? x[i] : out[i];
}

EMBEDRATING_CLONES
std::size_t count_nan_kernel(const double* __restrict x, std::size_t n) noexcept {
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i) c += static_cast<std::size_t>(x[i] != x[i]);
  return c;
}

inline std::uint64_t pack8(const std::uint8_t* b) noexcept {
  std::uint64_t x;
  std::memcpy(&x, b, 8);
  return (x * 0x0102040810204080ull) >> 56;
}

inline std::uint64_t pack64(const std::uint8_t* b) noexcept {
  std::uint64_t w = 0;
  for (std::size_t k = 0; k < 8; ++k) w |= pack8(b + 8 * k) << (8 * k);
  return w;
}

/// Bits of pred over x, 64 at a time through a byte buffer the compiler vectorises.
template <class T, class Pred>
inline __attribute__((always_inline)) void bits_kernel(const T* __restrict x, std::size_t n, std::uint64_t* __restrict out, Pred pred) noexcept {
  std::uint8_t b[64];
  std::size_t w = 0, base = 0;
  for (; base + 64 <= n; base += 64, ++w) {
    for (std::size_t k = 0; k < 64; ++k) b[k] = static_cast<std::uint8_t>(pred(x[base + k]));
    out[w] = pack64(b);
  }
  if (base < n) {
    for (std::size_t k = 0; k < 64; ++k) b[k] = base + k < n ? static_cast<std::uint8_t>(pred(x[base + k])) : 0;
    out[w] = pack64(b);
  }
}

EMBEDRATING_CLONES
void compare_kernel(int op, const double* __restrict x, std::size_t n, double v, std::uint64_t* __restrict out) noexcept {
  switch (op) {
    case 0: bits_kernel(x, n, out, [v](double a) { return a < v; }); break;
    case 1: bits_kernel(x, n, out, [v](double a) { return a <= v; }); break;
    case 2: bits_kernel(x, n, out, [v](double a) { return a > v; }); break;
    case 3: bits_kernel(x, n, out, [v](double a) { return a >= v; }); break;
    case 4: bits_kernel(x, n, out, [v](double a) { return a == v; }); break;
    case 5: bits_kernel(x, n, out, [v](double a) { return (a == a) & (a != v); }); break;
    case 6: bits_kernel(x, n, out, [](double a) { return a != a; }); break;
    default: bits_kernel(x, n, out, [](double a) { return a == a; }); break;
  }
}

EMBEDRATING_CLONES
void date_kernel(const std::int32_t* __restrict d, std::size_t n, std::int32_t bound, bool at_most, std::uint64_t* __restrict out) noexcept {
  constexpr std::int32_t missing = std::numeric_limits<std::int32_t>::min();
  if (at_most)
    bits_kernel(d, n, out, [bound](std::int32_t a) { return (a != missing) & (a <= bound); });
  else
    bits_kernel(d, n, out, [bound](std::int32_t a) { return (a != missing) & (a > bound); });
}

EMBEDRATING_CLONES
void any_kernel(const std::uint64_t* __restrict rows, std::size_t n, std::uint64_t want, std::uint64_t* __restrict out) noexcept {
  bits_kernel(rows, n, out, [want](std::uint64_t a) { return (a & want) != 0; });
}

}  // namespace

std::size_t score_column(const scoring_function& f, const double* x, std::size_t n, double* out) noexcept {
  switch (f.kind) {
    case scoring_kind::linear:
      linear_kernel(x, n, f.lower, f.upper - f.lower, f.dir == direction::benefit, out);
      break;
    case scoring_kind::steps: {
      std::vector<double> t, v;
      for (const auto& [th, sc] : f.points) {
        t.push_back(th);
        v.push_back(sc);
      }
      steps_kernel(x, n, t.data(), v.data(), t.size(), f.dir == direction::benefit, f.otherwise, out);
      break;
    }
    default:
      for (std::size_t i = 0; i < n; ++i) out[i] = std::isnan(x[i]) ? x[i] : score_value(f, x[i]);
      break;
  }
  return count_nan_kernel(out, n);
}

void compare_bits(compare_op op, const double* x, std::size_t n, double v, std::uint64_t* out) noexcept {
  int code;
  switch (op) {
    case compare_op::lt: code = 0; break;
    case compare_op::le: code = 1; break;
    case compare_op::gt: code = 2; break;
    case compare_op::ge: code = 3; break;
    case compare_op::eq: code = 4; break;
    case compare_op::ne: code = 5; break;
    case compare_op::is_missing: code = v != 0.0 ? 6 : 7; break;
    default: code = 7; break;
  }
  compare_kernel(code, x, n, v, out);
}

void date_bits(const std::int32_t* d, std::size_t n, std::int32_t bound, bool at_most, std::uint64_t* out) noexcept {
  date_kernel(d, n, bound, at_most, out);
}

void any_bits(const std::uint64_t* rows, std::size_t n, std::uint64_t want, std::uint64_t* out) noexcept {
  any_kernel(rows, n, want, out);
}

void points_column(const double* score, std::int64_t available, std::size_t n, std::int64_t* out) noexcept {
  points_kernel(score, static_cast<double>(available), n, out);
}

void accumulate_points(const double* score, double available, std::size_t n, double* acc) noexcept {
  accumulate_kernel(score, available, n, acc);
}

void accumulate_points_of_pattern(const double* score, double available, const std::uint32_t* pattern,
                                  std::uint32_t which, std::size_t n, double* acc) noexcept {
  accumulate_pattern_kernel(score, available, pattern, which, n, acc);
}

void accumulate_points_of_two(const double* score, double a0, double a1, const std::uint32_t* pattern,
                              std::uint32_t second, std::size_t n, double* acc) noexcept {
  accumulate_two_kernel(score, a0, a1, pattern, second, n, acc);
}

void accumulate_points_by_pattern(const double* score, const double* available, std::size_t stride,
                                  const std::uint32_t* pattern, std::size_t n, double* acc) noexcept {
  accumulate_gather_kernel(score, available, static_cast<int>(stride), pattern, n, acc);
}

std::size_t count_outside(const double* x, std::size_t n, double lo, double hi) noexcept {
  return outside_kernel(x, n, lo, hi);
}

std::size_t count_nan(const double* x, std::size_t n) noexcept { return nan_kernel(x, n); }

std::size_t count_noncanonical(const double* x, std::size_t n) noexcept {
  return noncanonical_kernel(reinterpret_cast<const std::uint64_t*>(x), n);
}

void add_column(const std::int64_t* src, std::size_t n, std::int64_t* dst) noexcept { add_kernel(src, n, dst); }

void stream_copy(const double* src, std::size_t n, double* dst) noexcept { copy_kernel(src, n, dst); }

}  // namespace embedrating::detail
