// Tests of include/embedrating/date.hpp: civil dates (days since 1970-01-01, UTC+8), calendar-month
// arithmetic, parsing and the Unix-time conversion.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "embedrating/date.hpp"

namespace {

using embedrating::add_months;
using embedrating::civil_date;
using embedrating::cst_date_from_unix;
using embedrating::make_date;
using embedrating::months_between;
using embedrating::parse_date;
using embedrating::to_ymd;
using embedrating::weekday;

void expect_ymd(civil_date d, int y, unsigned m, unsigned day) {
  const auto ymd = to_ymd(d);
  EXPECT_EQ(ymd.year, y) << "days=" << d.days();
  EXPECT_EQ(ymd.month, m) << "days=" << d.days();
  EXPECT_EQ(ymd.day, day) << "days=" << d.days();
}

civil_date ymd(int y, unsigned m, unsigned d) { return make_date(y, m, d); }

}  // namespace

TEST(date, epoch_is_day_zero) {
  EXPECT_EQ(make_date(1970, 1, 1).days(), 0);
  EXPECT_EQ(make_date(1970, 1, 2).days(), 1);
  EXPECT_EQ(make_date(1969, 12, 31).days(), -1);
  expect_ymd(civil_date(0), 1970, 1, 1);
  expect_ymd(civil_date(-1), 1969, 12, 31);
}

TEST(date, known_day_counts) {
  // 2000-01-01 is day 10957; 2024-01-01 is day 19723 (1704067200 s / 86400).
  EXPECT_EQ(make_date(2000, 1, 1).days(), 10957);
  EXPECT_EQ(make_date(2024, 1, 1).days(), 19723);
  // 2100 is not a leap year: 2100-03-01 follows 2100-02-28 directly.
  EXPECT_EQ(make_date(2100, 3, 1).days() - make_date(2100, 2, 28).days(), 1);
  // 2000 is a leap year (divisible by 400), 2024 too.
  EXPECT_EQ(make_date(2000, 3, 1).days() - make_date(2000, 2, 28).days(), 2);
  EXPECT_EQ(make_date(2024, 3, 1).days() - make_date(2024, 2, 28).days(), 2);
}

TEST(date, round_trip_special_days) {
  const struct {
    int y;
    unsigned m, d;
  } cases[] = {{1970, 1, 1},  {1969, 12, 31}, {2000, 2, 29}, {2024, 2, 29}, {2100, 2, 28},
               {2100, 3, 1},  {1900, 2, 28},  {1900, 3, 1},  {2400, 2, 29}, {1600, 2, 29},
               {2023, 12, 31}, {2024, 12, 31}, {9999, 12, 31}, {1, 1, 1}};
  for (const auto& c : cases) {
    const civil_date d = make_date(c.y, c.m, c.d);
    expect_ymd(d, c.y, c.m, c.d);
  }
}

TEST(date, round_trip_every_day_over_centuries) {
  // Every day from 1899-01-01 to 2101-12-31 maps to consecutive day numbers and back.
  std::int32_t expected = make_date(1899, 1, 1).days();
  for (int y = 1899; y <= 2101; ++y) {
    for (unsigned m = 1; m <= 12; ++m) {
      const unsigned dim = embedrating::detail::days_in_month(y, m);
      for (unsigned d = 1; d <= dim; ++d) {
        const civil_date c = make_date(y, m, d);
        ASSERT_EQ(c.days(), expected) << y << "-" << m << "-" << d;
        const auto back = to_ymd(c);
        ASSERT_EQ(back.year, y);
        ASSERT_EQ(back.month, m);
        ASSERT_EQ(back.day, d);
        ++expected;
      }
    }
  }
}

TEST(date, leap_year_rule) {
  EXPECT_TRUE(embedrating::detail::is_leap(2024));
  EXPECT_TRUE(embedrating::detail::is_leap(2000));
  EXPECT_FALSE(embedrating::detail::is_leap(2100));
  EXPECT_FALSE(embedrating::detail::is_leap(1900));
  EXPECT_FALSE(embedrating::detail::is_leap(2023));
  EXPECT_EQ(embedrating::detail::days_in_month(2024, 2), 29u);
  EXPECT_EQ(embedrating::detail::days_in_month(2023, 2), 28u);
  EXPECT_EQ(embedrating::detail::days_in_month(2100, 2), 28u);
  EXPECT_EQ(embedrating::detail::days_in_month(2024, 4), 30u);
  EXPECT_EQ(embedrating::detail::days_in_month(2024, 12), 31u);
}

TEST(date, weekday_monday_is_zero) {
  EXPECT_EQ(weekday(make_date(1970, 1, 1)), 3u);   // Thursday
  EXPECT_EQ(weekday(make_date(2024, 1, 1)), 0u);   // Monday
  EXPECT_EQ(weekday(make_date(2024, 8, 23)), 4u);  // Friday (the measures were issued)
  EXPECT_EQ(weekday(make_date(2024, 9, 1)), 6u);   // Sunday
  EXPECT_EQ(weekday(make_date(1969, 12, 28)), 6u); // Sunday, before the epoch
  EXPECT_EQ(weekday(make_date(1969, 12, 29)), 0u); // Monday, before the epoch
  // Consecutive days cycle through 0..6.
  for (std::int32_t d = -20; d < 20; ++d) {
    EXPECT_EQ((weekday(civil_date(d)) + 1) % 7, weekday(civil_date(d + 1))) << d;
    EXPECT_LT(weekday(civil_date(d)), 7u);
  }
}

TEST(date, missing_is_distinct) {
  EXPECT_TRUE(civil_date::missing().is_missing());
  EXPECT_FALSE(make_date(1970, 1, 1).is_missing());
  EXPECT_NE(civil_date::missing(), make_date(1970, 1, 1));
  EXPECT_EQ(embedrating::to_string(civil_date::missing()), "");
}

TEST(date, to_string_formats_iso) {
  EXPECT_EQ(embedrating::to_string(make_date(2024, 2, 29)), "2024-02-29");
  EXPECT_EQ(embedrating::to_string(make_date(1970, 1, 1)), "1970-01-01");
  EXPECT_EQ(embedrating::to_string(make_date(2100, 12, 31)), "2100-12-31");
  EXPECT_EQ(embedrating::to_string(make_date(987, 6, 5)), "0987-06-05");
}

TEST(date, add_months_clamps_to_end_of_month) {
  EXPECT_EQ(add_months(ymd(2024, 1, 31), 1), ymd(2024, 2, 29));
  EXPECT_EQ(add_months(ymd(2023, 1, 31), 1), ymd(2023, 2, 28));
  EXPECT_EQ(add_months(ymd(2100, 1, 31), 1), ymd(2100, 2, 28));
  EXPECT_EQ(add_months(ymd(2000, 1, 31), 1), ymd(2000, 2, 29));
  EXPECT_EQ(add_months(ymd(2024, 3, 31), 1), ymd(2024, 4, 30));
  EXPECT_EQ(add_months(ymd(2024, 2, 29), 12), ymd(2025, 2, 28));
  EXPECT_EQ(add_months(ymd(2024, 2, 29), 48), ymd(2028, 2, 29));
  EXPECT_EQ(add_months(ymd(2024, 3, 31), -1), ymd(2024, 2, 29));
}

TEST(date, add_months_crosses_years_both_ways) {
  EXPECT_EQ(add_months(ymd(2024, 12, 15), 1), ymd(2025, 1, 15));
  EXPECT_EQ(add_months(ymd(2024, 1, 15), -1), ymd(2023, 12, 15));
  EXPECT_EQ(add_months(ymd(2024, 1, 15), -13), ymd(2022, 12, 15));
  EXPECT_EQ(add_months(ymd(2024, 1, 15), 0), ymd(2024, 1, 15));
  EXPECT_EQ(add_months(ymd(2024, 8, 23), 24), ymd(2026, 8, 23));
  EXPECT_EQ(add_months(ymd(1970, 1, 1), -1), ymd(1969, 12, 1));
  EXPECT_EQ(add_months(ymd(1970, 1, 31), -2), ymd(1969, 11, 30));
}

TEST(date, months_between_is_the_largest_m_with_add_months_at_most_to) {
  // the closed form against its definition, for pairs in both orders and every month end
  for (std::int32_t a = 19000; a < 19800; a += 7)
    for (std::int32_t b = 18500; b < 20300; b += 29) {
      const embedrating::civil_date from(a), to(b);
      const int m = months_between(from, to);
      ASSERT_LE(embedrating::add_months(from, m), to) << a << " " << b;
      ASSERT_GT(embedrating::add_months(from, m + 1), to) << a << " " << b;
    }
}

TEST(date, months_between_exact_boundary) {
  EXPECT_EQ(months_between(ymd(2024, 1, 15), ymd(2024, 1, 15)), 0);
  EXPECT_EQ(months_between(ymd(2024, 1, 15), ymd(2024, 2, 15)), 1);
  EXPECT_EQ(months_between(ymd(2024, 1, 15), ymd(2024, 2, 14)), 0);  // one day before
  EXPECT_EQ(months_between(ymd(2024, 1, 15), ymd(2025, 1, 15)), 12);
  EXPECT_EQ(months_between(ymd(2024, 1, 15), ymd(2025, 1, 14)), 11);
  EXPECT_EQ(months_between(ymd(2023, 3, 1), ymd(2026, 3, 1)), 36);
  EXPECT_EQ(months_between(ymd(2023, 3, 1), ymd(2026, 2, 28)), 35);
}

TEST(date, months_between_end_of_month) {
  // 2024-01-31 + 1 month = 2024-02-29, so one month has passed on 2024-02-29 but not on 02-28.
  EXPECT_EQ(months_between(ymd(2024, 1, 31), ymd(2024, 2, 29)), 1);
  EXPECT_EQ(months_between(ymd(2024, 1, 31), ymd(2024, 2, 28)), 0);
  EXPECT_EQ(months_between(ymd(2023, 1, 31), ymd(2023, 2, 28)), 1);
  EXPECT_EQ(months_between(ymd(2023, 1, 31), ymd(2023, 2, 27)), 0);
  // 2024-01-31 + 2 months = 2024-03-31.
  EXPECT_EQ(months_between(ymd(2024, 1, 31), ymd(2024, 3, 30)), 1);
  EXPECT_EQ(months_between(ymd(2024, 1, 31), ymd(2024, 3, 31)), 2);
  // A leap day: 2024-02-29 + 12 months = 2025-02-28.
  EXPECT_EQ(months_between(ymd(2024, 2, 29), ymd(2025, 2, 28)), 12);
  EXPECT_EQ(months_between(ymd(2024, 2, 29), ymd(2025, 2, 27)), 11);
  // From a short month's end to a long month: 2024-04-30 + 1 = 2024-05-30.
  EXPECT_EQ(months_between(ymd(2024, 4, 30), ymd(2024, 5, 30)), 1);
  EXPECT_EQ(months_between(ymd(2024, 4, 30), ymd(2024, 5, 29)), 0);
}

TEST(date, months_between_negative_whole_months) {
  // Spans of whole months backwards: every reading of the contract gives the same numbers.
  EXPECT_EQ(months_between(ymd(2024, 2, 15), ymd(2024, 1, 15)), -1);
  EXPECT_EQ(months_between(ymd(2025, 1, 15), ymd(2024, 1, 15)), -12);
  EXPECT_EQ(months_between(ymd(2024, 2, 29), ymd(2024, 1, 31)), -1);
  EXPECT_EQ(months_between(ymd(2024, 3, 31), ymd(2023, 11, 30)), -4);
  EXPECT_LT(months_between(ymd(2030, 7, 4), ymd(1999, 12, 31)), -360);
}

TEST(date, months_between_negative_is_largest_m_with_add_months_le_to) {
  // date.hpp: "the largest m with add_months(from, m) <= to". Backwards by less than a whole
  // month, m = 0 is too large (add_months(from, 0) = from > to) and m = -1 fits.
  EXPECT_EQ(months_between(ymd(2024, 2, 15), ymd(2024, 1, 16)), -1);  // 2024-01-15 <= 01-16
  EXPECT_EQ(months_between(ymd(2024, 2, 15), ymd(2024, 2, 14)), -1);  // one day before
  EXPECT_EQ(months_between(ymd(2025, 1, 14), ymd(2024, 1, 15)), -12);  // 2024-01-14 <= 01-15
}

TEST(date, months_between_is_largest_m_with_add_months_le_to) {
  std::mt19937 rng(20240823u);
  std::uniform_int_distribution<std::int32_t> day(make_date(1995, 1, 1).days(), make_date(2035, 12, 31).days());
  for (int k = 0; k < 3000; ++k) {
    const civil_date from(day(rng));
    const civil_date to(day(rng));
    if (to < from) continue;  // backwards spans: see months_between_negative_is_largest_m_with_add_months_le_to
    const int m = months_between(from, to);
    ASSERT_GE(m, 0);
    ASSERT_LE(add_months(from, m), to) << embedrating::to_string(from) << " " << embedrating::to_string(to);
    ASSERT_GT(add_months(from, m + 1), to) << embedrating::to_string(from) << " " << embedrating::to_string(to);
  }
}

TEST(date, months_since_lt_n_iff_before_add_months) {
  // The invariant behind months_since.<date> < N and the lapse dates of time-based rules:
  // months_between(d, x) < N  <=>  x < add_months(d, N), for as_of x on or after the date d.
  std::mt19937 rng(12345u);
  std::uniform_int_distribution<std::int32_t> day(make_date(2000, 1, 1).days(), make_date(2030, 12, 31).days());
  std::uniform_int_distribution<int> months(0, 48);
  std::uniform_int_distribution<std::int32_t> near(-40, 40);
  int checked = 0;
  for (int k = 0; k < 6000; ++k) {
    const civil_date d(day(rng));
    const int n = months(rng);
    // Half of the probes near the boundary, where the off-by-one errors live.
    const civil_date x = (k % 2 == 0) ? civil_date(day(rng)) : civil_date(add_months(d, n).days() + near(rng));
    if (x < d) continue;
    ASSERT_EQ(months_between(d, x) < n, x < add_months(d, n))
        << "d=" << embedrating::to_string(d) << " x=" << embedrating::to_string(x) << " N=" << n;
    ++checked;
  }
  // End-of-month and leap-day starts, every day of the following 14 months.
  for (const civil_date d : {ymd(2024, 1, 31), ymd(2023, 1, 31), ymd(2024, 2, 29), ymd(2024, 8, 31), ymd(2099, 12, 31)}) {
    for (int n = 0; n <= 13; ++n) {
      for (std::int32_t x = d.days(); x <= d.days() + 430; ++x) {
        ASSERT_EQ(months_between(d, civil_date(x)) < n, civil_date(x) < add_months(d, n))
            << "d=" << embedrating::to_string(d) << " x=" << embedrating::to_string(civil_date(x)) << " N=" << n;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 4000);
}

TEST(date, months_since_lt_n_iff_before_add_months_for_dates_after_as_of) {
  // The same invariant when the date lies after as_of (e.g. an opening date in the future):
  // date.hpp states it without restriction, and it follows from "largest m with
  // add_months(from, m) <= to".
  std::mt19937 rng(777u);
  std::uniform_int_distribution<std::int32_t> day(make_date(2000, 1, 1).days(), make_date(2030, 12, 31).days());
  std::uniform_int_distribution<int> months(-24, 24);
  for (int k = 0; k < 3000; ++k) {
    const civil_date d(day(rng));
    const civil_date x(day(rng));
    if (!(x < d)) continue;
    const int n = months(rng);
    EXPECT_EQ(months_between(d, x) < n, x < add_months(d, n))
        << "d=" << embedrating::to_string(d) << " x=" << embedrating::to_string(x) << " N=" << n;
    if (::testing::Test::HasFailure()) break;  // one example is enough
  }
  // The smallest case: as_of one day before the date, N = 0.
  EXPECT_EQ(months_between(ymd(2024, 7, 14), ymd(2024, 7, 13)) < 0, ymd(2024, 7, 13) < add_months(ymd(2024, 7, 14), 0));
}

TEST(date, parse_date_accepts_valid) {
  ASSERT_TRUE(parse_date("2024-02-29").has_value());
  EXPECT_EQ(*parse_date("2024-02-29"), ymd(2024, 2, 29));
  EXPECT_EQ(*parse_date("1970-01-01"), ymd(1970, 1, 1));
  EXPECT_EQ(*parse_date("2100-12-31"), ymd(2100, 12, 31));
  EXPECT_EQ(*parse_date("2024/08/23"), ymd(2024, 8, 23));
}

TEST(date, parse_date_rejects_malformed) {
  for (const char* bad : {"2024-02-30", "2023-02-29", "2100-02-29", "2024-13-01", "2024-00-10", "2024-01-00",
                          "2024-04-31", "24-1-1", "2024-1-1", "2024-01-01x", " 2024-01-01", "2024-01-1 ",
                          "", "2024_01_01", "2024-01/01", "abcd-ef-gh", "2024-0a-01", "+024-01-01",
                          "-024-01-01"}) {
    EXPECT_FALSE(parse_date(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(date, parse_to_string_round_trip) {
  for (std::int32_t d = make_date(2023, 12, 1).days(); d <= make_date(2025, 3, 31).days(); ++d) {
    const civil_date c(d);
    const auto back = parse_date(embedrating::to_string(c));
    ASSERT_TRUE(back.has_value()) << embedrating::to_string(c);
    EXPECT_EQ(*back, c);
  }
}

TEST(date, cst_date_from_unix) {
  // 2024-01-01T00:00:00+08:00 is 2023-12-31T16:00:00Z = 1704038400.
  EXPECT_EQ(cst_date_from_unix(1704038400), ymd(2024, 1, 1));
  EXPECT_EQ(cst_date_from_unix(1704038400 - 1), ymd(2023, 12, 31));
  EXPECT_EQ(cst_date_from_unix(1704038400 + 86399), ymd(2024, 1, 1));
  EXPECT_EQ(cst_date_from_unix(1704038400 + 86400), ymd(2024, 1, 2));
  // The Unix epoch is 08:00 on 1970-01-01 in China; 16:00 the day before is still 1970-01-01 00:00.
  EXPECT_EQ(cst_date_from_unix(0), ymd(1970, 1, 1));
  EXPECT_EQ(cst_date_from_unix(-8 * 3600), ymd(1970, 1, 1));
  EXPECT_EQ(cst_date_from_unix(-8 * 3600 - 1), ymd(1969, 12, 31));
  EXPECT_EQ(cst_date_from_unix(16 * 3600 - 1), ymd(1970, 1, 1));
  EXPECT_EQ(cst_date_from_unix(16 * 3600), ymd(1970, 1, 2));
}
