// The rule-action table (include/embedrating/rules.hpp, src/rules.cpp): one entry per action,
// read by the TOML reader and writer, the fingerprint and the explanation; `hold`, the action added
// through the table alone, works end to end.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "embedrating/embedrating.hpp"

namespace {

using namespace embedrating;

const civil_date as_of = make_date(2025, 6, 30);

std::string model_with(const std::string& rules) {
  return R"(
[model]
id = "actions"
version = "1"
[history]
first_rating_max = "5A"

[[measures]]
id = "x"
min = 0
max = 100
[[measures]]
id = "y"
min = 0
max = 100

[[dimensions]]
id = "d"
points = 100
[[indicators]]
id = "g"
parent = "d"
points = 100
[[indicators]]
id = "lx"
parent = "g"
points = 60
input = "raw.x"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }
[[indicators]]
id = "ly"
parent = "g"
points = 40
input = "raw.y"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }

[[grades]]
grade = "5A"
min_total = 90
[[grades]]
grade = "4A"
min_total = 80
[[grades]]
grade = "3A"
min_total = 70
[[grades]]
grade = "2A"
min_total = 60
[[grades]]
grade = "1A"
min_total = 50
)" + rules;
}

/// One rule of every action.
const char* const every_action = R"(
[[rules]]
id = "r_veto"
action = "veto"
terminate = true
when = { field = "flag.fraud", op = "==", value = true }
source = "test"
[[rules]]
id = "r_cap"
action = "cap"
grade = "3A"
when = { field = "raw.y", op = "<", value = 20 }
source = "test"
[[rules]]
id = "r_downgrade"
action = "downgrade"
levels = 2
when = { field = "flag.penalty", op = "==", value = true }
source = "test"
[[rules]]
id = "r_prerequisite"
action = "prerequisite"
grade = "5A"
when = { field = "raw.x", op = ">=", value = 95 }
source = "test"
[[rules]]
id = "r_set_score"
action = "set_score"
target = "lx"
score = 0.5
when = { field = "flag.half", op = "==", value = true }
source = "test"
[[rules]]
id = "r_not_applicable"
action = "not_applicable"
target = "ly"
when = { field = "flag.no_y", op = "==", value = true }
source = "test"
[[rules]]
id = "r_warn"
action = "warn"
message = "x is low"
message_zh = "x 偏低"
when = { field = "raw.x", op = "<", value = 30 }
source = "test"
[[rules]]
id = "r_hold"
action = "hold"
when = { field = "flag.rectifying", op = "==", value = true }
source = "test"
)";

dataset data_for(const std::vector<double>& x, const std::vector<double>& y, std::vector<std::uint8_t> rectifying,
                 std::vector<std::optional<grade>> previous) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < x.size(); ++i) ids.push_back("OP" + std::to_string(i));
  dataset d(ids, "actions");
  d.set_number("x", x);
  d.set_number("y", y);
  const std::vector<std::uint8_t> zero(x.size(), 0);
  for (const char* f : {"fraud", "penalty", "half", "no_y"}) d.set_flag(f, zero);
  d.set_flag("rectifying", std::move(rectifying));
  d.set_history(previous, std::vector<civil_date>(x.size(), make_date(2024, 6, 30)),
                std::vector<civil_date>(x.size(), civil_date::missing()));
  return d;
}

}  // namespace

TEST(rule_actions, the_table_has_one_entry_per_action_in_enum_order) {
  const auto& table = rule_actions();
  ASSERT_EQ(table.size(), 8u);
  std::set<std::string> names;
  for (std::size_t k = 0; k < table.size(); ++k) {
    const rule_action_info& a = table[k];
    EXPECT_EQ(static_cast<std::size_t>(a.action), k);
    EXPECT_EQ(&action_info(a.action), &a);
    EXPECT_EQ(find_action(a.name), &a);
    EXPECT_EQ(std::string(to_string(a.action)), a.name);
    EXPECT_EQ(a.params.size(), a.required.size()) << a.name;
    EXPECT_TRUE(a.apply != nullptr && a.gate_of != nullptr) << a.name;
    EXPECT_TRUE(names.insert(a.name).second) << "name twice: " << a.name;
  }
  EXPECT_EQ(find_action("promote"), nullptr);
}

TEST(rule_actions, every_action_round_trips_through_toml_and_the_fingerprint) {
  const model m = model::from_toml(model_with(every_action), "every.toml");
  ASSERT_EQ(m.spec().rules.size(), 8u);
  std::set<rule_action> used;
  for (const auto& r : m.spec().rules) used.insert(r.action);
  EXPECT_EQ(used.size(), rule_actions().size()) << "the model should use every action of the table";
  const model again = model::from_toml(m.to_toml(), "again.toml");
  EXPECT_EQ(again.fingerprint(), m.fingerprint());
  EXPECT_EQ(again.canonical_encoding(), m.canonical_encoding());
  for (std::size_t k = 0; k < m.spec().rules.size(); ++k) {
    const rule &a = m.spec().rules[k], &b = again.spec().rules[k];
    EXPECT_EQ(a.action, b.action);
    EXPECT_EQ(a.cap, b.cap);
    EXPECT_EQ(a.levels, b.levels);
    EXPECT_EQ(a.terminate, b.terminate);
    EXPECT_EQ(a.target, b.target);
    EXPECT_EQ(a.score, b.score);
    EXPECT_EQ(a.message, b.message);
    EXPECT_EQ(a.message_zh, b.message_zh);
  }
}

TEST(rule_actions, meaningful_parameters_change_the_fingerprint_and_messages_do_not) {
  const model m = model::from_toml(model_with(every_action), "every.toml");
  const auto changed = [&](auto edit) {
    model_spec s = m.spec();
    edit(s);
    return model(std::move(s)).fingerprint() != m.fingerprint();
  };
  EXPECT_TRUE(changed([](model_spec& s) { s.rules[0].terminate = false; }));
  EXPECT_TRUE(changed([](model_spec& s) { s.rules[1].cap = grade::a2; }));
  EXPECT_TRUE(changed([](model_spec& s) { s.rules[2].levels = 1; }));
  EXPECT_TRUE(changed([](model_spec& s) { s.rules[3].cap = grade::a4; }));
  EXPECT_TRUE(changed([](model_spec& s) { s.rules[4].score = 0.25; }));
  EXPECT_TRUE(changed([](model_spec& s) { s.rules[5].target = "lx"; }));
  EXPECT_TRUE(changed([](model_spec& s) { s.rules[7].action = rule_action::cap; }));
  EXPECT_FALSE(changed([](model_spec& s) { s.rules[6].message = "another text"; }));
  EXPECT_FALSE(changed([](model_spec& s) { s.rules[6].message_zh = "另一段文字"; }));
}

TEST(rule_actions, the_reader_takes_parameters_and_actions_from_the_table) {
  try {
    (void)model::from_toml(model_with(R"(
[[rules]]
id = "bad"
action = "promote"
when = { field = "raw.x", op = "<", value = 1 }
source = "test"
)"),
                           "bad.toml");
    ADD_FAILURE();
  } catch (const model_error& e) {
    EXPECT_EQ(e.where().field, "rules.bad.action");
    std::string names;
    for (const auto& a : rule_actions()) names += std::string(names.empty() ? "" : ", ") + a.name;
    EXPECT_NE(std::string(e.what()).find("unknown action \"promote\" (" + names + ")"), std::string::npos) << e.what();
  }
  try {
    (void)model::from_toml(model_with(R"(
[[rules]]
id = "bad"
action = "hold"
grade = "3A"
when = { field = "raw.x", op = "<", value = 1 }
source = "test"
)"),
                           "bad.toml");
    ADD_FAILURE();
  } catch (const model_error& e) {
    EXPECT_EQ(e.where().field, "rules.bad.grade");
    EXPECT_NE(std::string(e.what()).find("does not apply to a hold rule"), std::string::npos) << e.what();
  }
  try {
    (void)model::from_toml(model_with(R"(
[[rules]]
id = "bad"
action = "set_score"
target = "lx"
when = { field = "raw.x", op = "<", value = 1 }
source = "test"
)"),
                           "bad.toml");
    ADD_FAILURE();
  } catch (const model_error& e) {
    EXPECT_EQ(e.where().field, "rules.bad.score");
  }
}

TEST(rule_actions, effects_and_tags_fill_in_the_parameters) {
  const model m = model::from_toml(model_with(every_action), "every.toml");
  const auto& r = m.spec().rules;
  EXPECT_EQ(describe_effect(r[0], false), "not graded; terminate the contract (Art. 16)");
  EXPECT_EQ(describe_effect(r[1], false), "at most 3A");
  EXPECT_EQ(describe_effect(r[1], true), "最高 3A");
  EXPECT_EQ(describe_effect(r[2], false), "2 level(s) down");
  EXPECT_EQ(describe_effect(r[3], true), "5A 的前提条件");
  EXPECT_EQ(describe_effect(r[4], false), "score of lx set to 0.5");
  EXPECT_EQ(describe_effect(r[7], false), "at most the previous grade");
  for (const auto& x : r) {
    EXPECT_EQ(describe_effect(x, false).find('{'), std::string::npos) << x.id;
    EXPECT_EQ(describe_effect(x, true).find('{'), std::string::npos) << x.id;
  }
  EXPECT_EQ(action_tag(r[1], false), "cap 3A");
  EXPECT_EQ(action_tag(r[2], false), "downgrade -2");
  EXPECT_EQ(action_tag(r[7], false), "hold");
}

TEST(rule_actions, hold_keeps_an_operator_at_its_previous_grade_while_it_fires) {
  const model m = model::from_toml(model_with(every_action), "every.toml");
  // x = 96, y = 100: 97.6 points, 5A by score; previous 3A (so at most 4A by history)
  const dataset d = data_for({96, 96, 96}, {100, 100, 100}, {1, 0, 1}, {grade::a3, grade::a3, std::nullopt});
  const ratings r = rate(m, d, as_of);
  EXPECT_EQ(r.grade_by_score[0], grade::a5);
  EXPECT_EQ(r.final_grade[0], grade::a3) << "held at the previous grade";
  EXPECT_EQ(r.final_grade[1], grade::a4) << "not held: history allows one level up";
  EXPECT_EQ(r.final_grade[2], grade::a5) << "a first rating has no previous grade to hold";
  const std::vector<gate> g = r.gates(0);
  bool reported = false;
  for (const gate& x : g) reported = reported || (x.kind == gate_kind::cap && x.id == "r_hold" && x.actual == 3.0);
  EXPECT_TRUE(reported) << "the hold is a gate to 4A";
  EXPECT_NE(r.explain(0).find("r_hold [hold]"), std::string::npos) << r.explain(0);
  // the fired hold lists in the rating's fired rules; regrading keeps it
  const scored s = score(m, d, as_of);
  EXPECT_EQ(regrade(s, m.with_cutoffs({{grade::a5, 85.0}})).final_grade[0], grade::a3);
}
