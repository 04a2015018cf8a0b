#pragma once
// Internal: the readers' validated path into a dataset (src/dataset.cpp defines it).
//
// The table readers (operators.cpp) parse, range-check and validate every cell themselves and
// report bad ones with file, line and column; the public setters would then check the same
// columns again row by row. These put a column the reader built straight into the dataset: they
// keep the O(1) checks (row count, a name given twice) and skip the per-row ones. Only readers use
// them, with columns they made; everything else goes through the public setters.
#include <cstdint>
#include <string>
#include <vector>

#include "embedrating/dataset.hpp"

namespace embedrating::detail {

struct dataset_filler {
  /// Numbers: NaN missing, no infinities (read_numbers reports them).
  static void number(dataset& d, const std::string& name, std::vector<double> values);
  /// Review counts: finite, 0 .. 1e9, bad_* whole (read_counts).
  static void review_column(dataset& d, const std::string& name, std::vector<double> values);
  /// Codes -1 .. levels - 1; levels distinct and non-empty (a measure's levels).
  static void category(dataset& d, const std::string& name, category_column column);
  /// 0 or 1 (read_flags).
  static void flag(dataset& d, const std::string& name, std::vector<std::uint8_t> values);
  static void date(dataset& d, const std::string& name, std::vector<civil_date> values);
  static void status(dataset& d, std::vector<operator_status> values);
  static void attribute(dataset& d, const std::string& name, std::vector<std::string> values);
  /// The compressed scenario sets of scenario_builder::finish (offsets from 0, codes in range,
  /// no code twice in a row, levels distinct and non-empty).
  static void scenarios(dataset& d, std::vector<std::uint32_t> offsets, std::vector<std::int32_t> codes,
                        std::vector<std::string> levels);
};

}  // namespace embedrating::detail
