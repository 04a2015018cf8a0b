// Tile kernels of the Monte Carlo analysis (sensitivity_internal.hpp), written with GCC vector
// extensions. This file is compiled once per instruction set (generic, AVX2, AVX-512; CMakeLists.txt)
// into its own namespace (EMBEDRATING_MC_ISA); mc_dispatch.cpp picks one at run time.
//
// Unlike the regrade_many kernel, these sums feed results (histograms, means, variances) that must
// be the same bits on every machine: the file is compiled with -ffp-contract=off, the totals use
// explicit fused multiply-adds (exactly rounded, so the same in every build), the moments plain
// products and sums, and every lane sums its leaves in leaf order, as the scalar code does.
#include <cstdint>
#include <cstring>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

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

// Totals with explicit fused multiply-adds: fma(s, a, acc) is exactly rounded (IEEE 754-2008), so
// the AVX-512 and AVX2 instructions and the scalar fma of the generic build give the same bits.
// Each total's bin is floor((t − lo) / width) + 1 = trunc(fma(t, 1 / width, 1 − lo / width)),
// clamped to [0, B + 1] (0: below the window, B + 1: above).

/// Increments the histogram rows of 8 consecutive operators at the bins in `bins`.
inline void count_bins(std::uint16_t* const* rows, const std::int32_t* bins) noexcept {
  for (std::size_t q = 0; q < 8; ++q) ++rows[q][bins[q]];
}

#if defined(__AVX512F__)
void totals_kernel(const totals_tile_args& a) noexcept {
  const std::size_t L = a.leaves, S = a.stride;
  const __m256i zero = _mm256_setzero_si256(), top = _mm256_set1_epi32(static_cast<int>(a.bins) + 1);
  // each draw's bins, stored and read back from memory (extracting lanes one by one from the
  // registers costs more than the increments)
  alignas(64) std::int32_t bins[4][8];
  for (std::size_t k0 = 0; k0 < a.variants; k0 += 4) {
    const std::size_t kn = smaller(4, a.variants - k0);
    double* w = a.scratch;  // the block's 4 weight rows, zero beyond the last variant
    for (std::size_t kk = 0; kk < 4; ++kk)
      for (std::size_t j = 0; j < L; ++j) w[kk * L + j] = kk < kn ? a.available[(k0 + kk) * L + j] : 0.0;
    for (std::size_t i0 = 0; i0 < a.rows; i0 += 32) {
      __m512d acc[4][4];
      for (auto& r : acc)
        for (auto& v : r) v = _mm512_setzero_pd();
      for (std::size_t j = 0; j < L; ++j) {
        const double* sp = a.scores + j * S + i0;
        const __m512d s0 = _mm512_loadu_pd(sp), s1 = _mm512_loadu_pd(sp + 8), s2 = _mm512_loadu_pd(sp + 16),
                      s3 = _mm512_loadu_pd(sp + 24);
        for (std::size_t kk = 0; kk < 4; ++kk) {
          const __m512d wv = _mm512_set1_pd(w[kk * L + j]);
          acc[kk][0] = _mm512_fmadd_pd(s0, wv, acc[kk][0]);
          acc[kk][1] = _mm512_fmadd_pd(s1, wv, acc[kk][1]);
          acc[kk][2] = _mm512_fmadd_pd(s2, wv, acc[kk][2]);
          acc[kk][3] = _mm512_fmadd_pd(s3, wv, acc[kk][3]);
        }
      }
      for (std::size_t rv = 0; rv < 4; ++rv) {
        const std::size_t i = i0 + 8 * rv;
        const __m512d iw = _mm512_loadu_pd(a.inv_width + i), off = _mm512_loadu_pd(a.offset + i);
        __m512d mn = _mm512_loadu_pd(a.min + i), mx = _mm512_loadu_pd(a.max + i);
        for (std::size_t kk = 0; kk < kn; ++kk) {
          const __m512d t = acc[kk][rv];
          mn = _mm512_min_pd(t, mn);
          mx = _mm512_max_pd(t, mx);
          __m256i b = _mm512_cvttpd_epi32(_mm512_fmadd_pd(t, iw, off));
          b = _mm256_min_epi32(_mm256_max_epi32(b, zero), top);
          _mm256_store_si256(reinterpret_cast<__m256i*>(bins[kk]), b);
        }
        _mm512_storeu_pd(a.min + i, mn);
        _mm512_storeu_pd(a.max + i, mx);
        asm volatile("" ::: "memory");  // read the bins back from memory
        for (std::size_t kk = 0; kk < kn; ++kk) count_bins(a.hist + i, bins[kk]);
      }
    }
  }
}
#elif defined(__AVX2__) && defined(__FMA__)
void totals_kernel(const totals_tile_args& a) noexcept {
  const std::size_t L = a.leaves, S = a.stride;
  const __m128i zero = _mm_setzero_si128(), top = _mm_set1_epi32(static_cast<int>(a.bins) + 1);
  alignas(32) std::int32_t bins[4][8];
  for (std::size_t k0 = 0; k0 < a.variants; k0 += 4) {
    const std::size_t kn = smaller(4, a.variants - k0);
    double* w = a.scratch;
    for (std::size_t kk = 0; kk < 4; ++kk)
      for (std::size_t j = 0; j < L; ++j) w[kk * L + j] = kk < kn ? a.available[(k0 + kk) * L + j] : 0.0;
    for (std::size_t i0 = 0; i0 < a.rows; i0 += 8) {
      __m256d acc[4][2];
      for (auto& r : acc)
        for (auto& v : r) v = _mm256_setzero_pd();
      for (std::size_t j = 0; j < L; ++j) {
        const double* sp = a.scores + j * S + i0;
        const __m256d s0 = _mm256_loadu_pd(sp), s1 = _mm256_loadu_pd(sp + 4);
        for (std::size_t kk = 0; kk < 4; ++kk) {
          const __m256d wv = _mm256_broadcast_sd(w + kk * L + j);
          acc[kk][0] = _mm256_fmadd_pd(s0, wv, acc[kk][0]);
          acc[kk][1] = _mm256_fmadd_pd(s1, wv, acc[kk][1]);
        }
      }
      for (std::size_t rv = 0; rv < 2; ++rv) {
        const std::size_t i = i0 + 4 * rv;
        const __m256d iw = _mm256_loadu_pd(a.inv_width + i), off = _mm256_loadu_pd(a.offset + i);
        __m256d mn = _mm256_loadu_pd(a.min + i), mx = _mm256_loadu_pd(a.max + i);
        for (std::size_t kk = 0; kk < kn; ++kk) {
          const __m256d t = acc[kk][rv];
          mn = _mm256_min_pd(t, mn);
          mx = _mm256_max_pd(t, mx);
          __m128i b = _mm256_cvttpd_epi32(_mm256_fmadd_pd(t, iw, off));
          b = _mm_min_epi32(_mm_max_epi32(b, zero), top);
          _mm_store_si128(reinterpret_cast<__m128i*>(bins[kk] + 4 * rv), b);
        }
        _mm256_storeu_pd(a.min + i, mn);
        _mm256_storeu_pd(a.max + i, mx);
      }
      for (std::size_t kk = 0; kk < kn; ++kk) count_bins(a.hist + i0, bins[kk]);
    }
  }
}
#else
void totals_kernel(const totals_tile_args& a) noexcept {
  const std::size_t L = a.leaves, S = a.stride;
  const double top = static_cast<double>(a.bins) + 1.0;
  for (std::size_t k = 0; k < a.variants; ++k) {
    const double* w = a.available + k * L;
    for (std::size_t i0 = 0; i0 < a.rows; i0 += 8) {
      double t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (std::size_t j = 0; j < L; ++j)
        for (std::size_t q = 0; q < 8; ++q) t[q] = __builtin_fma(a.scores[j * S + i0 + q], w[j], t[q]);
      std::int32_t bins[8];
      for (std::size_t q = 0; q < 8; ++q) {
        const std::size_t i = i0 + q;
        a.min[i] = t[q] < a.min[i] ? t[q] : a.min[i];
        a.max[i] = t[q] > a.max[i] ? t[q] : a.max[i];
        double y = __builtin_fma(t[q], a.inv_width[i], a.offset[i]);
        y = y < 0.0 ? 0.0 : (y > top ? top : y);
        bins[q] = static_cast<std::int32_t>(y);
      }
      count_bins(a.hist + i0, bins);
    }
  }
}
#endif

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
