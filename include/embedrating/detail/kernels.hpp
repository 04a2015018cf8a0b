#pragma once
/// \file detail/kernels.hpp
/// Hot column kernels, compiled in src/kernels/ with run-time instruction-set dispatch
/// (GCC target_clones); this header depends on no -march flag.
#include <cstddef>
#include <cstdint>

#include "../condition.hpp"
#include "../scoring.hpp"

namespace embedrating::detail {

/// out[i] = score of x[i] under a numeric scoring function; NaN (missing) stays NaN. Returns the
/// number of NaN scores written (the missing inputs).
std::size_t score_column(const scoring_function& f, const double* x, std::size_t n, double* out) noexcept;

/// Bit i of out = (x[i] op v) for op in < <= > >= == != (NaN compares false, != included), or
/// for op = is_missing: isnan(x[i]) == (v != 0). out has (n + 63) / 64 words; the tail bits are 0.
void compare_bits(compare_op op, const double* x, std::size_t n, double v, std::uint64_t* out) noexcept;

/// Bit i of out = d[i] != missing && (at_most ? d[i] <= bound : d[i] > bound), dates as day counts.
void date_bits(const std::int32_t* d, std::size_t n, std::int32_t bound, bool at_most, std::uint64_t* out) noexcept;

/// Bit i of out = (rows[i] & want) != 0.
void any_bits(const std::uint64_t* rows, std::size_t n, std::uint64_t want, std::uint64_t* out) noexcept;

/// out[i] = round-half-up(score[i] × available) centi-points; NaN scores give 0.
void points_column(const double* score, std::int64_t available, std::size_t n, std::int64_t* out) noexcept;

/// acc[i] += round-half-up(score[i] × available) (0 for a NaN score): a leaf's centi-points.
void accumulate_points(const double* score, double available, std::size_t n, double* acc) noexcept;

/// The same for the rows of one pattern only (pattern[i] == which); other rows unchanged.
void accumulate_points_of_pattern(const double* score, double available, const std::uint32_t* pattern,
                                  std::uint32_t which, std::size_t n, double* acc) noexcept;

/// The same for rows of two patterns: `a1` where pattern[i] == second, else `a0`.
void accumulate_points_of_two(const double* score, double a0, double a1, const std::uint32_t* pattern,
                              std::uint32_t second, std::size_t n, double* acc) noexcept;

/// The same with the available points of each row's pattern: available[pattern[i] * stride].
void accumulate_points_by_pattern(const double* score, const double* available, std::size_t stride,
                                  const std::uint32_t* pattern, std::size_t n, double* acc) noexcept;

/// Number of x[i] with x[i] < lo or x[i] > hi (NaN counts as inside).
std::size_t count_outside(const double* x, std::size_t n, double lo, double hi) noexcept;

/// Number of NaN values in x.
std::size_t count_nan(const double* x, std::size_t n) noexcept;

/// Number of values that are NaN or -0 (what the input hash writes canonically).
std::size_t count_noncanonical(const double* x, std::size_t n) noexcept;

/// dst[i] += src[i]
void add_column(const std::int64_t* src, std::size_t n, std::int64_t* dst) noexcept;

/// Most dimensions the regrade_many tile kernel handles (more: the exact path).
inline constexpr std::size_t regrade_tile_max_dims = 8;

/// One tile of regrade_many: `rows` operators of one not-applicable pattern (a multiple of 32,
/// padded with cap = -1) × `variants` weight vectors.
struct regrade_tile_args {
  std::size_t rows = 0, leaves = 0, dims = 0, variants = 0;
  const std::size_t* leaf_begin = nullptr;  ///< dims + 1: the leaves of dimension d are [leaf_begin[d], leaf_begin[d+1])
  const double* scores = nullptr;           ///< leaves × rows (leaf-major), not applicable = 0
  const double* available = nullptr;        ///< variants (padded to a multiple of 4 with zeros) × leaves
  /// per variant, 14 × (dims + 1) doubles: lo[6][dims + 1] (level l surely passes when the total
  /// and every dimension are >= their lo thresholds of l), then hi[dims + 1][8] (level l may pass
  /// when every value is >= its hi threshold of l; entries 6 and 7 are +inf). Both carry the margin
  /// of the unrounded sums; cumulative over levels.
  const double* thresholds = nullptr;
  const std::int64_t* cap = nullptr;        ///< per row: highest level allowed (prerequisites, caps, history); -1 not graded
  const std::int64_t* down = nullptr;       ///< per row: levels down
  std::int8_t* grades = nullptr;            ///< variants × rows: final level, or -1 when the margin leaves it open
};
void run_regrade_tile(const regrade_tile_args& args) noexcept;

/// An FMA-bound loop (16 independent chains of 8 doubles): `iterations` × 128 fused multiply-adds.
/// The machine reference of the regrade_many benchmark.
double fma_reference(std::size_t iterations, double seed) noexcept;

/// The instruction set the regrade_many kernel runs with here: "avx512", "avx2" or "generic".
const char* regrade_kernel_isa() noexcept;

/// Streaming copy used as the memory-bandwidth reference in benchmarks.
void stream_copy(const double* src, std::size_t n, double* dst) noexcept;

}  // namespace embedrating::detail
