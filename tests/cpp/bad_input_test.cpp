// Every bad input gets a clear error that names where it is (issue 15): one table per reader —
// operator and facility CSV, review events, model TOML, review archives, AHP matrices. Each row
// says what the input is and which texts its error must hold (file:line:column, field, operator,
// the cell as a visible escape). tests/RELIABILITY.md counts the rows (BadInput.* prints them).
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <embedrating/detail/sha256.hpp>
#include <embedrating/embedrating.hpp>
#include <embedrating/reviews.hpp>
#include <embedrating/weights.hpp>

#include "temp_dir.hpp"
#include "test_files.hpp"

namespace {

using embedrating::test_support::read_text;
using embedrating::test_support::write_text;

using namespace embedrating;
using embedrating::test_support::temp_dir;

/// A CSV as lines of cells (no quoting in the shipped files).
struct table {
  std::vector<std::vector<std::string>> rows;

  static table load(const std::string& path, std::size_t max_rows = 1000000) {
    table t;
    std::istringstream in(read_text(path));
    for (std::string l; std::getline(in, l) && t.rows.size() <= max_rows;) {
      if (!l.empty() && l.back() == '\r') l.pop_back();
      std::vector<std::string> cells(1);
      for (char c : l) {
        if (c == ',') cells.emplace_back();
        else cells.back() += c;
      }
      t.rows.push_back(cells);
    }
    return t;
  }
  std::size_t col(const std::string& name) const {
    for (std::size_t k = 0; k < rows[0].size(); ++k)
      if (rows[0][k] == name) return k;
    throw std::runtime_error("no column " + name);
  }
  /// Row r (1 = first data row) of column `name` set to `value` (written as is: quote it yourself).
  table with(std::size_t r, const std::string& name, const std::string& value) const {
    table t = *this;
    t.rows[r][col(name)] = value;
    return t;
  }
  std::string text() const {
    std::string out;
    for (const auto& r : rows) {
      for (std::size_t k = 0; k < r.size(); ++k) out += (k ? "," : "") + r[k];
      out += "\r\n";
    }
    return out;
  }
  /// "file:line:column: field: operator X: " of a cell (row r is on physical line r + 1).
  std::string where(const std::string& file, std::size_t r, const std::string& name) const {
    return file + ":" + std::to_string(r + 1) + ":" + std::to_string(col(name) + 1) + ": " + name + ": operator " +
           rows[r][0] + ": ";
  }
};

struct bad_case {
  std::string name;
  std::string input;
  std::vector<std::string> expect;  ///< texts the error message must hold
};

std::size_t cases_run = 0;

/// Runs `f(input)` and checks it throws E with every expected text.
template <class E, class F>
void expect_all(const std::vector<bad_case>& cases, F&& f) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ++cases_run;
    try {
      f(c.input);
      ADD_FAILURE() << c.name << ": no error";
    } catch (const E& e) {
      const std::string what = e.what();
      for (const auto& x : c.expect) EXPECT_NE(what.find(x), std::string::npos) << c.name << ": \"" << x << "\" not in: " << what;
      EXPECT_EQ(what.find('\0'), std::string::npos) << c.name;  // never cut short by a NUL
      EXPECT_LT(what.size(), 1000u) << c.name << ": message too long";
    }
  }
}

const model& wuhan() {
  static const model m = model::default_model();
  return m;
}

std::string examples() { return data_directory() + "/examples/operators.csv"; }

// ---------------------------------------------------------------------------------------------
// operators.csv

std::vector<bad_case> operator_cases(const temp_dir& dir) {
  const std::string f = dir.file("operators.csv");
  const table t = table::load(examples());
  std::vector<bad_case> cases;
  auto cell = [&](const std::string& name, std::size_t r, const std::string& col, const std::string& value,
                  std::vector<std::string> expect) {
    expect.insert(expect.begin(), t.where(f, r, col));
    cases.push_back({name, t.with(r, col, value).text(), expect});
  };
  // numbers: decimal only (fire_inspection_score, a measure in [0, 100])
  for (const char* bad : {"0x10", "0X1A", "inf", "-inf", "nan", "NaN", "1e", "1e+", ".", "-", ".e1", "1.2.3", "12abc",
                          "\xEF\xBC\x91\xEF\xBC\x92" /* fullwidth 12 */, "0x1p3", "1_000", "+-1", "--1", "1e00001", "TRUE",
                          "1d", "\xC2\xA5" "12" /* ¥12 */, "9 9", "\"1,5\""})
    cell(std::string("number ") + bad, 2, "fire_inspection_score", bad, {"is not a decimal number"});
  cell("number 1e999", 2, "fire_inspection_score", "1e999", {"\"1e999\" is too large"});
  cell("number above the measure's max", 2, "fire_inspection_score", "101", {"value 101 is outside the allowed range [0, 100]"});
  cell("number below the measure's min", 2, "fire_inspection_score", "-0.5", {"outside the allowed range [0, 100]"});
  // review counts: whole numbers 0 .. 1e9
  cell("review count 1e23", 1, "stars_5", "1e23", {"\"1e23\" is outside the allowed range [0, 1000000000]"});
  cell("review count -1", 1, "stars_5", "-1", {"outside the allowed range [0, 1000000000]"});
  cell("review count 1.5", 1, "bad_open", "1.5", {"\"1.5\" is not a whole number"});  // star counts may be fractional (decayed)
  cell("review count empty", 1, "stars_5", "", {"a review count cannot be empty (write 0)"});
  cell("review count hex", 1, "bad_open", "0x1", {"\"0x1\" is not a decimal number"});
  // dates: YYYY-MM-DD within 1900 .. 2199
  for (const char* bad : {"2024-02-30", "24-01-01", "2024-13-01", "2024-1-1", "20240101", "2024-01-01T00:00", "yesterday"})
    cell(std::string("date ") + bad, 3, "opened_on", bad, {"is not a date YYYY-MM-DD"});
  cell("date 9999-12-31", 3, "last_penalty_on", "9999-12-31", {"\"9999-12-31\" is outside the dates a data file may hold (1900-01-01 .. 2199-12-31)"});
  cell("date 1899-12-31", 3, "opened_on", "1899-12-31", {"outside the dates a data file may hold"});
  // flags, grades, statuses, scenarios, modes, categories
  for (const char* bad : {"2", "yes", "1.0", "-1"}) cell(std::string("flag ") + bad, 4, "credit_blacklist", bad, {"a flag is 0 or 1 (true/false), got \""});
  for (const char* bad : {"6A", "AAAAA", "0A"}) cell(std::string("grade ") + bad, 4, "previous_grade", bad, {"is not a grade (5A..1A, unrated, or empty)"});
  cell("status closed", 5, "status", "closed", {"unknown status \"closed\" (active, suspending, suspended, terminated)"});
  cell("unknown scenario", 5, "scenarios", "elderly_care;meals;nonsense", {"unknown scenario \"nonsense\""});
  cell("scenario twice", 5, "scenarios", "elderly_care;meals;meals;child_care", {"scenario \"meals\" listed twice"});
  cell("unknown mode", 6, "mode", "private", {"unknown operating mode \"private\""});
  cell("food grade D", 6, "food_grade", "D", {"\"D\" is not a level of food_grade (allowed: A, B, C)"});
  // text cells: NUL, control characters, a BOM in the middle — a visible escape, line and column
  const std::string name_at = f + ":3:";  // row 2 is on line 3
  cases.push_back({"NUL in a name", t.with(2, "name_zh", std::string("x\0y", 3)).text(), {name_at, "forbidden character \\x00", "NUL"}});
  cases.push_back({"NUL after a number", t.with(2, "fire_inspection_score", std::string("9\0" "9", 3)).text(), {f + ":3:120: ", "\\x00"}});
  cases.push_back({"ESC in a name", t.with(2, "name_zh", "\x1B[31mred").text(), {name_at, "forbidden character \\x1B", "control character"}});
  cases.push_back({"SOH in a name", t.with(2, "name_zh", "a\x01").text(), {name_at, "\\x01"}});
  cases.push_back({"DEL in a name", t.with(2, "name_zh", "a\x7F").text(), {name_at, "\\x7F"}});
  cases.push_back({"C1 NEL in a name", t.with(2, "name_zh", "a\xC2\x85").text(), {name_at, "\\u0085"}});
  cases.push_back({"BOM in the middle (id)", t.with(3, "operator_id", "\xEF\xBB\xBFWH-003").text(), {f + ":4:1:", "\\uFEFF", "byte-order mark"}});
  cases.push_back({"two files pasted", t.text() + "\xEF\xBB\xBF" + t.text(), {f + ":10:1:", "\\uFEFF"}});
  cases.push_back({"BEL in a quoted cell", t.with(2, "name_zh", "\"a\x07\"").text(), {name_at, "\\x07"}});
  // the header
  {
    table d = t;
    d.rows[0][t.col("fire_open_hazards")] = "fire_inspection_score";
    cases.push_back({"duplicate column", d.text(), {f + ":1: ", "duplicate column name \"fire_inspection_score\" in the header (columns 11 and 12)"}});
    table e = t;
    e.rows[0][t.col("funds_audit")] = " ";
    cases.push_back({"empty column name", e.text(), {f + ":1: ", "empty column name in the header (column 26)"}});
    table u = t;
    u.rows[0][t.col("funds_audit")] = "colour";
    cases.push_back({"unknown column", u.text(), {f + ":1:26: colour: ", "unknown column \"colour\""}});
    table m = t;
    m.rows[0][0] = "operator";
    cases.push_back({"no operator_id column", m.text(), {f + ":1: operator_id: ", "missing required column"}});
    table w = t;
    w.rows[0][1] = std::string(100000, 'n');
    cases.push_back({"a 100 000-character column name is abbreviated", w.text(), {"unknown column \"nnnnnnnn", "… (100000 bytes)\""}});
  }
  cases.push_back({"more than 10 000 columns", "operator_id" + [] {
                     std::string h;
                     for (int k = 0; k < 10001; ++k) h += ",c" + std::to_string(k);
                     return h;
                   }() + "\n", {f + ":1: ", "more than 10000 fields in one record"}});
  cases.push_back({"a field of 2 MiB", t.with(2, "name_zh", std::string(2u << 20, 'x')).text(), {f + ":3:8: ", "a field of more than 1048576 bytes", "… (1048577 bytes)"}});
  cases.push_back({"a quoted field of 2 MiB", t.with(2, "name_zh", "\"" + std::string(2u << 20, 'x') + "\"").text(), {f + ":3:8: ", "a quoted field of more than 1048576 bytes"}});
  cases.push_back({"unterminated quote", t.with(2, "name_zh", "\"abc").text(), {f + ":3:8: ", "unterminated quoted field"}});
  cases.push_back({"text after a closing quote", t.with(2, "name_zh", "\"abc\"x").text(), {f + ":3:13: ", "unexpected character after the closing quote"}});
  {
    table s = t;
    s.rows[3].pop_back();
    cases.push_back({"a row one field short", s.text(), {f + ":4: ", "expected 51 fields, got 50"}});
  }
  cases.push_back({"undecodable bytes", t.with(2, "name_zh", "\xFF\xFE\xFF").text(), {f + ":3:", "undecodable byte 0xFF (neither valid UTF-8 nor valid GB18030)"}});
  cases.push_back({"UTF-16 text", std::string("\xFF\xFEo\0p\0", 6), {f + ":1:", "undecodable byte"}});
  cases.push_back({"empty file", "", {f + ": ", "empty CSV: no header row"}});
  cases.push_back({"header only", t.rows.empty() ? "" : table{{t.rows[0]}}.text(), {f + ":1: ", "the file has no operator rows"}});
  cases.push_back({"duplicate operator id", t.with(3, "operator_id", "WH-002").text(), {f + ":4:1: operator_id: operator WH-002: ", "duplicate operator id \"WH-002\" (first at line 3)"}});
  cases.push_back({"empty operator id", t.with(3, "operator_id", "").text(), {f + ":4:1: operator_id: ", "empty operator id"}});
  return cases;
}

TEST(BadInput, OperatorCsv) {
  const temp_dir dir;
  const std::string f = dir.file("operators.csv");
  const auto cases = operator_cases(dir);
  EXPECT_GE(cases.size(), 70u);
  expect_all<data_error>(cases, [&](const std::string& text) {
    write_text(f, text);
    (void)read_operators_csv(f, wuhan());
  });
  std::cout << "[ BadInput ] operator CSV cases: " << cases.size() << "\n";
}

TEST(BadInput, SmallestSubnormalAndUnderflowAreNumbers) {
  // 4.9e-324 is a number (regression: it was "not a finite number"); 1e-400 rounds to 0
  const temp_dir dir;
  const std::string f = dir.file("operators.csv");
  const table t = table::load(examples());
  write_text(f, t.with(2, "fire_inspection_score", "4.9e-324").with(3, "fire_inspection_score", "1e-400").text());
  const dataset d = read_operators_csv(f, wuhan());
  EXPECT_GT((*d.number("fire_inspection_score"))[1], 0.0);
  EXPECT_EQ((*d.number("fire_inspection_score"))[2], 0.0);
  EXPECT_FALSE(std::signbit((*d.number("fire_inspection_score"))[2]));
}

TEST(BadInput, ManyUnknownColumnsAreSummarised) {
  // 10^4 unknown columns: 20 listed, then one line for the rest (regression: 17 MB of lines)
  const temp_dir dir;
  const std::string f = dir.file("operators.csv");
  table t = table::load(examples());
  for (auto& r : t.rows)
    for (int k = 0; k < 9000; ++k) r.push_back(&r == &t.rows[0] ? "x" + std::to_string(k) : "1");
  write_text(f, t.text());
  problem_sink sink;
  (void)read_operators_csv(f, wuhan(), "auto", &sink);
  ASSERT_EQ(sink.size(), 21u);
  EXPECT_NE(std::string(sink.back().what()).find("8980 more unknown columns (9000 in all; the first 20 are listed)"), std::string::npos)
      << sink.back().what();
}

// ---------------------------------------------------------------------------------------------
// facilities.csv

TEST(BadInput, FacilityCsv) {
  const temp_dir dir;
  const std::string f = dir.file("facilities.csv");
  const dataset ops = read_operators_csv(data_directory() + "/sample/operators.csv", wuhan());
  const table t = table::load(data_directory() + "/sample/facilities.csv", 6);
  auto where = [&](std::size_t r, const std::string& col) {
    return f + ":" + std::to_string(r + 1) + ":" + std::to_string(t.col(col) + 1) + ": " + col + ": ";
  };
  std::vector<bad_case> cases = {
      {"volume -1", t.with(1, "volume", "-1").text(), {where(1, "volume"), "facility \"" + t.rows[1][0] + "\": volume \"-1\" is outside the allowed range [0, 1000000000000]"}},
      {"volume abc", t.with(1, "volume", "abc").text(), {where(1, "volume"), "\"abc\" is not a decimal number"}},
      {"volume empty", t.with(1, "volume", "").text(), {where(1, "volume"), "volume cannot be empty"}},
      {"volume 1e13", t.with(2, "volume", "1e13").text(), {where(2, "volume"), "outside the allowed range"}},
      {"unknown operator", t.with(2, "operator_id", "WH-NOPE").text(), {where(2, "operator_id"), "belongs to an operator that is not in"}},
      {"empty operator", t.with(2, "operator_id", "").text(), {where(2, "operator_id"), "empty operator id"}},
      {"duplicate facility", t.with(3, "facility_id", t.rows[1][0]).text(), {where(3, "facility_id"), "duplicate facility id"}},
      {"empty facility id", t.with(3, "facility_id", "").text(), {where(3, "facility_id"), "empty facility id"}},
      {"score above 100", t.with(1, "fire_inspection_score", "100.5").text(), {where(1, "fire_inspection_score"), "outside the allowed range [0, 100]"}},
      {"score hex", t.with(1, "fire_inspection_score", "0x50").text(), {where(1, "fire_inspection_score"), "\"0x50\" is not a decimal number"}},
      {"food grade E", t.with(1, "food_grade", "E").text(), {where(1, "food_grade"), "\"E\" is not a level of food_grade"}},
      {"NUL in a name", t.with(1, "name_zh", std::string("a\0", 2)).text(), {f + ":2:", "\\x00"}},
  };
  expect_all<data_error>(cases, [&](const std::string& text) {
    write_text(f, text);
    (void)read_facilities_csv(f, wuhan(), ops);
  });
}

// ---------------------------------------------------------------------------------------------
// review events

TEST(BadInput, ReviewEventsAreRejectedWithTheirLine) {
  const temp_dir dir;
  const std::string f = dir.file("reviews.csv");
  const std::string header = "review_id,revision,operator_id,reviewer_id,time,level,scenario,status,rectified_at,followed_up_at,service_record_id\n";
  struct row_case {
    std::string name, row;
    reject_kind kind;
    std::string expect;
  };
  const std::vector<row_case> rows = {
      {"level 6", "r1,1,WH-001,u1,2025-01-02T10:00,6,,valid,,,", reject_kind::bad_level, "level \"6\" is not 1..5, good or bad"},
      {"level star", "r1,1,WH-001,u1,2025-01-02T10:00,\xE2\x98\x85" "5,,valid,,,", reject_kind::bad_level, "is not 1..5"},
      {"level 0", "r1,1,WH-001,u1,2025-01-02T10:00,0,,valid,,,", reject_kind::bad_level, "level \"0\""},
      {"time yesterday", "r1,1,WH-001,u1,yesterday,5,,valid,,,", reject_kind::bad_time, "time \"yesterday\" is not an ISO 8601 time"},
      {"time month 13", "r1,1,WH-001,u1,2025-13-01,5,,valid,,,", reject_kind::bad_time, "is not an ISO 8601 time"},
      {"time 25:00", "r1,1,WH-001,u1,2025-01-01T25:00,5,,valid,,,", reject_kind::bad_time, "is not an ISO 8601 time"},
      {"time before 2000", "r1,1,WH-001,u1,1999-12-31,5,,valid,,,", reject_kind::bad_time, ""},
      {"status maybe", "r1,1,WH-001,u1,2025-01-02,5,,maybe,,,", reject_kind::bad_status, "status \"maybe\" is not valid, pending or void"},
      {"revision hex", "r1,0x10,WH-001,u1,2025-01-02,5,,valid,,,", reject_kind::bad_revision, "revision \"0x10\" is not a whole number 0..65534"},
      {"revision -1", "r1,-1,WH-001,u1,2025-01-02,5,,valid,,,", reject_kind::bad_revision, "revision \"-1\""},
      {"revision 70000", "r1,70000,WH-001,u1,2025-01-02,5,,valid,,,", reject_kind::bad_revision, "revision \"70000\""},
      {"no review id", ",1,WH-001,u1,2025-01-02,5,,valid,,,", reject_kind::missing_id, "empty review_id"},
      {"no reviewer", "r1,1,WH-001,,2025-01-02,5,,valid,,,", reject_kind::missing_id, "empty reviewer_id"},
      {"unknown operator", "r1,1,WH-999,u1,2025-01-02,5,,valid,,,", reject_kind::unknown_operator, "operator \"WH-999\" is not in the operator list"},
      {"rectified x", "r1,1,WH-001,u1,2025-01-02,1,,valid,x,,", reject_kind::bad_time, "rectified_at \"x\" is not an ISO 8601 time"},
      {"rectified before the review", "r1,1,WH-001,u1,2025-01-02,1,,valid,2024-01-01,,", reject_kind::bad_date_order, ""},
      {"a 1 MB review id is abbreviated", std::string(1000000, 'r') + ",x,WH-001,u1,2025-01-02,5,,valid,,,", reject_kind::bad_revision, "… (1000000 bytes)"},
  };
  const dataset ops = read_operators_csv(examples(), wuhan());
  for (const auto& c : rows) {
    SCOPED_TRACE(c.name);
    ++cases_run;
    write_text(f, header + "r0,1,WH-001,u0,2025-01-01,5,,valid,,,\n" + c.row + "\n");
    review_aggregator agg(wuhan(), ops);
    agg.add_csv(f);
    const auto k = static_cast<std::size_t>(c.kind);
    ASSERT_EQ(agg.rejects().counts[k], 1u) << c.name;
    const std::string example = agg.rejects().examples[k].at(0);
    EXPECT_EQ(example.rfind(f + ":3: review ", 0), 0u) << example;
    EXPECT_NE(example.find(c.expect), std::string::npos) << example;
    EXPECT_LT(example.size(), 300u) << example;
    EXPECT_EQ(agg.events_seen(), 2u);
  }
  const std::vector<bad_case> headers = {
      {"unknown column", "review_id,operator_id,reviewer_id,time,level,colour\n", {f + ":1:6: colour: ", "unknown column \"colour\""}},
      {"no level column", "review_id,operator_id,reviewer_id,time\n", {f + ":1: level: ", "missing required column"}},
      {"NUL in an event", header + std::string("r1,1,WH-001,u1,2025-01-02,5\0,,valid,,,\n", 39), {f + ":2:", "\\x00"}},
  };
  expect_all<data_error>(headers, [&](const std::string& text) {
    write_text(f, text);
    review_aggregator agg(wuhan(), ops);
    agg.add_csv(f);
  });
}

// ---------------------------------------------------------------------------------------------
// model TOML

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("no \"" + from + "\" in the model");
  return s.replace(at, from.size(), to);
}

TEST(BadInput, ModelToml) {
  const std::string base = read_text(data_directory() + "/models/wuhan-2024.toml");
  const std::string m = "m.toml";
  std::vector<bad_case> cases = {
      {"syntax [[[", "[[[", {m + ":1:", "TOML syntax error"}},
      {"window_months 601", replace(base, "window_months = 12", "window_months = 601"), {m + ": reviews.window_months: must be 0 (no window) .. 600"}},
      {"window_months 12.5", replace(base, "window_months = 12", "window_months = 12.5"), {"reviews.window_months: must be a whole number"}},
      {"window_months huge", replace(base, "window_months = 12", "window_months = 100000000000"), {"reviews.window_months: must be a whole number"}},
      {"min_count -1", replace(base, "min_count = 30", "min_count = -1"), {"reviews.min_count: must be 0 .. 1e9"}},
      {"level value nan", replace(base, "level_values = [0, 30, 60, 80, 100]", "level_values = [nan, 30, 60, 80, 100]"), {"reviews.level_values[0]: must be finite"}},
      {"level values 4", replace(base, "level_values = [0, 30, 60, 80, 100]", "level_values = [0, 30, 60, 80]"), {"reviews.level_values: must be an array of 5 numbers"}},
      {"level values decreasing", replace(base, "level_values = [0, 30, 60, 80, 100]", "level_values = [0, 30, 90, 80, 100]"), {"reviews.level_values: must not decrease"}},
      {"level value text", replace(base, "level_values = [0, 30, 60, 80, 100]", "level_values = [0, 30, \"x\", 80, 100]"), {"reviews.level_values[2]: must be a number"}},
      {"wilson_z 0", replace(base, "wilson_z = 1.959963984540054", "wilson_z = 0"), {"reviews.wilson_z: must be in (0, 10]"}},
      {"half_life_days -1", replace(base, "half_life_days = 0", "half_life_days = -1"), {"reviews.half_life_days: must be 0 (no decay) .. 36500"}},
      {"deadline 366", replace(base, "deadline_working_days = 15", "deadline_working_days = 366"), {"reviews.deadline_working_days: must be 0..365"}},
      {"period week", replace(base, "period = \"month\"", "period = \"week\""), {"reviews.period: must be \"month\" or \"days\""}},
      {"period_days with month", replace(base, "period = \"month\"", "period = \"month\"\nperiod_days = 7"), {"reviews.period_days: is only used with period = \"days\""}},
      {"prior_rate 1.5", replace(base, "prior_rate = 0.9", "prior_rate = 1.5"), {"reviews.prior_rate: must be a number in [0, 1]"}},
      {"no rise months 5000", replace(base, "no_rise_months_after_downgrade = 12", "no_rise_months_after_downgrade = 5000"), {"history.no_rise_months_after_downgrade: must be 0..1200"}},
      {"max_rise 9", replace(base, "max_rise = 1", "max_rise = 9"), {"history.max_rise: must be 0..5"}},
      {"effective_to before from", replace(base, "effective_to = 2026-08-22", "effective_to = 2020-01-01"), {"model.effective_to: is before effective_from"}},
      {"no id", replace(base, "id = \"wuhan-2024\"", "id = \"\""), {"model.id: is required"}},
      {"unknown key", replace(base, "[history]\n", "[history]\ncolour = 1\n"), {"colour"}},
      {"measure max below min", replace(base, "min = 0\nmax = 100\ndirection = \"benefit\"", "min = 100\nmax = 0\ndirection = \"benefit\""), {m + ":"}},
      {"NUL in the text", std::string("[model]\nid = \"a\0b\"\n", 19), {m + ":2:", "TOML syntax error"}},
      {"deeply nested arrays", "a = " + std::string(100000, '[') + std::string(100000, ']'), {m + ":1:", "TOML syntax error"}},
      {"deeply nested tables", "a = " + [] {
         std::string s;
         for (int k = 0; k < 10000; ++k) s += "{b = ";
         return s + "1" + std::string(10000, '}');
       }(), {m + ":1:", "TOML syntax error"}},
      {"larger than 4 MiB", std::string(5u << 20, '#'), {m + ": model file is larger than 4 MiB"}},
  };
  expect_all<model_error>(cases, [&](const std::string& text) { (void)model::from_toml(text, m); });
}

TEST(BadInput, ModelFileThatIsADirectory) {
  // regression: "larger than 4 MiB (9223372036854775807 bytes)"
  const temp_dir dir;
  ++cases_run;
  try {
    (void)model::load(dir.path().string());
    ADD_FAILURE() << "a directory loaded as a model";
  } catch (const model_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.path().string() + ": model file is a directory, not a file");
  }
}

// ---------------------------------------------------------------------------------------------
// review archives: crafted payloads behind a valid checksum

std::string raw_sha(std::string_view bytes) {
  const std::string hex = detail::sha256_hex(bytes);
  std::string raw(32, '\0');
  for (std::size_t i = 0; i < 32; ++i) raw[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return raw;
}
/// `archive` with `payload` in place of its own: payload size and checksum fixed.
std::string with_payload(const std::string& archive, const std::string& payload) {
  std::string out = archive.substr(0, 64) + payload;
  const std::uint64_t n = payload.size();
  std::memcpy(out.data() + 16, &n, 8);
  const std::string sha = raw_sha(payload);
  std::memcpy(out.data() + 24, sha.data(), 32);
  return out;
}
template <class T>
std::string patched(std::string payload, std::size_t at, T v) {
  std::memcpy(payload.data() + at, &v, sizeof v);
  return payload;
}
template <class T>
T read_at(const std::string& payload, std::size_t at) {
  T v;
  std::memcpy(&v, payload.data() + at, sizeof v);
  return v;
}

// Offsets in the payload (format 2, the portable encoding; docs/archives.md) of a state of one
// operator "A": the class version 0, then the operator count 4, its id 12 (length) and 20, the
// settings 21 (as the table of review settings encodes them: choices as int32), events seen 131,
// the reject log 139 (7 × count and example count), the record count 251, the first day 259 and
// the day count 263.
constexpr std::size_t at_class_version = 0, at_ops = 4, at_level0 = 21, at_min_count = 61, at_period = 93,
                      at_period_days = 97, at_window = 101, at_half_life = 105, at_deadline = 113, at_dedup = 118,
                      at_wilson = 119, at_eb_method = 127, at_records = 251, at_base_day = 259, at_days = 263;

TEST(BadInput, ReviewArchives) {
  review_settings count_mode;
  count_mode.dedup = false;
  const review_aggregator empty({"A"}, count_mode);
  const std::string good = empty.serialize();
  const std::string p = good.substr(64);
  // the offsets above are right: read the known values back
  ASSERT_EQ(read_at<std::uint32_t>(p, at_class_version), 1u);
  ASSERT_EQ(read_at<std::uint64_t>(p, at_ops), 1u);
  ASSERT_EQ(read_at<double>(p, at_level0), 0.0);
  ASSERT_EQ(read_at<double>(p, at_min_count), 30.0);
  ASSERT_EQ(read_at<std::int32_t>(p, at_window), 12);
  ASSERT_EQ(read_at<std::int32_t>(p, at_deadline), 15);
  ASSERT_EQ(read_at<std::uint8_t>(p, at_dedup), 0u);
  ASSERT_EQ(read_at<std::int32_t>(p, at_period), 0);
  ASSERT_EQ(read_at<double>(p, at_wilson), review_settings{}.wilson_z);
  ASSERT_EQ(read_at<std::uint64_t>(p, at_records), 0u);
  ASSERT_EQ(p.size(), at_days + 8);
  const std::string nan = patched(p, at_level0, std::nan(""));
  std::string v1;
  {
    std::ifstream f(std::string(EMBEDRATING_SOURCE_DIR) + "/tests/golden/reviews-v1.eragg", std::ios::binary);
    v1.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(v1.size(), 64u);
  ASSERT_EQ(v1[8], 1);
  const std::string v1p = v1.substr(64);
  std::string version0 = good, version99 = good;
  version0[8] = 0;
  version99[8] = 99;
  // one day of counters with a count that would make it dense: 1 operator × 6 counters
  auto with_days = [&](std::int32_t base, std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> days) {
    std::string q = p.substr(0, at_base_day);
    q.append(reinterpret_cast<const char*>(&base), 4);
    const std::uint64_t n = days.size();
    q.append(reinterpret_cast<const char*>(&n), 8);
    for (const auto& [offset, pairs] : days) {
      q.append(reinterpret_cast<const char*>(&offset), 4);
      const std::uint64_t np = pairs.size() / 2;
      q.append(reinterpret_cast<const char*>(&np), 8);
      q.append(reinterpret_cast<const char*>(pairs.data()), pairs.size() * 4);
    }
    return q;
  };
  const std::int32_t day2025 = make_date(2025, 1, 1).days();
  const std::string a = "state.eragg: ";
  std::vector<bad_case> cases = {
      {"empty", "", {a + "not a review archive: 0 bytes, shorter than the 64-byte header"}},
      {"wrong magic", "XXXXXXXX" + good.substr(8), {a + "not a review archive (wrong magic bytes)"}},
      {"format version 0", version0, {a + "review archive format version 0 does not exist (a damaged header)"}},
      {"format version 99", version99, {a + "review archive format version 99 is newer than this embedrating reads (2)"}},
      {"truncated", good.substr(0, good.size() - 3), {a + "the archive is truncated or has trailing bytes"}},
      {"checksum", good.substr(0, good.size() - 1) + "\x7F", {a + "checksum mismatch: the archive is corrupted"}},
      // format 1 (Boost's binary archive): its header is checked before Boost reads it
      {"Boost signature length 2^40", with_payload(v1, patched(v1p, 0, std::uint64_t{1} << 40)),
       {a + "unreadable review state: the Boost archive header is missing or damaged"}},
      {"Boost signature text", with_payload(v1, patched(v1p, 8, 'X')), {"the Boost archive header is missing or damaged"}},
      {"no Boost header", with_payload(v1, "abc"), {"the Boost archive header is missing or damaged"}},
      {"format 2 payload cut short", with_payload(good, p.substr(0, at_level0 + 3)), {a + "the archive is truncated: 8 more values needed, 3 left"}},
      {"class version 2", with_payload(good, patched(p, at_class_version, std::uint32_t{2})), {"written by a newer embedrating"}},
      {"operator count 2^60", with_payload(good, patched(p, at_ops, std::uint64_t{1} << 60)), {"the archive claims 1152921504606846976 items (operator count)"}},
      {"window_months 10^6", with_payload(good, patched(p, at_window, std::int32_t{1000000})),
       {"the review settings in the archive are invalid: reviews.window_months must be 0 (no window) .. 600"}},
      {"window_months -1", with_payload(good, patched(p, at_window, std::int32_t{-1})), {"reviews.window_months"}},
      {"level value NaN", with_payload(good, nan), {"reviews.level_values[0] must be in [0, 100]"}},
      {"min_count inf", with_payload(good, patched(p, at_min_count, HUGE_VAL)), {"reviews.min_count"}},
      {"period 7", with_payload(good, patched(p, at_period, std::int32_t{7})),
       {a + "review settings: reviews.period must be \"month\" or \"days\" (code 7)"}},
      {"eb_method -1", with_payload(good, patched(p, at_eb_method, std::int32_t{-1})), {"reviews.eb_method"}},
      {"dedup 2", with_payload(good, patched(p, at_dedup, std::uint8_t{2})), {"a boolean is stored as 2"}},
      {"period_days with month", with_payload(good, patched(p, at_period_days, std::int32_t{5})), {"reviews.period_days"}},
      {"half life NaN", with_payload(good, patched(p, at_half_life, std::nan(""))), {"reviews.half_life_days"}},
      {"deadline 10^9", with_payload(good, patched(p, at_deadline, std::int32_t{1000000000})), {"reviews.deadline_working_days"}},
      {"wilson_z -1", with_payload(good, patched(p, at_wilson, -1.0)), {"reviews.wilson_z"}},
      {"record count 2^59", with_payload(good, patched(p, at_records, std::uint64_t{1} << 59)), {"items (record count)"}},
      {"day base out of range", with_payload(good, with_days(-2000000000, {{0, {0, 1}}})), {"the first day of the counters (-2000000000) is outside"}},
      {"day offset out of range", with_payload(good, with_days(day2025, {{4000000, {0, 1}}})), {"a day offset is out of range"}},
      {"day counter out of range", with_payload(good, with_days(day2025, {{0, {6, 1}}})), {"a day's counters are out of range"}},
      {"day counter zero", with_payload(good, with_days(day2025, {{0, {0, 0}}})), {"a day's counters are out of range, zero"}},
      {"day listed twice", with_payload(good, with_days(day2025, {{0, {0, 1}}, {0, {1, 1}}})), {"a day is listed twice"}},
      {"trailing bytes in the payload", with_payload(good, p + "xyz"), {"3 unread bytes at the end of the review state"}},
  };
  expect_all<archive_error>(cases, [&](const std::string& bytes) { (void)review_aggregator::deserialize(bytes, "state.eragg"); });
  // a valid hand-made day loads: the crafting above is right
  const review_aggregator ok = review_aggregator::deserialize(with_payload(good, with_days(day2025, {{0, {2, 7}}})), "ok");
  EXPECT_EQ(ok.summary(make_date(2025, 1, 31)).counts(0, 4), 7);
}

TEST(BadInput, ArchiveWhoseStateWouldNotFitItsBudget) {
  // 30 000 operators, 20 000 days of one counter each set to 2^31: every day dense (720 KB), 14 GB
  // in all from a 1 MB file — refused before allocating (the budget is 256 MiB + 64 × the payload)
  ++cases_run;
  std::vector<std::string> ids;
  for (int k = 0; k < 30000; ++k) ids.push_back(std::to_string(k));
  review_settings count_mode;
  count_mode.dedup = false;
  const std::string good = review_aggregator(ids, count_mode).serialize();
  std::string q = good.substr(64, good.size() - 64 - 12);
  const std::int32_t base = make_date(2001, 1, 1).days();
  const std::uint64_t n = 20000;
  q.append(reinterpret_cast<const char*>(&base), 4);
  q.append(reinterpret_cast<const char*>(&n), 8);
  for (std::uint32_t d = 0; d < n; ++d) {
    const std::uint64_t one = 1;
    const std::uint32_t pair[2] = {0, 1u << 31};
    q.append(reinterpret_cast<const char*>(&d), 4);
    q.append(reinterpret_cast<const char*>(&one), 8);
    q.append(reinterpret_cast<const char*>(pair), 8);
  }
  try {
    (void)review_aggregator::deserialize(with_payload(good, q), "big.eragg");
    ADD_FAILURE() << "a state of 14 GB loaded";
  } catch (const archive_error& e) {
    EXPECT_NE(std::string(e.what()).find("the state would take more than"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(day counters): refused as oversized"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// AHP matrices

TEST(BadInput, AhpMatrices) {
  struct ahp_case {
    std::string name;
    Eigen::MatrixXd a;
    std::string expect;
  };
  Eigen::MatrixXd ok(3, 3);
  ok << 1, 3, 5, 1.0 / 3, 1, 2, 1.0 / 5, 1.0 / 2, 1;
  auto with = [&](Eigen::Index i, Eigen::Index j, double v) {
    Eigen::MatrixXd a = ok;
    a(i, j) = v;
    return a;
  };
  const std::vector<ahp_case> cases = {
      {"empty", Eigen::MatrixXd(0, 0), "the matrix is empty"},
      {"not square", Eigen::MatrixXd::Ones(2, 3), "the matrix must be square, got 2 x 3"},
      {"NaN", with(0, 1, std::nan("")), "judgement (0, 1) = nan must be a finite number > 0"},
      {"infinite", with(0, 2, HUGE_VAL), "must be a finite number > 0"},
      {"zero", with(1, 2, 0.0), "judgement (1, 2) = 0 must be a finite number > 0"},
      {"negative", with(2, 0, -5.0), "must be a finite number > 0"},
      {"diagonal 2", with(1, 1, 2.0), "diagonal judgement (1, 1) = 2 must be 1"},
      {"not reciprocal", with(0, 1, 4.0), "are not reciprocal"},
      {"subnormal", with(0, 1, 4.9e-324), "are not reciprocal"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ++cases_run;
    try {
      (void)weights::ahp(c.a);
      ADD_FAILURE() << c.name << ": no error";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << e.what();
    }
  }
}

TEST(BadInput, ZzCount) {
  // runs last in this file (gtest keeps declaration order): the number of bad inputs above
  if (cases_run == 0) GTEST_SKIP() << "run with the other BadInput tests to count them";
  std::cout << "[ BadInput ] bad-input cases with asserted errors: " << cases_run << "\n";
  EXPECT_GE(cases_run, 100u);
}

}  // namespace
