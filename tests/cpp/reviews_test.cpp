// The review aggregator (include/embedrating/reviews.hpp): revisions, dedup edge cases,
// deadlines in working days, window and decay, rejects, merge properties, the archive.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include <embedrating/detail/sha256.hpp>
#include <embedrating/embedrating.hpp>
#include <embedrating/reviews.hpp>

#include "reviews_state.hpp"
#include "temp_dir.hpp"

namespace {

using namespace embedrating;
using embedrating::test_support::temp_dir;

/// Unix seconds of a local time in China Standard Time (UTC+8).
std::int64_t cst(int y, unsigned m, unsigned d, int hh = 12, int mm = 0, int ss = 0) {
  return static_cast<std::int64_t>(make_date(y, m, d).days()) * 86400 + hh * 3600 + mm * 60 + ss - 8 * 3600;
}

review_event ev(std::string id, std::string op, std::string reviewer, std::int64_t time, int level,
                std::uint32_t revision = 1, review_status status = review_status::valid) {
  review_event e;
  e.review_id = std::move(id);
  e.operator_id = std::move(op);
  e.reviewer_id = std::move(reviewer);
  e.time = time;
  e.level = level;
  e.revision = revision;
  e.status = status;
  return e;
}

review_settings settings() {
  review_settings s;  // the defaults: month periods, 12-month window, no decay, 15 working days
  return s;
}

civil_date day(int y, unsigned m, unsigned d) { return make_date(y, m, d); }

std::int64_t count(const review_summary& s, std::size_t op, int level) { return s.counts(static_cast<Eigen::Index>(op), level - 1); }

// ---------------------------------------------------------------------------------------------
// keys

TEST(ReviewKey, NumericIdsAreTheirValueOtherTextIsHashedWithTheHighBit) {
  EXPECT_EQ(review_key("0"), 0u);
  EXPECT_EQ(review_key("123456789"), 123456789u);
  EXPECT_EQ(review_key("9223372036854775807"), 9223372036854775807u);  // 2^63 - 1
  EXPECT_GE(review_key("9223372036854775808"), std::uint64_t{1} << 63);  // 2^63: hashed
  EXPECT_GE(review_key("0123"), std::uint64_t{1} << 63);                 // leading zero: text
  EXPECT_GE(review_key("R-1"), std::uint64_t{1} << 63);
  EXPECT_NE(review_key("R-1"), review_key("R-2"));
  EXPECT_EQ(review_key("R-1"), review_key("R-1"));
  // the first 63 bits of SHA-256("R-1"), with the high bit set
  const std::string hex = detail::sha256_hex("R-1");
  EXPECT_EQ(review_key("R-1"), (std::uint64_t{1} << 63) | (std::stoull(hex.substr(0, 16), nullptr, 16) >> 1));
}

// ---------------------------------------------------------------------------------------------
// revisions and dedup

TEST(ReviewDedup, SameReviewerTwiceInAMonthCountsOnceTheLatest) {
  review_aggregator a({"A"}, settings());
  a.add(ev("1", "A", "u1", cst(2025, 3, 2), 2));
  a.add(ev("2", "A", "u1", cst(2025, 3, 20), 5));  // later in March: wins
  a.add(ev("3", "A", "u2", cst(2025, 3, 5), 4));
  const auto s = a.summary(day(2025, 12, 31));
  EXPECT_EQ(count(s, 0, 5), 1);
  EXPECT_EQ(count(s, 0, 4), 1);
  EXPECT_EQ(count(s, 0, 2), 0);
  EXPECT_EQ(s.valid_n(0), 2.0);
  EXPECT_EQ(a.records_kept(), 3u);  // the state keeps every review; dedup is applied in summary()
}

TEST(ReviewDedup, PeriodBoundaryIsTheCalendarMonthInUtcPlus8) {
  review_aggregator a({"A"}, settings());
  // 2025-03-31 23:30 CST (March) and 2025-03-31 16:30 UTC = 2025-04-01 00:30 CST (April): two periods
  a.add(ev("1", "A", "u1", cst(2025, 3, 31, 23, 30), 1));
  review_event e = ev("2", "A", "u1", 0, 5);
  e.time = static_cast<std::int64_t>(make_date(2025, 3, 31).days()) * 86400 + 16 * 3600 + 30 * 60;
  a.add(e);
  const auto s = a.summary(day(2025, 12, 31));
  EXPECT_EQ(count(s, 0, 1), 1);
  EXPECT_EQ(count(s, 0, 5), 1);
  // N-day buckets: 2025-03-31 is day 20178 since 1970-01-01, 2025-04-01 day 20179; with 7-day
  // buckets both fall in bucket 2882 (20174..20180): one review, the later one (★5)
  review_settings weekly = settings();
  weekly.period = review_period::days;
  weekly.period_days = 7;
  review_aggregator b({"A"}, weekly);
  b.add(ev("1", "A", "u1", cst(2025, 3, 31, 23, 30), 1));
  b.add(e);
  const auto w = b.summary(day(2025, 12, 31));
  EXPECT_EQ(make_date(2025, 3, 31).days(), 20178);
  EXPECT_EQ(count(w, 0, 1), 0);
  EXPECT_EQ(count(w, 0, 5), 1);
}

TEST(ReviewDedup, SameTimestampTheGreaterReviewKeyWinsThenTheRevision) {
  review_aggregator a({"A"}, settings());
  a.add(ev("100", "A", "u1", cst(2025, 5, 5), 1));
  a.add(ev("200", "A", "u1", cst(2025, 5, 5), 4));  // same second, greater key 200: wins
  auto s = a.summary(day(2025, 12, 31));
  EXPECT_EQ(count(s, 0, 4), 1);
  EXPECT_EQ(count(s, 0, 1), 0);
  // arrival order does not matter
  review_aggregator b({"A"}, settings());
  b.add(ev("200", "A", "u1", cst(2025, 5, 5), 4));
  b.add(ev("100", "A", "u1", cst(2025, 5, 5), 1));
  EXPECT_EQ(a, b);
}

TEST(ReviewDedup, RepeatedReviewIdAndRevisionChangesNothing) {
  review_aggregator a({"A"}, settings());
  a.add(ev("7", "A", "u1", cst(2025, 6, 1), 2));
  review_aggregator once = a;
  a.add(ev("7", "A", "u1", cst(2025, 6, 1), 2));
  EXPECT_EQ(a.records_kept(), 1u);
  EXPECT_EQ(a.events_seen(), 2u);
  const auto s1 = once.summary(day(2025, 12, 31)), s2 = a.summary(day(2025, 12, 31));
  EXPECT_EQ(s1.counts, s2.counts);
  // a conflicting copy of the same (id, revision): the smaller record bytes win, whatever the order
  review_aggregator x({"A"}, settings()), y({"A"}, settings());
  x.add(ev("7", "A", "u1", cst(2025, 6, 1), 2));
  x.add(ev("7", "A", "u1", cst(2025, 6, 1), 3));
  y.add(ev("7", "A", "u1", cst(2025, 6, 1), 3));
  y.add(ev("7", "A", "u1", cst(2025, 6, 1), 2));
  EXPECT_EQ(x.summary(day(2025, 12, 31)).counts, y.summary(day(2025, 12, 31)).counts);
}

TEST(ReviewDedup, ARevisionBeforeItsOriginalStillWins) {
  review_aggregator a({"A"}, settings());
  review_event appeal = ev("9", "A", "u1", cst(2025, 7, 1), 1, 2, review_status::voided);
  a.add(appeal);                                  // revision 2 (void) arrives first
  a.add(ev("9", "A", "u1", cst(2025, 7, 1), 1));  // the original, revision 1
  auto s = a.summary(day(2025, 12, 31));
  EXPECT_EQ(count(s, 0, 1), 0);  // void counts nowhere
  EXPECT_EQ(s.valid_n(0), 0.0);
  // a rectification revision closes a bad review
  review_aggregator b({"A"}, settings());
  b.add(ev("9", "A", "u1", cst(2025, 7, 1), 1));
  review_event fixed = ev("9", "A", "u1", cst(2025, 7, 1), 1, 2);
  fixed.rectified_at = cst(2025, 7, 3);
  b.add(fixed);
  s = b.summary(day(2025, 12, 31));
  EXPECT_EQ(s.bad_closed_in_time[0], 1);
  EXPECT_EQ(s.bad_overdue[0], 0);
}

TEST(ReviewDedup, VoidIsRemovedBeforeDedupPendingBadCountsAsBad) {
  review_aggregator a({"A"}, settings());
  a.add(ev("1", "A", "u1", cst(2025, 8, 1), 4));
  a.add(ev("2", "A", "u1", cst(2025, 8, 9), 1, 1, review_status::voided));  // later, but void: the ★4 stays
  a.add(ev("3", "A", "u2", cst(2025, 8, 3), 2, 1, review_status::pending));
  const auto s = a.summary(day(2025, 12, 31));
  EXPECT_EQ(count(s, 0, 4), 1);
  EXPECT_EQ(count(s, 0, 1), 0);
  EXPECT_EQ(count(s, 0, 2), 1);  // pending bad review counts as bad
  EXPECT_EQ(s.bad_overdue[0], 1);  // and its deadline applies
}

TEST(ReviewDedup, ServiceRecordFilter) {
  review_settings only = settings();
  only.service_record_only = true;
  review_aggregator a({"A"}, only);
  review_event tied = ev("1", "A", "u1", cst(2025, 8, 1), 5);
  tied.service_record_id = "S-1";
  a.add(tied);
  a.add(ev("2", "A", "u2", cst(2025, 8, 1), 1));
  const auto s = a.summary(day(2025, 12, 31));
  EXPECT_EQ(count(s, 0, 5), 1);
  EXPECT_EQ(count(s, 0, 1), 0);
}

// ---------------------------------------------------------------------------------------------
// deadlines (China's official calendar, data/calendars/)

TEST(ReviewDeadline, FifteenWorkingDaysAcrossNationalDay2024) {
  // Review on Fri 2024-09-27. Working days after it (国办发明电〔2023〕7号): Sun 09-29 make-up (1),
  // Mon 09-30 (2), 10-01..10-07 off, Tue 10-08 (3), 10-09 (4), 10-10 (5), 10-11 (6), Sat 10-12
  // make-up (7), 10-14 (8), 10-15 (9), 10-16 (10), 10-17 (11), 10-18 (12), 10-21 (13), 10-22 (14),
  // 10-23 (15): deadline Wed 2024-10-23.
  const civil_date deadline = holiday_calendar::china().add_working_days(day(2024, 9, 27), 15);
  EXPECT_EQ(to_string(deadline), "2024-10-23");
  review_settings rs = settings();
  rs.window_months = 0;
  auto outcome = [&](std::int64_t rectified, civil_date as_of) {
    review_aggregator a({"A"}, rs);
    review_event e = ev("1", "A", "u1", cst(2024, 9, 27), 1);
    e.rectified_at = rectified;
    a.add(e);
    const auto s = a.summary(as_of);
    return std::to_string(s.bad_open[0]) + std::to_string(s.bad_closed_in_time[0]) + std::to_string(s.bad_overdue[0]);
  };
  EXPECT_EQ(outcome(cst(2024, 10, 23, 23, 59), day(2024, 12, 31)), "010");  // on the deadline: in time
  EXPECT_EQ(outcome(cst(2024, 10, 24, 0, 1), day(2024, 12, 31)), "001");   // a day late: overdue
  EXPECT_EQ(outcome(no_time, day(2024, 10, 23)), "100");                    // open, deadline not passed
  EXPECT_EQ(outcome(no_time, day(2024, 10, 24)), "001");                    // open past the deadline
  EXPECT_EQ(outcome(cst(2024, 10, 20), day(2024, 10, 19)), "100");          // rectified after as_of: open then
}

TEST(ReviewDeadline, WeekendsAndSpringFestival2025) {
  // Sat 2025-03-01, no holiday in March: Mon 03-03 (1) … Fri 03-07 (5), 03-10..14 (10), 03-17..21 (15)
  EXPECT_EQ(to_string(holiday_calendar::china().add_working_days(day(2025, 3, 1), 15)), "2025-03-21");
  // Fri 2025-01-24: Sun 01-26 make-up (1), Mon 01-27 (2), 01-28..02-04 off, 02-05 (3), 02-06 (4),
  // 02-07 (5), Sat 02-08 make-up (6), 02-10..14 (11), 02-17 (12), 02-18 (13), 02-19 (14), 02-20 (15)
  EXPECT_EQ(to_string(holiday_calendar::china().add_working_days(day(2025, 1, 24), 15)), "2025-02-20");
  review_aggregator a({"A"}, settings());
  review_event e = ev("1", "A", "u1", cst(2025, 1, 24), 2);
  e.rectified_at = cst(2025, 2, 20, 18);
  e.followed_up_at = cst(2025, 2, 25);
  a.add(e);
  const auto s = a.summary(day(2025, 12, 31));
  EXPECT_EQ(s.bad_closed_in_time[0], 1);
  EXPECT_EQ(s.bad_followed_up[0], 1);
  EXPECT_EQ(a.summary(day(2025, 2, 24)).bad_followed_up[0], 0);  // not yet followed up then
}

TEST(ReviewDeadline, ACalendarThatDoesNotCoverTheDeadlineIsAnError) {
  review_settings rs = settings();
  review_aggregator a({"A"}, rs);
  a.add(ev("1", "A", "u1", cst(2026, 12, 28), 1));
  try {
    (void)a.summary(day(2027, 1, 31));
    FAIL() << "expected a data_error";
  } catch (const data_error& err) {
    EXPECT_NE(std::string(err.what()).find("2026-12-31"), std::string::npos) << err.what();
  }
}

// ---------------------------------------------------------------------------------------------
// window and decay

TEST(ReviewWindow, TwelveMonthsUpToAsOf) {
  review_aggregator a({"A"}, settings());
  a.add(ev("1", "A", "u1", cst(2024, 12, 31, 23, 59), 1));  // before 2025-01-01: outside
  a.add(ev("2", "A", "u2", cst(2025, 1, 1, 0, 0), 5));      // first day of the window
  a.add(ev("3", "A", "u3", cst(2026, 1, 1, 0, 0), 5));      // after as_of: never counts
  const auto s = a.summary(day(2025, 12, 31));
  EXPECT_EQ(s.valid_n(0), 1.0);
  EXPECT_EQ(count(s, 0, 5), 1);
}

TEST(ReviewDecay, HalfLifeWeightsAndKishEffectiveN) {
  review_settings rs = settings();
  rs.half_life_days = 30;
  review_aggregator a({"A"}, rs);
  a.add(ev("1", "A", "u1", cst(2025, 12, 31), 5));  // age 0: w = 1
  a.add(ev("2", "A", "u2", cst(2025, 12, 1), 1));   // age 30 days: w = 0.5
  const auto s = a.summary(day(2025, 12, 31));
  EXPECT_DOUBLE_EQ(s.weights(0, 4), 1.0);
  EXPECT_DOUBLE_EQ(s.weights(0, 0), 0.5);
  // Kish (1965): n_eff = (Σw)² / Σw² = 1.5² / 1.25 = 1.8
  EXPECT_DOUBLE_EQ(s.effective_n(0), 1.8);
  // index = (1·100 + 0.5·0) / 1.5
  EXPECT_DOUBLE_EQ(s.satisfaction_index(0), 100.0 / 1.5);
  // columns for the core: stars rescaled to n_eff (1.2 and 0.6)
  dataset d({"A"});
  s.apply_to(d);
  EXPECT_DOUBLE_EQ((*d.review_column("stars_5"))[0], 1.2);
  EXPECT_DOUBLE_EQ((*d.review_column("stars_1"))[0], 0.6);
}

TEST(ReviewSummary, EstimatorsUseTheModelPriorsAndLowVolume) {
  review_aggregator a({"A", "B"}, settings());
  for (int k = 0; k < 8; ++k) a.add(ev("a" + std::to_string(k), "A", "u" + std::to_string(k), cst(2025, 6, 1), k < 6 ? 5 : 1));
  const auto s = a.summary(day(2025, 12, 31));
  // 6 good of 8: Wilson lower bound, z = 1.959963984540054 (Wilson 1927):
  // (p + z²/2n − z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n) with p = 0.75, n = 8
  const double z = 1.959963984540054, p = 0.75, n = 8;
  const double wl = (p + z * z / (2 * n) - z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n);
  EXPECT_NEAR(s.wilson_lower(0), wl, 1e-12);
  // Bayesian average toward prior_rate 0.9 with weight min_count 30: (6 + 27) / 38
  EXPECT_NEAR(s.bayes_rate(0), 33.0 / 38.0, 1e-12);
  EXPECT_EQ(s.low_volume[0], 1);
  EXPECT_EQ(s.low_volume[1], 1);
  EXPECT_TRUE(std::isnan(s.satisfaction_rate(1)));  // no review
  EXPECT_EQ(s.wilson_lower(1), 0.0);               // n = 0 gives 0
}

// ---------------------------------------------------------------------------------------------
// rejects

TEST(ReviewRejects, CountedByKindWithExamplesNeverDropped) {
  review_aggregator a({"A"}, settings());
  a.add(ev("", "A", "u1", cst(2025, 1, 2), 5), "events.csv:2");
  a.add(ev("2", "Z", "u1", cst(2025, 1, 2), 5), "events.csv:3");
  a.add(ev("3", "A", "u1", cst(2025, 1, 2), 6), "events.csv:4");
  a.add(ev("4", "A", "u1", no_time, 5), "events.csv:5");
  a.add(ev("5", "A", "u1", cst(1999, 1, 2), 5), "events.csv:6");
  review_event early = ev("6", "A", "u1", cst(2025, 1, 2), 1);
  early.rectified_at = cst(2025, 1, 1);
  a.add(early, "events.csv:7");
  a.add(ev("7", "A", "u1", cst(2025, 1, 2), 5, 70000), "events.csv:8");
  const reject_log& r = a.rejects();
  EXPECT_EQ(r.counts[static_cast<int>(reject_kind::missing_id)], 1u);
  EXPECT_EQ(r.counts[static_cast<int>(reject_kind::unknown_operator)], 1u);
  EXPECT_EQ(r.counts[static_cast<int>(reject_kind::bad_level)], 1u);
  EXPECT_EQ(r.counts[static_cast<int>(reject_kind::bad_time)], 2u);
  EXPECT_EQ(r.counts[static_cast<int>(reject_kind::bad_date_order)], 1u);
  EXPECT_EQ(r.counts[static_cast<int>(reject_kind::bad_revision)], 1u);
  EXPECT_EQ(r.total(), 7u);
  EXPECT_EQ(a.events_seen(), 7u);
  EXPECT_EQ(a.records_kept(), 0u);
  EXPECT_EQ(r.examples[static_cast<int>(reject_kind::unknown_operator)].at(0),
            "events.csv:3: review 2: operator \"Z\" is not in the operator list");
  EXPECT_EQ(r.examples[static_cast<int>(reject_kind::missing_id)].at(0), "events.csv:2: review (no id): empty review_id");
}

TEST(ReviewRejects, BatchRowsAreRejectedByIndex) {
  review_aggregator a({"A", "B"}, settings());
  const std::vector<std::uint64_t> review = {1, 2, 3};
  const std::vector<std::uint32_t> op = {0, 5, 1};
  const std::vector<std::uint64_t> reviewer = {10, 11, 12};
  const std::vector<std::int64_t> time = {cst(2025, 2, 1), cst(2025, 2, 1), cst(2025, 2, 1)};
  const std::vector<std::int8_t> level = {5, 4, 0};
  review_batch b;
  b.size = 3;
  b.review_key = review.data();
  b.operator_index = op.data();
  b.reviewer_key = reviewer.data();
  b.time = time.data();
  b.level = level.data();
  a.add(b);
  EXPECT_EQ(a.records_kept(), 1u);
  EXPECT_EQ(a.rejects().counts[static_cast<int>(reject_kind::unknown_operator)], 1u);
  EXPECT_EQ(a.rejects().counts[static_cast<int>(reject_kind::bad_level)], 1u);
  EXPECT_EQ(a.rejects().examples[static_cast<int>(reject_kind::bad_level)].at(0), "batch row 2: review key 3: level 0 is not 1..5");
}

TEST(ReviewCsv, EventsFileWithBadRowsAndHeaders) {
  const temp_dir dir("reviews-csv");
  const std::string path = dir.file("events.csv");
  std::ofstream(path) << "review_id,revision,operator_id,reviewer_id,time,level,scenario,status,rectified_at,followed_up_at,service_record_id\n"
                         "1,1,A,u1,2025-03-03T10:00:00+08:00,bad,meals,valid,,,\n"
                         "1,2,A,u1,2025-03-03T10:00:00+08:00,bad,meals,valid,2025-03-05,2025-03-06T09:00:00+08:00,\n"
                         "2,1,A,u2,2025-03-04 09:00,4,,pending,,,S-9\n"
                         "3,1,A,u3,yesterday,5,,valid,,,\n"
                         "4,1,B,u3,2025-03-04T01:00:00Z,5,,valid,,,\n"
                         "5,1,A,u4,2025-03-04T01:00:00Z,満意,,valid,,,\n"
                         "6,x,A,u4,2025-03-04T01:00:00Z,5,,valid,,,\n"
                         "7,1,A,u5,2025-03-04T01:00:00Z,好评,,valid,,,\n"
                         "8,1,A,u6,2025-03-04T01:00:00Z,5,,closed,,,\n";
  review_aggregator a({"A"}, settings());
  a.add_csv(path);
  EXPECT_EQ(a.events_seen(), 9u);
  EXPECT_EQ(a.rejects().total(), 5u);
  EXPECT_EQ(a.rejects().examples[static_cast<int>(reject_kind::bad_time)].at(0),
            path + ":5: review 3: time \"yesterday\" is not an ISO 8601 time");
  EXPECT_EQ(a.rejects().examples[static_cast<int>(reject_kind::unknown_operator)].at(0),
            path + ":6: review 4: operator \"B\" is not in the operator list");
  EXPECT_EQ(a.rejects().counts[static_cast<int>(reject_kind::bad_level)], 1u);
  EXPECT_EQ(a.rejects().counts[static_cast<int>(reject_kind::bad_revision)], 1u);
  EXPECT_EQ(a.rejects().counts[static_cast<int>(reject_kind::bad_status)], 1u);
  const auto s = a.summary(day(2025, 12, 31));
  EXPECT_EQ(count(s, 0, 1), 1);
  EXPECT_EQ(count(s, 0, 4), 1);
  EXPECT_EQ(count(s, 0, 5), 1);  // 好评 = ★5
  EXPECT_EQ(s.bad_closed_in_time[0], 1);
  EXPECT_EQ(s.bad_followed_up[0], 1);

  std::ofstream(dir.file("bad.csv")) << "review_id,operator_id,reviewer_id,time,level,colour\n1,A,u,2025-01-01,5,red\n";
  try {
    a.add_csv(dir.file("bad.csv"));
    FAIL();
  } catch (const data_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("bad.csv") + ":1:6: colour: unknown column \"colour\" (review events have review_id, "
                                      "revision, operator_id, reviewer_id, time, level, scenario, status, rectified_at, "
                                      "followed_up_at, service_record_id)");
  }
  std::ofstream(dir.file("nolevel.csv")) << "review_id,operator_id,reviewer_id,time\n1,A,u,2025-01-01\n";
  try {
    a.add_csv(dir.file("nolevel.csv"));
    FAIL();
  } catch (const data_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("nolevel.csv") + ":1: level: missing required column");
  }
}

// ---------------------------------------------------------------------------------------------
// merge properties

/// Random events that share reviewer/operator keys and carry several revisions of the same review.
std::vector<review_event> random_events(std::mt19937_64& rng, std::size_t n, bool revisions) {
  std::vector<review_event> out;
  std::uniform_int_distribution<int> op(0, 4), who(0, 30), lvl(1, 5), dayd(0, 500), rev(1, 3), st(0, 9);
  for (std::size_t i = 0; i < n; ++i) {
    const int id = static_cast<int>(rng() % (n / 2 + 1));  // repeated ids: revisions and exact repeats
    review_event e = ev(std::to_string(1000 + id), std::string(1, static_cast<char>('A' + op(rng))), "u" + std::to_string(who(rng)),
                        cst(2025, 1, 1) + static_cast<std::int64_t>(dayd(rng)) * 86400 + static_cast<std::int64_t>(rng() % 3) * 60,
                        lvl(rng), revisions ? static_cast<std::uint32_t>(rev(rng)) : 1u);
    const int s = st(rng);
    e.status = s == 0 ? review_status::voided : s == 1 ? review_status::pending : review_status::valid;
    if (e.level <= 2 && rng() % 2) e.rectified_at = e.time + static_cast<std::int64_t>(rng() % 40) * 86400;
    if (e.level <= 2 && rng() % 3 == 0) e.followed_up_at = e.time + static_cast<std::int64_t>(rng() % 50) * 86400;
    if (rng() % 4 == 0) e.service_record_id = "S";
    out.push_back(e);
    if (rng() % 5 == 0) out.push_back(e);  // an exact repeat
  }
  return out;
}

TEST(ReviewMerge, AnySplitInAnyOrderEqualsTheWhole) {
  const std::vector<std::string> ops = {"A", "B", "C", "D", "E"};
  for (bool dedup : {true, false}) {
    review_settings rs = settings();
    rs.dedup = dedup;
    rs.window_months = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      std::mt19937_64 rng(seed);
      std::vector<review_event> events = random_events(rng, 400, dedup);
      review_aggregator whole(ops, rs);
      for (const auto& e : events) whole.add(e);
      // shuffle, cut into 1..6 shards (cuts go through the same keys and the same reviews' revisions)
      std::shuffle(events.begin(), events.end(), rng);
      const std::size_t k = 1 + rng() % 6;
      std::vector<review_aggregator> shards(k, review_aggregator(ops, rs));
      for (const auto& e : events) shards[rng() % k].add(e);
      std::vector<std::size_t> order(k);
      for (std::size_t i = 0; i < k; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      review_aggregator merged(ops, rs);
      for (std::size_t i : order) merged.merge(shards[i]);
      ASSERT_EQ(merged, whole) << "dedup " << dedup << " seed " << seed << " shards " << k;
      // and the summaries agree bit for bit
      const auto a = merged.summary(day(2026, 6, 30)), b = whole.summary(day(2026, 6, 30));
      ASSERT_EQ(a.counts, b.counts) << seed;
      ASSERT_EQ(a.bad_overdue, b.bad_overdue) << seed;
      ASSERT_EQ(a.bad_closed_in_time, b.bad_closed_in_time) << seed;
      ASSERT_EQ(a.bad_followed_up, b.bad_followed_up) << seed;
    }
  }
}

TEST(ReviewBatch, BatchesGiveTheStateOfSingleEventsInBothModes) {
  // the batch path has a count-mode fast lane and prefetching: it must build exactly the state
  // that one-at-a-time ingestion builds (ids here are numeric, so review_key(id) is the id)
  const std::vector<std::string> ops = {"A", "B", "C", "D", "E"};
  for (bool dedup : {true, false}) {
    review_settings rs = settings();
    rs.dedup = dedup;
    std::mt19937_64 rng(99);
    const std::vector<review_event> events = random_events(rng, 3000, dedup);
    review_aggregator one(ops, rs), batch(ops, rs);
    std::vector<std::uint64_t> rk, wk;
    std::vector<std::uint32_t> rev, op;
    std::vector<std::int64_t> tm, rect, foll;
    std::vector<std::int8_t> lv;
    std::vector<std::uint8_t> st, svc;
    for (const auto& e : events) {
      one.add(e);
      rk.push_back(review_key(e.review_id));
      wk.push_back(review_key(e.reviewer_id));
      rev.push_back(e.revision);
      op.push_back(static_cast<std::uint32_t>(e.operator_id[0] - 'A'));
      tm.push_back(e.time);
      rect.push_back(e.rectified_at);
      foll.push_back(e.followed_up_at);
      lv.push_back(static_cast<std::int8_t>(e.level));
      st.push_back(static_cast<std::uint8_t>(e.status));
      svc.push_back(e.service_record_id.empty() ? 0 : 1);
    }
    // cut into uneven batches
    for (std::size_t from = 0; from < events.size();) {
      const std::size_t n = std::min<std::size_t>(events.size() - from, 1 + rng() % 700);
      review_batch b;
      b.size = n;
      b.review_key = rk.data() + from;
      b.reviewer_key = wk.data() + from;
      b.revision = rev.data() + from;
      b.operator_index = op.data() + from;
      b.time = tm.data() + from;
      b.rectified_at = rect.data() + from;
      b.followed_up_at = foll.data() + from;
      b.level = lv.data() + from;
      b.status = st.data() + from;
      b.has_service_record = svc.data() + from;
      batch.add(b);
      from += n;
    }
    ASSERT_EQ(batch, one) << "dedup " << dedup;
    EXPECT_EQ(batch.summary(day(2026, 6, 30)).counts, one.summary(day(2026, 6, 30)).counts);
  }
}

TEST(ReviewBatch, CountModeBlocksWithAbsentColumnsAndBadRowsGiveTheStateOfSingleEvents) {
  // count mode reads a batch in blocks of 512 rows (a check pass, then one append per run of one
  // day, then the checked path): absent optional columns read as their defaults, days come in any
  // order, and a bad row past the first block is still rejected under its own row index
  const std::vector<std::string> ops = {"A", "B", "C"};
  review_settings rs = settings();
  rs.dedup = false;
  review_aggregator one(ops, rs), batch(ops, rs);
  const std::size_t n = 1300;
  std::vector<std::uint64_t> rk(n), wk(n);
  std::vector<std::uint32_t> op(n);
  std::vector<std::int64_t> tm(n);
  std::vector<std::int8_t> lv(n);
  for (std::size_t i = 0; i < n; ++i) {
    rk[i] = i + 1;
    wk[i] = 1000 + i % 17;
    op[i] = i % 97 == 5 ? 7u : static_cast<std::uint32_t>(i % 3);  // 7: not an operator
    tm[i] = cst(2025, 1, 1) + static_cast<std::int64_t>(i * 7919 % 40) * 86400 + static_cast<std::int64_t>(i);
    lv[i] = static_cast<std::int8_t>(i == 700 ? 9 : 1 + static_cast<int>(i % 5));
    one.add(ev(std::to_string(rk[i]), op[i] < 3 ? ops[op[i]] : "Z", std::to_string(wk[i]), tm[i], lv[i]));
  }
  review_batch b;  // required arrays only
  b.size = n;
  b.review_key = rk.data();
  b.reviewer_key = wk.data();
  b.operator_index = op.data();
  b.time = tm.data();
  b.level = lv.data();
  batch.add(b);
  EXPECT_EQ(batch.events_seen(), n);
  EXPECT_EQ(batch.records_kept(), one.records_kept());
  EXPECT_EQ(batch.rejects().counts, one.rejects().counts);
  EXPECT_EQ(batch.rejects().counts[static_cast<int>(reject_kind::unknown_operator)], 14u);
  EXPECT_EQ(batch.rejects().examples[static_cast<int>(reject_kind::bad_level)],
            std::vector<std::string>{"batch row 700: review key 701: level 9 is not 1..5"});
  const auto x = batch.summary(day(2025, 3, 31)), y = one.summary(day(2025, 3, 31));
  EXPECT_EQ(x.counts, y.counts);
  EXPECT_GT(x.counts.sum(), 700);  // every ★3–★5 row counts in count mode (about 770)
  EXPECT_EQ(x.bad_open, y.bad_open);
}

TEST(ReviewMerge, DifferentOperatorListsOrModesAreRefused) {
  review_aggregator a({"A", "B"}, settings()), b({"B", "A"}, settings());
  EXPECT_THROW(a.merge(b), data_error);
  review_settings counting = settings();
  counting.dedup = false;
  review_aggregator c({"A", "B"}, counting);
  try {
    a.merge(c);
    FAIL();
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("reviews.dedup differs"), std::string::npos);
  }
  a.add(ev("1", "A", "u", cst(2025, 1, 5), 5));
  a.merge(a);  // merging with itself is merging a copy: nothing new but events seen doubles
  EXPECT_EQ(a.records_kept(), 1u);
  EXPECT_EQ(a.events_seen(), 2u);
}

// ---------------------------------------------------------------------------------------------
// archive

review_aggregator sample_state() {
  review_aggregator a({"WH-1", "WH-2", "WH-3"}, settings());
  std::mt19937_64 rng(42);
  for (const auto& e : random_events(rng, 300, true)) {
    review_event x = e;
    x.operator_id = x.operator_id == "A" ? "WH-1" : x.operator_id == "B" ? "WH-2" : x.operator_id == "C" ? "WH-3" : "nobody";
    a.add(x, "test");
  }
  return a;
}

TEST(ReviewArchive, SaveLoadRoundTripIsExactAndDeterministic) {
  const temp_dir dir("archive");
  const review_aggregator a = sample_state();
  ASSERT_GT(a.records_kept(), 50u);
  ASSERT_GT(a.rejects().total(), 0u);
  a.save(dir.file("state.eragg"));
  const review_aggregator b = review_aggregator::load(dir.file("state.eragg"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.serialize(), b.serialize());  // same state, same bytes
  EXPECT_EQ(a.summary(day(2026, 6, 30)).counts, b.summary(day(2026, 6, 30)).counts);
  EXPECT_EQ(b.settings().deadline_working_days, 15);
  // count mode too
  review_settings counting = settings();
  counting.dedup = false;
  review_aggregator c({"A", "B"}, counting);
  std::mt19937_64 rng(7);
  for (const auto& e : random_events(rng, 200, false))
    if (e.operator_id == "A" || e.operator_id == "B") c.add(e);
  EXPECT_EQ(review_aggregator::deserialize(c.serialize()), c);
  // no temporary file is left behind
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& f : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u);
}

std::string message_of(const std::string& bytes) {
  try {
    (void)review_aggregator::deserialize(bytes, "state.eragg");
  } catch (const archive_error& e) {
    return e.what();
  }
  return "no error";
}

/// Replaces the payload and fixes the header's size and checksum (to reach the checks behind them).
std::string with_payload(std::string bytes, const std::string& payload) {
  bytes.resize(64);
  const std::uint64_t n = payload.size();
  std::memcpy(bytes.data() + 16, &n, 8);
  const std::string hex = detail::sha256_hex(payload);
  for (std::size_t i = 0; i < 32; ++i) bytes[24 + i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return bytes + payload;
}

TEST(ReviewArchive, BadFilesGetPreciseErrors) {
  const std::string good = sample_state().serialize();
  EXPECT_EQ(message_of(good.substr(0, 40)), "state.eragg: not a review archive: 40 bytes, shorter than the 64-byte header");
  EXPECT_EQ(message_of("XXXXXXXX" + good.substr(8)), "state.eragg: not a review archive (wrong magic bytes)");
  const std::string truncated = good.substr(0, good.size() - 10);
  EXPECT_NE(message_of(truncated).find("the archive is truncated or has trailing bytes"), std::string::npos);
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  EXPECT_EQ(message_of(flipped), "state.eragg: checksum mismatch: the archive is corrupted");
  std::string newer = good;
  newer[8] = 3;
  EXPECT_EQ(message_of(newer), "state.eragg: review archive format version 3 is newer than this embedrating reads (2)");
  // a count claiming far more items than there are bytes: the record count of this state, as 8
  // little-endian bytes, appears once in the payload; replace it by 2^60 and fix the checksum
  const review_aggregator a = sample_state();
  std::string payload = good.substr(64);
  const std::uint64_t n = a.records_kept();
  const std::string pattern(reinterpret_cast<const char*>(&n), 8);
  std::size_t at = std::string::npos;
  // the record count comes right before the records, whose first 8 bytes are the smallest review key
  for (std::size_t pos = payload.find(pattern); pos != std::string::npos; pos = payload.find(pattern, pos + 1)) at = pos;
  ASSERT_NE(at, std::string::npos);
  const std::uint64_t huge = std::uint64_t{1} << 60;
  std::string crafted = payload;
  std::memcpy(crafted.data() + at, &huge, 8);
  const std::string msg = message_of(with_payload(good, crafted));
  EXPECT_NE(msg.find("the archive claims 1152921504606846976 items"), std::string::npos) << msg;
  // a payload cut short behind a valid checksum
  EXPECT_NE(message_of(with_payload(good, payload.substr(0, payload.size() / 2))).find("state.eragg: "), std::string::npos);
  // trailing garbage behind a valid checksum
  EXPECT_NE(message_of(with_payload(good, payload + "xx")).find("unread bytes"), std::string::npos);
  // missing file
  EXPECT_THROW((void)review_aggregator::load("/nonexistent/state.eragg"), archive_error);
}

TEST(ReviewArchive, GoldenFileOfFormatVersion1StillLoads) {
  // tests/golden/reviews-v1.eragg was written by format version 1 from sample_state(); every later
  // version must keep reading it. Regenerate only for a new golden file of a new format version.
  const std::string path = std::string(EMBEDRATING_SOURCE_DIR) + "/tests/golden/reviews-v1.eragg";
  const char* update = std::getenv("EMBEDRATING_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") sample_state().save(path);
  const review_aggregator g = review_aggregator::load(path);
  EXPECT_EQ(g, sample_state());
  const auto s = g.summary(day(2026, 6, 30));
  EXPECT_EQ(s.operator_ids, (std::vector<std::string>{"WH-1", "WH-2", "WH-3"}));
  EXPECT_EQ(s.counts, sample_state().summary(day(2026, 6, 30)).counts);
}

}  // namespace

TEST(ReviewLog, StoredRecordsKeepTheHashOfTheKeyAndUnhashGivesTheKeyBack) {
  // the packed run stores key_hash(review): key_unhash must invert it for every key
  std::mt19937_64 rng(77);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t k = rng();
    ASSERT_EQ(detail::key_unhash(detail::key_hash(k)), k) << k;
  }
  for (std::uint64_t k : {std::uint64_t{0}, std::uint64_t{1}, ~std::uint64_t{0}, std::uint64_t{1} << 63})
    EXPECT_EQ(detail::key_unhash(detail::key_hash(k)), k);
}

TEST(ReviewLog, TheRecordStoreKeepsEachKeysWinnerWhateverTheFlushScheduleAndFieldSizes) {
  // the 28-byte packed run plus the side table for rare field values (revision >= 1023, days
  // >= 255, odd flags) against a plain map with the revision rule, under random flush/settle
  // schedules, copies and moves
  using detail::review_record;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    std::mt19937_64 rng(seed);
    std::map<std::uint64_t, review_record> want;
    detail::record_table t;
    const std::uint16_t revisions[] = {1, 2, 3, 2, 1, 1023, 1024, 5000, 65535};
    const std::uint16_t days[] = {0, 0, 0, 1, 7, 254, 255, 256, 65001};
    for (int i = 0; i < 60000; ++i) {
      review_record r;
      r.review = seed == 4 ? rng() % 5000 : rng() % 20000 * 0x9E3779B97F4A7C15ULL;  // seed 4: small numeric keys
      r.reviewer = rng();
      r.op = static_cast<std::uint32_t>(rng() % 7);
      r.time = static_cast<std::uint32_t>(rng());
      r.revision1 = revisions[rng() % (rng() % 50 == 0 ? 9 : 5)];
      r.rectified = days[rng() % (rng() % 40 == 0 ? 9 : 5)];
      r.followed = days[rng() % (rng() % 40 == 0 ? 9 : 5)];
      r.level = static_cast<std::uint8_t>(1 + rng() % 5);
      r.flags = static_cast<std::uint8_t>(rng() % 300 == 0 ? 0x40 | (rng() % 3) : rng() % 7);
      auto [it, fresh] = want.emplace(r.review, r);
      if (!fresh && detail::replaces(r, it->second)) it->second = r;
      t.append(r);
      const auto u = rng() % 10000;
      if (u < 3) t.flush();
      else if (u < 4) t.settle();
      else if (u < 5) t = detail::record_table(t);      // a copy with a pending log
      else if (u < 6) t = detail::record_table(std::move(t));
    }
    t.flush();
    ASSERT_EQ(t.size(), want.size()) << "seed " << seed;
    std::map<std::uint64_t, review_record> got;
    t.for_each([&](const review_record& r) { ASSERT_TRUE(got.emplace(r.review, r).second) << "key twice: " << r.review; });
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [k, r] : want) {
      const auto it = got.find(k);
      ASSERT_NE(it, got.end()) << k;
      ASSERT_EQ(std::memcmp(&it->second, &r, sizeof r), 0) << "key " << k << " revision1 " << r.revision1 << " got " << it->second.revision1;
    }
    const std::size_t before = t.bytes();
    t.settle();
    EXPECT_LE(t.bytes(), before);
    EXPECT_EQ(t.pending(), 0u);
  }
}

TEST(ReviewLog, OnePartitionWithALargeLogKeepsEachKeysWinner) {
  // keys whose hash shares its top 8 bits all land in one partition of the record store, so its
  // run and log grow past 2^15 records and the log takes the two-level sort
  using detail::review_record;
  std::mt19937_64 rng(11);
  std::vector<std::uint64_t> keys(90000);
  for (auto& k : keys) k = detail::key_unhash(rng() >> 8);  // hash < 2^56: partition 0
  std::map<std::uint64_t, review_record> want;
  detail::record_table t;
  for (int i = 0; i < 200000; ++i) {
    review_record r;
    r.review = keys[rng() % keys.size()];
    r.reviewer = rng();
    r.op = static_cast<std::uint32_t>(rng() % 5);
    r.time = static_cast<std::uint32_t>(rng());
    r.revision1 = static_cast<std::uint16_t>(1 + rng() % 4);
    r.rectified = r.followed = 0;
    r.level = static_cast<std::uint8_t>(1 + rng() % 5);
    r.flags = static_cast<std::uint8_t>(rng() % 7);
    auto [it, fresh] = want.emplace(r.review, r);
    if (!fresh && detail::replaces(r, it->second)) it->second = r;
    t.append(r);
  }
  t.flush();
  ASSERT_EQ(t.size(), want.size());
  ASSERT_GT(want.size(), std::size_t{1} << 16);
  std::uint64_t last = 0;
  std::size_t seen = 0;
  t.for_each([&](const review_record& r) {
    const std::uint64_t h = detail::key_hash(r.review);
    EXPECT_TRUE(seen == 0 || h > last) << "not in key-hash order at " << seen;
    last = h;
    ++seen;
    const auto it = want.find(r.review);
    ASSERT_NE(it, want.end());
    EXPECT_EQ(std::memcmp(&it->second, &r, sizeof r), 0) << "key " << r.review;
  });
  EXPECT_EQ(seen, want.size());
}

TEST(ReviewLog, RareFieldValuesGiveTheSameResultsInEveryOrder) {
  // revisions above 1022 and rectification/follow-up 255+ days after the review live in a side
  // table: the winner, the summary and the archive bytes must not depend on the arrival order
  const std::vector<std::string> ops = {"A", "B"};
  std::vector<review_event> events;
  events.push_back(ev("1", "A", "u1", cst(2025, 1, 10), 5, 1));
  events.push_back(ev("1", "A", "u1", cst(2025, 1, 10), 2, 3000));  // the winner: rare revision, ★2
  events.push_back(ev("1", "A", "u1", cst(2025, 1, 10), 4, 2));
  review_event late = ev("2", "B", "u2", cst(2025, 1, 10), 1, 1);
  late.rectified_at = cst(2025, 11, 1);  // 295 days later: rare
  late.followed_up_at = cst(2025, 11, 2);
  events.push_back(late);
  events.push_back(ev("2", "B", "u2", cst(2025, 1, 10), 1, 2));  // rev 2 without rectification wins
  review_event rare_only = ev("3", "B", "u3", cst(2025, 2, 10), 1, 1);
  rare_only.rectified_at = cst(2025, 12, 1);
  events.push_back(rare_only);
  std::sort(events.begin(), events.end(), [](const review_event& x, const review_event& y) {
    return std::tie(x.review_id, x.revision) < std::tie(y.review_id, y.revision);
  });
  std::string bytes;
  std::size_t orders = 0;
  do {
    review_aggregator a(ops, settings());
    for (const auto& e : events) {
      a.add(e);
      if (orders % 2) (void)a.records_kept();  // every other order: a flush after each event
    }
    ASSERT_EQ(a.records_kept(), 3u);
    const auto s = a.summary(day(2025, 12, 31));
    EXPECT_EQ(count(s, 0, 2), 1);  // review 1: revision 3000 (★2)
    EXPECT_EQ(count(s, 0, 5) + count(s, 0, 4), 0);
    EXPECT_EQ(count(s, 1, 1), 2);
    EXPECT_EQ(s.bad_open[1] + s.bad_overdue[1] + s.bad_closed_in_time[1], 2);
    EXPECT_EQ(s.bad_overdue[1], 2);     // review 2: not rectified, past its deadline; review 3: rectified late
    EXPECT_EQ(s.bad_followed_up[1], 0);  // review 2's follow-up was on the losing revision
    const std::string b = a.serialize();
    if (bytes.empty()) bytes = b;
    ASSERT_EQ(b, bytes) << "order " << orders;
    const review_aggregator back = review_aggregator::deserialize(b, "rare");
    EXPECT_EQ(back, a);
    EXPECT_EQ(back.serialize(), b);
    ++orders;
  } while (std::next_permutation(events.begin(), events.end(), [](const review_event& x, const review_event& y) {
    return std::tie(x.review_id, x.revision) < std::tie(y.review_id, y.revision);
  }));
  EXPECT_EQ(orders, 720u);
}

TEST(ReviewLog, TheFlushScheduleOfTheIngestLogNeverChangesTheState) {
  // records reach the table through a log flushed in slot order (issue 14 item 4): flushing after
  // every event (a reader after each add), only when the log is full (tens of thousands of
  // records: the sorted sweep) or in another arrival order must give the same state, bytes and
  // summary, and in dedup mode one record per distinct review id
  const std::vector<std::string> ops = {"A", "B", "C", "D", "E"};
  for (bool dedup : {true, false}) {
    review_settings rs = settings();
    rs.dedup = dedup;
    rs.window_months = 0;
    std::mt19937_64 rng(1414);
    std::vector<review_event> events = random_events(rng, 60000, true);
    review_aggregator eager(ops, rs), lazy(ops, rs), shuffled(ops, rs);
    std::size_t last = 0;
    for (const auto& e : events) {
      eager.add(e);
      const std::size_t kept = eager.records_kept();  // a reader: flushes the log now
      ASSERT_GE(kept, last);
      last = kept;
    }
    for (const auto& e : events) lazy.add(e);
    std::shuffle(events.begin(), events.end(), rng);
    for (const auto& e : events) shuffled.add(e);
    ASSERT_EQ(lazy, eager) << "dedup " << dedup;
    ASSERT_EQ(shuffled, eager) << "dedup " << dedup;
    EXPECT_EQ(lazy.serialize(), eager.serialize());
    EXPECT_EQ(shuffled.serialize(), eager.serialize());
    const auto a = lazy.summary(day(2026, 6, 30)), b = eager.summary(day(2026, 6, 30)), c = shuffled.summary(day(2026, 6, 30));
    EXPECT_EQ(a.counts, b.counts);
    EXPECT_EQ(c.counts, b.counts);
    EXPECT_EQ(a.bad_overdue, b.bad_overdue);
    EXPECT_EQ(c.bad_followed_up, b.bad_followed_up);
    if (dedup) {
      std::set<std::string> ids;
      for (const auto& e : events) ids.insert(e.review_id);
      EXPECT_EQ(lazy.records_kept(), ids.size());
      EXPECT_GT(ids.size(), std::size_t{16384});  // more than one log's worth: the sorted flush ran
    }
  }
}
