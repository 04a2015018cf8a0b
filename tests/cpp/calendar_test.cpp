// Tests of include/embedrating/calendar.hpp: working days for the 好差评 rectification deadlines
// (SPEC §2, §5) on the official calendar of mainland China 2024–2026 (国办发明电〔2023〕7号,
// 国办发明电〔2024〕12号, the State Council notice of 2025-11-04), shipped in
// data/calendars/cn-public-holidays-2024-2026.csv.
//
// The expected dates were counted by hand on a wall calendar, day by day, as shown in each test's
// comment: "Wd" is a working day (with its running count), "off" a public holiday, "we" a plain
// weekend day, "MU" a make-up workday (调休) on a weekend.
#include "embedrating/calendar.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "embedrating/date.hpp"
#include "embedrating/detail/sha256.hpp"
#include "embedrating/errors.hpp"
#include "temp_dir.hpp"

namespace {

using embedrating::civil_date;
using embedrating::data_error;
using embedrating::holiday_calendar;
using embedrating::make_date;
using embedrating::to_string;

civil_date ymd(int y, unsigned m, unsigned d) { return make_date(y, m, d); }

const std::string shipped_csv =
    std::string(EMBEDRATING_SOURCE_DIR) + "/data/calendars/cn-public-holidays-2024-2026.csv";

const holiday_calendar& cn() {
  static const holiday_calendar c = holiday_calendar::china();
  return c;
}

/// The what() of the data_error thrown by f, or "" when nothing (or something else) is thrown.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const data_error& e) {
    return e.what();
  }
  return {};
}

/// A calendar file in a fresh temporary directory.
class calendar_file {
 public:
  explicit calendar_file(const std::string& bytes) : dir_("calendar") {
    std::ofstream out(path(), std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  std::string path() const { return dir_.file("holidays.csv"); }
  std::string load_error() const {
    return error_of([&] { holiday_calendar::load(path()); });
  }

 private:
  embedrating::test_support::temp_dir dir_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// The shipped calendar

TEST(calendar, shipped_calendar_covers_2024_to_2026) {
  const holiday_calendar& c = cn();
  EXPECT_TRUE(c.bounded());
  EXPECT_EQ(c.covered_from(), ymd(2024, 1, 1));
  EXPECT_EQ(c.covered_to(), ymd(2026, 12, 31));
}

// Every row of the file is honoured: each `off` day is not a working day, each `workday` is one
// (read here with a plain line split — the file has no quoted fields).
TEST(calendar, shipped_calendar_honours_every_row) {
  std::ifstream in(shipped_csv);
  ASSERT_TRUE(in) << shipped_csv;
  std::string line;
  std::getline(in, line);  // header
  int off = 0, workday = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string date, kind;
    std::getline(fields, date, ',');
    std::getline(fields, kind, ',');
    const auto d = embedrating::parse_date(date);
    ASSERT_TRUE(d.has_value()) << line;
    if (kind == "off") {
      ++off;
      EXPECT_FALSE(cn().is_working_day(*d)) << date;
    } else {
      ASSERT_EQ(kind, "workday") << line;
      ++workday;
      EXPECT_TRUE(cn().is_working_day(*d)) << date;
    }
  }
  EXPECT_EQ(off, 89);
  EXPECT_EQ(workday, 19);
}

// Working days per year, counted by hand from the notices:
//   2024: 366 days from Monday 01-01 = 52 weeks + Mon, Tue -> 262 Mon–Fri days.
//         Mon–Fri days off: 01-01; 02-12..16 (5); 04-04, 04-05; 05-01..03 (3); 06-10;
//         09-16, 09-17; 10-01..04 (4), 10-07 -> 1+5+2+3+1+2+5 = 19.
//         Make-up: 02-04 Sun, 02-18 Sun, 04-07 Sun, 04-28 Sun, 05-11 Sat, 09-14 Sat, 09-29 Sun,
//         10-12 Sat = 8.  262 - 19 + 8 = 251.
//   2025: 365 days from Wednesday 01-01 = 52 weeks + Wed -> 261.
//         Mon–Fri off: 01-01; 01-28..31 (4), 02-03, 02-04; 04-04; 05-01, 05-02, 05-05; 06-02;
//         10-01..03 (3), 10-06..08 (3) -> 1+6+1+3+1+6 = 18.
//         Make-up: 01-26 Sun, 02-08 Sat, 04-27 Sun, 09-28 Sun, 10-11 Sat = 5.  261 - 18 + 5 = 248.
//   2026: 365 days from Thursday 01-01 = 52 weeks + Thu -> 261.
//         Mon–Fri off: 01-01, 01-02; 02-16..20 (5), 02-23; 04-06; 05-01, 05-04, 05-05; 06-19;
//         09-25; 10-01, 10-02, 10-05..07 (3) -> 2+6+1+3+1+1+5 = 19.
//         Make-up: 01-04 Sun, 02-14 Sat, 02-28 Sat, 05-09 Sat, 09-20 Sun, 10-10 Sat = 6.
//         261 - 19 + 6 = 248.
// (2023-12-31 is outside the coverage, but (2023-12-31, 2024-12-31] is not.)
TEST(calendar, working_days_per_year) {
  EXPECT_EQ(cn().working_days_between(ymd(2023, 12, 31), ymd(2024, 12, 31)), 251);
  EXPECT_EQ(cn().working_days_between(ymd(2024, 12, 31), ymd(2025, 12, 31)), 248);
  EXPECT_EQ(cn().working_days_between(ymd(2025, 12, 31), ymd(2026, 12, 31)), 248);
  EXPECT_EQ(cn().working_days_between(ymd(2023, 12, 31), ymd(2026, 12, 31)), 251 + 248 + 248);
}

// ---------------------------------------------------------------------------------------------
// Deadlines across the holidays

// A bad review on Friday 2024-09-27, just before the National Day holiday (10-01..07 off, make-up
// workdays Sun 09-29 and Sat 10-12):
//   09-27 Fri day 0 | 09-28 Sat we | 09-29 Sun MU 1 | 09-30 Mon 2 | 10-01..10-07 off (7 days) |
//   10-08 Tue 3 | 10-09 Wed 4 | 10-10 Thu 5 | 10-11 Fri 6 | 10-12 Sat MU 7 | 10-13 Sun we |
//   10-14 Mon 8 | 10-15 9 | 10-16 10 | 10-17 11 | 10-18 Fri 12 | 10-19, 10-20 we |
//   10-21 Mon 13 | 10-22 Tue 14 | 10-23 Wed 15  -> deadline 2024-10-23.
// On the weekdays-only calendar it would be 3 weeks later, Friday 10-18: 8 days too early.
TEST(calendar, fifteen_days_across_national_day_2024) {
  const civil_date from = ymd(2024, 9, 27);
  EXPECT_EQ(to_string(cn().add_working_days(from, 15)), "2024-10-23");
  EXPECT_EQ(to_string(cn().add_working_days(from, 1)), "2024-09-29");  // the make-up Sunday
  EXPECT_EQ(to_string(cn().add_working_days(from, 3)), "2024-10-08");  // after the holiday
  EXPECT_EQ(cn().working_days_between(from, ymd(2024, 10, 23)), 15);
  EXPECT_EQ(to_string(holiday_calendar().add_working_days(from, 15)), "2024-10-18");
}

// A bad review on Friday 2025-01-24, before the Spring Festival (01-28..02-04 off, make-up
// workdays Sun 01-26 and Sat 02-08):
//   01-24 Fri day 0 | 01-25 Sat we | 01-26 Sun MU 1 | 01-27 Mon 2 | 01-28..02-04 off (8 days) |
//   02-05 Wed 3 | 02-06 Thu 4 | 02-07 Fri 5 | 02-08 Sat MU 6 | 02-09 Sun we | 02-10 Mon 7 |
//   02-11 8 | 02-12 9 | 02-13 10 | 02-14 Fri 11 | 02-15, 02-16 we | 02-17 Mon 12 | 02-18 13 |
//   02-19 14 | 02-20 Thu 15  -> deadline 2025-02-20.
TEST(calendar, fifteen_days_across_spring_festival_2025) {
  const civil_date from = ymd(2025, 1, 24);
  EXPECT_EQ(to_string(cn().add_working_days(from, 15)), "2025-02-20");
  EXPECT_EQ(to_string(cn().add_working_days(from, 2)), "2025-01-27");
  EXPECT_EQ(to_string(cn().add_working_days(from, 3)), "2025-02-05");
  EXPECT_EQ(to_string(cn().add_working_days(from, 6)), "2025-02-08");  // make-up Saturday
  EXPECT_FALSE(cn().is_working_day(ymd(2025, 1, 28)));
  EXPECT_FALSE(cn().is_working_day(ymd(2025, 2, 4)));
  EXPECT_TRUE(cn().is_working_day(ymd(2025, 1, 26)));
  EXPECT_TRUE(cn().is_working_day(ymd(2025, 2, 8)));
  EXPECT_FALSE(cn().is_working_day(ymd(2025, 2, 9)));  // the Sunday after stays a weekend
}

// A deadline that lands on the make-up Saturday 2024-10-12. A review on Tuesday 2024-09-17, the
// last day of the Mid-Autumn holiday (09-15..17 off):
//   09-17 Tue day 0 (off) | 09-18 Wed 1 | 09-19 Thu 2 | 09-20 Fri 3 | 09-21, 09-22 we |
//   09-23 Mon 4 | 09-24 5 | 09-25 6 | 09-26 7 | 09-27 Fri 8 | 09-28 Sat we | 09-29 Sun MU 9 |
//   09-30 Mon 10 | 10-01..10-07 off | 10-08 Tue 11 | 10-09 12 | 10-10 13 | 10-11 Fri 14 |
//   10-12 Sat MU 15  -> deadline Saturday 2024-10-12.
// Reviews on Sat 09-14 (itself a make-up workday, day 0), Sun 09-15 or Mon 09-16 (holiday) have
// the same deadline: the days between them and 09-17 are all off.
// Weekdays only it would be Tuesday 10-08 (09-18 1 … 09-20 3, 09-23..27 4..8, 09-30 9,
// 10-01..04 10..13, 10-07 14, 10-08 15).
TEST(calendar, deadline_on_a_make_up_saturday) {
  for (const civil_date from : {ymd(2024, 9, 14), ymd(2024, 9, 15), ymd(2024, 9, 16), ymd(2024, 9, 17)}) {
    EXPECT_EQ(to_string(cn().add_working_days(from, 15)), "2024-10-12") << to_string(from);
  }
  EXPECT_EQ(embedrating::weekday(ymd(2024, 10, 12)), 5u);  // a Saturday
  EXPECT_TRUE(cn().is_working_day(ymd(2024, 10, 12)));
  EXPECT_EQ(to_string(holiday_calendar().add_working_days(ymd(2024, 9, 17), 15)), "2024-10-08");
}

// Plain weekends, no holiday in March 2024 (Qingming is 04-04):
//   from Fri 03-01: 03-02, 03-03 we | 03-04..08 Mon–Fri 1..5 | 03-09, 03-10 we | 03-11..15 6..10 |
//   03-16, 03-17 we | 03-18..22 11..15  -> Friday 2024-03-22.
//   from Sat 03-02 or Sun 03-03: the same days count -> 2024-03-22.
//   from Mon 03-04: 03-05..08 1..4 | 03-11..15 5..9 | 03-18..22 10..14 | 03-25 Mon 15 -> 03-25.
// The weekdays-only calendar agrees on all of them.
TEST(calendar, plain_weekends) {
  for (const holiday_calendar& c : {cn(), holiday_calendar()}) {
    EXPECT_EQ(to_string(c.add_working_days(ymd(2024, 3, 1), 15)), "2024-03-22");
    EXPECT_EQ(to_string(c.add_working_days(ymd(2024, 3, 2), 15)), "2024-03-22");
    EXPECT_EQ(to_string(c.add_working_days(ymd(2024, 3, 3), 15)), "2024-03-22");
    EXPECT_EQ(to_string(c.add_working_days(ymd(2024, 3, 4), 15)), "2024-03-25");
    EXPECT_EQ(to_string(c.add_working_days(ymd(2024, 3, 1), 1)), "2024-03-04");  // Fri -> Mon
    EXPECT_FALSE(c.is_working_day(ymd(2024, 3, 2)));
    EXPECT_FALSE(c.is_working_day(ymd(2024, 3, 3)));
    EXPECT_TRUE(c.is_working_day(ymd(2024, 3, 4)));
  }
}

// Day 0 is `from` itself, whatever it is: 0 working days after a day is that day, even a holiday
// (2024-10-01) or a weekend (Sat 2024-03-02); one working day after Monday 2024-10-07 (the last
// holiday) is Tuesday 10-08, and one after a working day (Mon 2024-03-04) is the next day (03-05),
// never the day itself.
TEST(calendar, day_zero_is_the_start) {
  for (const civil_date d : {ymd(2024, 10, 1), ymd(2024, 3, 2), ymd(2024, 3, 4)}) {
    EXPECT_EQ(cn().add_working_days(d, 0), d) << to_string(d);
    EXPECT_EQ(holiday_calendar().add_working_days(d, 0), d) << to_string(d);
  }
  EXPECT_EQ(to_string(cn().add_working_days(ymd(2024, 10, 7), 1)), "2024-10-08");
  EXPECT_EQ(to_string(cn().add_working_days(ymd(2024, 3, 4), 1)), "2024-03-05");
  EXPECT_EQ(to_string(cn().add_working_days(ymd(2026, 12, 31), 0)), "2026-12-31");
}

// working_days_between counts (from, to]:
//   (2024-09-27, 2024-10-23]: 15 (the National Day count above); reversed: -15.
//   (d, d]: empty -> 0.
//   (2024-09-30, 2024-10-07]: 10-01..07 all off -> 0.
//   (2024-09-28 Sat, 2024-09-29 Sun MU]: 1.  (2024-09-29, 2024-09-30]: 09-30 Mon -> 1.
//   (2024-09-27, 2024-09-28]: a plain Saturday -> 0.
//   (2025-01-24, 2025-02-08]: 01-26 MU 1, 01-27 2, 02-05..07 3..5, 02-08 MU 6 -> 6.
TEST(calendar, working_days_between) {
  EXPECT_EQ(cn().working_days_between(ymd(2024, 9, 27), ymd(2024, 10, 23)), 15);
  EXPECT_EQ(cn().working_days_between(ymd(2024, 10, 23), ymd(2024, 9, 27)), -15);
  EXPECT_EQ(cn().working_days_between(ymd(2024, 10, 23), ymd(2024, 10, 23)), 0);
  EXPECT_EQ(cn().working_days_between(ymd(2024, 9, 30), ymd(2024, 10, 7)), 0);
  EXPECT_EQ(cn().working_days_between(ymd(2024, 9, 28), ymd(2024, 9, 29)), 1);
  EXPECT_EQ(cn().working_days_between(ymd(2024, 9, 29), ymd(2024, 9, 30)), 1);
  EXPECT_EQ(cn().working_days_between(ymd(2024, 9, 27), ymd(2024, 9, 28)), 0);
  EXPECT_EQ(cn().working_days_between(ymd(2025, 1, 24), ymd(2025, 2, 8)), 6);
}

// add_working_days and working_days_between agree with a day-by-day walk over is_working_day for
// every start day of the coverage and n = 0..40: the result is a working day with exactly n
// working days in (from, result], and the day before it has n - 1.
TEST(calendar, counting_agrees_with_a_day_by_day_walk) {
  const holiday_calendar& c = cn();
  const std::int32_t first = c.covered_from().days(), last = c.covered_to().days();
  for (std::int32_t f = first - 1; f <= last; ++f) {
    const civil_date from(f);
    std::int32_t d = f;
    for (int n = 0; n <= 40; ++n) {
      if (n > 0) {
        do ++d;
        while (d <= last && !c.is_working_day(civil_date(d)));
      }
      if (d > last) {
        EXPECT_THROW(c.add_working_days(from, n), data_error) << to_string(from) << " + " << n;
        break;
      }
      ASSERT_EQ(c.add_working_days(from, n), civil_date(d)) << to_string(from) << " + " << n;
      ASSERT_EQ(c.working_days_between(from, civil_date(d)), n) << to_string(from);
      ASSERT_EQ(c.working_days_between(civil_date(d), from), -n) << to_string(from);
      if (n > 0) {
        ASSERT_EQ(c.working_days_between(from, civil_date(d - 1)), n - 1) << to_string(from);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Coverage

// 2026-12-20 is a Sunday; the working days left in the calendar are 12-21..25 Mon–Fri (1..5) and
// 12-28..31 Mon–Thu (6..9): 9, so 9 can be counted (ending on 12-31) and 15 cannot.
TEST(calendar, counting_past_the_coverage_throws) {
  EXPECT_EQ(to_string(cn().add_working_days(ymd(2026, 12, 20), 9)), "2026-12-31");
  EXPECT_EQ(error_of([] { cn().add_working_days(ymd(2026, 12, 20), 15); }),
            "the holiday calendar covers 2024-01-01..2026-12-31; cannot count 15 working days "
            "after 2026-12-20: only 9 fall on or before 2026-12-31 (the calendar needs the "
            "official holiday notice for 2027)");
  EXPECT_EQ(error_of([] { cn().add_working_days(ymd(2026, 12, 31), 1); }),
            "the holiday calendar covers 2024-01-01..2026-12-31; cannot count 1 working day "
            "after 2026-12-31: only 0 fall on or before 2026-12-31 (the calendar needs the "
            "official holiday notice for 2027)");
  EXPECT_EQ(error_of([] { cn().add_working_days(ymd(2027, 3, 1), 1); }),
            "the holiday calendar covers 2024-01-01..2026-12-31; cannot count 1 working day "
            "after 2027-03-01: only 0 fall on or before 2026-12-31 (the calendar needs the "
            "official holiday notice for 2027)");
  EXPECT_EQ(error_of([] { cn().working_days_between(ymd(2026, 12, 20), ymd(2027, 1, 5)); }),
            "the holiday calendar covers 2024-01-01..2026-12-31; cannot count working days "
            "between 2026-12-20 and 2027-01-05");
  EXPECT_EQ(error_of([] { cn().working_days_between(ymd(2027, 1, 5), ymd(2026, 12, 20)); }),
            "the holiday calendar covers 2024-01-01..2026-12-31; cannot count working days "
            "between 2026-12-20 and 2027-01-05");
  EXPECT_EQ(error_of([] { cn().is_working_day(ymd(2027, 1, 4)); }),
            "the holiday calendar covers 2024-01-01..2026-12-31; cannot tell whether 2027-01-04 "
            "is a working day");
}

// Before the coverage: (2023-12-31, …] starts inside it — 2024-01-01 Mon is New Year's Day (off),
// 01-02 Tue is working day 1 — but counting after 2023-12-29 would need 12-30 and 12-31.
TEST(calendar, counting_before_the_coverage_throws) {
  EXPECT_EQ(to_string(cn().add_working_days(ymd(2023, 12, 31), 1)), "2024-01-02");
  EXPECT_EQ(error_of([] { cn().add_working_days(ymd(2023, 12, 29), 1); }),
            "the holiday calendar covers 2024-01-01..2026-12-31; cannot count working days after "
            "2023-12-29 (the days before 2024-01-01 are not covered)");
  EXPECT_EQ(error_of([] { cn().working_days_between(ymd(2023, 12, 30), ymd(2024, 1, 5)); }),
            "the holiday calendar covers 2024-01-01..2026-12-31; cannot count working days "
            "between 2023-12-30 and 2024-01-05");
  EXPECT_EQ(error_of([] { cn().is_working_day(ymd(2023, 12, 31)); }),
            "the holiday calendar covers 2024-01-01..2026-12-31; cannot tell whether 2023-12-31 "
            "is a working day");
  // Zero days look at no day at all.
  EXPECT_EQ(cn().add_working_days(ymd(2023, 12, 1), 0), ymd(2023, 12, 1));
  EXPECT_EQ(cn().working_days_between(ymd(2023, 12, 1), ymd(2023, 12, 1)), 0);
}

TEST(calendar, bad_arguments_throw) {
  EXPECT_EQ(error_of([] { cn().add_working_days(ymd(2024, 3, 1), -1); }),
            "the number of working days must be >= 0, got -1");
  EXPECT_EQ(error_of([] { holiday_calendar().add_working_days(ymd(2024, 3, 1), -1); }),
            "the number of working days must be >= 0, got -1");
  EXPECT_EQ(error_of([] { cn().is_working_day(civil_date::missing()); }),
            "missing date (is_working_day)");
  EXPECT_EQ(error_of([] { cn().add_working_days(civil_date::missing(), 0); }),
            "missing date (add_working_days)");
  EXPECT_EQ(error_of([] { cn().working_days_between(ymd(2024, 3, 1), civil_date::missing()); }),
            "missing date (working_days_between)");
}

// ---------------------------------------------------------------------------------------------
// The weekdays-only calendar

TEST(calendar, weekdays_only_calendar) {
  const holiday_calendar w;
  EXPECT_FALSE(w.bounded());
  EXPECT_TRUE(w.covered_from().is_missing());
  EXPECT_TRUE(w.covered_to().is_missing());
  // Any date works, 1970-01-01 (a Thursday) through far years.
  EXPECT_TRUE(w.is_working_day(ymd(1970, 1, 1)));
  EXPECT_FALSE(w.is_working_day(ymd(1970, 1, 3)));
  EXPECT_TRUE(w.is_working_day(ymd(2024, 10, 1)));  // no holidays
  EXPECT_FALSE(w.is_working_day(ymd(2024, 10, 12)));  // no make-up days
  // From Sat 1969-12-27: 12-29 Mon .. 1970-01-02 Fri are 1..5, 01-05 Mon is 6.
  EXPECT_EQ(to_string(w.add_working_days(ymd(1969, 12, 27), 5)), "1970-01-02");
  EXPECT_EQ(to_string(w.add_working_days(ymd(1969, 12, 27), 6)), "1970-01-05");
  // 2100-01-01 is a Friday: +1 is Monday 01-04; 10 is two weeks later, Friday 01-15.
  EXPECT_EQ(to_string(w.add_working_days(ymd(2100, 1, 1), 1)), "2100-01-04");
  EXPECT_EQ(to_string(w.add_working_days(ymd(2100, 1, 1), 10)), "2100-01-15");
  // A year of 52 weeks + 1 day starting on Wednesday (2025) has 261 weekdays.
  EXPECT_EQ(w.working_days_between(ymd(2024, 12, 31), ymd(2025, 12, 31)), 261);
  EXPECT_EQ(w.working_days_between(ymd(2025, 12, 31), ymd(2024, 12, 31)), -261);
  // Past the last representable date.
  EXPECT_THROW(w.add_working_days(ymd(2024, 1, 1), INT_MAX), data_error);
}

// The week-jumping arithmetic of the weekdays-only calendar agrees with a day-by-day walk, for
// start days on every weekday, before and after 1970, and n up to 60.
TEST(calendar, weekdays_only_agrees_with_a_walk) {
  const holiday_calendar w;
  std::mt19937 gen(20240823);
  std::uniform_int_distribution<std::int32_t> day(-40000, 60000);
  for (int trial = 0; trial < 500; ++trial) {
    const civil_date from(day(gen));
    std::int32_t d = from.days();
    for (int n = 0; n <= 60; ++n) {
      if (n > 0) {
        do ++d;
        while (embedrating::weekday(civil_date(d)) >= 5);
      }
      ASSERT_EQ(w.add_working_days(from, n), civil_date(d)) << to_string(from) << " + " << n;
      ASSERT_EQ(w.working_days_between(from, civil_date(d)), n) << to_string(from);
      ASSERT_EQ(w.working_days_between(civil_date(d), from), -n) << to_string(from);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Building in code

TEST(calendar, built_in_code) {
  // 2024 with only National Day: 10-01 Tue off, 10-05 Sat off (a weekend: changes nothing),
  // make-up Sat 10-12. From Mon 09-30: 10-02 Wed 1, 10-03 2, 10-04 Fri 3, 10-07 Mon 4, 10-08 5,
  // 10-09 6, 10-10 7, 10-11 Fri 8, 10-12 Sat MU 9.
  const holiday_calendar c({ymd(2024, 10, 1), ymd(2024, 10, 5)}, {ymd(2024, 10, 12)}, 2024, 2024);
  EXPECT_EQ(c.covered_from(), ymd(2024, 1, 1));
  EXPECT_EQ(c.covered_to(), ymd(2024, 12, 31));
  EXPECT_EQ(to_string(c.add_working_days(ymd(2024, 9, 30), 9)), "2024-10-12");
  EXPECT_FALSE(c.is_working_day(ymd(2024, 10, 5)));
}

TEST(calendar, built_in_code_rejects_bad_entries) {
  EXPECT_EQ(error_of([] { holiday_calendar({}, {ymd(2024, 10, 8)}, 2024, 2024); }),
            "make_up_workdays[0]: 2024-10-08 is a Tuesday: a make-up workday must fall on a weekend");
  EXPECT_EQ(error_of([] { holiday_calendar({ymd(2024, 10, 1), ymd(2025, 1, 1)}, {}, 2024, 2024); }),
            "days_off[1]: 2025-01-01 is outside the calendar's years 2024-01-01..2024-12-31");
  EXPECT_EQ(error_of([] { holiday_calendar({ymd(2024, 10, 12)}, {ymd(2024, 10, 12)}, 2024, 2024); }),
            "make_up_workdays[0]: duplicate date 2024-10-12 (also days_off[0])");
  EXPECT_EQ(error_of([] { holiday_calendar({civil_date::missing()}, {}, 2024, 2024); }),
            "days_off[0]: missing date");
  EXPECT_EQ(error_of([] { holiday_calendar({}, {}, 2026, 2024); }),
            "invalid year range 2026..2024 (need 0 <= first_year <= last_year <= 9999)");
}

// ---------------------------------------------------------------------------------------------
// Fingerprint

// The documented canonical encoding, hashed here independently of the library's encoder:
// 10-05 (a Saturday off) is left out, 10-01 (Tuesday off) and 10-12 (make-up Saturday) are in.
TEST(calendar, fingerprint_is_the_documented_encoding) {
  const holiday_calendar c({ymd(2024, 10, 5), ymd(2024, 10, 1)}, {ymd(2024, 10, 12)}, 2024, 2024);
  EXPECT_EQ(c.fingerprint(), embedrating::detail::sha256_hex("embedrating holiday calendar v1\n"
                                                             "covers 2024-01-01 2024-12-31\n"
                                                             "2024-10-01 off\n"
                                                             "2024-10-12 workday\n"));
  EXPECT_EQ(holiday_calendar().fingerprint(),
            "2ae97cdab21bdc83e8bc104d8edc25662cf742af8e3bdca8046949b034c83d58");
  // The shipped calendar: 56 Mon–Fri days off and 19 make-up workdays (golden value, computed
  // with Python's hashlib from the same encoding of the file).
  EXPECT_EQ(cn().fingerprint(), "f4d138b42be84b113fc6641a99e9cfe62285888d168f8256e75450a87bd934f5");
}

TEST(calendar, fingerprint_follows_meaning_only) {
  const std::string base =
      "date,kind,name_zh\n2024-10-01,off,国庆节\n2024-10-12,workday,调休\n";
  const std::string reordered =  // other order, other names, a weekend day off, another column
      "kind,date,source\nworkday,2024-10-12,x\noff,2024-10-05,y\noff,2024-10-01,z\n";
  const std::string other_day = "date,kind\n2024-10-02,off\n2024-10-12,workday\n";
  const calendar_file a(base), b(reordered), c(other_day);
  const std::string fa = holiday_calendar::load(a.path()).fingerprint();
  EXPECT_EQ(fa, holiday_calendar::load(b.path()).fingerprint());
  EXPECT_EQ(fa, holiday_calendar({ymd(2024, 10, 1)}, {ymd(2024, 10, 12)}, 2024, 2024).fingerprint());
  EXPECT_NE(fa, holiday_calendar::load(c.path()).fingerprint());
  EXPECT_NE(fa, holiday_calendar({ymd(2024, 10, 1)}, {ymd(2024, 10, 12)}, 2024, 2025).fingerprint());
  EXPECT_NE(fa, holiday_calendar().fingerprint());
}

// ---------------------------------------------------------------------------------------------
// Loading files

// Columns in another order, spaces around values, a GB18030 name (春节 = B4 BA BD DA), a quoted
// multi-line source, and a Saturday listed as off (accepted, changes nothing).
// 2024-02-04 Sun MU, 02-10..17 off: from Fri 02-02: 02-04 Sun MU 1, 02-05..09 Mon–Fri 2..6,
// 02-10..17 off, 02-18 Sun (not listed here: a plain weekend), 02-19 Mon 7.
TEST(calendar, loads_any_column_order_and_gb18030) {
  std::string bytes = "name_zh,kind,date,source\n";
  bytes += "\xB4\xBA\xBD\xDA, workday ,2024-02-04,\"notice\nline two\"\n";
  for (int d = 10; d <= 17; ++d) bytes += "\xB4\xBA\xBD\xDA,off,2024-02-" + std::to_string(d) + ",x\n";
  const calendar_file f(bytes);
  const holiday_calendar c = holiday_calendar::load(f.path());
  EXPECT_EQ(c.covered_from(), ymd(2024, 1, 1));
  EXPECT_EQ(c.covered_to(), ymd(2024, 12, 31));
  EXPECT_EQ(to_string(c.add_working_days(ymd(2024, 2, 2), 1)), "2024-02-04");
  EXPECT_EQ(to_string(c.add_working_days(ymd(2024, 2, 2), 6)), "2024-02-09");
  EXPECT_EQ(to_string(c.add_working_days(ymd(2024, 2, 2), 7)), "2024-02-19");
}

TEST(calendar, load_error_missing_column) {
  const calendar_file f("date,name_zh\n2024-01-01,元旦\n");
  EXPECT_EQ(f.load_error(), f.path() + ":1: missing required column 'kind'");
  const calendar_file g("kind\noff\n");
  EXPECT_EQ(g.load_error(), g.path() + ":1: missing required column 'date'");
}

TEST(calendar, load_error_no_rows) {
  const calendar_file f("date,kind,name_zh\n");
  EXPECT_EQ(f.load_error(), f.path() + ": no entries (the file has only a header)");
}

// 2024 has no 30 February; line 3, field 1.  With `date` as the third column: field 3.
TEST(calendar, load_error_bad_date) {
  const calendar_file f("date,kind\n2024-01-01,off\n2024-02-30,off\n");
  EXPECT_EQ(f.load_error(), f.path() + ":3:1: date: '2024-02-30' is not a date (expected YYYY-MM-DD)");
  const calendar_file g("kind,name_en,date\noff,New Year,1 Jan 2024\n");
  EXPECT_EQ(g.load_error(), g.path() + ":2:3: date: '1 Jan 2024' is not a date (expected YYYY-MM-DD)");
  const calendar_file h("date,kind\n,off\n");
  EXPECT_EQ(h.load_error(), h.path() + ":2:1: date: '' is not a date (expected YYYY-MM-DD)");
}

// The multi-line quoted source on line 2 pushes the bad row to physical line 4.
TEST(calendar, load_error_unknown_kind) {
  const calendar_file f("date,kind,source\n2024-01-01,off,\"a\nb\"\n2024-02-04,holiday,x\n");
  EXPECT_EQ(f.load_error(), f.path() + ":4:2: kind: unknown kind 'holiday' (expected off or workday)");
  const calendar_file g("date,kind\n2024-01-01,Off\n");
  EXPECT_EQ(g.load_error(), g.path() + ":2:2: kind: unknown kind 'Off' (expected off or workday)");
}

TEST(calendar, load_error_duplicate_date) {
  const calendar_file f("date,kind\n2024-10-01,off\n2024-10-02,off\n2024-10-01,off\n");
  EXPECT_EQ(f.load_error(), f.path() + ":4:1: date: duplicate date 2024-10-01 (first listed at line 2)");
  // The same day as both kinds is a duplicate too (2024-10-12 is a Saturday).
  const calendar_file g("date,kind\n2024-10-12,workday\n2024-10-12,off\n");
  EXPECT_EQ(g.load_error(), g.path() + ":3:1: date: duplicate date 2024-10-12 (first listed at line 2)");
}

// 2024-10-08 is the Tuesday after National Day (10-01 was a Tuesday).
TEST(calendar, load_error_make_up_workday_on_a_weekday) {
  const calendar_file f("date,kind\n2024-10-01,off\n2024-10-08,workday\n");
  EXPECT_EQ(f.load_error(),
            f.path() + ":3:1: date: 2024-10-08 is a Tuesday: a make-up workday must fall on a weekend");
}

TEST(calendar, load_error_year_without_rows) {
  const calendar_file f("date,kind\n2026-01-01,off\n2024-01-01,off\n");
  EXPECT_EQ(f.load_error(),
            f.path() + ": no entries for 2025, between 2024 and 2026 (every year of the calendar "
                       "needs its official holiday notice; a year without any holiday is a missing "
                       "notice)");
}

TEST(calendar, load_error_from_the_csv_reader) {
  const calendar_file f("date,kind\n2024-01-01,off,extra\n");
  EXPECT_EQ(f.load_error(), f.path() + ":2: expected 2 fields, got 3");
  EXPECT_FALSE(error_of([] { holiday_calendar::load("/nonexistent/holidays.csv"); }).empty());
}
