// Stage: review measures (SPEC §4–§5) from the review count columns: satisfaction index and rate
// (shrunk toward the model's prior below min_count valid reviews), closure and follow-up rates.
// Each measure is its own loop, computed when a leaf or a condition first reads it.
#include <algorithm>
#include <limits>

#include "stages.hpp"

namespace embedrating::detail {

namespace {
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
}  // namespace

const char* const review_count_measures[] = {"bad_open", "bad_closed_in_time", "bad_overdue", "bad_followed_up"};

bool review_measure(const review_settings& rs, const std::array<const double*, 9>& counts, std::size_t n,
                    const std::string& name, std::vector<double>& out) {
  // order of review_input_columns: stars_1..stars_5, bad_open, bad_closed_in_time, bad_overdue, bad_followed_up
  const double *s1 = counts[0], *s2 = counts[1], *s3 = counts[2], *s4 = counts[3], *s5 = counts[4];
  const double *closed = counts[6], *overdue = counts[7], *followed = counts[8];
  const double m = rs.min_count;
  const double* v = rs.level_values;
  out.resize(n);
  double* o = out.data();
  if (name == "valid_n") {
    for (std::size_t i = 0; i < n; ++i) o[i] = s1[i] + s2[i] + s3[i] + s4[i] + s5[i];
  } else if (name == "bad_n") {
    for (std::size_t i = 0; i < n; ++i) o[i] = s1[i] + s2[i];
  } else if (name == "satisfaction_index" || name == "raw_satisfaction_index") {
    const bool raw = name[0] == 'r';
    for (std::size_t i = 0; i < n; ++i) {
      const double cnt = s1[i] + s2[i] + s3[i] + s4[i] + s5[i];
      const double sum = v[0] * s1[i] + v[1] * s2[i] + v[2] * s3[i] + v[3] * s4[i] + v[4] * s5[i];
      // below min_count, top-up shrinkage: (n·x̄ + (m − n)·prior) / m
      o[i] = !raw && cnt < m ? (sum + (m - cnt) * rs.prior_index) / m : (cnt > 0 ? sum / cnt : nan_v);
    }
  } else if (name == "satisfaction_rate" || name == "raw_satisfaction_rate") {
    const bool raw = name[0] == 'r';
    for (std::size_t i = 0; i < n; ++i) {
      const double cnt = s1[i] + s2[i] + s3[i] + s4[i] + s5[i];
      const double good = s3[i] + s4[i] + s5[i];
      o[i] = !raw && cnt < m ? (good + (m - cnt) * rs.prior_rate) / m : (cnt > 0 ? good / cnt : nan_v);
    }
  } else if (name == "closure_rate") {
    for (std::size_t i = 0; i < n; ++i) {
      const double den = closed[i] + overdue[i];
      o[i] = den > 0 ? closed[i] / den : rs.prior_closure;
    }
  } else if (name == "followup_rate") {
    for (std::size_t i = 0; i < n; ++i) {
      const double bad = s1[i] + s2[i];
      o[i] = bad > 0 ? std::min(1.0, followed[i] / bad) : 1.0;
    }
  } else {
    for (std::size_t k = 0; k < 4; ++k)
      if (name == review_count_measures[k]) {
        std::copy(counts[5 + k], counts[5 + k] + n, o);
        return true;
      }
    out.clear();
    return false;
  }
  return true;
}

void low_review_volume(const review_settings& rs, const std::array<const double*, 9>& counts, std::size_t n, bitmask& out) {
  out.assign(n, false);
  out.fill([&](std::size_t i) { return counts[0][i] + counts[1][i] + counts[2][i] + counts[3][i] + counts[4][i] < rs.min_count; });
}

void derive_review_measures(const review_settings& rs, const std::array<const double*, 9>& counts, std::size_t n,
                            review_measure_columns& out) {
  low_review_volume(rs, counts, n, out.low_volume);
  for (const char* name : review_measures) review_measure(rs, counts, n, name, out.columns[name]);
}

}  // namespace embedrating::detail
