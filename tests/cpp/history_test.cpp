// Tests of rolling history forward between rating cycles (src/history.cpp) and of the history
// limits applied when the rolled history is fed into the next cycle (SPEC §3 step 6).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "embedrating/dataset.hpp"
#include "embedrating/date.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/grade.hpp"
#include "embedrating/history.hpp"
#include "embedrating/model.hpp"
#include "embedrating/rate.hpp"
#include "embedrating/ratings.hpp"
#include "perfect_operator.hpp"

namespace {

using namespace embedrating;

using namespace embedrating::test_support;

std::size_t row_of(const history_table& h, const std::string& id) {
  for (std::size_t k = 0; k < h.operator_ids.size(); ++k)
    if (h.operator_ids[k] == id) return k;
  ADD_FAILURE() << "no " << id << " in the history table";
  return 0;
}

/// Sets the history of every op_inputs from a history table (via apply_history on the dataset).
dataset with_history(const std::vector<op_inputs>& ops, const history_table& h) {
  dataset d = make_dataset(ops);
  apply_history(d, h);
  return d;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// roll_forward

TEST(history, roll_forward_updates_adds_and_keeps_operators) {
  const civil_date day = make_date(2025, 6, 15);
  history_table prev;
  prev.operator_ids = {"A", "B", "C", "D"};
  prev.previous_grade = {grade::a4, grade::a3, grade::a2, grade::a1};
  prev.previous_rated_on = {make_date(2024, 6, 15), make_date(2024, 6, 15), make_date(2024, 6, 15), make_date(2023, 6, 15)};
  prev.last_downgrade_on = {make_date(2022, 1, 1), civil_date::missing(), make_date(2023, 3, 1), civil_date::missing()};

  op_inputs a, b, c, e;
  a.id = "A";  // perfect, previous 4A → 5A (a rise: the old downgrade date is kept)
  b.id = "B";  // previous 3A, automatic fire failure → capped 2A: a downgrade on `day`
  b.flags["fire_auto_fail"] = 1;
  c.id = "C";  // suspended: not graded, keeps its history
  c.status = operator_status::suspended;
  e.id = "E";  // new: first rating 3A
  const dataset d = with_history({a, b, c, e}, prev);
  ASSERT_EQ(d.previous_grade(), (std::vector<std::int8_t>{4, 3, 2, no_grade}));
  const ratings r = rate(default_model(), d, day);
  ASSERT_EQ(r.final_grade[0], grade::a5);
  ASSERT_EQ(r.final_grade[1], grade::a2);
  ASSERT_EQ(r.final_grade[2], grade::unrated);
  ASSERT_EQ(r.final_grade[3], grade::a3);

  const history_table h = roll_forward(prev, r);
  // order: as in the results, then operators only in `previous`
  ASSERT_EQ(h.operator_ids, (std::vector<std::string>{"A", "B", "C", "E", "D"}));
  ASSERT_EQ(h.previous_grade.size(), 5u);
  ASSERT_EQ(h.previous_rated_on.size(), 5u);
  ASSERT_EQ(h.last_downgrade_on.size(), 5u);
  // A: rise, rated today, downgrade date unchanged
  EXPECT_EQ(h.previous_grade[0], grade::a5);
  EXPECT_EQ(h.previous_rated_on[0], day);
  EXPECT_EQ(h.last_downgrade_on[0], make_date(2022, 1, 1));
  // B: 3A → 2A is a downgrade recorded on as_of
  EXPECT_EQ(h.previous_grade[1], grade::a2);
  EXPECT_EQ(h.previous_rated_on[1], day);
  EXPECT_EQ(h.last_downgrade_on[1], day);
  // C: suspended keeps everything (not "downgraded" to unrated)
  EXPECT_EQ(h.previous_grade[2], grade::a2);
  EXPECT_EQ(h.previous_rated_on[2], make_date(2024, 6, 15));
  EXPECT_EQ(h.last_downgrade_on[2], make_date(2023, 3, 1));
  // E: new, first rating; no downgrade
  EXPECT_EQ(h.previous_grade[3], grade::a3);
  EXPECT_EQ(h.previous_rated_on[3], day);
  EXPECT_TRUE(h.last_downgrade_on[3].is_missing());
  // D: only in previous, kept as it was
  EXPECT_EQ(h.previous_grade[4], grade::a1);
  EXPECT_EQ(h.previous_rated_on[4], make_date(2023, 6, 15));
  EXPECT_TRUE(h.last_downgrade_on[4].is_missing());
}

TEST(history, roll_forward_same_grade_is_not_a_downgrade_and_unrated_is) {
  const civil_date day = make_date(2025, 6, 15);
  history_table prev;
  prev.operator_ids = {"SAME", "VETO"};
  prev.previous_grade = {grade::a3, grade::a1};
  prev.previous_rated_on = {make_date(2024, 6, 15), make_date(2024, 6, 15)};
  prev.last_downgrade_on = {civil_date::missing(), civil_date::missing()};
  op_inputs same, veto;
  same.id = "SAME";
  same.flags["special_equipment_overdue"] = 1;  // 4A by score, capped 3A = previous
  veto.id = "VETO";
  veto.flags["subsidy_fraud"] = 1;  // active but vetoed: unrated < 1A
  const ratings r = rate(default_model(), with_history({same, veto}, prev), day);
  ASSERT_EQ(r.final_grade[0], grade::a3);
  ASSERT_EQ(r.final_grade[1], grade::unrated);
  const history_table h = roll_forward(prev, r);
  EXPECT_EQ(h.previous_grade[row_of(h, "SAME")], grade::a3);
  EXPECT_TRUE(h.last_downgrade_on[row_of(h, "SAME")].is_missing());
  EXPECT_EQ(h.previous_grade[row_of(h, "VETO")], grade::unrated);
  EXPECT_EQ(h.last_downgrade_on[row_of(h, "VETO")], day);
}

TEST(history, roll_forward_from_empty_history_and_length_check) {
  op_inputs a;
  a.id = "A";
  a.previous_grade = std::nullopt;
  const ratings r = rate(default_model(), make_dataset({a}), make_date(2025, 6, 15));
  const history_table h = roll_forward(history_table{}, r);
  ASSERT_EQ(h.operator_ids, std::vector<std::string>{"A"});
  EXPECT_EQ(h.previous_grade[0], grade::a3);
  EXPECT_TRUE(h.last_downgrade_on[0].is_missing());

  history_table bad;
  bad.operator_ids = {"A", "B"};
  bad.previous_grade = {grade::a1};
  bad.previous_rated_on = {civil_date::missing(), civil_date::missing()};
  bad.last_downgrade_on = {civil_date::missing(), civil_date::missing()};
  EXPECT_THROW(roll_forward(bad, r), data_error);
}

TEST(history, apply_history_sets_columns_and_absent_operators_are_first_ratings) {
  history_table h;
  h.operator_ids = {"B", "ONLY-IN-HISTORY"};
  h.previous_grade = {grade::a2, grade::a5};
  h.previous_rated_on = {make_date(2024, 1, 1), make_date(2024, 1, 1)};
  h.last_downgrade_on = {make_date(2023, 1, 1), civil_date::missing()};
  op_inputs a, b;
  a.id = "A";
  b.id = "B";
  const dataset d = with_history({a, b}, h);
  ASSERT_TRUE(d.has_history());
  EXPECT_EQ(d.previous_grade(), (std::vector<std::int8_t>{no_grade, 2}));
  const auto* rated = d.date("history.previous_rated_on");
  const auto* down = d.date("history.last_downgrade_on");
  ASSERT_NE(rated, nullptr);
  ASSERT_NE(down, nullptr);
  EXPECT_TRUE((*rated)[0].is_missing());
  EXPECT_EQ((*rated)[1], make_date(2024, 1, 1));
  EXPECT_TRUE((*down)[0].is_missing());
  EXPECT_EQ((*down)[1], make_date(2023, 1, 1));
}

// ---------------------------------------------------------------------------------------------
// Two cycles end to end

TEST(history, two_cycles_apply_first_rating_max_rise_and_no_rise_after_downgrade) {
  // Initial history: only Z, held 4A.
  history_table h0;
  h0.operator_ids = {"Z"};
  h0.previous_grade = {grade::a4};
  h0.previous_rated_on = {make_date(2024, 1, 15)};
  h0.last_downgrade_on = {civil_date::missing()};

  // Cycle 1 (2025-01-15):
  //   X new and perfect           → first rating: 4A by score, at most 3A → 3A
  //   Y new, automatic fire fail  → 2A cap
  //   Z held 4A, food incident one month ago → 2A cap: a downgrade on 2025-01-15
  const civil_date day1 = make_date(2025, 1, 15);
  op_inputs x, y, z;
  x.id = "X";
  y.id = "Y";
  y.flags["fire_auto_fail"] = 1;
  z.id = "Z";
  z.dates["last_food_incident_on"] = make_date(2024, 12, 15);
  const ratings r1 = rate(default_model(), with_history({x, y, z}, h0), day1);
  ASSERT_EQ(r1.final_grade[0], grade::a3);
  ASSERT_EQ(r1.final_grade[1], grade::a2);
  ASSERT_EQ(r1.final_grade[2], grade::a2);
  const history_table h1 = roll_forward(h0, r1);
  ASSERT_EQ(h1.operator_ids, (std::vector<std::string>{"X", "Y", "Z"}));
  EXPECT_EQ(h1.last_downgrade_on[2], day1);
  EXPECT_TRUE(h1.last_downgrade_on[0].is_missing());
  EXPECT_TRUE(h1.last_downgrade_on[1].is_missing());

  // Cycle 2: everyone perfect now (the incident has lapsed: 2024-12-15 + 6 months < cycle 2).
  y.flags.clear();
  z.dates.erase("last_food_incident_on");
  //   X prev 3A → 4A by score (5A needs prev ≥ 4A), max rise 4A → 4A
  //   Y prev 2A → 4A by score, max rise → 3A
  //   Z prev 2A, downgraded on 2025-01-15:
  //     on 2026-01-14 (11 months later) no rise → 2A, the limit lapses 2026-01-15
  //     on 2026-01-15 (12 months later) a rise of one level → 3A
  {
    const civil_date day2 = make_date(2026, 1, 14);
    const ratings r2 = rate(default_model(), with_history({x, y, z}, h1), day2);
    EXPECT_EQ(r2.grade_by_score[0], grade::a4);
    EXPECT_EQ(r2.final_grade[0], grade::a4);
    EXPECT_EQ(r2.final_grade[1], grade::a3);
    EXPECT_EQ(r2.history_limit[1], grade::a3);
    EXPECT_EQ(r2.grade_by_score[2], grade::a4);
    EXPECT_EQ(r2.history_limit[2], grade::a2);
    EXPECT_EQ(r2.final_grade[2], grade::a2);
    EXPECT_EQ(r2.history_lapses_on[2], make_date(2026, 1, 15));
    const auto gs = r2.gates(2);
    bool found = false;
    for (const auto& g : gs)
      if (g.kind == gate::kind_t::history) {
        found = true;
        EXPECT_EQ(g.id, "no_rise_after_downgrade");
        EXPECT_EQ(g.lapses_on, make_date(2026, 1, 15));
      }
    EXPECT_TRUE(found);
    // rolling forward: Z stayed at 2A, so its downgrade date is unchanged
    const history_table h2 = roll_forward(h1, r2);
    EXPECT_EQ(h2.previous_grade[row_of(h2, "X")], grade::a4);
    EXPECT_EQ(h2.previous_grade[row_of(h2, "Y")], grade::a3);
    EXPECT_EQ(h2.previous_grade[row_of(h2, "Z")], grade::a2);
    EXPECT_EQ(h2.last_downgrade_on[row_of(h2, "Z")], day1);
    EXPECT_EQ(h2.previous_rated_on[row_of(h2, "Z")], day2);

    // Cycle 3 (one year on): X held 4A → 5A now possible
    const ratings r3 = rate(default_model(), with_history({x, y, z}, h2), make_date(2027, 1, 14));
    EXPECT_EQ(r3.final_grade[0], grade::a5);
    EXPECT_EQ(r3.final_grade[1], grade::a4);
    EXPECT_EQ(r3.final_grade[2], grade::a3);
  }
  {
    const ratings r2 = rate(default_model(), with_history({x, y, z}, h1), make_date(2026, 1, 15));
    EXPECT_EQ(r2.history_limit[2], grade::a3);
    EXPECT_TRUE(r2.history_lapses_on[2].is_missing());
    EXPECT_EQ(r2.final_grade[2], grade::a3);
    EXPECT_EQ(r2.final_grade[0], grade::a4);
    EXPECT_EQ(r2.final_grade[1], grade::a3);
  }
}
