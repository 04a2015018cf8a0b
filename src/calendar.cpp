/// \file calendar.cpp
/// Working-day calendars for the 好差评 rectification deadlines (calendar.hpp).
///
/// A bounded calendar keeps one bit per covered day (1 = working day) and, per 64-day word, the
/// number of working days before it, so is_working_day is one bit test, working_days_between two
/// rank look-ups and add_working_days a binary search over the ranks.
#include "embedrating/calendar.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "csv.hpp"
#include "embedrating/detail/sha256.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/model.hpp"

namespace embedrating {
namespace {

constexpr const char* weekday_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};

bool is_weekend(civil_date d) noexcept { return weekday(d) >= 5; }

int popcount64(std::uint64_t x) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_popcountll(x);
#else
  int n = 0;
  for (; x != 0; x &= x - 1) ++n;
  return n;
#endif
}

error_location entry_location(const char* list, std::size_t index) {
  error_location where;
  where.field = std::string(list) + "[" + std::to_string(index) + "]";
  return where;
}

/// Mon–Fri days in [monday0, monday0 + y) where monday0 is any Monday and y may be negative
/// (then minus the count in [monday0 + y, monday0)).
std::int64_t weekdays_from_monday(std::int64_t y) noexcept {
  const std::int64_t q = (y >= 0 ? y : y - 6) / 7;  // floor(y / 7)
  const std::int64_t r = y - 7 * q;                 // 0..6
  return 5 * q + std::min<std::int64_t>(r, 5);
}

/// Mon–Fri days in (from, to] for from <= to (1970-01-05 was a Monday).
std::int64_t weekdays_between(civil_date from, civil_date to) noexcept {
  constexpr std::int64_t monday = 4;
  return weekdays_from_monday(std::int64_t{to.days()} + 1 - monday) -
         weekdays_from_monday(std::int64_t{from.days()} + 1 - monday);
}

void require_date(civil_date d, const char* what) {
  if (d.is_missing()) throw data_error(std::string("missing date (") + what + ")");
}

}  // namespace

holiday_calendar::holiday_calendar(std::vector<civil_date> days_off,
                                   std::vector<civil_date> make_up_workdays, int first_year,
                                   int last_year) {
  if (first_year < 0 || last_year > 9999 || first_year > last_year) {
    throw data_error("invalid year range " + std::to_string(first_year) + ".." +
                     std::to_string(last_year) + " (need 0 <= first_year <= last_year <= 9999)");
  }
  from_ = make_date(first_year, 1, 1);
  to_ = make_date(last_year, 12, 31);
  const std::string range = to_string(from_) + ".." + to_string(to_);

  // Validate: present, inside the years, listed once, make-up workdays on weekends.
  std::map<std::int32_t, std::string> seen;  // day -> "days_off[i]" / "make_up_workdays[i]"
  auto check = [&](const std::vector<civil_date>& list, const char* name, bool workday) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const civil_date d = list[i];
      const error_location where = entry_location(name, i);
      if (d.is_missing()) throw data_error(where, "missing date");
      if (d < from_ || d > to_) {
        throw data_error(where, to_string(d) + " is outside the calendar's years " + range);
      }
      if (workday && !is_weekend(d)) {
        throw data_error(where, to_string(d) + " is a " + weekday_names[weekday(d)] +
                                    ": a make-up workday must fall on a weekend");
      }
      const auto [it, inserted] = seen.emplace(d.days(), where.field);
      if (!inserted) {
        throw data_error(where, "duplicate date " + to_string(d) + " (also " + it->second + ")");
      }
    }
  };
  check(days_off, "days_off", false);
  check(make_up_workdays, "make_up_workdays", true);

  const std::int64_t days = std::int64_t{to_.days()} - from_.days() + 1;
  const std::size_t words = static_cast<std::size_t>(days / 64) + 1;  // +1: working_before(days)
  bits_.assign(words, 0);
  auto set = [&](civil_date d, bool on) {
    const auto i = static_cast<std::uint64_t>(std::int64_t{d.days()} - from_.days());
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    if (on) {
      bits_[i / 64] |= bit;
    } else {
      bits_[i / 64] &= ~bit;
    }
  };
  for (std::int32_t d = from_.days(); d <= to_.days(); ++d) {
    if (!is_weekend(civil_date(d))) set(civil_date(d), true);
  }
  for (const civil_date d : days_off) set(d, false);
  for (const civil_date d : make_up_workdays) set(d, true);
  rank_.assign(words, 0);
  std::uint32_t total = 0;
  for (std::size_t w = 0; w < words; ++w) {
    rank_[w] = total;
    total += static_cast<std::uint32_t>(popcount64(bits_[w]));
  }
  bounded_ = true;
}

holiday_calendar holiday_calendar::load(const std::string& csv_path, const std::string& encoding) {
  const detail::csv_table t = detail::read_csv_file(csv_path, encoding);
  auto at = [&](std::size_t row, std::size_t col) {
    error_location where;
    where.file = t.source;
    where.line = t.row_lines[row];
    where.column = static_cast<std::uint32_t>(col + 1);
    where.field = t.header[col];
    return where;
  };
  auto require = [&](const char* name) {
    const std::size_t i = detail::column_index(t, name);
    if (i == std::string::npos) {
      error_location where;
      where.file = t.source;
      where.line = t.header_line;
      throw data_error(where, std::string("missing required column '") + name + "'");
    }
    return i;
  };
  const std::size_t date_col = require("date"), kind_col = require("kind");
  if (t.rows.empty()) {
    error_location where;
    where.file = t.source;
    throw data_error(where, "no entries (the file has only a header)");
  }

  std::vector<civil_date> off, work;
  std::map<std::int32_t, std::uint32_t> first_line;  // day -> line where it is listed
  std::map<int, std::uint32_t> years;                // year -> first line listing it
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string_view date_text = detail::trim(t.rows[r][date_col]);
    const std::optional<civil_date> d = parse_date(date_text);
    if (!d) {
      throw data_error(at(r, date_col),
                       "'" + std::string(date_text) + "' is not a date (expected YYYY-MM-DD)");
    }
    const std::string_view kind = detail::trim(t.rows[r][kind_col]);
    if (kind != "off" && kind != "workday") {
      throw data_error(at(r, kind_col),
                       "unknown kind '" + std::string(kind) + "' (expected off or workday)");
    }
    const bool workday = kind == "workday";
    if (workday && !is_weekend(*d)) {
      throw data_error(at(r, date_col), to_string(*d) + " is a " + weekday_names[weekday(*d)] +
                                            ": a make-up workday must fall on a weekend");
    }
    const auto [it, inserted] = first_line.emplace(d->days(), t.row_lines[r]);
    if (!inserted) {
      throw data_error(at(r, date_col), "duplicate date " + to_string(*d) +
                                            " (first listed at line " +
                                            std::to_string(it->second) + ")");
    }
    years.emplace(to_ymd(*d).year, t.row_lines[r]);
    (workday ? work : off).push_back(*d);
  }
  const int first_year = years.begin()->first, last_year = years.rbegin()->first;
  for (int y = first_year; y <= last_year; ++y) {
    if (years.count(y) == 0) {
      error_location where;
      where.file = t.source;
      throw data_error(where, "no entries for " + std::to_string(y) + ", between " +
                                  std::to_string(first_year) + " and " +
                                  std::to_string(last_year) +
                                  " (every year of the calendar needs its official holiday "
                                  "notice; a year without any holiday is a missing notice)");
    }
  }
  return holiday_calendar(std::move(off), std::move(work), first_year, last_year);
}

holiday_calendar holiday_calendar::china() {
  return load(data_directory() + "/calendars/cn-public-holidays-2024-2026.csv");
}

std::int64_t holiday_calendar::working_before(std::int64_t i) const noexcept {
  const auto w = static_cast<std::size_t>(i / 64);
  const std::uint64_t mask = (std::uint64_t{1} << (i % 64)) - 1;
  return std::int64_t{rank_[w]} + popcount64(bits_[w] & mask);
}

void holiday_calendar::outside(const std::string& what) const {
  throw data_error("the holiday calendar covers " + to_string(from_) + ".." + to_string(to_) +
                   "; " + what);
}

bool holiday_calendar::is_working_day(civil_date d) const {
  require_date(d, "is_working_day");
  if (!bounded_) return !is_weekend(d);
  if (d < from_ || d > to_) outside("cannot tell whether " + to_string(d) + " is a working day");
  const auto i = static_cast<std::uint64_t>(std::int64_t{d.days()} - from_.days());
  return ((bits_[i / 64] >> (i % 64)) & 1u) != 0;
}

civil_date holiday_calendar::add_working_days(civil_date from, int n) const {
  require_date(from, "add_working_days");
  if (n < 0) {
    throw data_error("the number of working days must be >= 0, got " + std::to_string(n));
  }
  if (n == 0) return from;

  if (!bounded_) {
    // Any 7 consecutive days hold 5 weekdays: jump whole weeks, then walk the last 1..5.
    std::int64_t weeks = n / 5, rest = n % 5;
    if (rest == 0) {
      --weeks;
      rest = 5;
    }
    std::int64_t d = std::int64_t{from.days()} + 7 * weeks;
    while (rest > 0) {
      ++d;
      if (d > std::numeric_limits<std::int32_t>::max()) {
        throw data_error(std::to_string(n) + " working days after " + to_string(from) +
                         " is past the last representable date");
      }
      if (!is_weekend(civil_date(static_cast<std::int32_t>(d)))) --rest;
    }
    return civil_date(static_cast<std::int32_t>(d));
  }

  const std::int64_t days = std::int64_t{to_.days()} - from_.days() + 1;
  const std::int64_t start = std::int64_t{from.days()} + 1 - from_.days();  // index of from + 1
  if (start < 0) {
    outside("cannot count working days after " + to_string(from) + " (the days before " +
            to_string(from_) + " are not covered)");
  }
  const std::int64_t before = working_before(std::min(start, days));
  const std::int64_t available = working_before(days) - before;
  if (available < n) {
    outside("cannot count " + std::to_string(n) + (n == 1 ? " working day" : " working days") +
            " after " + to_string(from) +
            ": only " + std::to_string(available) + " fall on or before " + to_string(to_) +
            " (the calendar needs the official holiday notice for " +
            std::to_string(to_ymd(to_).year + 1) + ")");
  }
  // The smallest index i with working_before(i + 1) >= before + n: the n-th working day.
  std::int64_t lo = start, hi = days - 1;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (working_before(mid + 1) >= before + n) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return civil_date(static_cast<std::int32_t>(from_.days() + lo));
}

int holiday_calendar::working_days_between(civil_date from, civil_date to) const {
  require_date(from, "working_days_between");
  require_date(to, "working_days_between");
  if (from == to) return 0;
  const bool reversed = to < from;
  const civil_date lo = reversed ? to : from, hi = reversed ? from : to;
  std::int64_t count = 0;
  if (!bounded_) {
    count = weekdays_between(lo, hi);
  } else {
    if (std::int64_t{lo.days()} + 1 < from_.days() || hi > to_) {
      outside("cannot count working days between " + to_string(lo) + " and " + to_string(hi));
    }
    count = working_before(std::int64_t{hi.days()} + 1 - from_.days()) -
            working_before(std::int64_t{lo.days()} + 1 - from_.days());
  }
  if (count > std::numeric_limits<int>::max()) {  // only weekdays-only, across millions of years
    throw data_error("too many working days between " + to_string(lo) + " and " + to_string(hi) +
                     " for an int");
  }
  return static_cast<int>(reversed ? -count : count);
}

std::string holiday_calendar::fingerprint() const {
  std::string text = "embedrating holiday calendar v1\n";
  if (!bounded_) {
    text += "weekdays only\n";
  } else {
    text += "covers " + to_string(from_) + " " + to_string(to_) + "\n";
    for (std::int32_t d = from_.days(); d <= to_.days(); ++d) {
      const civil_date day(d);
      const bool working = is_working_day(day);
      if (working == !is_weekend(day)) continue;  // as the Mon–Fri rule says
      text += to_string(day) + (working ? " workday\n" : " off\n");
    }
  }
  return detail::sha256_hex(text);
}

}  // namespace embedrating
