// Tests of the shipped default model wuhan-2024 (SPEC §4, data/models/README.md): every rule and
// every 4A/5A prerequisite, each exactly at its boundary and one step across it.
//
// The helper builds a dataset of "perfect" operators (every measure at its best value, six
// scenarios, 200 reviews all ★5, no flags, opened long ago, previous grade 4A); each test
// overrides a few inputs. A perfect operator scores 1000.00 points and is 5A by score and final.
// as_of is 2025-06-15 throughout, inside the model's effective period (2024-08-23..2026-08-22).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "embedrating/dataset.hpp"
#include "embedrating/date.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/grade.hpp"
#include "embedrating/model.hpp"
#include "embedrating/rate.hpp"
#include "embedrating/ratings.hpp"
#include "perfect_operator.hpp"

namespace {

using namespace embedrating;

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
const civil_date as_of = make_date(2025, 6, 15);

using namespace embedrating::test_support;

ratings rate_ops(const std::vector<op_inputs>& ops, const model& m = default_model()) {
  return rate(m, make_dataset(ops), as_of);
}

std::size_t rule_index(const model& m, const std::string& id) {
  const auto& rules = m.spec().rules;
  for (std::size_t k = 0; k < rules.size(); ++k)
    if (rules[k].id == id) return k;
  ADD_FAILURE() << "no rule " << id;
  return 0;
}

/// The fired entry of `rule_id` for operator i, or nullptr.
const fired_rule* fired(const ratings& r, std::size_t i, const std::string& rule_id) {
  const std::size_t ri = rule_index(*r.rating_model, rule_id);
  for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k)
    if (r.fired[k].rule == ri) return &r.fired[k];
  return nullptr;
}

std::size_t fired_count(const ratings& r, std::size_t i) { return r.fired_offsets[i + 1] - r.fired_offsets[i]; }

Eigen::Index node(const model& m, const std::string& id) {
  return static_cast<Eigen::Index>(m.compiled().node_index.at(id));
}
Eigen::Index leaf(const model& m, const std::string& id) {
  const auto& ids = m.leaf_ids();
  const auto it = std::find(ids.begin(), ids.end(), id);
  EXPECT_NE(it, ids.end()) << id;
  return static_cast<Eigen::Index>(it - ids.begin());
}

/// A copy of the gate of `kind` and `id` in a list (copied: the list is often a temporary).
std::optional<gate> find_gate(const std::vector<gate>& gs, gate::kind_t kind, const std::string& id) {
  for (const auto& g : gs)
    if (g.kind == kind && g.id == id) return g;
  return std::nullopt;
}

bool has_warning(const ratings& r, std::size_t i, operator_warning::kind_t kind) {
  for (std::uint32_t k = r.warning_offsets[i]; k < r.warning_offsets[i + 1]; ++k)
    if (r.warnings[k].kind == kind) return true;
  return false;
}

/// The default model without one prerequisite (to isolate the effect of a cap).
model without_prerequisite(const std::string& id) {
  model_spec s = default_model().spec();
  for (auto& g : s.grades)
    g.prerequisites.erase(std::remove_if(g.prerequisites.begin(), g.prerequisites.end(),
                                         [&](const prerequisite& p) { return p.id == id; }),
                          g.prerequisites.end());
  return model(s);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The perfect operator

TEST(default_model, perfect_operator_is_5a_with_full_points_and_no_rules) {
  const ratings r = rate_ops({op_inputs{}});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r.total_centi[0], 100000);  // 1000.00 points
  EXPECT_EQ(r.grade_by_score[0], grade::a5);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  EXPECT_EQ(r.terminate[0], 0);
  EXPECT_EQ(fired_count(r, 0), 0u);
  EXPECT_EQ(r.warning_offsets[1] - r.warning_offsets[0], 0u);
  EXPECT_TRUE(r.gates(0).empty());  // at 5A
  EXPECT_TRUE(r.run_warnings.empty());
  const model& m = default_model();
  EXPECT_EQ(r.dimension_centi(0, 0), 30000);
  EXPECT_EQ(r.dimension_centi(0, 1), 30000);
  EXPECT_EQ(r.dimension_centi(0, 2), 15000);
  EXPECT_EQ(r.dimension_centi(0, 3), 25000);
  EXPECT_EQ(r.node_centi(0, node(m, "fire")), 12000);
  EXPECT_EQ(r.node_centi(0, node(m, "food_safety")), 10000);
}

// ---------------------------------------------------------------------------------------------
// Art. 16 vetoes: each flag alone → unrated + terminate

TEST(default_model, each_veto_flag_gives_unrated_and_terminate) {
  std::vector<op_inputs> ops;
  for (const char* f : veto_flag_names) {
    op_inputs o;
    o.id = std::string("V-") + f;
    o.flags[f] = 1;
    ops.push_back(o);
  }
  op_inputs clean;
  clean.id = "CLEAN";
  ops.push_back(clean);
  const ratings r = rate_ops(ops);
  for (std::size_t k = 0; k < 10; ++k) {
    SCOPED_TRACE(veto_flag_names[k]);
    char rule_id[32];
    std::snprintf(rule_id, sizeof rule_id, "veto_art16_%02zu", k + 1);
    EXPECT_EQ(r.final_grade[k], grade::unrated);
    EXPECT_EQ(r.terminate[k], 1);
    EXPECT_NE(fired(r, k, rule_id), nullptr) << rule_id;
    EXPECT_EQ(fired_count(r, k), 1u);  // only its own veto
    const auto gs = r.gates(k);
    ASSERT_EQ(gs.size(), 1u);
    EXPECT_EQ(gs[0].kind, gate::kind_t::veto);
    EXPECT_EQ(gs[0].id, rule_id);
  }
  EXPECT_EQ(r.final_grade[10], grade::a5);
  EXPECT_EQ(r.terminate[10], 0);
}

// ---------------------------------------------------------------------------------------------
// Art. 2 eligibility

TEST(default_model, elig_min_scenarios_boundary_3_vs_2) {
  op_inputs three, two;
  three.id = "S3";
  three.scenarios = {"elderly_care", "infant_care", "meals"};
  two.id = "S2";
  two.scenarios = {"elderly_care", "meals"};
  const ratings r = rate_ops({three, two});
  // 3 scenarios: scenario_mix 0.6 × 60 = 36.00, total 976.00, service 276/300 = 0.92 → 5A.
  EXPECT_EQ(fired(r, 0, "elig_min_scenarios"), nullptr);
  EXPECT_EQ(r.total_centi[0], 97600);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  // 2 scenarios (both core, so elig_min_core does not fire): capped unrated.
  EXPECT_NE(fired(r, 1, "elig_min_scenarios"), nullptr);
  EXPECT_EQ(fired(r, 1, "elig_min_core"), nullptr);
  EXPECT_EQ(r.final_grade[1], grade::unrated);
  EXPECT_EQ(r.terminate[1], 0);
  const std::optional<gate> g = find_gate(r.gates(1), gate::kind_t::cap, "elig_min_scenarios");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->target, grade::a1);
}

TEST(default_model, elig_min_core_boundary_2_vs_1) {
  op_inputs two, one;
  two.id = "C2";
  two.scenarios = {"elderly_care", "meals", "housekeeping", "health_services", "sports", "culture_leisure"};
  one.id = "C1";
  one.scenarios = {"elderly_care", "housekeeping", "health_services", "sports", "culture_leisure", "children_play"};
  const ratings r = rate_ops({two, one});
  EXPECT_EQ(fired(r, 0, "elig_min_core"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  EXPECT_NE(fired(r, 1, "elig_min_core"), nullptr);
  EXPECT_EQ(fired(r, 1, "elig_min_scenarios"), nullptr);
  EXPECT_EQ(fired(r, 1, "elig_elderly_or_infant"), nullptr);
  EXPECT_EQ(r.final_grade[1], grade::unrated);
}

TEST(default_model, elig_elderly_or_infant_boundary_1_vs_0) {
  op_inputs infant_only, neither;
  infant_only.id = "I";
  infant_only.scenarios = {"infant_care", "child_care", "meals", "housekeeping", "health_services", "sports", "children_play"};
  neither.id = "N";
  neither.scenarios = {"child_care", "meals", "housekeeping", "health_services", "sports", "culture_leisure", "children_play"};
  const ratings r = rate_ops({infant_only, neither});
  EXPECT_EQ(fired(r, 0, "elig_elderly_or_infant"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  EXPECT_NE(fired(r, 1, "elig_elderly_or_infant"), nullptr);
  EXPECT_EQ(r.grade_by_score[1], grade::a5);
  EXPECT_EQ(r.final_grade[1], grade::a3);
}

// ---------------------------------------------------------------------------------------------
// Time in operation (lapse dates = opened_on + N months)

TEST(default_model, cap_open_lt_12m_boundary_and_lapse_date) {
  op_inputs exactly, one_day_later;
  exactly.id = "12M";
  exactly.dates["opened_on"] = make_date(2024, 6, 15);  // months_since = 12 → not < 12
  one_day_later.id = "11M";
  one_day_later.dates["opened_on"] = make_date(2024, 6, 16);  // months_since = 11
  const ratings r = rate_ops({exactly, one_day_later});
  EXPECT_EQ(fired(r, 0, "cap_open_lt_12m"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  const fired_rule* f = fired(r, 1, "cap_open_lt_12m");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->lapses_on, make_date(2025, 6, 16));  // opened_on + 12 months
  EXPECT_EQ(f->lapses_on, add_months(one_day_later.dates["opened_on"], 12));
  EXPECT_EQ(fired(r, 1, "cap_open_lt_3m"), nullptr);
  EXPECT_EQ(r.grade_by_score[1], grade::a5);
  EXPECT_EQ(r.final_grade[1], grade::a3);
  const std::optional<gate> g = find_gate(r.gates(1), gate::kind_t::cap, "cap_open_lt_12m");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->target, grade::a4);
  EXPECT_EQ(g->lapses_on, make_date(2025, 6, 16));
}

TEST(default_model, cap_open_lt_3m_boundary_and_lapse_date) {
  op_inputs exactly, one_day_later;
  exactly.id = "3M";
  exactly.dates["opened_on"] = make_date(2025, 3, 15);  // 3 months → only the 12-month cap
  one_day_later.id = "2M";
  one_day_later.dates["opened_on"] = make_date(2025, 3, 16);  // 2 months
  const ratings r = rate_ops({exactly, one_day_later});
  EXPECT_EQ(fired(r, 0, "cap_open_lt_3m"), nullptr);
  EXPECT_NE(fired(r, 0, "cap_open_lt_12m"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a3);
  const fired_rule* f = fired(r, 1, "cap_open_lt_3m");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->lapses_on, make_date(2025, 6, 16));
  EXPECT_EQ(r.final_grade[1], grade::unrated);
  EXPECT_EQ(r.terminate[1], 0);
}

TEST(default_model, cap_open_month_end_lapse_is_clamped) {
  // opened 2024-07-31; 2025-06-15 is 10 months later → fires; lapse = 2025-07-31.
  // opened 2024-02-29 + 12 months = 2025-02-28 (clamped); as_of is after → not fired.
  op_inputs a, b;
  a.id = "A";
  a.dates["opened_on"] = make_date(2024, 7, 31);
  b.id = "B";
  b.dates["opened_on"] = make_date(2024, 2, 29);
  const ratings r = rate_ops({a, b});
  const fired_rule* f = fired(r, 0, "cap_open_lt_12m");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->lapses_on, make_date(2025, 7, 31));
  EXPECT_EQ(fired(r, 1, "cap_open_lt_12m"), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Safety caps

TEST(default_model, cap_serious_accident_36m_boundary) {
  op_inputs exactly, inside;
  exactly.id = "36M";
  exactly.dates["last_serious_accident_on"] = make_date(2022, 6, 15);  // 36 months → lapsed
  inside.id = "35M";
  inside.dates["last_serious_accident_on"] = make_date(2022, 6, 16);  // 35 months
  const ratings r = rate_ops({exactly, inside});
  EXPECT_EQ(fired(r, 0, "cap_serious_accident_36m"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  const fired_rule* f = fired(r, 1, "cap_serious_accident_36m");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->lapses_on, make_date(2025, 6, 16));
  EXPECT_EQ(r.final_grade[1], grade::a2);
  EXPECT_EQ(r.total_centi[1], 100000);  // a cap does not touch the points
}

TEST(default_model, fire_auto_fail_zeroes_fire_group_and_caps_2a) {
  op_inputs ok, fail;
  ok.id = "OK";
  fail.id = "FAIL";
  fail.flags["fire_auto_fail"] = 1;
  const ratings r = rate_ops({ok, fail});
  const model& m = default_model();
  EXPECT_EQ(fired(r, 0, "fire_auto_fail_zero"), nullptr);
  EXPECT_EQ(fired(r, 0, "cap_fire_auto_fail"), nullptr);
  EXPECT_EQ(r.node_centi(0, node(m, "fire")), 12000);
  EXPECT_NE(fired(r, 1, "fire_auto_fail_zero"), nullptr);
  EXPECT_NE(fired(r, 1, "cap_fire_auto_fail"), nullptr);
  for (const char* l : {"fire_inspection", "fire_hazards", "fire_rectification"}) {
    EXPECT_EQ(r.indicator_score(1, leaf(m, l)), 0.0) << l;
    EXPECT_EQ(r.node_centi(1, node(m, l)), 0) << l;
    EXPECT_EQ(r.available_centi(1, node(m, l)), r.available_centi(0, node(m, l))) << l;  // still available
  }
  // the other safety leaves are untouched
  EXPECT_EQ(r.indicator_score(1, leaf(m, "medical_hygiene")), 1.0);
  EXPECT_EQ(r.node_centi(1, node(m, "fire")), 0);
  // total 1000 − 120 = 880.00; safety 180/300 = 0.60 → 3A by score (4A needs 0.80); cap 2A.
  EXPECT_EQ(r.total_centi[1], 88000);
  EXPECT_EQ(r.dimension_centi(1, 0), 18000);
  EXPECT_EQ(r.grade_by_score[1], grade::a3);
  EXPECT_EQ(r.final_grade[1], grade::a2);
}

TEST(default_model, cap_food_incident_6m_boundary) {
  op_inputs exactly, inside;
  exactly.id = "6M";
  exactly.dates["last_food_incident_on"] = make_date(2024, 12, 15);  // 6 months → lapsed
  inside.id = "5M";
  inside.dates["last_food_incident_on"] = make_date(2024, 12, 16);  // 5 months
  const ratings r = rate_ops({exactly, inside});
  EXPECT_EQ(fired(r, 0, "cap_food_incident_6m"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  const fired_rule* f = fired(r, 1, "cap_food_incident_6m");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->lapses_on, make_date(2025, 6, 16));
  EXPECT_EQ(r.final_grade[1], grade::a2);
}

TEST(default_model, cap_food_grade_c_fires_on_c_not_on_b) {
  // Without meals the food indicator is not applicable and the food gates hold, so the grade by
  // score is 5A and only the cap can lower the grade: C → 3A, B → 5A.
  op_inputs b, c;
  b.id = "B";
  b.categories["food_grade"] = "B";
  b.scenarios = {"elderly_care", "infant_care", "child_care", "housekeeping", "health_services", "sports", "children_play"};
  c = b;
  c.id = "C";
  c.categories["food_grade"] = "C";
  const ratings r = rate_ops({b, c});
  EXPECT_EQ(fired(r, 0, "cap_food_grade_c"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  EXPECT_NE(fired(r, 1, "cap_food_grade_c"), nullptr);
  EXPECT_EQ(r.grade_by_score[1], grade::a5);
  EXPECT_EQ(r.final_grade[1], grade::a3);
}

TEST(default_model, food_grade_c_with_meals_scores_040_and_fails_4a_food_gate) {
  op_inputs c;
  c.categories["food_grade"] = "C";
  const ratings r = rate_ops({c});
  const model& m = default_model();
  // food 0.4 × 100 = 40.00; total 940.00; safety 240/300 = 0.80 (5A needs 0.90; 4A 0.80 holds)
  EXPECT_DOUBLE_EQ(r.indicator_score(0, leaf(m, "food_safety")), 0.4);
  EXPECT_EQ(r.total_centi[0], 94000);
  EXPECT_EQ(r.grade_by_score[0], grade::a3);  // food_b_when_meals blocks 4A
  EXPECT_EQ(r.final_grade[0], grade::a3);
  const auto gs = r.gates(0);  // toward 4A
  const std::optional<gate> g = find_gate(gs, gate::kind_t::prerequisite, "food_b_when_meals");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->target, grade::a4);
  EXPECT_FALSE(find_gate(gs, gate::kind_t::dimension_ratio, "safety").has_value());  // 0.80 exactly holds
  EXPECT_TRUE(find_gate(gs, gate::kind_t::cap, "cap_food_grade_c").has_value());
}

TEST(default_model, cap_special_equipment_overdue) {
  op_inputs ok, overdue;
  ok.id = "OK";
  overdue.id = "OVERDUE";
  overdue.flags["special_equipment_overdue"] = 1;
  const ratings r = rate_ops({ok, overdue});
  EXPECT_EQ(fired(r, 0, "cap_special_equipment_overdue"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  EXPECT_NE(fired(r, 1, "cap_special_equipment_overdue"), nullptr);
  EXPECT_EQ(r.total_centi[1], 100000);
  EXPECT_EQ(r.final_grade[1], grade::a3);
}

// ---------------------------------------------------------------------------------------------
// Administrative penalty: one level down for 12 months

TEST(default_model, downgrade_penalty_12m_boundary_one_level) {
  op_inputs exactly, inside;
  exactly.id = "12M";
  exactly.dates["last_penalty_on"] = make_date(2024, 6, 15);  // 12 months → lapsed
  inside.id = "11M";
  inside.dates["last_penalty_on"] = make_date(2024, 6, 16);
  const ratings r = rate_ops({exactly, inside});
  EXPECT_EQ(fired(r, 0, "downgrade_penalty_12m"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  const fired_rule* f = fired(r, 1, "downgrade_penalty_12m");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->lapses_on, make_date(2025, 6, 16));
  EXPECT_EQ(r.grade_by_score[1], grade::a5);
  EXPECT_EQ(r.final_grade[1], grade::a4);  // 5A − 1
  const std::optional<gate> g = find_gate(r.gates(1), gate::kind_t::downgrade, "downgrade_penalty_12m");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->lapses_on, make_date(2025, 6, 16));
}

TEST(default_model, downgrade_penalty_from_1a_is_unrated_and_applies_after_caps) {
  // Previous grade "unrated": history allows at most 1A; the penalty takes 1A to unrated.
  op_inputs a, b, c;
  a.id = "NOPEN";
  a.previous_grade = grade::unrated;
  b = a;
  b.id = "PEN";
  b.dates["last_penalty_on"] = make_date(2025, 1, 1);
  // Downgrade after a cap: special equipment cap 3A, then −1 → 2A.
  c.id = "CAPPEN";
  c.flags["special_equipment_overdue"] = 1;
  c.dates["last_penalty_on"] = make_date(2025, 1, 1);
  const ratings r = rate_ops({a, b, c});
  EXPECT_EQ(r.history_limit[0], grade::a1);
  EXPECT_EQ(r.final_grade[0], grade::a1);
  EXPECT_EQ(r.final_grade[1], grade::unrated);
  EXPECT_EQ(r.final_grade[2], grade::a2);
}

// ---------------------------------------------------------------------------------------------
// Reviews

TEST(default_model, cap_bad_review_overdue_0_vs_1) {
  // closure_full would block 5A whenever a review is overdue; drop it so only the cap acts.
  const model m = without_prerequisite("closure_full");
  op_inputs none, one;
  none.id = "NONE";
  none.reviews["bad_closed_in_time"] = 99;
  one.id = "ONE";
  one.reviews["bad_closed_in_time"] = 99;
  one.reviews["bad_overdue"] = 1;
  const ratings r = rate_ops({none, one}, m);
  EXPECT_EQ(fired(r, 0, "cap_bad_review_overdue"), nullptr);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  EXPECT_NE(fired(r, 1, "cap_bad_review_overdue"), nullptr);
  // closure 99/100 = 0.99 → (0.99 − 0.5)/0.5 = 0.98 × 50 = 49.00; total 999.00, still 5A by score
  EXPECT_EQ(r.total_centi[1], 99900);
  EXPECT_EQ(r.grade_by_score[1], grade::a5);
  EXPECT_EQ(r.final_grade[1], grade::a4);
}

TEST(default_model, cap_low_review_volume_29_vs_30) {
  op_inputs thirty, twenty_nine;
  thirty.id = "N30";
  thirty.reviews["stars_5"] = 30;
  twenty_nine.id = "N29";
  twenty_nine.reviews["stars_5"] = 29;
  const ratings r = rate_ops({thirty, twenty_nine});
  EXPECT_EQ(fired(r, 0, "cap_low_review_volume"), nullptr);
  EXPECT_FALSE(has_warning(r, 0, operator_warning::kind_t::low_review_volume));
  EXPECT_EQ(r.final_grade[0], grade::a5);
  EXPECT_NE(fired(r, 1, "cap_low_review_volume"), nullptr);
  EXPECT_TRUE(has_warning(r, 1, operator_warning::kind_t::low_review_volume));
  EXPECT_EQ(r.final_grade[1], grade::a3);
}

TEST(default_model, low_review_volume_scores_shrink_toward_prior) {
  // 29 valid reviews: 10 ★5, 10 ★4, 6 ★3, 3 ★2 (m = 30, prior index 80, prior rate 0.9).
  //   Σ values = 10·100 + 10·80 + 6·60 + 3·30 = 2250; raw index 2250/29 = 77.586
  //   index = (2250 + 1·80) / 30 = 77.6667 → score (77.6667 − 60)/35 = 0.504762 → 150 × = 75.71
  //   ★3+ = 26; rate = (26 + 1·0.9)/30 = 0.896667 → score (0.896667 − 0.80)/0.18 = 0.537037 → 50 × = 26.85
  //   closure: no closed or overdue bad review → prior 1.0 → 50.00
  // Unshrunk the index would be 77.586 → score 0.502463 and the rate 26/29 = 0.896552 → 0.536398.
  op_inputs o;
  o.reviews = {{"stars_5", 10}, {"stars_4", 10}, {"stars_3", 6}, {"stars_2", 3}};
  const ratings r = rate_ops({o});
  const model& m = default_model();
  const double index = (2250.0 + 80.0) / 30.0;
  const double rate_ = (26.0 + 0.9) / 30.0;
  EXPECT_NEAR(r.indicator_score(0, leaf(m, "satisfaction_index")), (index - 60.0) / 35.0, 1e-12);
  EXPECT_NEAR(r.indicator_score(0, leaf(m, "satisfaction_index")), 0.504762, 1e-6);
  EXPECT_NEAR(r.indicator_score(0, leaf(m, "satisfaction_rate")), (rate_ - 0.80) / 0.18, 1e-12);
  EXPECT_NEAR(r.indicator_score(0, leaf(m, "satisfaction_rate")), 0.537037, 1e-6);
  EXPECT_EQ(r.node_centi(0, node(m, "satisfaction_index")), 7571);
  EXPECT_EQ(r.node_centi(0, node(m, "satisfaction_rate")), 2685);
  EXPECT_EQ(r.node_centi(0, node(m, "bad_review_closure")), 5000);
  EXPECT_EQ(r.dimension_centi(0, 3), 7571 + 2685 + 5000);
  EXPECT_TRUE(has_warning(r, 0, operator_warning::kind_t::low_review_volume));

  // with 30 reviews (one more ★4) nothing is shrunk: index 2330/30, rate 27/30 = 0.9
  op_inputs p;
  p.reviews = {{"stars_5", 10}, {"stars_4", 11}, {"stars_3", 6}, {"stars_2", 3}};
  const ratings q = rate_ops({p});
  EXPECT_NEAR(q.indicator_score(0, leaf(m, "satisfaction_index")), (2330.0 / 30.0 - 60.0) / 35.0, 1e-12);
  EXPECT_NEAR(q.indicator_score(0, leaf(m, "satisfaction_rate")), (0.9 - 0.80) / 0.18, 1e-12);
  EXPECT_FALSE(has_warning(q, 0, operator_warning::kind_t::low_review_volume));
}

TEST(default_model, zero_reviews_use_the_priors) {
  // n = 0: index 80 → (80 − 60)/35 = 0.571429 → 85.71; rate 0.9 → 0.555556 → 27.78
  op_inputs o;
  o.reviews = {};
  const ratings r = rate_ops({o});
  const model& m = default_model();
  EXPECT_NEAR(r.indicator_score(0, leaf(m, "satisfaction_index")), 20.0 / 35.0, 1e-12);
  EXPECT_NEAR(r.indicator_score(0, leaf(m, "satisfaction_rate")), 0.1 / 0.18, 1e-12);
  EXPECT_EQ(r.node_centi(0, node(m, "satisfaction_index")), 8571);
  EXPECT_EQ(r.node_centi(0, node(m, "satisfaction_rate")), 2778);
}

// ---------------------------------------------------------------------------------------------
// Food safety not applicable without meals

TEST(default_model, food_not_applicable_without_meals_reallocates_within_safety) {
  op_inputs meals, no_meals, no_meals_weak;
  meals.id = "MEALS";
  no_meals.id = "NOMEALS";
  no_meals.scenarios = {"elderly_care", "infant_care", "child_care", "housekeeping", "health_services", "sports", "children_play"};
  no_meals_weak = no_meals;
  no_meals_weak.id = "NOMEALS80";
  no_meals_weak.numbers["fire_inspection_score"] = 80.0;
  const ratings r = rate_ops({meals, no_meals, no_meals_weak});
  const model& m = default_model();
  const auto av = [&](std::size_t i, const char* id) { return r.available_centi(static_cast<Eigen::Index>(i), node(m, id)); };
  // with meals: nominal points
  EXPECT_EQ(fired(r, 0, "food_na_without_meals"), nullptr);
  EXPECT_EQ(av(0, "food_safety"), 10000);
  EXPECT_EQ(av(0, "fire"), 12000);
  // without meals: 300 points over fire 120, medical 40, special 40 (weight 200):
  //   fire 300·120/200 = 180.00 → inspection 90.00, hazards 45.00, rectification 45.00
  //   medical 300·40/200 = 60.00, special equipment 60.00
  EXPECT_NE(fired(r, 1, "food_na_without_meals"), nullptr);
  EXPECT_TRUE(std::isnan(r.indicator_score(1, leaf(m, "food_safety"))));
  EXPECT_EQ(av(1, "food_safety"), 0);
  EXPECT_EQ(av(1, "fire"), 18000);
  EXPECT_EQ(av(1, "fire_inspection"), 9000);
  EXPECT_EQ(av(1, "fire_hazards"), 4500);
  EXPECT_EQ(av(1, "fire_rectification"), 4500);
  EXPECT_EQ(av(1, "medical_hygiene"), 6000);
  EXPECT_EQ(av(1, "special_equipment"), 6000);
  EXPECT_EQ(av(1, "safety"), 30000);
  EXPECT_EQ(av(1, "service"), 30000);  // other dimensions untouched
  EXPECT_EQ(r.dimension_centi(1, 0), 30000);
  EXPECT_EQ(r.total_centi[1], 100000);
  EXPECT_EQ(r.final_grade[1], grade::a5);
  // a weaker fire inspection (80 → 0.571429) earns 0.571429 × 90.00 = 51.43 instead of 34.29
  EXPECT_EQ(r.node_centi(2, node(m, "fire_inspection")), 5143);
  EXPECT_EQ(r.total_centi[2], 100000 - 9000 + 5143);
}

TEST(default_model, food_fallback_to_inspection_score_when_grade_missing) {
  // Missing food grade with meals: the inspection score 95 → steps ≥ 90 → 1.0 (fallback warning),
  // but the 4A/5A food gates need the grade itself → 3A by score.
  op_inputs o;
  o.categories["food_grade"] = "";
  const ratings r = rate_ops({o});
  const model& m = default_model();
  EXPECT_EQ(r.indicator_score(0, leaf(m, "food_safety")), 1.0);
  EXPECT_TRUE(has_warning(r, 0, operator_warning::kind_t::missing_fallback));
  EXPECT_EQ(r.total_centi[0], 100000);
  EXPECT_EQ(r.grade_by_score[0], grade::a3);
  const auto gs = r.gates(0, grade::a5);
  EXPECT_TRUE(find_gate(gs, gate::kind_t::prerequisite, "food_b_when_meals").has_value());
  EXPECT_TRUE(find_gate(gs, gate::kind_t::prerequisite, "food_a_when_meals").has_value());
}

// ---------------------------------------------------------------------------------------------
// Prerequisites of 4A and 5A

TEST(default_model, prerequisite_prev_grade_4a) {
  op_inputs held4, held3, first;
  held4.id = "P4";
  held3.id = "P3";
  held3.previous_grade = grade::a3;
  first.id = "FIRST";
  first.previous_grade = std::nullopt;
  const ratings r = rate_ops({held4, held3, first});
  EXPECT_EQ(r.grade_by_score[0], grade::a5);
  EXPECT_EQ(r.grade_by_score[1], grade::a4);
  EXPECT_EQ(r.final_grade[1], grade::a4);
  const std::optional<gate> g = find_gate(r.gates(1), gate::kind_t::prerequisite, "prev_grade_4a");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->target, grade::a5);
  EXPECT_EQ(r.grade_by_score[2], grade::a4);  // a missing previous grade fails the comparison
  EXPECT_TRUE(find_gate(r.gates(2, grade::a5), gate::kind_t::prerequisite, "prev_grade_4a").has_value());
}

TEST(default_model, prerequisite_no_major_hazard_0_vs_1) {
  op_inputs zero, one;
  zero.id = "H0";
  one.id = "H1";
  one.numbers["fire_open_major_hazards"] = 1;
  const ratings r = rate_ops({zero, one});
  EXPECT_EQ(r.grade_by_score[0], grade::a5);
  EXPECT_EQ(r.total_centi[1], 100000);  // not an indicator input
  EXPECT_EQ(r.grade_by_score[1], grade::a3);
  EXPECT_EQ(r.final_grade[1], grade::a3);
  const auto gs = r.gates(1);  // toward 4A
  const std::optional<gate> g4 = find_gate(gs, gate::kind_t::prerequisite, "no_major_hazard_4a");
  ASSERT_TRUE(g4.has_value());
  EXPECT_EQ(g4->target, grade::a4);
  EXPECT_FALSE(find_gate(gs, gate::kind_t::prerequisite, "no_major_hazard_5a").has_value());  // 5A not in scope
  const auto g5s = r.gates(1, grade::a5);
  const std::optional<gate> g5 = find_gate(g5s, gate::kind_t::prerequisite, "no_major_hazard_5a");
  ASSERT_TRUE(g5.has_value());
  EXPECT_EQ(g5->target, grade::a5);
  EXPECT_TRUE(find_gate(g5s, gate::kind_t::prerequisite, "no_major_hazard_4a").has_value());
}

TEST(default_model, prerequisite_food_a_when_meals) {
  op_inputs a, b, b_no_meals;
  a.id = "A";
  b.id = "B";
  b.categories["food_grade"] = "B";
  b_no_meals = b;
  b_no_meals.id = "BNOMEALS";
  b_no_meals.scenarios = {"elderly_care", "infant_care", "child_care", "housekeeping", "health_services", "sports", "children_play"};
  const ratings r = rate_ops({a, b, b_no_meals});
  EXPECT_EQ(r.grade_by_score[0], grade::a5);
  // B: 0.75 × 100 = 75.00 → total 975.00, safety 275/300 = 0.917 ≥ 0.90; blocked by food_a_when_meals
  EXPECT_EQ(r.total_centi[1], 97500);
  EXPECT_EQ(r.grade_by_score[1], grade::a4);
  const std::optional<gate> g = find_gate(r.gates(1), gate::kind_t::prerequisite, "food_a_when_meals");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->target, grade::a5);
  EXPECT_EQ(r.gates(1).size(), 1u);
  // without meals the gate holds
  EXPECT_EQ(r.grade_by_score[2], grade::a5);
}

TEST(default_model, prerequisite_closure_full_and_closure_95) {
  op_inputs c100, c99, c95, c94;
  c100.id = "C100";
  c100.reviews["bad_closed_in_time"] = 100;
  c99.id = "C99";
  c99.reviews["bad_closed_in_time"] = 99;
  c99.reviews["bad_overdue"] = 1;
  c95.id = "C95";
  c95.reviews["bad_closed_in_time"] = 95;
  c95.reviews["bad_overdue"] = 5;
  c94.id = "C94";
  c94.reviews["bad_closed_in_time"] = 94;
  c94.reviews["bad_overdue"] = 6;
  const ratings r = rate_ops({c100, c99, c95, c94});
  EXPECT_EQ(r.grade_by_score[0], grade::a5);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  // 0.99: closure_full fails → 4A by score
  EXPECT_EQ(r.grade_by_score[1], grade::a4);
  EXPECT_TRUE(find_gate(r.gates(1), gate::kind_t::prerequisite, "closure_full").has_value());
  // 0.95 exactly: closure_95 holds; score (0.95 − 0.5)/0.5 = 0.9 → 45.00; total 995.00
  EXPECT_EQ(r.total_centi[2], 99500);
  EXPECT_EQ(r.grade_by_score[2], grade::a4);
  // 0.94: closure_95 fails → 3A; score 0.88 → 44.00
  EXPECT_EQ(r.total_centi[3], 99400);
  EXPECT_EQ(r.grade_by_score[3], grade::a3);
  const std::optional<gate> g = find_gate(r.gates(3), gate::kind_t::prerequisite, "closure_95");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->target, grade::a4);
}

// ---------------------------------------------------------------------------------------------
// History limits

TEST(default_model, first_rating_capped_at_3a) {
  op_inputs o;
  o.previous_grade = std::nullopt;
  o.previous_rated_on = civil_date::missing();
  const ratings r = rate_ops({o});
  EXPECT_EQ(r.grade_by_score[0], grade::a4);  // prev_grade_4a fails
  EXPECT_EQ(r.history_limit[0], grade::a3);
  EXPECT_EQ(r.final_grade[0], grade::a3);
  const std::optional<gate> g = find_gate(r.gates(0), gate::kind_t::history, "first_rating");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->target, grade::a4);
  EXPECT_TRUE(g->lapses_on.is_missing());
}

TEST(default_model, max_rise_one_level) {
  op_inputs o;
  o.previous_grade = grade::a2;
  const ratings r = rate_ops({o});
  EXPECT_EQ(r.grade_by_score[0], grade::a4);
  EXPECT_EQ(r.history_limit[0], grade::a3);
  EXPECT_EQ(r.final_grade[0], grade::a3);
  EXPECT_TRUE(find_gate(r.gates(0), gate::kind_t::history, "max_rise").has_value());
}

TEST(default_model, no_rise_within_12_months_of_downgrade_boundary) {
  op_inputs exactly, inside, older;
  exactly.id = "12M";
  exactly.previous_grade = grade::a3;
  exactly.last_downgrade_on = make_date(2024, 6, 15);  // 12 months → may rise to 4A
  inside = exactly;
  inside.id = "11M";
  inside.last_downgrade_on = make_date(2024, 6, 16);  // 11 months → stays at 3A
  const ratings r = rate_ops({exactly, inside});
  EXPECT_EQ(r.history_limit[0], grade::a4);
  EXPECT_TRUE(r.history_lapses_on[0].is_missing());
  EXPECT_EQ(r.final_grade[0], grade::a4);
  EXPECT_EQ(r.history_limit[1], grade::a3);
  EXPECT_EQ(r.history_lapses_on[1], make_date(2025, 6, 16));
  EXPECT_EQ(r.final_grade[1], grade::a3);
  const std::optional<gate> g = find_gate(r.gates(1), gate::kind_t::history, "no_rise_after_downgrade");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->target, grade::a4);
  EXPECT_EQ(g->lapses_on, make_date(2025, 6, 16));
}

TEST(default_model, no_rise_after_downgrade_does_not_lower_below_previous) {
  // A recent downgrade blocks a rise only; it does not lower the grade below the previous one.
  op_inputs o;
  o.previous_grade = grade::a4;
  o.last_downgrade_on = make_date(2025, 1, 1);
  const ratings r = rate_ops({o});
  EXPECT_EQ(r.grade_by_score[0], grade::a5);
  EXPECT_EQ(r.history_limit[0], grade::a4);
  EXPECT_EQ(r.final_grade[0], grade::a4);
}

// ---------------------------------------------------------------------------------------------
// Status

TEST(default_model, non_active_status_is_not_graded) {
  op_inputs a, s;
  a.id = "ACT";
  s.id = "SUSP";
  s.status = operator_status::suspended;
  const ratings r = rate_ops({a, s});
  EXPECT_EQ(r.final_grade[1], grade::unrated);
  EXPECT_EQ(r.grade_by_score[1], grade::unrated);
  const auto gs = r.gates(1);
  ASSERT_EQ(gs.size(), 1u);
  EXPECT_EQ(gs[0].kind, gate::kind_t::status);
}

namespace {
// Issue 17: the scenario mix counts only the scenes of Art. 3; parking and retail do not count.
TEST(default_model, scenario_mix_counts_only_art3_scenarios) {
  op_inputs four, with_commercial;
  four.id = "A3";
  with_commercial.id = "A3C";
  four.scenarios = {"elderly_care", "infant_care", "meals", "housekeeping"};
  with_commercial.scenarios = {"elderly_care", "infant_care", "meals", "housekeeping", "parking", "retail"};
  const ratings r = rate_ops({four, with_commercial});
  const auto leaf = static_cast<std::size_t>(r.rating_model->compiled().nodes.at(static_cast<std::size_t>(
      r.rating_model->compiled().node_index.at("scenario_mix"))).leaf);
  EXPECT_DOUBLE_EQ(r.indicator_score(0, leaf), 0.8);
  EXPECT_DOUBLE_EQ(r.indicator_score(1, leaf), 0.8);  // 6 scenarios, 4 of Art. 3
  EXPECT_EQ(r.total_centi[0], r.total_centi[1]);
}
}  // namespace
