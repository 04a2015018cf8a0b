#pragma once
/// \file condition.hpp
/// Fields and conditions: the small expression language of rules (SPEC §3 "Rules are data").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace embedrating {

/// The namespaces a field name can live in.
enum class field_kind : unsigned char {
  raw,            ///< raw.<measure>: a declared measure (number or category)
  score,          ///< score.<indicator>: score of a leaf or group in [0,1]
  dim,            ///< dim.<dimension>: dimension points / available points
  total,          ///< total: total points
  flag,           ///< flag.<name>: operator boolean flag
  attr,           ///< attr.<name>: operator string attribute (mode, district, status …)
  scenarios,      ///< scenarios: the operator's set of scenario codes
  reviews,        ///< reviews.<measure>: a derived review measure
  history_grade,  ///< history.previous_grade
  months_since,   ///< months_since.<date>: calendar months from a date column to as_of
};

/// A parsed field reference such as "raw.fire_open_hazards".
struct field_ref {
  field_kind kind = field_kind::raw;
  std::string name;  ///< the part after the dot ("fire_open_hazards"); empty for total/scenarios
  std::string text() const;  ///< the full field text ("raw.fire_open_hazards")
};

enum class compare_op : unsigned char { lt, le, gt, ge, eq, ne, in, contains, count_in, is_missing };

/// A node of a condition tree: a comparison, or all/any/not over children.
struct condition {
  enum class node_kind : unsigned char { compare, all, any, negate };
  node_kind kind = node_kind::compare;
  // compare
  field_ref field;
  compare_op op = compare_op::eq;
  bool string_values = false;        ///< values are strings (categories, attributes, scenario codes)
  std::vector<double> numbers;       ///< numeric value(s); booleans are 1/0, grades their level
  std::vector<std::string> strings;  ///< string value(s)
  compare_op count_cmp = compare_op::ge;  ///< count_in: how the count compares with count_n
  double count_n = 0.0;
  // all / any / negate
  std::vector<condition> children;
};

/// Parses "raw.x", "score.x", "dim.x", "total", "flag.x", "attr.x", "scenarios", "reviews.x",
/// "history.previous_grade", "months_since.x"; a bare "x" means "raw.x". Returns false if unknown.
bool parse_field(const std::string& text, field_ref& out);

/// The symbol of a comparison ("<", "count_in", …).
const char* to_string(compare_op op) noexcept;
/// The comparison with that symbol, or nullopt.
std::optional<compare_op> parse_compare_op(std::string_view symbol) noexcept;

/// True if the condition reads score.*, dim.* or total (available only after scoring).
bool reads_scores(const condition& c) noexcept;

/// A readable one-line rendering, e.g. "months_since.opened_on < 12".
std::string to_string(const condition& c);

}  // namespace embedrating
