#pragma once
// The Monte Carlo tile kernels' arguments (mc_kernels.cpp, compiled once per instruction set and
// chosen at run time in mc_dispatch.cpp). This header includes nothing but <cstddef> and <cstdint>:
// the kernel file must not instantiate inline templates (std::, Eigen) that other translation
// units share, since those copies are compiled for AVX2 or AVX-512.
#include <cstddef>
#include <cstdint>

namespace embedrating::sensitivity::detail {

// Tile kernels (mc_kernels.cpp): explicit fused multiply-adds or none, sums in leaf order, so every
// instruction set gives the same bits.

/// Totals of `rows` operators (one not-applicable pattern) under `variants` weight vectors, binned
/// into each operator's histogram; min and max updated.
struct totals_tile_args {
  std::size_t rows = 0;      ///< operators
  std::size_t stride = 0;    ///< between leaves in `scores` (a multiple of 32, >= rows; padding rows are 0)
  std::size_t leaves = 0;
  std::size_t variants = 0;
  const double* scores = nullptr;     ///< leaves × stride, not applicable = 0
  const double* available = nullptr;  ///< variants × leaves, centi-points
  const double* inv_width = nullptr;  ///< per row: 1 / bin width (per centi-point)
  const double* offset = nullptr;     ///< per row: 1 − window start / bin width (bin = trunc(t · inv_width + offset))
  std::size_t bins = 0;               ///< B: each histogram row has B + 2 counters (below, B bins, above)
  std::uint16_t* const* hist = nullptr;  ///< per row (stride entries): its histogram row
  double* min = nullptr;              ///< per row (stride entries)
  double* max = nullptr;
  double* scratch = nullptr;          ///< 4 × leaves doubles
};
void run_totals_tile(const totals_tile_args& a) noexcept;

/// Grade counts of one regrade_many tile: counts[v × stride + r] += (grade == v) for each variant;
/// per_draw[k × 6 + v] += operators with grade v under variant k.
struct count_tile_args {
  std::size_t rows = 0, stride = 0, variants = 0;
  const std::int8_t* grades = nullptr;  ///< variants × stride
  std::uint16_t* counts = nullptr;      ///< 6 × stride
  std::uint64_t* per_draw = nullptr;    ///< variants × 6
};
void run_count_tile(const count_tile_args& a) noexcept;

/// Mean and variance over the draws of each operator's unrounded total: mean = s · ā,
/// var = sᵀ C s (C: leaves × leaves covariance of the points over the draws).
struct moments_args {
  std::size_t rows = 0, stride = 0, leaves = 0;
  const double* scores = nullptr;  ///< leaves × stride
  const double* mean_points = nullptr;  ///< leaves
  const double* covariance = nullptr;   ///< leaves × leaves
  double* mean = nullptr;
  double* var = nullptr;
};
void run_moments(const moments_args& a) noexcept;

const char* kernel_isa() noexcept;
/// Tests: run the kernels of "generic", "avx2", "avx512" (if this CPU has it) or "best"; false if
/// not available here. Not thread-safe.
bool set_kernel_isa(const char* name) noexcept;

}  // namespace embedrating::sensitivity::detail
