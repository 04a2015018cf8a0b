#pragma once
/// \file io.hpp
/// Reading operator and facility tables from CSV (UTF-8 with or without BOM, GB18030/GBK) into a
/// dataset. The edge where files meet the core: every bad cell is a data_error naming file, line,
/// column, field and operator.
#include <set>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "errors.hpp"
#include "model.hpp"

namespace embedrating {

/// Where cell-level problems go. With a sink, a reader records every problem it finds and goes
/// on (a bad cell is read as missing, a duplicated operator id is renamed "<id>@line<N>"), so
/// a validator can report all of them at once; without one (nullptr), the first problem throws.
/// Problems that make the rest of the file unreadable (cannot open, undecodable text, malformed
/// CSV, no `operator_id` column, no rows) always throw.
using problem_sink = std::vector<data_error>;

/// How an operator table's columns are read for a model (besides `operator_id`, `status`,
/// `scenarios`, the history columns, the model's measures and the review input columns): flags
/// (the catalogue's Art. 16 veto flags and every `flag.*` the model reads), dates (every
/// `months_since.*` and lapse date the model reads; any other column ending in `_on` is a date
/// too) and text attributes (`mode`, `district`, `street`, `community`, `name`, `name_zh`,
/// `address` and every `attr.*` the model reads). Used by the CSV reader and the Python Dataset.
struct operator_columns {
  std::set<std::string> flags, dates, attributes;
};
operator_columns operator_input_columns(const model& m);

/// Reads a wide operator CSV for `m`. Columns (header names):
/// - `operator_id` (required), `status` (active | suspending | suspended | terminated),
///   `scenarios` (codes separated by ';'), `previous_grade` ("5A".."1A", "unrated" or empty),
///   `previous_rated_on`, `last_downgrade_on`;
/// - the model's measures (numbers within the measure's range; categories by level), empty cell = missing;
/// - review columns `stars_1`..`stars_5`, `bad_open`, `bad_closed_in_time`, `bad_overdue`, `bad_followed_up`;
/// - flags (0/1, true/false, 是/否): every `flag.<name>` the model reads and the Art. 16 veto flags;
/// - dates (YYYY-MM-DD): every `months_since.<name>` and lapse date the model reads, and any column ending in `_on`;
/// - attributes (text): `mode`, `district`, `street`, `community`, `name`, `name_zh`, `address` and every
///   `attr.<name>` the model reads.
/// Any other column is an error naming it.
dataset read_operators_csv(const std::string& path, const model& m, const std::string& encoding = "auto",
                           problem_sink* problems = nullptr);

/// Reads a per-facility (site) CSV for `m` whose operators are in `operators`. Columns:
/// `facility_id` and `operator_id` (required), `volume` (number >= 0, the weight of
/// volume-weighted roll-ups; empty column = all 1), descriptive text `name`, `name_zh`, `street`,
/// `community`, `address` (kept out of the rating), and the model's measures. A measure may be
/// given per facility or per operator, not both (the roll-up is the model's `rollup`).
/// Use `operators.set_facilities(read_facilities_csv(...))`.
facility_table read_facilities_csv(const std::string& path, const model& m, const dataset& operators,
                                   const std::string& encoding = "auto", problem_sink* problems = nullptr);

}  // namespace embedrating
