// Tests of include/embedrating/condition.hpp: field names, the text rendering of conditions, and
// the evaluation of every condition form through rate() on a small model written in TOML here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "embedrating/condition.hpp"
#include "embedrating/dataset.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/model.hpp"
#include "embedrating/rate.hpp"

namespace {

using embedrating::condition;
using embedrating::field_kind;
using embedrating::field_ref;
using embedrating::parse_field;

field_ref parsed(const std::string& text) {
  field_ref f;
  f.kind = field_kind::flag;
  f.name = "sentinel";
  EXPECT_TRUE(parse_field(text, f)) << text;
  return f;
}

// One dimension, one leaf scored linearly from raw.x, low cut-offs, and one warn rule per case.
// Each rule is (id, TOML inline condition).
const std::vector<std::pair<std::string, std::string>> cases = {
    // raw number
    {"x_lt", R"({ field = "raw.x", op = "<", value = 50 })"},
    {"x_le", R"({ field = "raw.x", op = "<=", value = 50 })"},
    {"x_gt", R"({ field = "raw.x", op = ">", value = 50 })"},
    {"x_ge", R"({ field = "raw.x", op = ">=", value = 50 })"},
    {"x_eq", R"({ field = "raw.x", op = "==", value = 50 })"},
    {"x_ne", R"({ field = "raw.x", op = "!=", value = 50 })"},
    {"x_in", R"({ field = "raw.x", op = "in", value = [10, 50, 70] })"},
    {"x_missing", R"({ field = "raw.x", op = "is_missing" })"},
    {"x_present", R"({ field = "raw.x", op = "is_missing", value = false })"},
    {"x_bare", R"({ field = "x", op = ">", value = 20 })"},
    // raw category
    {"cat_eq", R"({ field = "raw.cat", op = "==", value = "A" })"},
    {"cat_ne", R"({ field = "raw.cat", op = "!=", value = "A" })"},
    {"cat_in", R"({ field = "raw.cat", op = "in", value = ["B", "C"] })"},
    {"cat_missing", R"({ field = "raw.cat", op = "is_missing" })"},
    // flag
    {"flag_true", R"({ field = "flag.f", op = "==", value = true })"},
    {"flag_false", R"({ field = "flag.f", op = "==", value = false })"},
    {"flag_ne", R"({ field = "flag.f", op = "!=", value = true })"},
    // attribute
    {"attr_eq", R"({ field = "attr.district", op = "==", value = "江岸" })"},
    {"attr_ne", R"({ field = "attr.district", op = "!=", value = "江岸" })"},
    {"attr_in", R"({ field = "attr.district", op = "in", value = ["江汉", "武昌"] })"},
    {"attr_missing", R"({ field = "attr.district", op = "is_missing" })"},
    {"attr_status", R"({ field = "attr.status", op = "==", value = "active" })"},
    // scenarios
    {"scen_size_ge", R"({ field = "scenarios", op = ">=", value = 2 })"},
    {"scen_size_eq0", R"({ field = "scenarios", op = "==", value = 0 })"},
    {"scen_contains", R"({ field = "scenarios", op = "contains", value = "meals" })"},
    {"scen_count_ge", R"({ field = "scenarios", op = "count_in", value = ["elderly_care", "infant_care"], cmp = ">=", n = 1 })"},
    {"scen_count_eq", R"({ field = "scenarios", op = "count_in", value = ["elderly_care", "infant_care"], cmp = "==", n = 2 })"},
    {"scen_count_lt", R"({ field = "scenarios", op = "count_in", value = ["elderly_care", "infant_care"], cmp = "<", n = 1 })"},
    // reviews
    {"rev_lt", R"({ field = "reviews.valid_n", op = "<", value = 30 })"},
    {"rev_ge", R"({ field = "reviews.valid_n", op = ">=", value = 30 })"},
    {"rev_bad", R"({ field = "reviews.bad_overdue", op = ">", value = 0 })"},
    // history
    {"hist_ge", R"({ field = "history.previous_grade", op = ">=", value = "4A" })"},
    {"hist_eq", R"({ field = "history.previous_grade", op = "==", value = "2A" })"},
    {"hist_lt", R"({ field = "history.previous_grade", op = "<", value = "3A" })"},
    {"hist_in", R"({ field = "history.previous_grade", op = "in", value = ["2A", "5A"] })"},
    {"hist_missing", R"({ field = "history.previous_grade", op = "is_missing" })"},
    // months since
    {"ms_lt", R"({ field = "months_since.opened_on", op = "<", value = 12 })"},
    {"ms_ge", R"({ field = "months_since.opened_on", op = ">=", value = 12 })"},
    {"ms_missing", R"({ field = "months_since.opened_on", op = "is_missing" })"},
    {"ms_hist", R"({ field = "months_since.history.previous_rated_on", op = ">=", value = 6 })"},
    // all / any / not
    {"all", R"({ all = [ { field = "raw.x", op = ">=", value = 50 }, { field = "flag.f", op = "==", value = true } ] })"},
    {"any", R"({ any = [ { field = "raw.x", op = "<", value = 20 }, { field = "raw.cat", op = "==", value = "C" } ] })"},
    {"not", R"({ not = { field = "raw.x", op = "<", value = 50 } })"},
    {"nested", R"({ not = { any = [ { all = [ { field = "flag.f", op = "==", value = true }, { field = "scenarios", op = "contains", value = "meals" } ] }, { field = "attr.district", op = "is_missing" } ] } })"},
};

// Operators o1..o4 (o4 has missing values where a column allows it) and which rules fire for them.
const std::map<std::string, std::set<std::string>> expected = {
    {"x_lt", {"o1"}},
    {"x_le", {"o1", "o2"}},
    {"x_gt", {"o3"}},
    {"x_ge", {"o2", "o3"}},
    {"x_eq", {"o2"}},
    {"x_ne", {"o1", "o3"}},  // a missing value compares false, also with !=
    {"x_in", {"o1", "o2"}},
    {"x_missing", {"o4"}},
    {"x_present", {"o1", "o2", "o3"}},
    {"x_bare", {"o2", "o3"}},
    {"cat_eq", {"o1"}},
    {"cat_ne", {"o2", "o3"}},
    {"cat_in", {"o2", "o3"}},
    {"cat_missing", {"o4"}},
    {"flag_true", {"o1", "o3"}},
    {"flag_false", {"o2", "o4"}},
    {"flag_ne", {"o2", "o4"}},
    {"attr_eq", {"o1", "o3"}},
    {"attr_ne", {"o2"}},
    {"attr_in", {"o2"}},
    {"attr_missing", {"o4"}},
    {"attr_status", {"o1", "o2", "o3", "o4"}},  // every operator is active here
    {"scen_size_ge", {"o1", "o4"}},
    {"scen_size_eq0", {"o3"}},
    {"scen_contains", {"o1", "o2"}},
    {"scen_count_ge", {"o1", "o4"}},
    {"scen_count_eq", {"o1"}},
    {"scen_count_lt", {"o2", "o3"}},
    {"rev_lt", {"o2", "o3"}},
    {"rev_ge", {"o1", "o4"}},
    {"rev_bad", {"o2"}},
    {"hist_ge", {"o1", "o4"}},
    {"hist_eq", {"o2"}},
    {"hist_lt", {"o2"}},  // o3 has no previous grade: missing compares false
    {"hist_in", {"o2", "o4"}},
    {"hist_missing", {"o3"}},
    {"ms_lt", {"o1", "o3"}},
    {"ms_ge", {"o2"}},
    {"ms_missing", {"o4"}},
    {"ms_hist", {"o1", "o4"}},
    {"all", {"o3"}},
    {"any", {"o1", "o3"}},
    {"not", {"o2", "o3", "o4"}},  // not(missing < 50) = not(false) = true
    {"nested", {"o2", "o3"}},
};

std::string condition_model_text() {
  std::string t = R"(
[model]
id = "condition-test"

[[measures]]
id = "x"
min = 0
max = 100

[[measures]]
id = "cat"
kind = "category"
levels = ["A", "B", "C"]

[[dimensions]]
id = "d"
points = 100

[[indicators]]
id = "leaf"
parent = "d"
points = 100
input = "raw.x"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }
missing = "zero"

[[grades]]
grade = "1A"
min_total = 1

[[grades]]
grade = "2A"
min_total = 2

[[grades]]
grade = "3A"
min_total = 3

[[grades]]
grade = "4A"
min_total = 4

[[grades]]
grade = "5A"
min_total = 5
)";
  for (const auto& [id, when] : cases)
    t += "\n[[rules]]\nid = \"" + id + "\"\naction = \"warn\"\nwhen = " + when + "\nmessage = \"" + id +
         " fired\"\nsource = \"condition_test.cpp\"\n";
  return t;
}

embedrating::dataset condition_dataset(embedrating::operator_status third = embedrating::operator_status::active) {
  using embedrating::civil_date;
  using embedrating::grade;
  using embedrating::make_date;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  embedrating::dataset d({"o1", "o2", "o3", "o4"}, "conditions");
  d.set_status({embedrating::operator_status::active, embedrating::operator_status::active,
                third, embedrating::operator_status::active});
  d.set_number("x", {10.0, 50.0, 90.0, nan}, embedrating::nan_policy::missing);
  d.set_category("cat", {"A", "B", "C", ""});
  d.set_flag("f", {1, 0, 1, 0});
  d.set_attribute("district", {"江岸", "江汉", "江岸", ""});
  d.set_scenarios({{"elderly_care", "meals", "infant_care"}, {"meals"}, {}, {"elderly_care", "child_care"}});
  // valid_n: 40, 10, 0, 30
  d.set_review_column("stars_1", {0, 1, 0, 0});
  d.set_review_column("stars_2", {0, 1, 0, 0});
  d.set_review_column("stars_3", {0, 2, 0, 0});
  d.set_review_column("stars_4", {10, 2, 0, 10});
  d.set_review_column("stars_5", {30, 4, 0, 20});
  d.set_review_column("bad_open", {0, 0, 0, 0});
  d.set_review_column("bad_closed_in_time", {0, 1, 0, 0});
  d.set_review_column("bad_overdue", {0, 1, 0, 0});
  d.set_review_column("bad_followed_up", {0, 2, 0, 0});
  // as_of 2025-06-30: opened 5, 12 (exactly), 11 months ago, unknown
  d.set_date("opened_on", {make_date(2025, 1, 1), make_date(2024, 6, 30), make_date(2024, 7, 1), civil_date::missing()});
  d.set_history({grade::a4, grade::a2, std::nullopt, grade::a5},
                {make_date(2024, 12, 31), make_date(2025, 3, 31), civil_date::missing(), make_date(2024, 6, 30)},
                {civil_date::missing(), civil_date::missing(), civil_date::missing(), civil_date::missing()});
  return d;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Field names

TEST(condition, parse_field_every_namespace) {
  struct {
    const char* text;
    field_kind kind;
    const char* name;
  } const ok[] = {
      {"raw.fire_open_hazards", field_kind::raw, "fire_open_hazards"},
      {"fire_open_hazards", field_kind::raw, "fire_open_hazards"},
      {"score.fire", field_kind::score, "fire"},
      {"dim.safety", field_kind::dim, "safety"},
      {"total", field_kind::total, ""},
      {"flag.fire_auto_fail", field_kind::flag, "fire_auto_fail"},
      {"attr.mode", field_kind::attr, "mode"},
      {"scenarios", field_kind::scenarios, ""},
      {"reviews.valid_n", field_kind::reviews, "valid_n"},
      {"history.previous_grade", field_kind::history_grade, ""},
      {"months_since.opened_on", field_kind::months_since, "opened_on"},
      {"months_since.history.last_downgrade_on", field_kind::months_since, "history.last_downgrade_on"},
  };
  for (const auto& c : ok) {
    const field_ref f = parsed(c.text);
    EXPECT_EQ(f.kind, c.kind) << c.text;
    EXPECT_EQ(f.name, c.name) << c.text;
  }
}

TEST(condition, parse_field_text_round_trip) {
  for (const char* text : {"raw.x", "score.fire", "dim.safety", "total", "flag.f", "attr.district", "scenarios",
                           "reviews.closure_rate", "history.previous_grade", "months_since.opened_on", "scenarios.art3"}) {
    EXPECT_EQ(parsed(text).text(), text);
  }
  EXPECT_EQ(parsed("bare_measure").text(), "raw.bare_measure");
}

TEST(condition, parse_field_rejects_unknown_namespace) {
  for (const char* bad : {"foo.bar", "history.previous_rated_on", "Raw.x", "raw.", "score.", "", "scores.fire",
                          "total.x", "scenarios.", "history."}) {
    field_ref f;
    EXPECT_FALSE(parse_field(bad, f)) << '"' << bad << '"';
  }
}

TEST(condition, unknown_namespace_rejected_in_model) {
  std::string t = condition_model_text();
  t += "\n[[rules]]\nid = \"bad\"\naction = \"warn\"\nwhen = { field = \"foo.bar\", op = \"==\", value = 1 }\nsource = \"t\"\n";
  try {
    embedrating::model::from_toml(t, "c.toml");
    FAIL() << "foo.bar accepted";
  } catch (const embedrating::model_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown field \"foo.bar\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("c.toml:"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

TEST(condition, to_string_renders_readable_text) {
  const embedrating::model m = embedrating::model::from_toml(condition_model_text(), "c.toml");
  std::map<std::string, std::string> text;
  for (const auto& r : m.spec().rules) text[r.id] = embedrating::to_string(r.when);
  EXPECT_EQ(text["x_lt"], "raw.x < 50");
  EXPECT_EQ(text["x_bare"], "raw.x > 20");
  EXPECT_EQ(text["x_in"], "raw.x in [10, 50, 70]");
  EXPECT_EQ(text["x_missing"], "raw.x is_missing");
  EXPECT_EQ(text["x_present"], "raw.x is_missing false");
  EXPECT_EQ(text["cat_eq"], "raw.cat == \"A\"");
  EXPECT_EQ(text["cat_in"], "raw.cat in [\"B\", \"C\"]");
  EXPECT_EQ(text["flag_true"], "flag.f == true");
  EXPECT_EQ(text["flag_false"], "flag.f == false");
  EXPECT_EQ(text["hist_ge"], "history.previous_grade >= \"4A\"");
  EXPECT_EQ(text["scen_contains"], "scenarios contains \"meals\"");
  EXPECT_EQ(text["scen_count_ge"], "scenarios count_in [\"elderly_care\", \"infant_care\"] >= 1");
  EXPECT_EQ(text["ms_lt"], "months_since.opened_on < 12");
  EXPECT_EQ(text["all"], "all(raw.x >= 50, flag.f == true)");
  EXPECT_EQ(text["any"], "any(raw.x < 20, raw.cat == \"C\")");
  EXPECT_EQ(text["not"], "not(raw.x < 50)");
}

TEST(condition, to_string_of_condition_built_in_code) {
  condition c;
  c.field = parsed("reviews.closure_rate");
  c.op = embedrating::compare_op::ge;
  c.numbers = {0.95};
  EXPECT_EQ(embedrating::to_string(c), "reviews.closure_rate >= 0.95");
  condition n;
  n.kind = condition::node_kind::negate;
  n.children = {c};
  EXPECT_EQ(embedrating::to_string(n), "not(reviews.closure_rate >= 0.95)");
  EXPECT_STREQ(embedrating::to_string(embedrating::compare_op::count_in), "count_in");
  EXPECT_STREQ(embedrating::to_string(embedrating::compare_op::ne), "!=");
}

TEST(condition, reads_scores_looks_through_children) {
  condition s;
  s.field = parsed("score.fire");
  condition r;
  r.field = parsed("raw.x");
  condition any;
  any.kind = condition::node_kind::any;
  any.children = {r};
  EXPECT_FALSE(embedrating::reads_scores(any));
  any.children.push_back(s);
  EXPECT_TRUE(embedrating::reads_scores(any));
  condition t;
  t.field = parsed("total");
  EXPECT_TRUE(embedrating::reads_scores(t));
  condition d;
  d.field = parsed("dim.safety");
  EXPECT_TRUE(embedrating::reads_scores(d));
  EXPECT_FALSE(embedrating::reads_scores(r));
}

// ---------------------------------------------------------------------------------------------
// Evaluation through rate()

TEST(condition, every_operator_and_field_evaluates_as_documented) {
  const embedrating::model m = embedrating::model::from_toml(condition_model_text(), "c.toml");
  ASSERT_EQ(m.spec().rules.size(), cases.size());
  const embedrating::dataset d = condition_dataset();
  const embedrating::ratings r = embedrating::rate(m, d, embedrating::make_date(2025, 6, 30));
  ASSERT_EQ(r.size(), 4u);
  ASSERT_EQ(r.fired_offsets.size(), 5u);

  std::map<std::string, std::set<std::string>> fired;
  for (const auto& [id, when] : cases) fired[id];
  for (std::size_t i = 0; i < r.size(); ++i)
    for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k)
      fired[m.spec().rules[r.fired[k].rule].id].insert(r.operator_ids[i]);

  for (const auto& [id, when] : cases) {
    const auto it = expected.find(id);
    ASSERT_NE(it, expected.end()) << id;
    EXPECT_EQ(fired[id], it->second) << id << ": " << when;
  }

  // Each fired warn rule also shows up as a rule warning on that operator.
  for (std::size_t i = 0; i < r.size(); ++i) {
    std::set<std::uint32_t> warned, fired_here;
    for (std::uint32_t k = r.warning_offsets[i]; k < r.warning_offsets[i + 1]; ++k)
      if (r.warnings[k].kind == embedrating::operator_warning::kind_t::rule_warning) warned.insert(r.warnings[k].index);
    for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k) fired_here.insert(r.fired[k].rule);
    EXPECT_EQ(warned, fired_here) << r.operator_ids[i];
  }
}

TEST(condition, fired_rules_are_in_rule_order) {
  const embedrating::model m = embedrating::model::from_toml(condition_model_text(), "c.toml");
  const embedrating::ratings r = embedrating::rate(m, condition_dataset(), embedrating::make_date(2025, 6, 30));
  for (std::size_t i = 0; i < r.size(); ++i)
    for (std::uint32_t k = r.fired_offsets[i] + 1; k < r.fired_offsets[i + 1]; ++k)
      EXPECT_LT(r.fired[k - 1].rule, r.fired[k].rule) << r.operator_ids[i];
}

TEST(condition, rate_one_agrees_with_rate_on_fired_rules) {
  const embedrating::model m = embedrating::model::from_toml(condition_model_text(), "c.toml");
  const embedrating::dataset d = condition_dataset();
  const auto as_of = embedrating::make_date(2025, 6, 30);
  const embedrating::ratings all = embedrating::rate(m, d, as_of);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const embedrating::ratings one = embedrating::rate_one(m, d, i, as_of);
    std::vector<std::uint32_t> a, b;
    for (std::uint32_t k = all.fired_offsets[i]; k < all.fired_offsets[i + 1]; ++k) a.push_back(all.fired[k].rule);
    for (std::uint32_t k = one.fired_offsets[0]; k < one.fired_offsets[1]; ++k) b.push_back(one.fired[k].rule);
    EXPECT_EQ(a, b) << d.operator_ids()[i];
  }
}

TEST(condition, months_since_boundary_moves_with_as_of) {
  // o3 opened 2024-07-01: months_since < 12 holds until 2025-06-30 and stops on 2025-07-01.
  const embedrating::model m = embedrating::model::from_toml(condition_model_text(), "c.toml");
  const embedrating::dataset d = condition_dataset();
  std::uint32_t ms_lt = 0;
  for (std::uint32_t k = 0; k < m.spec().rules.size(); ++k)
    if (m.spec().rules[k].id == "ms_lt") ms_lt = k;
  auto fires_for_o3 = [&](embedrating::civil_date as_of) {
    const auto r = embedrating::rate(m, d, as_of);
    for (std::uint32_t k = r.fired_offsets[2]; k < r.fired_offsets[3]; ++k)
      if (r.fired[k].rule == ms_lt) return true;
    return false;
  };
  EXPECT_TRUE(fires_for_o3(embedrating::make_date(2025, 6, 30)));
  EXPECT_FALSE(fires_for_o3(embedrating::make_date(2025, 7, 1)));
}

TEST(condition, attr_status_reads_the_status_column) {
  const embedrating::model m = embedrating::model::from_toml(condition_model_text(), "c.toml");
  const embedrating::dataset d = condition_dataset(embedrating::operator_status::suspended);
  const embedrating::ratings r = embedrating::rate(m, d, embedrating::make_date(2025, 6, 30));
  std::uint32_t rule = 0;
  for (std::uint32_t k = 0; k < m.spec().rules.size(); ++k)
    if (m.spec().rules[k].id == "attr_status") rule = k;
  std::set<std::string> fired;
  for (std::size_t i = 0; i < r.size(); ++i)
    for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k)
      if (r.fired[k].rule == rule) fired.insert(r.operator_ids[i]);
  EXPECT_EQ(fired, (std::set<std::string>{"o1", "o2", "o4"}));
  EXPECT_EQ(r.final_grade[2], embedrating::grade::unrated);
}

TEST(condition, every_condition_form_survives_to_toml_round_trip) {
  const embedrating::model m = embedrating::model::from_toml(condition_model_text(), "c.toml");
  const embedrating::model again = embedrating::model::from_toml(m.to_toml(), "canonical.toml");
  EXPECT_EQ(again.fingerprint(), m.fingerprint());
  ASSERT_EQ(again.spec().rules.size(), m.spec().rules.size());
  for (std::size_t k = 0; k < m.spec().rules.size(); ++k)
    EXPECT_EQ(embedrating::to_string(again.spec().rules[k].when), embedrating::to_string(m.spec().rules[k].when))
        << m.spec().rules[k].id;
}
