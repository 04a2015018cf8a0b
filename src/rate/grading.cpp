// Stage: grades (SPEC §3 step 6) — prerequisites per level, history ceilings, grade by score from
// the cumulative thresholds of the operator's pattern, and the final grade under caps, history
// limits and downgrades.
#include <algorithm>

#include "stages.hpp"

namespace embedrating::detail {

void prerequisite_levels(const std::array<std::vector<const bitmask*>, grade_count>& holds, std::size_t n,
                         std::vector<std::uint8_t>& out) {
  out.assign(n, 5);
  for (int l = 1; l < grade_count; ++l) {
    const auto below = static_cast<std::uint8_t>(l - 1);
    for (const bitmask* m : holds[static_cast<std::size_t>(l)]) {
      bitmask failed = *m;
      failed.flip();
      failed.for_each([&](std::size_t i) { out[i] = std::min(out[i], below); });
    }
  }
}

void history_limits(const history_settings& hs, const std::int8_t* previous, const civil_date* last_downgrade,
                    std::size_t n, civil_date as_of, std::vector<grade>& limit, std::vector<civil_date>& lapses_on) {
  limit.assign(n, grade::a5);
  lapses_on.assign(n, civil_date::missing());
  for (std::size_t i = 0; i < n; ++i) {
    const int prev = previous != nullptr ? previous[i] : no_grade;
    int l;
    if (prev < 0) {
      l = level(hs.first_rating_max);
    } else {
      l = prev + hs.max_rise;
      if (last_downgrade != nullptr && !last_downgrade[i].is_missing() &&
          months_between(last_downgrade[i], as_of) < hs.no_rise_months_after_downgrade) {
        l = std::min(l, prev);
        lapses_on[i] = add_months(last_downgrade[i], hs.no_rise_months_after_downgrade);
      }
    }
    limit[i] = grade_from_level(l);
  }
}

void grade_operators(const point_plan& plan, const centi_matrix& dims, const std::vector<std::int32_t>& total,
                     const std::uint32_t* pattern, const std::uint8_t* prerequisite_level, const std::int8_t* ceiling,
                     const std::int8_t* down, const bitmask& graded, const operator_status* status, std::size_t n,
                     std::vector<grade>& by_score, std::vector<grade>& final_grade) {
  const std::size_t D = plan.dims;
  by_score.resize(n);
  final_grade.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t* req = plan.required.data() + static_cast<std::size_t>(pattern[i]) * grade_count * D;
    int lvl = 0;
    for (int l = 1; l < grade_count; ++l) {  // thresholds are cumulative: passing is monotone in l
      bool ok = total[i] >= plan.min_total[static_cast<std::size_t>(l)];
      for (std::size_t d = 0; d < D; ++d)
        ok &= dims(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(d)) >= req[static_cast<std::size_t>(l) * D + d];
      lvl += ok ? 1 : 0;
    }
    const int gbs = std::min<int>(lvl, prerequisite_level[i]);
    int g = std::min<int>(gbs, ceiling[i]) - down[i];
    if (!graded.test(i)) g = 0;
    final_grade[i] = grade_from_level(g);
    by_score[i] = status[i] == operator_status::active ? grade_from_level(gbs) : grade::unrated;
  }
}

}  // namespace embedrating::detail
