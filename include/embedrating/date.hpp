#pragma once
/// \file date.hpp
/// Civil dates in China Standard Time (UTC+8) and calendar-month arithmetic.
///
/// A `civil_date` is a day count since 1970-01-01 in the proleptic Gregorian calendar. Rating
/// never reads the clock: every function that needs "today" takes it as an argument.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace embedrating {

struct year_month_day {
  int year;
  unsigned month;  ///< 1..12
  unsigned day;    ///< 1..31
};

/// A calendar day (UTC+8). `missing()` is a distinct value used in date columns.
class civil_date {
 public:
  constexpr civil_date() noexcept = default;
  constexpr explicit civil_date(std::int32_t days_since_epoch) noexcept : days_(days_since_epoch) {}

  static constexpr civil_date missing() noexcept {
    return civil_date(std::numeric_limits<std::int32_t>::min());
  }
  constexpr bool is_missing() const noexcept {
    return days_ == std::numeric_limits<std::int32_t>::min();
  }
  constexpr std::int32_t days() const noexcept { return days_; }

  friend constexpr bool operator==(civil_date a, civil_date b) noexcept { return a.days_ == b.days_; }
  friend constexpr bool operator!=(civil_date a, civil_date b) noexcept { return a.days_ != b.days_; }
  friend constexpr bool operator<(civil_date a, civil_date b) noexcept { return a.days_ < b.days_; }
  friend constexpr bool operator<=(civil_date a, civil_date b) noexcept { return a.days_ <= b.days_; }
  friend constexpr bool operator>(civil_date a, civil_date b) noexcept { return a.days_ > b.days_; }
  friend constexpr bool operator>=(civil_date a, civil_date b) noexcept { return a.days_ >= b.days_; }

 private:
  std::int32_t days_ = 0;
};

namespace detail {
constexpr bool is_leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
constexpr unsigned days_in_month(int y, unsigned m) noexcept {
  constexpr unsigned table[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && is_leap(y)) ? 29u : table[m - 1];
}
}  // namespace detail

/// Days since 1970-01-01 for a valid year/month/day (era-based algorithm, exact for all years).
constexpr civil_date make_date(int y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = m > 2 ? m - 3 : m + 9;
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return civil_date(static_cast<std::int32_t>(era * 146097 + static_cast<int>(doe) - 719468));
}

/// The year/month/day of a (non-missing) date.
constexpr year_month_day to_ymd(civil_date date) noexcept {
  const int z = date.days() + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int y = static_cast<int>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  return {y, m, d};
}

/// Monday = 0 … Sunday = 6.
constexpr unsigned weekday(civil_date date) noexcept {
  const int w = (date.days() + 3) % 7;  // 1970-01-01 was a Thursday
  return static_cast<unsigned>(w < 0 ? w + 7 : w);
}

/// `date` plus `months` calendar months; the day is clamped to the end of a shorter month
/// (2024-01-31 + 1 month = 2024-02-29).
constexpr civil_date add_months(civil_date date, int months) noexcept {
  const year_month_day ymd = to_ymd(date);
  const int total = ymd.year * 12 + static_cast<int>(ymd.month) - 1 + months;
  const int y = (total >= 0 ? total : total - 11) / 12;
  const unsigned m = static_cast<unsigned>(total - y * 12) + 1;
  const unsigned dim = detail::days_in_month(y, m);
  return make_date(y, m, ymd.day < dim ? ymd.day : dim);
}

/// Whole calendar months from `from` to `to`: the largest m with add_months(from, m) <= to
/// (negative when `to` is before `from`). This is the measure behind `months_since.<date>`:
/// "months_since(d) < N" holds exactly while as_of < add_months(d, N), for every N.
constexpr int months_between(civil_date from, civil_date to) noexcept {
  const year_month_day a = to_ymd(from), b = to_ymd(to);
  const int m = (b.year - a.year) * 12 + static_cast<int>(b.month) - static_cast<int>(a.month);
  // add_months(from, m) falls in to's month on day min(a.day, days in that month): one month
  // less when that day is after to's day (and the month before is always earlier than `to`).
  const unsigned dim = detail::days_in_month(b.year, b.month);
  return m - ((a.day < dim ? a.day : dim) > b.day ? 1 : 0);
}

/// Strict "YYYY-MM-DD" (also accepts "YYYY/MM/DD"); nullopt when malformed or not a real day.
inline std::optional<civil_date> parse_date(std::string_view s) noexcept {
  if (s.size() != 10) return std::nullopt;
  const char sep = s[4];
  if ((sep != '-' && sep != '/') || s[7] != sep) return std::nullopt;
  auto digits = [&](std::size_t pos, std::size_t len, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
  if (m < 1 || m > 12 || d < 1) return std::nullopt;
  if (static_cast<unsigned>(d) > detail::days_in_month(y, static_cast<unsigned>(m))) return std::nullopt;
  return make_date(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

/// "YYYY-MM-DD", or "" for a missing date. Years outside 0000..9999 are written in full with a
/// sign, as ISO 8601's expanded form does ("+10002-03-31", "-0001-12-31"), never cut to four digits.
inline std::string to_string(civil_date date) {
  if (date.is_missing()) return {};
  const year_month_day ymd = to_ymd(date);
  char buf[16];
  const int y = ymd.year;
  if (y < 0 || y > 9999) {
    std::string out = (y < 0 ? "-" : "+");
    const std::string digits = std::to_string(y < 0 ? -static_cast<long long>(y) : static_cast<long long>(y));
    out += std::string(digits.size() < 4 ? 4 - digits.size() : 0, '0') + digits;
    buf[0] = '-';
    buf[1] = static_cast<char>('0' + ymd.month / 10);
    buf[2] = static_cast<char>('0' + ymd.month % 10);
    buf[3] = '-';
    buf[4] = static_cast<char>('0' + ymd.day / 10);
    buf[5] = static_cast<char>('0' + ymd.day % 10);
    return out + std::string(buf, 6);
  }
  buf[0] = static_cast<char>('0' + (y / 1000) % 10);
  buf[1] = static_cast<char>('0' + (y / 100) % 10);
  buf[2] = static_cast<char>('0' + (y / 10) % 10);
  buf[3] = static_cast<char>('0' + y % 10);
  buf[4] = '-';
  buf[5] = static_cast<char>('0' + ymd.month / 10);
  buf[6] = static_cast<char>('0' + ymd.month % 10);
  buf[7] = '-';
  buf[8] = static_cast<char>('0' + ymd.day / 10);
  buf[9] = static_cast<char>('0' + ymd.day % 10);
  return std::string(buf, 10);
}

/// The civil date in China Standard Time (UTC+8, no daylight saving) of a Unix time in seconds.
constexpr civil_date cst_date_from_unix(std::int64_t unix_seconds) noexcept {
  const std::int64_t local = unix_seconds + 8 * 3600;
  const std::int64_t days = (local >= 0 ? local : local - 86399) / 86400;
  return civil_date(static_cast<std::int32_t>(days));
}

}  // namespace embedrating
