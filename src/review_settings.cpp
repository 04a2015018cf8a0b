// Validation and comparison of review settings (see review_settings.hpp and reviews.hpp).
#include "review_settings.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "embedrating/review_fields.hpp"
#include "embedrating/review_settings_serialize.hpp"
#include "embedrating/reviews.hpp"

namespace embedrating {

namespace detail {

std::optional<std::pair<std::string, std::string>> review_settings_problem(const review_settings& r) {
  using problem = std::pair<std::string, std::string>;
  std::optional<problem> found;
  // each setting against its range or choices (review_fields.hpp), in table order
  visit_review_fields(r, [&](const auto& field, const auto& v) {
    if (found) return;
    using T = typename std::decay_t<decltype(field)>::value_type;
    const std::string name = std::string("reviews.") + field.name;
    if constexpr (std::is_array_v<T>) {
      for (std::size_t k = 0; k < std::extent_v<T>; ++k) {
        if (!in_range(field, v[k])) {
          found = problem{name + "[" + std::to_string(k) + "]", field.rule};
          return;
        }
        if (k > 0 && v[k] < v[k - 1]) {  // the one rule across elements: ★1..★5 never decrease
          found = problem{name, "must not decrease from ★1 to ★5"};
          return;
        }
      }
    } else if constexpr (std::is_enum_v<T>) {
      if (choice_name(field, v) == nullptr) found = problem{name, field.rule};
    } else if constexpr (std::is_same_v<T, bool>) {
      // any bool is valid
    } else if (field.encoding == review_field_encoding::days_if_period) {
      // the one rule across fields: period_days is used with period = "days" only
      if (r.period == review_period::days && !in_range(field, static_cast<double>(v))) found = problem{name, field.rule};
      if (r.period == review_period::month && v != 0) found = problem{name, "is only used with period = \"days\""};
    } else if (!in_range(field, static_cast<double>(v))) {
      found = problem{name, field.rule};
    }
  });
  return found;
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

std::string review_settings_check(const review_settings& s) {
  const auto problem = detail::review_settings_problem(s);
  return problem ? problem->first + " " + problem->second : std::string();
}

std::string review_settings_difference(const review_settings& a, const review_settings& b) {
  std::string out;
  auto num = [&out](const std::string& field, double x, double y) {
    if (out.empty() && !same(x, y)) out = field + ": " + text(x) + " vs " + text(y);
  };
  visit_review_fields(a, [&](const auto& field, const auto& x) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    const auto& y = b.*(field.member);
    const std::string name = std::string("reviews.") + field.name;
    if constexpr (std::is_array_v<T>) {
      for (std::size_t k = 0; k < std::extent_v<T>; ++k) num(name + "[" + std::to_string(k) + "]", x[k], y[k]);
    } else if constexpr (std::is_same_v<T, bool>) {
      num(name, x ? 1.0 : 0.0, y ? 1.0 : 0.0);
    } else {
      num(name, static_cast<double>(x), static_cast<double>(y));
    }
  });
  return out;
}

}  // namespace embedrating
