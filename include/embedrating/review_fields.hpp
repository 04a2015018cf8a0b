#pragma once
/// \file review_fields.hpp
/// One description of `review_settings` (issue 10, item 5): a table with one entry per setting —
/// its name (the TOML key under [reviews], the Python dict key, the archive item and the field
/// `reviews.<name>` of messages), the member it describes, its range and the rule a message
/// states, the names of a choice's values, and a one-line doc. Every piece of code that reads,
/// writes, checks, compares or encodes review settings walks this table with
/// `visit_review_fields`: the TOML reader and writer (src/model_toml.cpp), the validator
/// (src/review_settings.cpp), `review_settings_difference`, the canonical encoding behind the
/// fingerprint and `model::diff` (src/model.cpp), the Python dict and `Model.with_review_settings`
/// (python/bindings/register_model.cpp), and `serialize()` for archives
/// (embedrating/review_settings_serialize.hpp).
///
/// Adding a review setting is one member in `review_settings` (model.hpp) and one line in
/// `review_field_table` below (docs/model-format.md, "Adding a review setting").
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <embedrating/model.hpp>

namespace embedrating {

/// How a setting takes part in the canonical encoding (docs/fingerprint.md).
enum class review_field_encoding : unsigned char {
  value,              ///< its value (f64 for numbers, i64 for whole numbers, flags and choices)
  folded_into_next,   ///< nothing of its own: the next field's encoding carries it (`period`)
  days_if_period,     ///< i64: 0 when period = "month", else the value (`period_days`, version-1 layout)
};

/// One review setting. T is the member's type: double, double[5], int, bool, or an enum.
template <class T>
struct review_field {
  const char* name;              ///< TOML key, Python dict key, archive item; messages say reviews.<name>
  T review_settings::*member;    ///< the member it describes
  double min = 0.0, max = 0.0;   ///< allowed range (numbers, whole numbers, each element of an array)
  bool min_open = false;         ///< min itself is not allowed, e.g. wilson_z in (0, 10]
  const char* rule = "";         ///< the range or choice as a message states it, e.g. "must be in [0, 100]"
  const char* const* choices = nullptr;  ///< names of an enum's values, in the enum's order
  std::size_t n_choices = 0;
  const char* doc = "";          ///< one line for docs, --help and the Python docstring
  review_field_encoding encoding = review_field_encoding::value;

  using value_type = T;
};

/// Names of the choices (the text in TOML, Python and messages), in enum order.
inline constexpr const char* review_period_names[] = {"month", "days"};
inline constexpr const char* beta_fit_method_names[] = {"method_of_moments", "maximum_likelihood"};

/// The table. Order = the order of TOML keys, dict keys, archive items and the canonical encoding
/// (never reorder: the fingerprint of every model would change).
inline constexpr auto review_field_table = std::make_tuple(
    review_field<double[5]>{"level_values", &review_settings::level_values, 0.0, 100.0, false, "must be in [0, 100]", nullptr, 0,
                            "satisfaction index of ★1..★5 (non-decreasing)"},
    review_field<double>{"min_count", &review_settings::min_count, 0.0, 1e9, false, "must be 0 .. 1e9", nullptr, 0,
                         "effective reviews below which scores shrink toward the priors and the low-volume cap applies"},
    review_field<double>{"prior_index", &review_settings::prior_index, 0.0, 100.0, false, "must be in [0, 100]", nullptr, 0,
                         "prior satisfaction index (0-100)"},
    review_field<double>{"prior_rate", &review_settings::prior_rate, 0.0, 1.0, false, "must be a number in [0, 1]", nullptr, 0,
                         "prior satisfaction rate (share of ★3 and better)"},
    review_field<double>{"prior_closure", &review_settings::prior_closure, 0.0, 1.0, false, "must be a number in [0, 1]", nullptr, 0,
                         "closure rate when no bad review is closed or overdue"},
    review_field<review_period>{"period", &review_settings::period, 0.0, 0.0, false, "must be \"month\" or \"days\"",
                                review_period_names, 2, "one effective review per reviewer and operator per calendar month or N-day bucket",
                                review_field_encoding::folded_into_next},
    review_field<int>{"period_days", &review_settings::period_days, 1.0, 3660.0, false, "must be 1..3660 when period = \"days\"", nullptr,
                      0, "N of period = \"days\" (buckets of N days from 1970-01-01, UTC+8); 0 with period = \"month\"",
                      review_field_encoding::days_if_period},
    review_field<int>{"window_months", &review_settings::window_months, 0.0, 600.0, false, "must be 0 (no window) .. 600", nullptr, 0,
                      "reviews dated in (as_of - window, as_of]; 0 = all up to as_of"},
    review_field<double>{"half_life_days", &review_settings::half_life_days, 0.0, 36500.0, false, "must be 0 (no decay) .. 36500",
                         nullptr, 0, "exponential decay by age in days; 0 = no decay"},
    review_field<int>{"deadline_working_days", &review_settings::deadline_working_days, 0.0, 365.0, false, "must be 0..365", nullptr, 0,
                      "a bad review must be rectified within this many working days"},
    review_field<bool>{"service_record_only", &review_settings::service_record_only, 0.0, 1.0, false, "must be true or false", nullptr,
                       0, "count only reviews tied to a service record"},
    review_field<bool>{"dedup", &review_settings::dedup, 0.0, 1.0, false, "must be true or false", nullptr, 0,
                       "revisions and one review per (reviewer, operator, period); false = count events as they come"},
    review_field<double>{"wilson_z", &review_settings::wilson_z, 0.0, 10.0, true, "must be in (0, 10]", nullptr, 0,
                         "z of the Wilson lower bound in review summaries"},
    review_field<beta_fit_method>{"eb_method", &review_settings::eb_method, 0.0, 0.0, false,
                                  "must be \"method_of_moments\" or \"maximum_likelihood\"", beta_fit_method_names, 2,
                                  "empirical-Bayes Beta fit of review summaries (never used for grades)"});

/// Number of review settings.
inline constexpr std::size_t review_field_count = std::tuple_size_v<std::remove_const_t<decltype(review_field_table)>>;

/// Calls f(field, value) for each setting in table order; `value` is a reference to the member of
/// `s` (const when `s` is const).
template <class Settings, class F>
void visit_review_fields(Settings& s, F&& f) {
  static_assert(std::is_same_v<std::remove_const_t<Settings>, review_settings>);
  std::apply([&](const auto&... field) { (f(field, s.*(field.member)), ...); }, review_field_table);
}

/// Calls f(field) for each setting in table order.
template <class F>
void for_each_review_field(F&& f) {
  std::apply([&](const auto&... field) { (f(field), ...); }, review_field_table);
}

/// Whether a value is in a field's range (numbers and whole numbers; flags and choices are checked
/// by their type).
template <class T>
bool in_range(const review_field<T>& field, double v) {
  return std::isfinite(v) && (field.min_open ? v > field.min : v >= field.min) && v <= field.max;
}

/// The name of a choice's value, or nullptr when the value is not one of the enum's.
template <class T>
const char* choice_name(const review_field<T>& field, T value) {
  const auto k = static_cast<std::size_t>(value);
  return k < field.n_choices ? field.choices[k] : nullptr;
}

/// The value named `name`, or false when no value has that name.
template <class T>
bool choice_of(const review_field<T>& field, std::string_view name, T& out) {
  for (std::size_t k = 0; k < field.n_choices; ++k)
    if (name == field.choices[k]) {
      out = static_cast<T>(k);
      return true;
    }
  return false;
}

}  // namespace embedrating
