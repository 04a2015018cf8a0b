#pragma once
// Internal: cells of any column type → the core's values, with one message per kind of bad cell
// whatever the source (src/ingest/cells.cpp). Used by the operator, facility and event readers
// and, for the messages, by the rating's own checks (src/rate/inputs.cpp, rollup.cpp).
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "embedrating/catalogue.hpp"
#include "embedrating/dataset.hpp"
#include "embedrating/io.hpp"
#include "embedrating/model.hpp"

namespace embedrating::detail {

/// Reports the problems of one table: throws, or records them in a sink and lets the caller go on.
class cell_reporter {
 public:
  cell_reporter(const table_source& src, problem_sink* sink) : src_(src), sink_(sink) {}
  /// A bad cell (row over the whole table, header column; npos column: the row; npos row: the header).
  void operator()(std::size_t row, std::size_t column, std::string_view operator_id, const std::string& msg) const;
  /// A problem that stops reading in any mode.
  [[noreturn]] void fatal(std::size_t row, std::size_t column, const std::string& field, const std::string& msg) const;
  bool collecting() const noexcept { return sink_ != nullptr; }
  /// Problems recorded so far (0 without a sink).
  std::size_t problem_count() const noexcept { return sink_ ? sink_->size() : 0; }
  const table_source& source() const noexcept { return src_; }

 private:
  const table_source& src_;
  problem_sink* sink_;
};

/// What a converter needs to name a bad cell: the reporter, the header column, the chunk's first
/// row and the operator of each chunk row (nullptr: none known yet).
struct cell_scope {
  const cell_reporter& fail;
  std::size_t column;
  std::size_t first_row;
  const std::string* operators = nullptr;  ///< operators[i]: the operator of chunk row i
  const std::string* facilities = nullptr;  ///< facilities[i]: the facility of chunk row i (messages start `facility "F": `)

  void operator()(std::size_t i, const std::string& msg) const;
};

/// `s` without leading and trailing spaces and tabs (how every reader trims a text cell).
inline std::string_view trim_cell(std::string_view s) noexcept {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
  return s.substr(a, b - a);
}

/// The text of row i as messages show it (a text cell trimmed; numbers, dates, levels as text).
std::string cell_text(const column_view& v, std::size_t i);
/// Whether row i is missing (empty text, NaN, NaT, a negative code, a masked row).
bool cell_missing(const column_view& v, std::size_t i);

/// "%.10g" of a number, as every message prints values.
std::string number_text(double v);
/// "value V is outside the allowed range [lo, hi] (unit)" for a measure.
std::string range_message(const measure& me, double v);
/// Whether v is within a measure's range.
inline bool in_range(const measure& me, double v) noexcept { return !((me.min && v < *me.min) || (me.max && v > *me.max)); }
/// "\"v\" is not a level of ID (allowed: a, b)".
std::string level_message(const measure& me, std::string_view v);

/// A decimal number (strict, text_checks.hpp: optional sign, digits, optional fraction, an
/// exponent of 1-4 digits; no hex, no inf/nan, no spaces); nullopt when the text is not one or
/// is too large for a double. Subnormal values are numbers.
std::optional<double> parse_decimal(std::string_view s) noexcept;

/// Numbers (NaN where missing or bad). With `me`, values outside its range (or, without one,
/// beyond ±1e15) are bad.
void read_numbers(const cell_scope& at, const column_view& v, std::size_t rows, double* out, const measure* me);
/// Review counts: never missing, 0 .. 1e9; `whole`: whole numbers (bad_*), else decayed star counts may be fractional.
void read_counts(const cell_scope& at, const column_view& v, std::size_t rows, double* out, bool whole);
/// Flags (0 where missing or bad).
void read_flags(const cell_scope& at, const column_view& v, std::size_t rows, std::uint8_t* out);
/// Dates (missing where missing or bad); dates outside 1900-01-01 .. 2199-12-31 are bad.
void read_dates(const cell_scope& at, const column_view& v, std::size_t rows, civil_date* out);
/// Dates without the 1900 .. 2199 check.
void read_dates_unchecked(const cell_scope& at, const column_view& v, std::size_t rows, civil_date* out);
/// Level codes of a category measure (-1 where missing or bad).
void read_levels(const cell_scope& at, const column_view& v, std::size_t rows, std::int32_t* out, const measure& me);
/// Operator status (active where bad).
/// Status codes or their catalogue names (运营中 …).
void read_status(const cell_scope& at, const column_view& v, std::size_t rows, operator_status* out, const catalogue& codes);
/// Previous grades (-1: none).
void read_grades(const cell_scope& at, const column_view& v, std::size_t rows, std::int8_t* out);
/// Text cells, trimmed.
void read_texts(const column_view& v, std::size_t rows, std::string* out);

/// Scenario sets: each row gets the index of its set; each distinct cell text is parsed once.
class scenario_builder {
 public:
  explicit scenario_builder(const catalogue& codes) : codes_(codes) {}
  /// Set indices of `rows` rows into out (0: no scenario).
  void read(const cell_scope& at, const column_view& v, std::size_t rows, std::uint32_t* out);
  /// The compressed form of the rows' sets (levels numbered by first appearance over the rows).
  void finish(const std::vector<std::uint32_t>& row_sets, std::vector<std::uint32_t>& offsets,
              std::vector<std::int32_t>& codes, std::vector<std::string>& levels) const;

 private:
  std::uint32_t intern(const cell_scope& at, std::size_t i, std::string_view text, bool& clean);
  const catalogue& codes_;
  std::vector<std::string> levels_;
  std::vector<std::vector<std::int32_t>> sets_;
  std::deque<std::string> memo_keys_;  ///< the texts memo_'s keys view
  std::unordered_map<std::string_view, std::uint32_t> memo_;
};

}  // namespace embedrating::detail
