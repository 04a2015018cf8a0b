// The regrade_many tile kernel and the FMA-bound reference loop, written with GCC vector
// extensions. This file is compiled three times (CMakeLists.txt): for the baseline ISA, for AVX2
// with FMA and for AVX-512, each into its own namespace (EMBEDRATING_KERNEL_ISA); regrade_dispatch.cpp
// picks one at run time. Whole-file compilation per ISA keeps every vector operation in the
// target's instructions (function-level clones left comparisons scalar). Compiled with
// -ffp-contract=fast so that a·b + c is one FMA: nothing here needs bit-exact sums — the tile
// kernel's dimension points carry a margin, and the caller recomputes exactly every grade the
// margin leaves open (scored.hpp, src/rate/regrade_many.cpp).
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "embedrating/detail/kernels.hpp"

#ifndef EMBEDRATING_KERNEL_ISA
#define EMBEDRATING_KERNEL_ISA generic
#endif

namespace embedrating::detail::EMBEDRATING_KERNEL_ISA {

namespace {

typedef double v8d __attribute__((vector_size(64)));
typedef std::int64_t v8l __attribute__((vector_size(64)));

inline v8d load8(const double* p) noexcept {
  v8d v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline v8d splat(double x) noexcept { return v8d{x, x, x, x, x, x, x, x}; }
inline v8l splat(std::int64_t x) noexcept { return v8l{x, x, x, x, x, x, x, x}; }

typedef std::int8_t v8c __attribute__((vector_size(8)));

/// The tile of operators [i0, i0 + 32) × variants [k0, k0 + 4) for a model with D dimensions:
/// dimension points as sums of score × available (FMAs, no rounding), then the grade from the
/// widened thresholds: the level every component surely passes (lo), and whether the next level
/// may pass too (hi) — then the grade is left open (-1) for the exact computation.
template <std::size_t D>
inline __attribute__((always_inline)) void tile_body(const regrade_tile_args& a) noexcept {
  constexpr std::size_t C = D + 1;                  // components: total, then each dimension
  constexpr std::size_t stride = 6 * C + 8 * C;     // per variant: lo[6][C], hi[C][8]
  const std::size_t T = a.rows, L = a.leaves;
  for (std::size_t k0 = 0; k0 < a.variants; k0 += 4) {
    const double* A = a.available + k0 * L;  // 4 × L, padded with zero rows by the caller
    for (std::size_t i0 = 0; i0 < T; i0 += 32) {
      v8d x[D][4][4];  // [dimension][variant in block][row vector]
      for (std::size_t d = 0; d < D; ++d) {
        v8d acc[4][4];
        for (auto& r : acc)
          for (auto& v : r) v = splat(0.0);
        for (std::size_t j = a.leaf_begin[d]; j < a.leaf_begin[d + 1]; ++j) {
          const double* sp = a.scores + j * T + i0;
          const v8d s0 = load8(sp), s1 = load8(sp + 8), s2 = load8(sp + 16), s3 = load8(sp + 24);
          for (std::size_t kk = 0; kk < 4; ++kk) {
            const v8d w = splat(A[kk * L + j]);
            acc[kk][0] += s0 * w;
            acc[kk][1] += s1 * w;
            acc[kk][2] += s2 * w;
            acc[kk][3] += s3 * w;
          }
        }
        for (std::size_t kk = 0; kk < 4; ++kk)
          for (std::size_t rv = 0; rv < 4; ++rv) x[d][kk][rv] = acc[kk][rv];
      }
      for (std::size_t kk = 0; kk < 4 && k0 + kk < a.variants; ++kk) {
        const std::size_t k = k0 + kk;
        const double* lo = a.thresholds + k * stride;
        const double* hi = lo + 6 * C;
#if defined(__AVX512F__) && defined(__AVX512DQ__)
        // AVX-512: comparisons chain through mask registers; the level is counted with masked
        // adds; "may the next level pass" takes the hi thresholds of each lane's next level by
        // a permutation (hi[c][8] fits one register)
        __m512d H[C];
        for (std::size_t c = 0; c < C; ++c) H[c] = _mm512_loadu_pd(hi + 8 * c);
        const __m512i one = _mm512_set1_epi64(1), zero = _mm512_setzero_si512();
        for (std::size_t rv = 0; rv < 4; ++rv) {
          const std::size_t i = i0 + rv * 8;
          __m512d xv[D];
          for (std::size_t d = 0; d < D; ++d) std::memcpy(&xv[d], &x[d][kk][rv], sizeof(__m512d));
          __m512d tot = xv[0];
          for (std::size_t d = 1; d < D; ++d) tot = _mm512_add_pd(tot, xv[d]);
          __m512i level = zero;
          for (std::size_t l = 1; l < 6; ++l) {
            const double* t = lo + l * C;
            __mmask8 ok = _mm512_cmp_pd_mask(tot, _mm512_set1_pd(t[0]), _CMP_GE_OQ);
            for (std::size_t d = 0; d < D; ++d) ok = _mm512_mask_cmp_pd_mask(ok, xv[d], _mm512_set1_pd(t[1 + d]), _CMP_GE_OQ);
            level = _mm512_mask_add_epi64(level, ok, level, one);  // passing is monotone in the level
          }
          const __m512i next = _mm512_add_epi64(level, one);
          __mmask8 may = _mm512_cmp_pd_mask(tot, _mm512_permutexvar_pd(next, H[0]), _CMP_GE_OQ);
          for (std::size_t d = 0; d < D; ++d)
            may = _mm512_mask_cmp_pd_mask(may, xv[d], _mm512_permutexvar_pd(next, H[1 + d]), _CMP_GE_OQ);
          const __m512i cap = _mm512_loadu_si512(a.cap + i), down = _mm512_loadu_si512(a.down + i);
          const __mmask8 below = _mm512_cmplt_epi64_mask(level, cap);
          __m512i g = _mm512_min_epi64(level, cap);
          g = _mm512_max_epi64(_mm512_sub_epi64(g, down), zero);
          g = _mm512_mask_mov_epi64(g, _mm512_cmplt_epi64_mask(cap, zero), zero);
          g = _mm512_mask_mov_epi64(g, may & below, _mm512_set1_epi64(-1));  // open: decide exactly
          _mm_storel_epi64(reinterpret_cast<__m128i*>(a.grades + k * T + i), _mm512_cvtepi64_epi8(g));
        }
#else
        for (std::size_t rv = 0; rv < 4; ++rv) {
          const std::size_t i = i0 + rv * 8;
          v8d tot = x[0][kk][rv];
          for (std::size_t d = 1; d < D; ++d) tot += x[d][kk][rv];
          v8l level = splat(std::int64_t{0});
          for (std::size_t l = 1; l < 6; ++l) {
            const double* t = lo + l * C;
            v8l ok = tot >= splat(t[0]);
            for (std::size_t d = 0; d < D; ++d) ok &= x[d][kk][rv] >= splat(t[1 + d]);
            level -= ok;  // true is -1; passing is monotone in the level
          }
          v8l upper = splat(std::int64_t{0});  // the level the values may reach (hi thresholds)
          for (std::size_t l = 1; l < 6; ++l) {
            v8l ok = tot >= splat(hi[l]);
            for (std::size_t d = 0; d < D; ++d) ok &= x[d][kk][rv] >= splat(hi[8 * (1 + d) + l]);
            upper -= ok;
          }
          const v8l may = upper > level;
          v8l cap, down;
          std::memcpy(&cap, a.cap + i, sizeof cap);
          std::memcpy(&down, a.down + i, sizeof down);
          const v8l below_cap = level < cap;
          v8l g = below_cap ? level : cap;
          g -= down;
          g = g < 0 ? splat(std::int64_t{0}) : g;
          g = cap < 0 ? splat(std::int64_t{0}) : g;
          g = (may & below_cap) != 0 ? splat(std::int64_t{-1}) : g;  // open: decide exactly
          const v8c out = __builtin_convertvector(g, v8c);
          std::memcpy(a.grades + k * T + i, &out, 8);
        }
#endif
      }
    }
  }
}

void tile_kernel(const regrade_tile_args& a) noexcept {
  switch (a.dims) {
    case 1: tile_body<1>(a); break;
    case 2: tile_body<2>(a); break;
    case 3: tile_body<3>(a); break;
    case 4: tile_body<4>(a); break;
    case 5: tile_body<5>(a); break;
    case 6: tile_body<6>(a); break;
    case 7: tile_body<7>(a); break;
    case 8: tile_body<8>(a); break;
    default: break;  // the caller takes the exact path beyond regrade_tile_max_dims
  }
}

double fma_kernel(std::size_t iterations, double seed) noexcept {
  // 16 independent chains of 8 lanes: enough in flight to keep both FMA units busy
  v8d acc[16];
  for (std::size_t c = 0; c < 16; ++c) acc[c] = splat(seed + static_cast<double>(c));
  const v8d m = splat(0.999999), b = splat(1e-7);
  for (std::size_t it = 0; it < iterations; ++it)
    for (auto& v : acc) v = v * m + b;
  double s = 0.0;
  for (auto& v : acc)
    for (std::size_t q = 0; q < 8; ++q) s += v[q];
  return s;
}

}  // namespace

void regrade_tile(const regrade_tile_args& args) noexcept { tile_kernel(args); }

double fma_loop(std::size_t iterations, double seed) noexcept { return fma_kernel(iterations, seed); }

}  // namespace embedrating::detail::EMBEDRATING_KERNEL_ISA
