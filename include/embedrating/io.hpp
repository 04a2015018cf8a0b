#pragma once
/// \file io.hpp
/// Reading operator tables from CSV (UTF-8 with or without BOM, GB18030/GBK) into a dataset.
#include <string>

#include "dataset.hpp"
#include "model.hpp"

namespace embedrating {

/// Reads a wide operator CSV for `m`. Columns (header names):
/// - `operator_id` (required), `status` (active | suspending | suspended | terminated),
///   `scenarios` (codes separated by ';'), `previous_grade` ("5A".."1A", "unrated" or empty),
///   `previous_rated_on`, `last_downgrade_on`;
/// - the model's measures (numbers; categories by level), empty cell = missing;
/// - review columns `stars_1`..`stars_5`, `bad_open`, `bad_closed_in_time`, `bad_overdue`, `bad_followed_up`;
/// - flags (0/1, true/false): every `flag.<name>` the model reads and the Art. 16 veto flags;
/// - dates (YYYY-MM-DD): every `months_since.<name>` and lapse date the model reads, and any column ending in `_on`;
/// - attributes (text): `mode`, `district`, `street`, `community`, `name`, `name_zh` and every `attr.<name>` the model reads.
/// Any other column is an error naming it. Every bad cell is a data_error naming file, line, column and operator.
dataset read_operators_csv(const std::string& path, const model& m, const std::string& encoding = "auto");

}  // namespace embedrating
