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

/// Sets a dataset's history columns from a history table (operators absent from it: first rating).
void apply_history(dataset& data, const history_table& history);

}  // namespace embedrating
