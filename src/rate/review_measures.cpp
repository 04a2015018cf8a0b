// Stage: review measures (SPEC §4–§5) from the review count columns: satisfaction index and rate
// (shrunk toward the model's prior below min_count valid reviews), closure and follow-up rates.
#include <algorithm>
#include <limits>

#include "stages.hpp"

namespace embedrating::detail {

void derive_review_measures(const review_settings& rs, const std::array<const double*, 9>& counts, std::size_t n,
                     review_measure_columns& out) {
  constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
  // order of review_input_columns: stars_1..stars_5, bad_open, bad_closed_in_time, bad_overdue, bad_followed_up
  const double *s1 = counts[0], *s2 = counts[1], *s3 = counts[2], *s4 = counts[3], *s5 = counts[4];
  const double *open = counts[5], *closed = counts[6], *overdue = counts[7], *followed = counts[8];
  std::vector<double> valid(n), index(n), rate(n), raw_index(n), raw_rate(n), closure(n), bad(n), follow(n);
  out.low_volume.assign(n, false);
  const double m = rs.min_count;
  for (std::size_t i = 0; i < n; ++i) {
    const double cnt = s1[i] + s2[i] + s3[i] + s4[i] + s5[i];
    valid[i] = cnt;
    bad[i] = s1[i] + s2[i];
    const double sum = rs.level_values[0] * s1[i] + rs.level_values[1] * s2[i] + rs.level_values[2] * s3[i] +
                       rs.level_values[3] * s4[i] + rs.level_values[4] * s5[i];
    raw_index[i] = cnt > 0 ? sum / cnt : nan_v;
    raw_rate[i] = cnt > 0 ? (s3[i] + s4[i] + s5[i]) / cnt : nan_v;
    if (cnt < m) {
      out.low_volume.set(i);
      // top-up shrinkage: (n·x̄ + (m − n)·prior) / m
      index[i] = (sum + (m - cnt) * rs.prior_index) / m;
      rate[i] = ((s3[i] + s4[i] + s5[i]) + (m - cnt) * rs.prior_rate) / m;
    } else {
      index[i] = raw_index[i];
      rate[i] = raw_rate[i];
    }
    const double den = closed[i] + overdue[i];
    closure[i] = den > 0 ? closed[i] / den : rs.prior_closure;
    follow[i] = bad[i] > 0 ? std::min(1.0, followed[i] / bad[i]) : 1.0;
  }
  auto& c = out.columns;
  c["valid_n"] = std::move(valid);
  c["satisfaction_index"] = std::move(index);
  c["satisfaction_rate"] = std::move(rate);
  c["raw_satisfaction_index"] = std::move(raw_index);
  c["raw_satisfaction_rate"] = std::move(raw_rate);
  c["closure_rate"] = std::move(closure);
  c["bad_n"] = std::move(bad);
  c["followup_rate"] = std::move(follow);
  c["bad_open"].assign(open, open + n);
  c["bad_overdue"].assign(overdue, overdue + n);
  c["bad_closed_in_time"].assign(closed, closed + n);
  c["bad_followed_up"].assign(followed, followed + n);
}

}  // namespace embedrating::detail
