#pragma once
/// \file detail/kernels.hpp
/// Hot column kernels, compiled in src/kernels/ with run-time instruction-set dispatch
/// (GCC target_clones); this header depends on no -march flag.
#include <cstddef>
#include <cstdint>

#include "../scoring.hpp"

namespace embedrating::detail {

/// out[i] = score of x[i] under a numeric scoring function; NaN (missing) stays NaN.
void score_column(const scoring_function& f, const double* x, std::size_t n, double* out) noexcept;

/// out[i] = round-half-up(score[i] × available) centi-points; NaN scores give 0.
void points_column(const double* score, std::int64_t available, std::size_t n, std::int64_t* out) noexcept;

/// dst[i] += src[i]
void add_column(const std::int64_t* src, std::size_t n, std::int64_t* dst) noexcept;

/// Streaming copy used as the memory-bandwidth reference in benchmarks.
void stream_copy(const double* src, std::size_t n, double* dst) noexcept;

}  // namespace embedrating::detail
