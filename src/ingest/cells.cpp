// Cells of any column type → the core's values (see cells.hpp). One function per kind of value;
// every bad cell gets the same message whatever the column type it came in.
#include "cells.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_map>

#include "../text_checks.hpp"
#include "embedrating/catalogue.hpp"
#include "embedrating/grade.hpp"

namespace embedrating::detail {

namespace {

constexpr std::int64_t seconds_per_day = 86400;

/// Every number a text cell may hold, before a field's own range (docs/errors.md, "Numbers").
constexpr number_range finite_number{-1.7976931348623157e308, 1.7976931348623157e308, false};
/// Measures without min or max: at most 1e15 in size.
constexpr double measure_bound = 1e15;
/// Review counts: 0 .. 1e9.
constexpr double max_review_count = 1e9;
/// Dates in data files (docs/errors.md): month arithmetic and the lapse dates derived from them
/// stay in four-digit years.
constexpr civil_date first_input_date = make_date(1900, 1, 1);
constexpr civil_date last_input_date = make_date(2199, 12, 31);

/// A header name as messages show it: long ones abbreviated (a 1 MB column name stays off stderr).
void shorten_field(error_location& w) {
  if (w.field.size() > 60) w.field = abbreviate(w.field);
}

/// Days since 1970-01-01 of a timestamp (floor), or nullopt when missing or out of range.
std::optional<std::int32_t> timestamp_day(std::int64_t ticks, std::int64_t per_second) {
  if (ticks == std::numeric_limits<std::int64_t>::min() || per_second <= 0) return std::nullopt;
  const std::int64_t per_day = per_second * seconds_per_day;
  std::int64_t d = ticks / per_day;
  if (ticks % per_day != 0 && ticks < 0) --d;
  if (d < -1000000 || d > 1000000) return std::nullopt;
  return static_cast<std::int32_t>(d);
}

std::string date_text(std::int32_t days) { return to_string(civil_date(days)); }

/// A table of the level texts of a categorical column, converted once each.
template <class T, class F>
std::vector<T> per_level(const column_view& v, F&& convert) {
  std::vector<T> out(v.level_count);
  for (std::size_t k = 0; k < v.level_count; ++k) out[k] = convert(trim_cell(v.levels[k]));
  return out;
}

/// cell_missing of one column, set up once per column: categorical levels are trimmed once (not
/// per row) and the test is inlined into the readers' loops instead of a call per row.
class missing_test {
 public:
  explicit missing_test(const column_view& v) : v_(v) {
    if (v.type == column_type::categorical) {
      empty_level_.resize(v.level_count);
      for (std::size_t k = 0; k < v.level_count; ++k) empty_level_[k] = trim_cell(v.levels[k]).empty();
    }
  }
  bool operator()(std::size_t i) const {
    if (v_.missing_mask(i)) return true;
    switch (v_.type) {
      case column_type::text: return trim_cell(v_.cell(i)).empty();
      case column_type::float64: return std::isnan(static_cast<const double*>(v_.data)[i]);
      case column_type::int64:
      case column_type::boolean: return false;
      case column_type::date: return static_cast<const std::int32_t*>(v_.data)[i] == civil_date::missing().days();
      case column_type::timestamp:
        return static_cast<const std::int64_t*>(v_.data)[i] == std::numeric_limits<std::int64_t>::min();
      case column_type::categorical: {
        const std::int64_t c = v_.code(i);
        return c < 0 || empty_level_[static_cast<std::size_t>(c)] != 0;
      }
    }
    return false;
  }

 private:
  const column_view& v_;
  std::vector<std::uint8_t> empty_level_;
};

}  // namespace

void cell_reporter::operator()(std::size_t row, std::size_t column, std::string_view op, const std::string& msg) const {
  error_location w = src_.where(row, column);
  shorten_field(w);
  w.operator_id = op.size() > 60 ? abbreviate(op) : std::string(op);
  if (sink_ == nullptr) throw data_error(w, msg);
  sink_->emplace_back(w, msg);
}

void cell_reporter::fatal(std::size_t row, std::size_t column, const std::string& field, const std::string& msg) const {
  error_location w = src_.where(row, column);
  if (!field.empty()) w.field = field;
  shorten_field(w);
  throw data_error(w, msg);
}

void cell_scope::operator()(std::size_t i, const std::string& msg) const {
  fail(first_row + i, column, operators ? std::string_view(operators[i]) : std::string_view(),
       facilities ? "facility " + quote_cell(facilities[i]) + ": " + msg : msg);
}

std::string number_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string range_message(const measure& me, double v) {
  return "value " + number_text(v) + " is outside the allowed range [" + number_text(me.min ? *me.min : -measure_bound) +
         ", " + number_text(me.max ? *me.max : measure_bound) + "]" + (me.unit.empty() ? "" : " (" + me.unit + ")");
}

std::string level_message(const measure& me, std::string_view v) {
  std::string allowed;
  for (const auto& l : me.levels) allowed += (allowed.empty() ? "" : ", ") + l;
  return quote_cell(v) + " is not a level of " + me.id + " (allowed: " + allowed + ")";
}

namespace {

/// Powers of ten exact in a double.
constexpr double exact_powers_of_ten[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

/// A number cell's text. The common cells — unsigned, at most 15 digits, at most one '.' (`42`,
/// `86.5`, `0.938`, `.5`, `5.`) — at once: the digits as an integer (below 2^53, so exact) divided
/// by an exact power of ten; one correctly rounded division gives the double nearest the decimal,
/// as std::from_chars does (Clinger's fast path: W. D. Clinger, "How to read floating point
/// numbers accurately", PLDI 1990). Anything else through the strict decimal parser
/// (text_checks.hpp). On failure `why` says why ("not a decimal number", "too large (more than 1.8e308)").
inline std::optional<double> number_of(std::string_view s, std::string& why) {
  if (!s.empty() && s.size() <= 16) {
    std::uint64_t v = 0;
    std::size_t i = 0, dot = std::string_view::npos;
    for (; i < s.size(); ++i) {
      const unsigned d = static_cast<unsigned char>(s[i]) - static_cast<unsigned>('0');
      if (d <= 9) {
        v = v * 10 + d;
      } else if (s[i] == '.' && dot == std::string_view::npos) {
        dot = i;
      } else {
        break;
      }
    }
    const std::size_t digits = s.size() - (dot == std::string_view::npos ? 0 : 1);
    if (i == s.size() && digits >= 1 && digits <= 15) {
      if (dot == std::string_view::npos) return static_cast<double>(v);
      return static_cast<double>(v) / exact_powers_of_ten[s.size() - dot - 1];
    }
  }
  return parse_decimal(s, finite_number, why);
}

}  // namespace

std::optional<double> parse_decimal(std::string_view s) noexcept {
  try {
    std::string why;
    return number_of(s, why);
  } catch (...) {  // std::bad_alloc of the reason's text
    return std::nullopt;
  }
}

bool cell_missing(const column_view& v, std::size_t i) {
  if (v.missing_mask(i)) return true;
  switch (v.type) {
    case column_type::text: return trim_cell(v.cell(i)).empty();
    case column_type::float64: return std::isnan(static_cast<const double*>(v.data)[i]);
    case column_type::int64:
    case column_type::boolean: return false;
    case column_type::date: return static_cast<const std::int32_t*>(v.data)[i] == civil_date::missing().days();
    case column_type::timestamp: return static_cast<const std::int64_t*>(v.data)[i] == std::numeric_limits<std::int64_t>::min();
    case column_type::categorical: return v.code(i) < 0 || trim_cell(v.levels[v.code(i)]).empty();
  }
  return false;
}

std::string cell_text(const column_view& v, std::size_t i) {
  if (cell_missing(v, i)) return std::string();
  switch (v.type) {
    case column_type::text: return std::string(trim_cell(v.cell(i)));
    case column_type::float64: {
      const double x = static_cast<const double*>(v.data)[i];
      if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
      return number_text(x);
    }
    case column_type::int64: return std::to_string(static_cast<const std::int64_t*>(v.data)[i]);
    case column_type::boolean: return static_cast<const std::uint8_t*>(v.data)[i] ? "true" : "false";
    case column_type::date: return date_text(static_cast<const std::int32_t*>(v.data)[i]);
    case column_type::timestamp: {
      const std::int64_t t = static_cast<const std::int64_t*>(v.data)[i];
      const auto d = timestamp_day(t, v.ticks_per_second);
      return d ? date_text(*d) + (t % (v.ticks_per_second * seconds_per_day) != 0 ? " (with a time of day)" : "")
               : std::to_string(t);
    }
    case column_type::categorical: return std::string(trim_cell(v.levels[v.code(i)]));
  }
  return std::string();
}

// ---------------------------------------------------------------------------------------------
// numbers

void read_numbers(const cell_scope& at, const column_view& v, std::size_t rows, double* out, const measure* me) {
  const missing_test missing(v);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::string why;
  // the allowed range as two bounds, decided once: [max(min, -1e15), min(max, 1e15)] with a
  // measure (in_range and the 1e15 bound), every finite value without one
  constexpr double largest = std::numeric_limits<double>::max();
  double lo = -largest, hi = largest;
  if (me != nullptr) {
    lo = me->min ? std::max(*me->min, -measure_bound) : -measure_bound;
    hi = me->max ? std::min(*me->max, measure_bound) : measure_bound;
  }
  auto check = [&](std::size_t i, double x) {
    if ((x >= lo && x <= hi) || me == nullptr) return x;
    at(i, range_message(*me, x));
    return nan;
  };
  switch (v.type) {
    case column_type::float64: {
      const auto* x = static_cast<const double*>(v.data);
      for (std::size_t i = 0; i < rows; ++i) {
        const double y = x[i];
        if (y >= lo && y <= hi && !v.missing_mask(i)) {  // the common cell: finite and in range
          out[i] = y;
          continue;
        }
        if (v.missing_mask(i) || std::isnan(y)) {
          out[i] = nan;
        } else if (!std::isfinite(y)) {
          at(i, quote_cell(cell_text(v, i)) + " is not a decimal number");
          out[i] = nan;
        } else {
          out[i] = check(i, y);
        }
      }
      return;
    }
    case column_type::int64: {
      const auto* x = static_cast<const std::int64_t*>(v.data);
      for (std::size_t i = 0; i < rows; ++i) out[i] = v.missing_mask(i) ? nan : check(i, static_cast<double>(x[i]));
      return;
    }
    case column_type::boolean: {
      const auto* x = static_cast<const std::uint8_t*>(v.data);
      for (std::size_t i = 0; i < rows; ++i) out[i] = v.missing_mask(i) ? nan : check(i, x[i] ? 1.0 : 0.0);
      return;
    }
    case column_type::text: {
      for (std::size_t i = 0; i < rows; ++i) {
        const std::string_view s = trim_cell(v.cell(i));
        if (s.empty() || v.missing_mask(i)) {
          out[i] = nan;
          continue;
        }
        const auto x = number_of(s, why);
        if (!x) {
          at(i, quote_cell(s) + " is " + why);
          out[i] = nan;
        } else {
          out[i] = check(i, *x);
        }
      }
      return;
    }
    case column_type::categorical: {
      const auto levels = per_level<std::optional<double>>(v, [](std::string_view s) { return parse_decimal(s); });
      for (std::size_t i = 0; i < rows; ++i) {
        const std::int64_t c = v.code(i);
        if (missing(i)) {
          out[i] = nan;
        } else if (!levels[static_cast<std::size_t>(c)]) {
          const std::string text = cell_text(v, i);
          (void)number_of(text, why);
          at(i, quote_cell(text) + " is " + why);
          out[i] = nan;
        } else {
          out[i] = check(i, *levels[static_cast<std::size_t>(c)]);
        }
      }
      return;
    }
    case column_type::date:
    case column_type::timestamp:
      for (std::size_t i = 0; i < rows; ++i) {
        out[i] = nan;
        if (!missing(i)) at(i, quote_cell(cell_text(v, i)) + " is not a decimal number");
      }
      return;
  }
}

void read_counts(const cell_scope& at, const column_view& v, std::size_t rows, double* out, bool whole) {
  const missing_test missing(v);
  read_numbers(at, v, rows, out, nullptr);
  for (std::size_t i = 0; i < rows; ++i) {
    const double x = out[i];
    if (std::isnan(x)) {
      if (missing(i)) at(i, "a review count cannot be empty (write 0)");
      out[i] = 0.0;
    } else if (x < 0 || x > max_review_count) {  // the range of review counts (docs/errors.md, Numbers)
      at(i, quote_cell(cell_text(v, i)) + " is outside the allowed range [0, 1000000000]");
      out[i] = 0.0;
    } else if (whole && x != std::floor(x)) {
      at(i, quote_cell(cell_text(v, i)) + " is not a whole number");
      out[i] = 0.0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// flags, dates, levels, status, grades, texts

namespace {

/// 1, 0, or -1 (not a flag) of a text; empty is 0.
int flag_of(std::string_view x) {
  if (x == "1" || x == "true" || x == "TRUE" || x == "True" || x == "是") return 1;
  if (x == "0" || x == "false" || x == "FALSE" || x == "False" || x == "否" || x.empty()) return 0;
  return -1;
}

std::string flag_message(std::string_view text) { return "a flag is 0 or 1 (true/false), got " + quote_cell(text); }

}  // namespace

void read_flags(const cell_scope& at, const column_view& v, std::size_t rows, std::uint8_t* out) {
  const missing_test missing(v);
  switch (v.type) {
    case column_type::boolean: {
      const auto* x = static_cast<const std::uint8_t*>(v.data);
      for (std::size_t i = 0; i < rows; ++i) out[i] = v.missing_mask(i) ? 0 : (x[i] != 0);
      return;
    }
    case column_type::text:
      for (std::size_t i = 0; i < rows; ++i) {
        const std::string_view raw = v.cell(i);
        if (raw.size() == 1 && (raw[0] == '0' || raw[0] == '1') && !v.missing_mask(i)) {  // the common case
          out[i] = raw[0] == '1';
          continue;
        }
        const std::string_view s = v.missing_mask(i) ? std::string_view() : trim_cell(raw);
        const int f = flag_of(s);
        if (f < 0) at(i, flag_message(s));
        out[i] = f > 0;
      }
      return;
    case column_type::categorical: {
      const auto levels = per_level<int>(v, flag_of);
      for (std::size_t i = 0; i < rows; ++i) {
        const std::int64_t c = v.code(i);
        const int f = missing(i) ? 0 : levels[static_cast<std::size_t>(c)];
        if (f < 0) at(i, flag_message(cell_text(v, i)));
        out[i] = f > 0;
      }
      return;
    }
    default:
      for (std::size_t i = 0; i < rows; ++i) {
        out[i] = 0;
        if (missing(i)) continue;
        if (v.type == column_type::float64 || v.type == column_type::int64) {
          const double x = v.type == column_type::float64 ? static_cast<const double*>(v.data)[i]
                                                          : static_cast<double>(static_cast<const std::int64_t*>(v.data)[i]);
          if (x == 0.0 || x == 1.0) {
            out[i] = x == 1.0;
            continue;
          }
        }
        at(i, flag_message(cell_text(v, i)));
      }
      return;
  }
}

namespace {
std::string date_message(std::string_view text) { return quote_cell(text) + " is not a date YYYY-MM-DD"; }

/// Dates outside 1900-01-01 .. 2199-12-31 reported and read as missing (whatever the column type).
void check_date_range(const cell_scope& at, const column_view& v, std::size_t rows, civil_date* out) {
  for (std::size_t i = 0; i < rows; ++i) {
    if (out[i].is_missing() || !(out[i] < first_input_date || last_input_date < out[i])) continue;
    at(i, quote_cell(cell_text(v, i)) + " is outside the dates a data file may hold (1900-01-01 .. 2199-12-31)");
    out[i] = civil_date::missing();
  }
}
}  // namespace

void read_dates(const cell_scope& at, const column_view& v, std::size_t rows, civil_date* out) {
  read_dates_unchecked(at, v, rows, out);
  check_date_range(at, v, rows, out);
}

void read_dates_unchecked(const cell_scope& at, const column_view& v, std::size_t rows, civil_date* out) {
  const missing_test missing(v);
  const civil_date none = civil_date::missing();
  switch (v.type) {
    case column_type::date: {
      const auto* x = static_cast<const std::int32_t*>(v.data);
      for (std::size_t i = 0; i < rows; ++i) out[i] = v.missing_mask(i) || x[i] == none.days() ? none : civil_date(x[i]);
      return;
    }
    case column_type::timestamp: {
      const auto* x = static_cast<const std::int64_t*>(v.data);
      for (std::size_t i = 0; i < rows; ++i) {
        out[i] = none;
        if (missing(i)) continue;
        const auto d = timestamp_day(x[i], v.ticks_per_second);
        if (!d) at(i, date_message(cell_text(v, i)));
        else out[i] = civil_date(*d);
      }
      return;
    }
    case column_type::text:
      for (std::size_t i = 0; i < rows; ++i) {
        out[i] = none;
        const std::string_view s = v.missing_mask(i) ? std::string_view() : trim_cell(v.cell(i));
        if (s.empty()) continue;
        const auto d = parse_date(s);
        if (!d) at(i, date_message(s));
        else out[i] = *d;
      }
      return;
    case column_type::categorical: {
      const auto levels = per_level<std::optional<civil_date>>(v, [](std::string_view s) { return parse_date(s); });
      for (std::size_t i = 0; i < rows; ++i) {
        out[i] = none;
        if (missing(i)) continue;
        const auto& d = levels[static_cast<std::size_t>(v.code(i))];
        if (!d) at(i, date_message(cell_text(v, i)));
        else out[i] = *d;
      }
      return;
    }
    default:
      for (std::size_t i = 0; i < rows; ++i) {
        out[i] = none;
        if (!missing(i)) at(i, date_message(cell_text(v, i)));
      }
      return;
  }
}

namespace {

/// Reads a column whose values are one of a few texts: each distinct text converted once.
template <class T, class F, class Bad>
void read_by_text(const cell_scope& at, const column_view& v, std::size_t rows, T* out, T missing, F&& convert, Bad&& bad,
                  std::vector<std::size_t>* empty_rows = nullptr) {
  const missing_test is_missing(v);
  if (v.type == column_type::categorical) {
    const auto levels = per_level<std::optional<T>>(v, convert);
    for (std::size_t i = 0; i < rows; ++i) {
      if (is_missing(i)) {
        out[i] = missing;
        if (empty_rows) empty_rows->push_back(i);
        continue;
      }
      const auto& x = levels[static_cast<std::size_t>(v.code(i))];
      if (x) {
        out[i] = *x;
      } else {
        at(i, bad(cell_text(v, i)));
        out[i] = missing;
      }
    }
    return;
  }
  // texts: most columns hold few distinct values; remember the last one
  std::string last_text;
  std::optional<T> last;
  bool have_last = false;
  for (std::size_t i = 0; i < rows; ++i) {
    std::string text;
    std::string_view s;
    if (v.type == column_type::text) {
      s = v.missing_mask(i) ? std::string_view() : trim_cell(v.cell(i));
    } else {
      text = cell_text(v, i);
      s = text;
    }
    if (s.empty()) {  // cell_missing(v, i): a text trimmed empty, or cell_text's "" of a missing value
      out[i] = missing;
      if (empty_rows) empty_rows->push_back(i);
      continue;
    }
    if (!have_last || s != last_text) {
      last_text.assign(s);
      last = convert(s);
      have_last = true;
    }
    if (last) {
      out[i] = *last;
    } else {
      at(i, bad(std::string(s)));
      out[i] = missing;
    }
  }
}

}  // namespace

void read_levels(const cell_scope& at, const column_view& v, std::size_t rows, std::int32_t* out, const measure& me) {
  read_by_text<std::int32_t>(
      at, v, rows, out, -1,
      [&](std::string_view s) -> std::optional<std::int32_t> {
        for (std::size_t k = 0; k < me.levels.size(); ++k)
          if (me.levels[k] == s) return static_cast<std::int32_t>(k);
        return std::nullopt;
      },
      [&](const std::string& s) { return level_message(me, s); });
}

void read_status(const cell_scope& at, const column_view& v, std::size_t rows, operator_status* out, const catalogue& codes) {
  std::vector<std::size_t> empty_rows;
  read_by_text<operator_status>(
      at, v, rows, out, operator_status::active,
      [&](std::string_view s) {
        const status_info* known = codes.lookup_status(s);  // a code or a Chinese name (运营中 …)
        return parse_status(known ? known->code : std::string(s));
      },
      [](const std::string& s) { return "unknown status " + quote_cell(s) + " (active, suspending, suspended, terminated)"; },
      &empty_rows);
  // an empty status is not "active": it is an error like any unknown text (reported after the
  // chunk's unknown texts, as before; the rows come from the one pass above)
  for (const std::size_t i : empty_rows) at(i, "unknown status \"\" (active, suspending, suspended, terminated)");
}

void read_grades(const cell_scope& at, const column_view& v, std::size_t rows, std::int8_t* out) {
  read_by_text<std::int8_t>(
      at, v, rows, out, -1,
      [](std::string_view s) -> std::optional<std::int8_t> {
        const auto g = parse_grade(s);
        if (!g) return std::nullopt;
        return static_cast<std::int8_t>(level(*g));
      },
      [](const std::string& s) { return quote_cell(s) + " is not a grade (5A..1A, unrated, or empty)"; });
}

void read_texts(const column_view& v, std::size_t rows, std::string* out) {
  if (v.type == column_type::text) {
    for (std::size_t i = 0; i < rows; ++i) out[i].assign(v.missing_mask(i) ? std::string_view() : trim_cell(v.cell(i)));
    return;
  }
  for (std::size_t i = 0; i < rows; ++i) out[i] = cell_text(v, i);
}

// ---------------------------------------------------------------------------------------------
// scenarios

std::uint32_t scenario_builder::intern(const cell_scope& at, std::size_t i, std::string_view text, bool& clean) {
  // the full-width separators of Chinese text ("；", "、") separate scenarios as ";" does
  std::string local;
  if (text.find("\xEF\xBC\x9B") != std::string_view::npos || text.find("\xE3\x80\x81") != std::string_view::npos) {
    local.assign(text);
    for (const char* sep : {"\xEF\xBC\x9B", "\xE3\x80\x81"})
      for (std::size_t p = local.find(sep); p != std::string::npos; p = local.find(sep, p + 1)) local.replace(p, 3, ";");
    text = local;
  }
  std::vector<std::int32_t> set;
  const std::size_t before = at.fail.problem_count();
  std::size_t a = 0;
  while (a <= text.size()) {
    std::size_t b = a;
    while (b < text.size() && text[b] != ';' && text[b] != '|') ++b;
    const std::string_view code = trim_cell(text.substr(a, b - a));
    if (!code.empty()) {
      // a code or a catalogue name (养老服务 …), kept as its code
      const scenario* known = codes_.find_scenario(std::string(code));
      if (known == nullptr) known = codes_.lookup_scenario(code);
      std::int32_t k = -1;
      if (known != nullptr)
        for (std::size_t l = 0; l < levels_.size(); ++l)
          if (levels_[l] == known->code) k = static_cast<std::int32_t>(l);
      if (known == nullptr) {
        at(i, "unknown scenario " + quote_cell(code) + " (not in the scenario catalogue, catalogue/scenarios.csv)");
      } else if (k >= 0 && std::find(set.begin(), set.end(), k) != set.end()) {
        at(i, "scenario " + quote_cell(code) + " listed twice");
      } else {
        if (k < 0) {
          k = static_cast<std::int32_t>(levels_.size());
          levels_.push_back(known->code);
        }
        set.push_back(k);
      }
    }
    a = b + 1;
  }
  clean = at.fail.problem_count() == before;
  sets_.push_back(std::move(set));
  return static_cast<std::uint32_t>(sets_.size() - 1);
}

void scenario_builder::read(const cell_scope& at, const column_view& v, std::size_t rows, std::uint32_t* out) {
  const missing_test missing(v);
  if (sets_.empty()) sets_.emplace_back();  // set 0: no scenario
  bool clean = true;
  if (v.type == column_type::categorical) {
    std::vector<std::int64_t> level_set(v.level_count, -1);
    for (std::size_t i = 0; i < rows; ++i) {
      if (missing(i)) {
        out[i] = 0;
        continue;
      }
      auto& k = level_set[static_cast<std::size_t>(v.code(i))];
      if (k >= 0) {
        out[i] = static_cast<std::uint32_t>(k);
        continue;
      }
      out[i] = intern(at, i, v.levels[static_cast<std::size_t>(v.code(i))], clean);
      if (clean) k = out[i];
    }
    return;
  }
  for (std::size_t i = 0; i < rows; ++i) {
    if (missing(i)) {
      out[i] = 0;
      continue;
    }
    if (v.type != column_type::text) {
      at(i, "scenarios are 'code;code' text, got " + quote_cell(cell_text(v, i)));
      out[i] = 0;
      continue;
    }
    const std::string_view text = v.cell(i);
    const auto it = memo_.find(text);
    if (it != memo_.end()) {
      out[i] = it->second;
      continue;
    }
    out[i] = intern(at, i, text, clean);
    if (clean && memo_.size() < (std::size_t{1} << 16)) memo_.emplace(memo_keys_.emplace_back(text), out[i]);
  }
}

void scenario_builder::finish(const std::vector<std::uint32_t>& row_sets, std::vector<std::uint32_t>& offsets,
                              std::vector<std::int32_t>& codes, std::vector<std::string>& levels) const {
  // levels in order of first appearance over the rows, as the dataset numbers them
  std::vector<std::int32_t> remap(levels_.size(), -1);
  offsets.assign(1, 0);
  offsets.reserve(row_sets.size() + 1);
  codes.clear();
  levels.clear();
  for (const std::uint32_t s : row_sets) {
    for (const std::int32_t k : sets_.empty() ? std::vector<std::int32_t>{} : sets_[s]) {
      auto& r = remap[static_cast<std::size_t>(k)];
      if (r < 0) {
        r = static_cast<std::int32_t>(levels.size());
        levels.push_back(levels_[static_cast<std::size_t>(k)]);
      }
      codes.push_back(r);
    }
    offsets.push_back(static_cast<std::uint32_t>(codes.size()));
  }
}

}  // namespace embedrating::detail
