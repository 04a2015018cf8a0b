// Tile kernels of the Monte Carlo analysis (sensitivity_internal.hpp), written with GCC vector
// extensions. This file is compiled once per instruction set (generic, AVX2, AVX-512; CMakeLists.txt)
// into its own namespace (EMBEDRATING_MC_ISA); mc_dispatch.cpp picks one at run time.
//
// Unlike the regrade_many kernel, these sums feed results (histograms, means, variances) that must
// be the same bits on every machine: the file is compiled with -ffp-contract=off (a product is
// rounded before it is added) and every lane sums its leaves in leaf order, as the scalar code does.
#include <cstdint>
#include <cstring>

#include "mc_kernels.hpp"

#ifndef EMBEDRATING_MC_ISA
#define EMBEDRATING_MC_ISA generic
#endif

namespace embedrating::sensitivity::detail::EMBEDRATING_MC_ISA {

namespace {

typedef double v8d __attribute__((vector_size(64)));
typedef std::int32_t v8i __attribute__((vector_size(32)));

inline v8d load8(const double* p) noexcept {
  v8d v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(double* p, v8d v) noexcept { std::memcpy(p, &v, sizeof v); }
inline v8d splat(double x) noexcept { return v8d{x, x, x, x, x, x, x, x}; }
inline std::size_t smaller(std::size_t a, std::size_t b) noexcept { return a < b ? a : b; }

/// Blocks of 4 variants × (8 · RV) operators: 4·RV accumulators of 8 doubles.
template <std::size_t RV>
inline __attribute__((always_inline)) void totals_body(const totals_tile_args& a) noexcept {
  const std::size_t L = a.leaves, S = a.stride;
  const v8d below = splat(-1.0), above = splat(static_cast<double>(a.bins)), one = splat(1.0);
  double* w = a.scratch;  // the block's 4 weight rows, zero beyond the last variant
  for (std::size_t k0 = 0; k0 < a.variants; k0 += 4) {
    const std::size_t kn = smaller(4, a.variants - k0);
    for (std::size_t kk = 0; kk < 4; ++kk)
      for (std::size_t j = 0; j < L; ++j) w[kk * L + j] = kk < kn ? a.available[(k0 + kk) * L + j] : 0.0;
    for (std::size_t i0 = 0; i0 < a.rows; i0 += 8 * RV) {
      v8d acc[4][RV];
      for (auto& r : acc)
        for (auto& v : r) v = splat(0.0);
      for (std::size_t j = 0; j < L; ++j) {
        v8d s[RV];
        for (std::size_t rv = 0; rv < RV; ++rv) s[rv] = load8(a.scores + j * S + i0 + 8 * rv);
        for (std::size_t kk = 0; kk < 4; ++kk) {
          const v8d wv = splat(w[kk * L + j]);
          for (std::size_t rv = 0; rv < RV; ++rv) acc[kk][rv] = acc[kk][rv] + s[rv] * wv;
        }
      }
      for (std::size_t rv = 0; rv < RV; ++rv) {
        const std::size_t i = i0 + 8 * rv;
        const v8d lo = load8(a.lo + i), iw = load8(a.inv_width + i);
        v8d mn = load8(a.min + i), mx = load8(a.max + i);
        for (std::size_t kk = 0; kk < kn; ++kk) {
          const v8d t = acc[kk][rv];
          mn = t < mn ? t : mn;
          mx = t > mx ? t : mx;
          v8d y = (t - lo) * iw;
          y = y < below ? below : y;
          y = y > above ? above : y;
          const v8i bin = __builtin_convertvector(y + one, v8i);  // 0: below the window, B + 1: above
          for (std::size_t q = 0; q < 8; ++q) ++a.hist[i + q][bin[q]];
        }
        store8(a.min + i, mn);
        store8(a.max + i, mx);
      }
    }
  }
}

void totals_kernel(const totals_tile_args& a) noexcept {
#if defined(__AVX512F__)
  totals_body<4>(a);
#else
  totals_body<2>(a);
#endif
}

void count_kernel(const count_tile_args& a) noexcept {
  for (std::size_t k = 0; k < a.variants; ++k) {
    const std::int8_t* g = a.grades + k * a.stride;
    for (std::size_t v = 0; v < 6; ++v) {
      std::uint16_t* c = a.counts + v * a.stride;
      const auto want = static_cast<std::int8_t>(v);
      std::uint32_t n = 0;
      for (std::size_t r = 0; r < a.rows; ++r) {
        const auto m = static_cast<std::uint16_t>(g[r] == want);
        c[r] = static_cast<std::uint16_t>(c[r] + m);
        n += m;
      }
      a.per_draw[k * 6 + v] += n;
    }
  }
}

void moments_kernel(const moments_args& a) noexcept {
  const std::size_t L = a.leaves, S = a.stride;
  constexpr std::size_t B = 256;
  double tmp[B], var[B], mean[B];
  for (std::size_t i0 = 0; i0 < a.rows; i0 += B) {
    const std::size_t m = smaller(B, a.rows - i0);
    for (std::size_t i = 0; i < m; ++i) var[i] = mean[i] = 0.0;
    for (std::size_t j = 0; j < L; ++j) {
      const double* sj = a.scores + j * S + i0;
      const double mj = a.mean_points[j];
      for (std::size_t i = 0; i < m; ++i) mean[i] = mean[i] + sj[i] * mj;
      for (std::size_t i = 0; i < m; ++i) tmp[i] = 0.0;
      for (std::size_t l = 0; l < L; ++l) {
        const double* sl = a.scores + l * S + i0;
        const double c = a.covariance[j * L + l];
        for (std::size_t i = 0; i < m; ++i) tmp[i] = tmp[i] + sl[i] * c;
      }
      for (std::size_t i = 0; i < m; ++i) var[i] = var[i] + sj[i] * tmp[i];
    }
    for (std::size_t i = 0; i < m; ++i) {
      a.mean[i0 + i] = mean[i];
      a.var[i0 + i] = var[i] > 0.0 ? var[i] : 0.0;
    }
  }
}

}  // namespace

void totals_tile(const totals_tile_args& a) noexcept { totals_kernel(a); }
void count_tile(const count_tile_args& a) noexcept { count_kernel(a); }
void moments(const moments_args& a) noexcept { moments_kernel(a); }

}  // namespace embedrating::sensitivity::detail::EMBEDRATING_MC_ISA
