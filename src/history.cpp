// Rolling history forward between rating cycles.
#include <unordered_map>

#include "embedrating/errors.hpp"
#include "embedrating/history.hpp"

namespace embedrating {

cycle_results cycle_results_of(const ratings& results) {
  cycle_results c;
  c.as_of = results.as_of;
  c.operator_ids = results.operator_ids;
  c.status.assign(results.status.begin(), results.status.end());
  c.final_grade.assign(results.final_grade.begin(), results.final_grade.end());
  return c;
}

history_table roll_forward(const history_table& previous, const ratings& results) {
  return roll_forward(previous, cycle_results_of(results));
}

history_table roll_forward(const history_table& previous, const cycle_results& results) {
  if (results.status.size() != results.operator_ids.size() || results.final_grade.size() != results.operator_ids.size()) {
    error_location w;
    w.field = "results";
    throw data_error(w, "cycle results columns have different lengths");
  }
  const std::size_t np = previous.operator_ids.size();
  if (previous.previous_grade.size() != np || previous.previous_rated_on.size() != np ||
      previous.last_downgrade_on.size() != np) {
    error_location w;
    w.field = "history";
    throw data_error(w, "history table columns have different lengths");
  }
  std::unordered_map<std::string, std::size_t> prev_row;
  for (std::size_t k = 0; k < np; ++k) prev_row.emplace(previous.operator_ids[k], k);
  history_table out;
  std::vector<std::uint8_t> used(np, 0);
  for (std::size_t i = 0; i < results.operator_ids.size(); ++i) {
    const auto it = prev_row.find(results.operator_ids[i]);
    std::optional<grade> pg;
    civil_date rated = civil_date::missing(), down = civil_date::missing();
    if (it != prev_row.end()) {
      used[it->second] = 1;
      pg = previous.previous_grade[it->second];
      rated = previous.previous_rated_on[it->second];
      down = previous.last_downgrade_on[it->second];
    }
    if (results.status[i] == operator_status::active) {
      const grade now = results.final_grade[i];
      if (pg && level(now) < level(*pg)) down = results.as_of;
      pg = now;
      rated = results.as_of;
    }
    out.operator_ids.push_back(results.operator_ids[i]);
    out.previous_grade.push_back(pg);
    out.previous_rated_on.push_back(rated);
    out.last_downgrade_on.push_back(down);
  }
  for (std::size_t k = 0; k < np; ++k) {
    if (used[k]) continue;
    out.operator_ids.push_back(previous.operator_ids[k]);
    out.previous_grade.push_back(previous.previous_grade[k]);
    out.previous_rated_on.push_back(previous.previous_rated_on[k]);
    out.last_downgrade_on.push_back(previous.last_downgrade_on[k]);
  }
  return out;
}

void apply_history(dataset& data, const history_table& history) {
  std::unordered_map<std::string, std::size_t> row;
  for (std::size_t k = 0; k < history.operator_ids.size(); ++k) row.emplace(history.operator_ids[k], k);
  const std::size_t n = data.size();
  std::vector<std::optional<grade>> g(n);
  std::vector<civil_date> rated(n, civil_date::missing()), down(n, civil_date::missing());
  for (std::size_t i = 0; i < n; ++i) {
    const auto it = row.find(data.operator_ids()[i]);
    if (it == row.end()) continue;
    g[i] = history.previous_grade[it->second];
    rated[i] = history.previous_rated_on[it->second];
    down[i] = history.last_downgrade_on[it->second];
  }
  data.set_history(g, std::move(rated), std::move(down));
}

}  // namespace embedrating
