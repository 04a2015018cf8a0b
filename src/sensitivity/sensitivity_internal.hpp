#pragma once
// Internals of the sensitivity analyses (src/sensitivity/*.cpp): the counter-based random streams,
// deterministic log/exp, points per pattern of a weight vector, and the tile kernels compiled once
// per instruction set (mc_kernels.cpp, chosen at run time in mc_dispatch.cpp).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/sensitivity.hpp"
#include "mc_kernels.hpp"

namespace embedrating::sensitivity::detail {

/// log and exp from +, −, ×, ÷, sqrt and exact scaling only: the same bits everywhere.
double det_log(double x) noexcept;
double det_exp(double x) noexcept;

/// What a stream's numbers are for (part of the counter, so streams never overlap).
inline constexpr std::uint32_t purpose_dirichlet = 1;
inline constexpr std::uint32_t purpose_uniform = 2;
inline constexpr std::uint32_t purpose_cutoff = 3;

/// The numbers of one (seed, draw, purpose, index): Philox4x32-10 blocks, counter
/// (draw low 32 bits, draw high 32 bits, purpose << 24 | index, block), key (seed low, seed high).
class stream {
 public:
  stream(std::uint64_t seed, std::uint64_t draw, std::uint32_t purpose, std::uint32_t index) noexcept;
  /// The next uniform in (0, 1) (53 random bits; two per Philox block).
  double uniform() noexcept;
  /// The next standard normal (polar method; pairs, the second kept for the next call).
  double normal() noexcept;
  /// log of a Gamma(shape, 1) variate (Marsaglia–Tsang), shape > 0.
  double log_gamma_variate(double shape) noexcept;
  /// The next raw Philox block (advances the block counter).
  void block(std::uint32_t out[4]) noexcept;

 private:
  std::uint32_t key_[2];
  std::uint32_t ctr_[4];
  double buffer_[2] = {0, 0};
  int left_ = 0;
  double spare_ = 0;
  bool has_spare_ = false;
};

/// data_error naming the first invalid option.
void check_options(const monte_carlo_options& o);

/// Centi-points each leaf can earn under global weights `w` (stride between leaves `stride`) for
/// each not-applicable pattern (patterns × leaves, row-major), exactly as regrade_many allocates
/// them: leaf points = weight × total rounded to 0.01 (model::with_weights), groups the sums of
/// their children, then the largest-remainder re-allocation of each pattern (src/rate/points.cpp).
void points_per_pattern(const embedrating::detail::compiled_model& cm, const double* w, std::size_t stride,
                        const std::vector<std::vector<std::uint8_t>>& pattern_leaves, double* out);

}  // namespace embedrating::sensitivity::detail
