#pragma once
/// \file calendar.hpp
/// Working days for the 好差评 rectification deadlines (SPEC §2, §5): a bad review must be
/// rectified within a number of working days (commonly 15), counted on the official Chinese
/// calendar — Monday to Friday, minus the public holidays, plus the make-up working days (调休)
/// that the State Council's yearly notice (国办发明电) puts on some Saturdays and Sundays.
///
/// A calendar built from a file covers whole years: the first to the last year listed. Every
/// question about a day outside that range throws data_error naming the day and the covered range,
/// so a deadline is never computed silently without the official notice for its year. A
/// default-constructed calendar is "weekdays only" (Monday to Friday, no holidays, no limit), for
/// tests and for places without an official calendar.
///
/// Calendars are immutable once built, cheap to copy and safe to share between threads.
#include <cstdint>
#include <string>
#include <vector>

#include "date.hpp"

namespace embedrating {

class holiday_calendar {
 public:
  /// Weekdays only: Monday to Friday are working days, Saturday and Sunday are not, every date
  /// is covered (bounded() is false). For tests and places without an official calendar.
  holiday_calendar() = default;

  /// The official calendar of the years first_year..last_year (whole years). `days_off` are the
  /// public holidays (a day off on a weekend is accepted and changes nothing); `make_up_workdays`
  /// are the Saturdays and Sundays worked instead (调休). Throws data_error when first_year >
  /// last_year or a year is outside 0..9999, when a date is missing, outside the years, listed
  /// twice (in either list), or when a make-up workday falls on Monday to Friday. Errors name the
  /// entry as `days_off[i]` / `make_up_workdays[i]`.
  holiday_calendar(std::vector<civil_date> days_off, std::vector<civil_date> make_up_workdays,
                   int first_year, int last_year);

  /// Reads a calendar CSV (UTF-8 with or without BOM, or GB18030; see `encoding` in csv.hpp).
  /// Required columns: `date` (YYYY-MM-DD, or YYYY/MM/DD as parse_date reads) and `kind`
  /// (`off` | `workday`); other columns (name_zh, name_en, source, …) are documentation and
  /// ignored; rows may come in any order; spaces around a value are ignored. Coverage is
  /// the first to the last year listed, and every year in between must have at least one row
  /// (a year without a single holiday is a missing notice, not a real year). Errors are
  /// data_error with "file:line:column: field: " in front — the column being the 1-based field
  /// number, as in the dataset readers: missing column, no rows, bad date, unknown kind,
  /// duplicate date, a make-up workday on Monday to Friday, a year without rows.
  static holiday_calendar load(const std::string& csv_path, const std::string& encoding = "auto");

  /// The shipped, verified calendar of mainland China 2024–2026:
  /// data_directory() + "/calendars/cn-public-holidays-2024-2026.csv".
  static holiday_calendar china();

  /// Monday to Friday unless a day off; Saturday and Sunday only when a make-up workday.
  /// Throws data_error for a missing date or a day outside the coverage.
  bool is_working_day(civil_date d) const;

  /// The n-th working day after `from` (`from` itself is day 0, whether or not it is a working
  /// day), n >= 0: add_working_days(from, 0) == from, and for n >= 1 the result is a working day
  /// with exactly n working days in (from, result]. Only the days in (from, result] are looked at,
  /// so `from` may be the day before the coverage starts. Throws data_error when n < 0, a date is
  /// missing, or the count would need a day outside the coverage.
  civil_date add_working_days(civil_date from, int n) const;

  /// The number of working days in (from, to]; when `to` is before `from`, minus the number in
  /// (to, from]. So working_days_between(from, add_working_days(from, n)) == n, and
  /// between(a, b) + between(b, c) == between(a, c). Only the days in that interval are looked at.
  /// Throws data_error for a missing date or an interval reaching outside the coverage.
  int working_days_between(civil_date from, civil_date to) const;

  /// False for the weekdays-only calendar (default-constructed), which covers every date.
  bool bounded() const noexcept { return bounded_; }
  /// First day covered (1 January of the first year); civil_date::missing() when !bounded().
  civil_date covered_from() const noexcept { return bounded_ ? from_ : civil_date::missing(); }
  /// Last day covered (31 December of the last year); civil_date::missing() when !bounded().
  civil_date covered_to() const noexcept { return bounded_ ? to_ : civil_date::missing(); }

  /// Lower-case hex SHA-256 of the canonical encoding of the calendar's meaning (which days are
  /// working days), so the listing order, names, sources, encoding and days off that fall on a
  /// weekend do not change it. The encoding is UTF-8 text, lines ending in '\n':
  ///
  ///     embedrating holiday calendar v1
  ///     covers YYYY-MM-DD YYYY-MM-DD          (first and last day covered)
  ///     YYYY-MM-DD off                        (each Monday–Friday day off, …
  ///     YYYY-MM-DD workday                    …  and each make-up workday, in date order)
  ///
  /// and, for the weekdays-only calendar, the two lines
  /// "embedrating holiday calendar v1\nweekdays only\n".
  std::string fingerprint() const;

 private:
  /// Working days among the covered days with index < i (index 0 = covered_from), 0 <= i <= days.
  std::int64_t working_before(std::int64_t i) const noexcept;
  [[noreturn]] void outside(const std::string& what) const;

  bool bounded_ = false;
  civil_date from_{};
  civil_date to_{};
  std::vector<std::uint64_t> bits_;   ///< bit i: covered day from_ + i is a working day
  std::vector<std::uint32_t> rank_;   ///< working days in the words before word w
};

}  // namespace embedrating
