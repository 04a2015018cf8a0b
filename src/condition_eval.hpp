#pragma once
// Conditions, internal side: validation against a model and column-wise evaluation into bit masks
// (src/condition.cpp). A condition reads its fields through a `field_source`: the operators'
// inputs when a dataset is scored (src/rate/inputs.hpp), points when a scored dataset is re-graded.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "embedrating/condition.hpp"
#include "embedrating/detail/bitmask.hpp"
#include "embedrating/model.hpp"

namespace embedrating::detail {

struct compiled_model;

// ---- columns a condition reads (every pointer starts at the first row of the evaluated range)

struct category_view {
  const std::int32_t* codes = nullptr;            ///< -1 missing
  const std::vector<std::string>* levels = nullptr;
  explicit operator bool() const noexcept { return codes != nullptr; }
};
struct set_view {
  const std::uint32_t* offsets = nullptr;  ///< rows + 1 entries, absolute positions into codes
  const std::int32_t* codes = nullptr;
  const std::vector<std::string>* levels = nullptr;
};

/// What a condition can read, over `rows()` operators. Numeric fields are NaN where missing.
class field_source {
 public:
  virtual ~field_source() = default;
  virtual std::size_t rows() const noexcept = 0;
  /// raw numbers, flag.*, scenarios (count), reviews.*, history.previous_grade, months_since.*,
  /// total, dim.*, score.*; nullptr when the source cannot give the field.
  virtual const double* numeric(const field_ref& f) = 0;
  /// A raw category column (rolled up from facilities where the model says so).
  virtual category_view category(const std::string& name) = 0;
  /// attr.<name> texts ("" missing); "status" gives the status names.
  virtual const std::string* attribute(const std::string& name) = 0;
  virtual set_view scenarios() = 0;
  // Fast paths (nullptr / missing: evaluate through numeric() instead):
  /// flag.<name> as 0/1 bytes.
  virtual const std::uint8_t* flag(const std::string&) { return nullptr; }
  /// A date column (months_since.<name> compared with <, <=, > or >= becomes a date comparison).
  virtual const civil_date* date(const std::string&) { return nullptr; }
  /// The evaluation date that months_since counts to.
  virtual civil_date as_of() const { return civil_date::missing(); }
  /// Each row's scenarios as a bit set over scenarios().levels (when there are at most 64 levels).
  virtual const std::uint64_t* scenario_bits() { return nullptr; }
  /// Where evaluate() keeps the masks of conditions it has evaluated, so that a condition written
  /// twice in a model (the same comparison in two rules) is evaluated once; nullptr: no memory.
  virtual std::map<std::string, bitmask>* memo() { return nullptr; }
};

/// Evaluates `c` over every row of `src` into `out` (resized to src.rows()).
void evaluate(const condition& c, field_source& src, bitmask& out);

/// True if the field changes with the points: total, dim.*, and score.* of a group (a leaf's
/// score does not depend on any points).
bool reads_points(const field_ref& f, const compiled_model& cm) noexcept;
bool reads_points(const condition& c, const compiled_model& cm) noexcept;

/// A condition that reads points, evaluated in two steps: the subtrees that read no points once,
/// when the data is scored (`fixed`, in pre-order), the rest at every re-grade.
struct partial_condition {
  std::vector<bitmask> fixed;
};
void evaluate_fixed_parts(const condition& c, const compiled_model& cm, field_source& inputs, partial_condition& out);
/// `c` has the structure of the condition `fixed` was made from (same fields, operators and
/// non-point values); `points` answers total, dim.* and score.*.
void evaluate_with_fixed_parts(const condition& c, const compiled_model& cm, field_source& points,
                               const partial_condition& fixed, bitmask& out);

// ---- validation

/// What a condition is checked against.
struct condition_scope {
  const model_spec& spec;
  const std::set<std::string>& node_ids;
  const std::set<std::string>& dimensions;
};
/// Throws model_error (file, line, field) for an unknown field, an operator that does not apply,
/// values of the wrong kind, or nesting deeper than 32 levels.
void validate_condition(const condition_scope& scope, std::uint32_t line, const std::string& field,
                        const condition& c, int depth = 1);

}  // namespace embedrating::detail
