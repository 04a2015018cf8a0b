// The regrade_many tile kernel and the FMA-bound reference loop. Built with GCC vector extensions
// for the baseline ISA with AVX2 and AVX-512 clones chosen at run time (target_clones); this file
// is compiled with -ffp-contract=fast so that a·b + c becomes one FMA. Nothing here needs
// bit-exact sums: the tile kernel's dimension points carry a margin, and the caller recomputes
// exactly every grade the margin leaves open (scored.hpp, src/rate/regrade_many.cpp).
#include <cstdint>
#include <cstring>

#include "embedrating/detail/kernels.hpp"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#define EMBEDRATING_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EMBEDRATING_CLONES
#endif

namespace embedrating::detail {

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

constexpr std::size_t max_dims = regrade_tile_max_dims;

EMBEDRATING_CLONES
void tile_kernel(const regrade_tile_args& a) noexcept {
  const std::size_t T = a.rows, L = a.leaves, D = a.dims;
  alignas(64) double x[max_dims][4][4][8];  // [dimension][variant in block][row vector][lane]
  for (std::size_t k0 = 0; k0 < a.variants; k0 += 4) {
    const double* A = a.available + k0 * L;  // 4 × L, padded with zero rows by the caller
    for (std::size_t i0 = 0; i0 < T; i0 += 32) {
      for (std::size_t d = 0; d < D; ++d) {
        v8d acc[4][4];
        for (auto& r : acc)
          for (auto& v : r) v = splat(0.0);
        for (std::size_t j = a.leaf_begin[d]; j < a.leaf_begin[d + 1]; ++j) {
          const double* s = a.scores + j * T + i0;
          const v8d s0 = load8(s), s1 = load8(s + 8), s2 = load8(s + 16), s3 = load8(s + 24);
          for (std::size_t kk = 0; kk < 4; ++kk) {
            const v8d w = splat(A[kk * L + j]);
            acc[kk][0] += s0 * w;
            acc[kk][1] += s1 * w;
            acc[kk][2] += s2 * w;
            acc[kk][3] += s3 * w;
          }
        }
        for (std::size_t kk = 0; kk < 4; ++kk)
          for (std::size_t rv = 0; rv < 4; ++rv) std::memcpy(x[d][kk][rv], &acc[kk][rv], sizeof(v8d));
      }
      // grades of the 4 × 32 (variant, operator) pairs
      for (std::size_t kk = 0; kk < 4 && k0 + kk < a.variants; ++kk) {
        const std::size_t k = k0 + kk;
        const double* thr = a.thresholds + k * (2 * 6 * (D + 1));  // [lo|hi][level][total, dims…]
        for (std::size_t rv = 0; rv < 4; ++rv) {
          const std::size_t i = i0 + rv * 8;
          v8d tot = splat(0.0);
          v8d xd[max_dims];
          for (std::size_t d = 0; d < D; ++d) {
            xd[d] = load8(x[d][kk][rv]);
            tot += xd[d];
          }
          v8l lo = splat(std::int64_t{0}), hi = splat(std::int64_t{0});
          for (std::size_t l = 1; l < 6; ++l) {
            const double* tl = thr + l * (D + 1);
            const double* th = thr + (6 + l) * (D + 1);
            v8l ok_lo = tot >= splat(tl[0]);
            v8l ok_hi = tot >= splat(th[0]);
            for (std::size_t d = 0; d < D; ++d) {
              ok_lo &= xd[d] >= splat(tl[1 + d]);
              ok_hi &= xd[d] >= splat(th[1 + d]);
            }
            lo -= ok_lo;  // true is -1
            hi -= ok_hi;
          }
          std::int64_t capv[8], downv[8];
          for (std::size_t q = 0; q < 8; ++q) {
            capv[q] = a.cap[i + q];
            downv[q] = a.down[i + q];
          }
          v8l cap, down;
          std::memcpy(&cap, capv, sizeof cap);
          std::memcpy(&down, downv, sizeof down);
          lo = lo < cap ? lo : cap;
          hi = hi < cap ? hi : cap;
          v8l g = lo - down;
          g = g < 0 ? splat(std::int64_t{0}) : g;
          g = cap < 0 ? splat(std::int64_t{0}) : g;
          g = lo != hi ? splat(std::int64_t{-1}) : g;
          std::int64_t out[8];
          std::memcpy(out, &g, sizeof out);
          for (std::size_t q = 0; q < 8; ++q) a.grades[k * T + i + q] = static_cast<std::int8_t>(out[q]);
        }
      }
    }
  }
}

EMBEDRATING_CLONES
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

void run_regrade_tile(const regrade_tile_args& args) noexcept { tile_kernel(args); }

double fma_reference(std::size_t iterations, double seed) noexcept { return fma_kernel(iterations, seed); }

}  // namespace embedrating::detail
