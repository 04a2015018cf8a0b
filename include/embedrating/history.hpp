#pragma once
/// \file history.hpp
/// Rolling rating history forward from one cycle's results to the next (SPEC §3 step 6).
#include <optional>
#include <string>
#include <vector>

#include "date.hpp"
#include "grade.hpp"
#include "ratings.hpp"

namespace embedrating {

/// History columns for the next cycle, aligned with `operator_ids`.
struct history_table {
  std::vector<std::string> operator_ids;
  std::vector<std::optional<grade>> previous_grade;  ///< nullopt: never rated
  std::vector<civil_date> previous_rated_on;
  std::vector<civil_date> last_downgrade_on;
};

/// The history of the operators in `previous` (may be empty) updated by this cycle's `results`:
/// active operators get their final grade and rating date; a final grade below the previous one
/// records a downgrade on `results.as_of`; operators not graded this cycle (not active) keep their
/// history; operators new in `results` are added. The output is sorted like `results`, followed by
/// operators only in `previous`.
history_table roll_forward(const history_table& previous, const ratings& results);

/// One cycle's outcome per operator — what `roll_forward` reads of a rating: the evaluation date,
/// and per operator its status and final grade (ignored when not active). A ratings CSV written
/// by `embedrating rate --format csv` gives it back (`read_cycle_results_csv`).
struct cycle_results {
  civil_date as_of = civil_date::missing();
  std::vector<std::string> operator_ids;
  std::vector<operator_status> status;
  std::vector<grade> final_grade;
};

/// The same rules as `roll_forward(previous, ratings)` over a cycle's outcome.
history_table roll_forward(const history_table& previous, const cycle_results& results);
cycle_results cycle_results_of(const ratings& results);

/// Reads a ratings CSV (`embedrating rate --format csv`, English or Chinese headers, any input
/// encoding): `operator_id`/运营商编号, `status`/状态 (codes or the catalogue's Chinese names;
/// default active), `grade`/评定等级 (5A..1A, unrated/不予评级; empty or 未参评 when not graded) and,
/// when present, `as_of`/评定日期, which must equal `as_of` on every row. data_error names file,
/// line and column.
cycle_results read_cycle_results_csv(const std::string& path, civil_date as_of, const std::string& encoding = "auto");

/// Reads history columns: `operator_id` and any of `previous_grade`, `previous_rated_on`,
/// `last_downgrade_on` (other columns are ignored, so an operator CSV works too).
history_table read_history_csv(const std::string& path, const std::string& encoding = "auto");

/// The history as CSV text (UTF-8): operator_id, previous_grade, previous_rated_on,
/// last_downgrade_on — the history columns of the next cycle's operator table.
std::string history_csv(const history_table& history);

/// Sets a dataset's history columns from a history table (operators absent from it: first rating).
void apply_history(dataset& data, const history_table& history);

}  // namespace embedrating
