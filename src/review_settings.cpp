// Validation and comparison of review settings (see review_settings.hpp and reviews.hpp).
#include "review_settings.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "embedrating/reviews.hpp"

namespace embedrating {

namespace detail {

std::optional<std::pair<std::string, std::string>> review_settings_problem(const review_settings& r) {
  using problem = std::pair<std::string, std::string>;
  for (int k = 0; k < 5; ++k) {
    const double x = r.level_values[k];
    if (!std::isfinite(x) || x < 0.0 || x > 100.0)
      return problem{"reviews.level_values[" + std::to_string(k) + "]", "must be in [0, 100]"};
    if (k > 0 && x < r.level_values[k - 1]) return problem{"reviews.level_values", "must not decrease from ★1 to ★5"};
  }
  if (!std::isfinite(r.min_count) || r.min_count < 0.0 || r.min_count > 1e9)
    return problem{"reviews.min_count", "must be 0 .. 1e9"};
  if (!std::isfinite(r.prior_index) || r.prior_index < 0.0 || r.prior_index > 100.0)
    return problem{"reviews.prior_index", "must be in [0, 100]"};
  if (!std::isfinite(r.prior_rate) || r.prior_rate < 0.0 || r.prior_rate > 1.0)
    return problem{"reviews.prior_rate", "must be a number in [0, 1]"};
  if (!std::isfinite(r.prior_closure) || r.prior_closure < 0.0 || r.prior_closure > 1.0)
    return problem{"reviews.prior_closure", "must be a number in [0, 1]"};
  if (r.period != review_period::month && r.period != review_period::days)
    return problem{"reviews.period", "must be \"month\" or \"days\""};
  if (r.period == review_period::days && (r.period_days < 1 || r.period_days > 3660))
    return problem{"reviews.period_days", "must be 1..3660 when period = \"days\""};
  if (r.period == review_period::month && r.period_days != 0)
    return problem{"reviews.period_days", "is only used with period = \"days\""};
  if (r.window_months < 0 || r.window_months > 600) return problem{"reviews.window_months", "must be 0 (no window) .. 600"};
  if (!std::isfinite(r.half_life_days) || r.half_life_days < 0.0 || r.half_life_days > 36500.0)
    return problem{"reviews.half_life_days", "must be 0 (no decay) .. 36500"};
  if (r.deadline_working_days < 0 || r.deadline_working_days > 365)
    return problem{"reviews.deadline_working_days", "must be 0..365"};
  if (!std::isfinite(r.wilson_z) || r.wilson_z <= 0.0 || r.wilson_z > 10.0) return problem{"reviews.wilson_z", "must be in (0, 10]"};
  if (r.eb_method != beta_fit_method::method_of_moments && r.eb_method != beta_fit_method::maximum_likelihood)
    return problem{"reviews.eb_method", "must be \"method_of_moments\" or \"maximum_likelihood\""};
  return std::nullopt;
}

}  // namespace detail

namespace {
std::string text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || a == b; }
}  // namespace

std::string review_settings_difference(const review_settings& a, const review_settings& b) {
  auto num = [](const char* field, double x, double y) {
    return same(x, y) ? std::string() : std::string(field) + ": " + text(x) + " vs " + text(y);
  };
  for (int k = 0; k < 5; ++k) {
    const std::string f = "reviews.level_values[" + std::to_string(k) + "]";
    if (auto d = num(f.c_str(), a.level_values[k], b.level_values[k]); !d.empty()) return d;
  }
  const std::pair<const char*, std::pair<double, double>> fields[] = {
      {"reviews.min_count", {a.min_count, b.min_count}},
      {"reviews.prior_index", {a.prior_index, b.prior_index}},
      {"reviews.prior_rate", {a.prior_rate, b.prior_rate}},
      {"reviews.prior_closure", {a.prior_closure, b.prior_closure}},
      {"reviews.period", {static_cast<double>(a.period), static_cast<double>(b.period)}},
      {"reviews.period_days", {a.period_days, b.period_days}},
      {"reviews.window_months", {a.window_months, b.window_months}},
      {"reviews.half_life_days", {a.half_life_days, b.half_life_days}},
      {"reviews.deadline_working_days", {a.deadline_working_days, b.deadline_working_days}},
      {"reviews.service_record_only", {a.service_record_only ? 1.0 : 0.0, b.service_record_only ? 1.0 : 0.0}},
      {"reviews.dedup", {a.dedup ? 1.0 : 0.0, b.dedup ? 1.0 : 0.0}},
      {"reviews.wilson_z", {a.wilson_z, b.wilson_z}},
      {"reviews.eb_method", {static_cast<double>(a.eb_method), static_cast<double>(b.eb_method)}},
  };
  for (const auto& [field, v] : fields)
    if (auto d = num(field, v.first, v.second); !d.empty()) return d;
  return {};
}

}  // namespace embedrating
