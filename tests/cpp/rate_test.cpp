// Tests of the rating pipeline (src/rate.cpp, src/explain.cpp): grade cut-offs to the centi-point,
// gates and shortfalls, missing vs not applicable, largest-remainder re-allocation, facility
// roll-up, explanations, rate_one, input validation and run metadata.
//
// Most tests use small models written in TOML here, so every point is under control; the rest use
// the shipped default model with a "perfect" operator (see default_model_test.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "embedrating/dataset.hpp"
#include "embedrating/date.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/grade.hpp"
#include "embedrating/io.hpp"
#include "embedrating/model.hpp"
#include "embedrating/rate.hpp"
#include "embedrating/ratings.hpp"
#include "embedrating/version.hpp"
#include "perfect_operator.hpp"

namespace {

using namespace embedrating;
using namespace embedrating::test_support;

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
const civil_date as_of = make_date(2025, 6, 15);

// ---------------------------------------------------------------------------------------------
// Small models

const char* const model_head = R"(
[model]
id = "t"
version = "1"
effective_from = 2025-01-01
effective_to = 2025-12-31

[history]
first_rating_max = "5A"
)";

/// Grades with the given minimum totals (5A..1A) and no other gate.
std::string plain_grades(double t5, double t4, double t3, double t2, double t1) {
  std::string out;
  const char* names[] = {"5A", "4A", "3A", "2A", "1A"};
  const double totals[] = {t5, t4, t3, t2, t1};
  for (int k = 0; k < 5; ++k)
    out += std::string("\n[[grades]]\ngrade = \"") + names[k] + "\"\nmin_total = " + std::to_string(totals[k]) + "\n";
  return out;
}

/// One dimension of 1000 points with one linear leaf: x points = x (0..1000).
model cutoff_model() {
  return model::from_toml(std::string(model_head) + R"(
[[measures]]
id = "x"
min = 0
max = 1000

[[dimensions]]
id = "d"
points = 1000

[[indicators]]
id = "xl"
parent = "d"
points = 1000
input = "raw.x"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 1000 }
)" + plain_grades(900, 800, 700, 600, 500),
                          "t-cut.toml");
}

/// Two dimensions of 500 points; 5A needs every dimension ≥ 0.90, 4A needs d2 ≥ 0.80.
model ratio_model() {
  return model::from_toml(std::string(model_head) + R"(
[[measures]]
id = "a"
min = 0
max = 1000

[[measures]]
id = "b"
min = 0
max = 1000

[[dimensions]]
id = "d1"
points = 500

[[dimensions]]
id = "d2"
points = 500

[[indicators]]
id = "al"
parent = "d1"
points = 500
input = "raw.a"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 1000 }

[[indicators]]
id = "bl"
parent = "d2"
points = 500
input = "raw.b"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 1000 }

[[grades]]
grade = "5A"
min_total = 0
min_dimension_ratio = 0.90

[[grades]]
grade = "4A"
min_total = 0
dimension_minimums = { d2 = 0.80 }

[[grades]]
grade = "3A"
min_total = 0

[[grades]]
grade = "2A"
min_total = 0

[[grades]]
grade = "1A"
min_total = 0
)",
                          "t-ratio.toml");
}

/// Four leaves of 25 points with the four missing policies; zero_leaf may be not applicable.
model missing_model() {
  return model::from_toml(std::string(model_head) + R"(
[[measures]]
id = "m_zero"
min = 0
max = 100

[[measures]]
id = "m_err"
min = 0
max = 100

[[measures]]
id = "m_fixed"
min = 0
max = 100

[[measures]]
id = "m_fb"
min = 0
max = 100

[[measures]]
id = "m_alt"
min = 0
max = 100

[[dimensions]]
id = "d"
points = 100

[[indicators]]
id = "zero_leaf"
parent = "d"
points = 25
input = "raw.m_zero"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }
missing = "zero"
not_applicable_if = { field = "flag.zero_na", op = "==", value = true }

[[indicators]]
id = "err_leaf"
parent = "d"
points = 25
input = "raw.m_err"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }
missing = "error"

[[indicators]]
id = "fixed_leaf"
parent = "d"
points = 25
input = "raw.m_fixed"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }
missing = { score = 0.5 }

[[indicators]]
id = "fb_leaf"
parent = "d"
points = 25
input = "raw.m_fb"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }
missing = { fallback = "raw.m_alt", scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 50 } }
)" + plain_grades(0, 0, 0, 0, 0),
                          "t-miss.toml");
}

/// Re-allocation: d (40) = g30 (l1, l2, l3: 10 each) + g10 (a, b, c: 3 each; e: 1);
/// d2 (10) = p 1, q 2, r 4, s 3. l3, e and s are not applicable when flag.na is set.
model alloc_model() {
  std::string t = std::string(model_head) + R"(
[[measures]]
id = "one"
min = 0
max = 1

[[dimensions]]
id = "d"
points = 40

[[dimensions]]
id = "d2"
points = 10

[[indicators]]
id = "g30"
parent = "d"
points = 30

[[indicators]]
id = "g10"
parent = "d"
points = 10
)";
  auto leaf = [&](const char* id, const char* parent, int points, bool na) {
    t += std::string("\n[[indicators]]\nid = \"") + id + "\"\nparent = \"" + parent + "\"\npoints = " +
         std::to_string(points) +
         "\ninput = \"raw.one\"\nscoring = { kind = \"linear\", direction = \"benefit\", lower = 0, upper = 1 }\n";
    if (na) t += "not_applicable_if = { field = \"flag.na\", op = \"==\", value = true }\n";
  };
  leaf("l1", "g30", 10, false);
  leaf("l2", "g30", 10, false);
  leaf("l3", "g30", 10, true);
  leaf("a", "g10", 3, false);
  leaf("b", "g10", 3, false);
  leaf("c", "g10", 3, false);
  leaf("e", "g10", 1, true);
  leaf("p", "d2", 1, false);
  leaf("q", "d2", 2, false);
  leaf("r", "d2", 4, false);
  leaf("s", "d2", 3, true);
  return model::from_toml(t + plain_grades(0, 0, 0, 0, 0), "t-alloc.toml");
}

/// Facility roll-up: one 10-point leaf per measure, linear 0..100 (score = value / 100), and a
/// fixed score of 0.25 when missing (so "missing" is visible and distinct from 0).
model facility_model() {
  std::string t = std::string(model_head) + R"(
[[measures]]
id = "bw"
direction = "benefit"
rollup = "worst"
min = 0
max = 100

[[measures]]
id = "cw"
direction = "cost"
rollup = "worst"
min = 0
max = 100

[[measures]]
id = "mn"
rollup = "mean"
min = 0
max = 100

[[measures]]
id = "vm"
rollup = "volume_mean"
min = 0
max = 100

[[measures]]
id = "sm"
rollup = "sum"
min = 0
max = 1000

[[measures]]
id = "cat"
kind = "category"
levels = ["A", "B", "C"]

[[dimensions]]
id = "d"
points = 60
)";
  for (const char* id : {"bw", "cw", "mn", "vm", "sm"})
    t += std::string("\n[[indicators]]\nid = \"") + id + "_leaf\"\nparent = \"d\"\npoints = 10\ninput = \"raw." + id +
         "\"\nscoring = { kind = \"linear\", direction = \"benefit\", lower = 0, upper = 100 }\nmissing = { score = 0.25 }\n";
  t += R"(
[[indicators]]
id = "cat_leaf"
parent = "d"
points = 10
input = "raw.cat"
scoring = { kind = "categorical", map = { A = 1.0, B = 0.5, C = 0.0 } }
missing = { score = 0.25 }
)";
  return model::from_toml(t + plain_grades(0, 0, 0, 0, 0), "t-fac.toml");
}

Eigen::Index node_of(const model& m, const std::string& id) {
  return static_cast<Eigen::Index>(m.compiled().node_index.at(id));
}
Eigen::Index leaf_of(const model& m, const std::string& id) {
  const auto& ids = m.leaf_ids();
  const auto it = std::find(ids.begin(), ids.end(), id);
  EXPECT_NE(it, ids.end()) << id;
  return static_cast<Eigen::Index>(it - ids.begin());
}

std::vector<std::string> ids_n(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("O" + std::to_string(i));
  return out;
}

std::vector<operator_warning::kind_t> warnings_of(const ratings& r, std::size_t i) {
  std::vector<operator_warning::kind_t> out;
  for (std::uint32_t k = r.warning_offsets[i]; k < r.warning_offsets[i + 1]; ++k) out.push_back(r.warnings[k].kind);
  return out;
}

std::optional<gate> find_gate(const std::vector<gate>& gs, gate::kind_t kind, const std::string& id) {
  for (const auto& g : gs)
    if (g.kind == kind && g.id == id) return g;
  return std::nullopt;
}

/// what() of the data_error thrown by f, or "" when nothing is thrown.
template <class F>
std::string data_error_of(F&& f) {
  try {
    f();
  } catch (const data_error& e) {
    return e.what();
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Default-model operators: tests/cpp/perfect_operator.hpp


/// Compares row `i` of `all` with row 0 of `one`.
void expect_same_row(const ratings& all, std::size_t i, const ratings& one) {
  SCOPED_TRACE(all.operator_ids[i]);
  ASSERT_EQ(one.size(), 1u);
  const auto row = static_cast<Eigen::Index>(i);
  EXPECT_EQ(one.operator_ids[0], all.operator_ids[i]);
  EXPECT_EQ(one.status[0], all.status[i]);
  EXPECT_EQ(one.grade_by_score[0], all.grade_by_score[i]);
  EXPECT_EQ(one.final_grade[0], all.final_grade[i]);
  EXPECT_EQ(one.terminate[0], all.terminate[i]);
  EXPECT_EQ(one.total_centi[0], all.total_centi[i]);
  EXPECT_EQ(one.history_limit[0], all.history_limit[i]);
  EXPECT_EQ(one.history_lapses_on[0], all.history_lapses_on[i]);
  EXPECT_EQ(one.previous_grade[0], all.previous_grade[i]);
  const auto nodes = static_cast<Eigen::Index>(all.rating_model->spec().nodes.size());
  for (Eigen::Index k = 0; k < nodes; ++k) {
    EXPECT_EQ(one.node_centi(0, k), all.node_centi(row, k)) << "node " << k;
    EXPECT_EQ(one.available_centi(0, k), all.available_centi(row, k)) << "node " << k;
  }
  for (Eigen::Index k = 0; k < all.dimension_centi.cols(); ++k) EXPECT_EQ(one.dimension_centi(0, k), all.dimension_centi(row, k));
  for (Eigen::Index j = 0; j < all.leaf_scores().cols(); ++j) {
    const double a = all.indicator_score(row, j), b = one.indicator_score(0, j);
    if (std::isnan(a)) {
      EXPECT_TRUE(std::isnan(b)) << "leaf " << j;
    } else {
      EXPECT_EQ(b, a) << "leaf " << j;
    }
  }
  for (int l = 0; l < grade_count; ++l) EXPECT_EQ(one.prerequisites_failed(0, l), all.prerequisites_failed(i, l));
  ASSERT_EQ(one.fired_offsets[1], all.fired_offsets[i + 1] - all.fired_offsets[i]);
  for (std::uint32_t k = 0; k < one.fired_offsets[1]; ++k) {
    EXPECT_EQ(one.fired[k].rule, all.fired[all.fired_offsets[i] + k].rule);
    EXPECT_EQ(one.fired[k].lapses_on, all.fired[all.fired_offsets[i] + k].lapses_on);
  }
  ASSERT_EQ(one.warning_offsets[1], all.warning_offsets[i + 1] - all.warning_offsets[i]);
  for (std::uint32_t k = 0; k < one.warning_offsets[1]; ++k) {
    EXPECT_EQ(one.warnings[k].kind, all.warnings[all.warning_offsets[i] + k].kind);
    EXPECT_EQ(one.warnings[k].index, all.warnings[all.warning_offsets[i] + k].index);
  }
}

std::string example_csv() { return std::string(EMBEDRATING_SOURCE_DIR) + "/data/examples/operators.csv"; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Grade cut-offs to the centi-point

TEST(rate, total_cutoffs_exact_and_one_centi_point_below) {
  const model m = cutoff_model();
  const std::vector<double> x = {900, 899.99, 800, 799.99, 700, 699.99, 600, 599.99, 500, 499.99};
  dataset d(ids_n(x.size()));
  d.set_number("x", x);
  const ratings r = rate(m, d, as_of);
  // points = x exactly (linear 0..1000 over 1000 points)
  const std::vector<std::int64_t> centi = {90000, 89999, 80000, 79999, 70000, 69999, 60000, 59999, 50000, 49999};
  const std::vector<grade> expected = {grade::a5, grade::a4, grade::a4, grade::a3, grade::a3,
                                       grade::a2, grade::a2, grade::a1, grade::a1, grade::unrated};
  for (std::size_t i = 0; i < x.size(); ++i) {
    SCOPED_TRACE(x[i]);
    EXPECT_EQ(r.total_centi[i], centi[i]);
    EXPECT_EQ(r.grade_by_score[i], expected[i]);
    EXPECT_EQ(r.final_grade[i], expected[i]);  // first_rating_max = 5A, no rules
  }
  // one centi-point short: one total gate with shortfall 0.01 points
  for (std::size_t i : {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{7}, std::size_t{9}}) {
    SCOPED_TRACE(x[i]);
    const auto gs = r.gates(i);
    ASSERT_EQ(gs.size(), 1u);
    EXPECT_EQ(gs[0].kind, gate::kind_t::total);
    EXPECT_EQ(gs[0].target, grade_from_level(level(expected[i]) + 1));
    EXPECT_DOUBLE_EQ(gs[0].required, x[i] + 0.01);
    EXPECT_NEAR(gs[0].actual, x[i], 1e-9);
    EXPECT_NEAR(gs[0].shortfall, 0.01, 1e-12);
  }
  // exactly at a cut-off: no gate for that grade
  EXPECT_TRUE(r.gates(0).empty());
  EXPECT_FALSE(find_gate(r.gates(2, grade::a4), gate::kind_t::total, "total").has_value());
}

TEST(rate, gates_list_total_shortfall_in_points_for_every_grade_up_to_target) {
  const model m = cutoff_model();
  dataset d(ids_n(1));
  d.set_number("x", {650.0});
  const ratings r = rate(m, d, as_of);
  EXPECT_EQ(r.final_grade[0], grade::a2);
  const auto next = r.gates(0);  // toward 3A: 700 − 650 = 50.00
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].target, grade::a3);
  EXPECT_DOUBLE_EQ(next[0].shortfall, 50.0);
  const auto to5 = r.gates(0, grade::a5);  // 3A 50, 4A 150, 5A 250
  ASSERT_EQ(to5.size(), 3u);
  EXPECT_EQ(to5[0].target, grade::a3);
  EXPECT_DOUBLE_EQ(to5[0].shortfall, 50.0);
  EXPECT_EQ(to5[1].target, grade::a4);
  EXPECT_DOUBLE_EQ(to5[1].shortfall, 150.0);
  EXPECT_EQ(to5[2].target, grade::a5);
  EXPECT_DOUBLE_EQ(to5[2].shortfall, 250.0);
  EXPECT_DOUBLE_EQ(to5[2].required, 900.0);
  EXPECT_DOUBLE_EQ(to5[2].actual, 650.0);
}

TEST(rate, dimension_ratio_gate_exactly_at_090_and_one_centi_point_below) {
  const model m = ratio_model();
  dataset d(ids_n(4));
  // a = 900 → d1 450.00 / 500 = 0.90 exactly; 899.98 → 449.99 (one centi-point below)
  d.set_number("a", {900.0, 899.98, 1000.0, 1000.0});
  // b = 800 → d2 400.00 / 500 = 0.80 (4A minimum holds, 5A ratio fails); 799.98 → 399.99
  d.set_number("b", {1000.0, 1000.0, 800.0, 799.98});
  const ratings r = rate(m, d, as_of);
  EXPECT_EQ(r.dimension_centi(0, 0), 45000);
  EXPECT_EQ(r.dimension_centi(1, 0), 44999);
  EXPECT_EQ(r.dimension_centi(2, 1), 40000);
  EXPECT_EQ(r.dimension_centi(3, 1), 39999);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  EXPECT_EQ(r.final_grade[1], grade::a4);
  EXPECT_EQ(r.final_grade[2], grade::a4);
  EXPECT_EQ(r.final_grade[3], grade::a3);
  {
    const auto gs = r.gates(1);
    ASSERT_EQ(gs.size(), 1u);
    EXPECT_EQ(gs[0].kind, gate::kind_t::dimension_ratio);
    EXPECT_EQ(gs[0].id, "d1");
    EXPECT_EQ(gs[0].target, grade::a5);
    EXPECT_DOUBLE_EQ(gs[0].required, 0.9);
    EXPECT_NEAR(gs[0].actual, 0.89998, 1e-12);
    EXPECT_NEAR(gs[0].shortfall, 0.01, 1e-12);  // in points
  }
  {
    const auto gs = r.gates(2);  // d2 400.00 of the 450.00 needed: 50.00 points short
    ASSERT_EQ(gs.size(), 1u);
    EXPECT_EQ(gs[0].kind, gate::kind_t::dimension_ratio);
    EXPECT_EQ(gs[0].id, "d2");
    EXPECT_NEAR(gs[0].shortfall, 50.0, 1e-12);
  }
  {
    const auto gs = r.gates(3);  // toward 4A: d2 minimum 0.80, one centi-point short
    ASSERT_EQ(gs.size(), 1u);
    EXPECT_EQ(gs[0].kind, gate::kind_t::dimension_minimum);
    EXPECT_EQ(gs[0].id, "d2");
    EXPECT_EQ(gs[0].target, grade::a4);
    EXPECT_DOUBLE_EQ(gs[0].required, 0.8);
    EXPECT_NEAR(gs[0].shortfall, 0.01, 1e-12);
  }
  EXPECT_NEAR(r.dimension_ratio(0, 0), 0.9, 1e-15);
}

// ---------------------------------------------------------------------------------------------
// Missing vs not applicable

TEST(rate, missing_policies_zero_fixed_fallback_and_not_applicable) {
  const model m = missing_model();
  // rows: FULL, ZERO (m_zero missing), NA (m_zero missing but not applicable), FIXED, FB, FBNONE
  dataset d({"FULL", "ZERO", "NA", "FIXED", "FB", "FBNONE"});
  d.set_number("m_zero", {100, nan_v, nan_v, 100, 100, 100}, nan_policy::missing);
  d.set_number("m_err", {100, 100, 100, 100, 100, 100});
  d.set_number("m_fixed", {100, 100, 100, nan_v, 100, 100}, nan_policy::missing);
  d.set_number("m_fb", {100, 100, 100, 100, nan_v, nan_v}, nan_policy::missing);
  d.set_number("m_alt", {nan_v, nan_v, nan_v, nan_v, 40, nan_v}, nan_policy::missing);
  d.set_flag("zero_na", {0, 0, 1, 0, 0, 0});
  const ratings r = rate(m, d, as_of);
  const Eigen::Index z = leaf_of(m, "zero_leaf"), f = leaf_of(m, "fixed_leaf"), fb = leaf_of(m, "fb_leaf");
  using wk = operator_warning::kind_t;
  // FULL
  EXPECT_EQ(r.total_centi[0], 10000);
  EXPECT_TRUE(warnings_of(r, 0).empty());
  // ZERO: scores 0, keeps its 25 points available, warns
  EXPECT_EQ(r.indicator_score(1, z), 0.0);
  EXPECT_EQ(r.available_centi(1, node_of(m, "zero_leaf")), 2500);
  EXPECT_EQ(r.total_centi[1], 7500);
  ASSERT_EQ(warnings_of(r, 1), std::vector<wk>{wk::missing_zero});
  EXPECT_EQ(r.warnings[r.warning_offsets[1]].index, static_cast<std::uint32_t>(z));
  // NA: NaN score, no warning, 100 points over the three others (weight 75):
  //   10000·2500/7500 = 3333 r 2500 each; one left-over centi-point to the first (err_leaf)
  EXPECT_TRUE(std::isnan(r.indicator_score(2, z)));
  EXPECT_TRUE(warnings_of(r, 2).empty());
  EXPECT_EQ(r.available_centi(2, node_of(m, "zero_leaf")), 0);
  EXPECT_EQ(r.available_centi(2, node_of(m, "err_leaf")), 3334);
  EXPECT_EQ(r.available_centi(2, node_of(m, "fixed_leaf")), 3333);
  EXPECT_EQ(r.available_centi(2, node_of(m, "fb_leaf")), 3333);
  EXPECT_EQ(r.total_centi[2], 10000);
  // FIXED: 0.5 × 25 = 12.50, warns missing_fixed
  EXPECT_EQ(r.indicator_score(3, f), 0.5);
  EXPECT_EQ(r.node_centi(3, node_of(m, "fixed_leaf")), 1250);
  EXPECT_EQ(warnings_of(r, 3), std::vector<wk>{wk::missing_fixed});
  // FB: fallback m_alt = 40 on linear 0..50 → 0.8 × 25 = 20.00, warns missing_fallback
  EXPECT_DOUBLE_EQ(r.indicator_score(4, fb), 0.8);
  EXPECT_EQ(r.node_centi(4, node_of(m, "fb_leaf")), 2000);
  EXPECT_EQ(warnings_of(r, 4), std::vector<wk>{wk::missing_fallback});
  // FBNONE: both missing → 0, warns missing_zero
  EXPECT_EQ(r.indicator_score(5, fb), 0.0);
  EXPECT_EQ(warnings_of(r, 5), std::vector<wk>{wk::missing_zero});
}

TEST(rate, missing_with_error_policy_throws_naming_operator_and_indicator) {
  const model m = missing_model();
  dataset d({"GOOD", "BAD-OP"});
  d.set_number("m_zero", {100, 100});
  d.set_number("m_err", {100, nan_v}, nan_policy::missing);
  d.set_number("m_fixed", {100, 100});
  d.set_number("m_fb", {100, 100});
  d.set_number("m_alt", {100, 100});
  d.set_flag("zero_na", {0, 0});
  const std::string msg = data_error_of([&] { rate(m, d, as_of); });
  ASSERT_FALSE(msg.empty()) << "no data_error";
  EXPECT_NE(msg.find("BAD-OP"), std::string::npos) << msg;
  EXPECT_NE(msg.find("err_leaf"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("GOOD"), std::string::npos) << msg;
  try {
    rate(m, d, as_of);
  } catch (const data_error& e) {
    EXPECT_EQ(e.where().operator_id, "BAD-OP");
  }
}

TEST(rate, missing_with_error_policy_is_fine_for_operators_not_graded) {
  const model m = missing_model();
  dataset d({"SUSP"});
  d.set_status({operator_status::suspended});
  d.set_number("m_zero", {100});
  d.set_number("m_err", {nan_v}, nan_policy::missing);
  d.set_number("m_fixed", {100});
  d.set_number("m_fb", {100});
  d.set_number("m_alt", {100});
  d.set_flag("zero_na", {0});
  ratings r;
  ASSERT_NO_THROW(r = rate(m, d, as_of));
  EXPECT_EQ(r.final_grade[0], grade::unrated);
}

// ---------------------------------------------------------------------------------------------
// Largest-remainder re-allocation

TEST(rate, largest_remainder_reallocation_is_exact) {
  const model m = alloc_model();
  dataset d({"ALL", "NA"});
  d.set_number("one", {1.0, 1.0});
  d.set_flag("na", {0, 1});
  const ratings r = rate(m, d, as_of);
  auto av = [&](std::size_t i, const char* id) { return r.available_centi(static_cast<Eigen::Index>(i), node_of(m, id)); };
  // nominal
  EXPECT_EQ(av(0, "l3"), 1000);
  EXPECT_EQ(av(0, "e"), 100);
  EXPECT_EQ(av(0, "s"), 300);
  // 10/10/10 in 30 with l3 N/A → 15.00 / 15.00
  EXPECT_EQ(av(1, "l1"), 1500);
  EXPECT_EQ(av(1, "l2"), 1500);
  EXPECT_EQ(av(1, "l3"), 0);
  // 3/3/3/1 in 10 with e N/A: 1000·300/900 = 333 r 300 each; the left-over centi-point goes to
  // the first of the tied siblings → 3.34 / 3.33 / 3.33
  EXPECT_EQ(av(1, "a"), 334);
  EXPECT_EQ(av(1, "b"), 333);
  EXPECT_EQ(av(1, "c"), 333);
  EXPECT_EQ(av(1, "e"), 0);
  // 1/2/4/3 in 10 with s N/A (weight 700): p 142 r 600, q 285 r 500, r 571 r 300;
  // two left-over centi-points to the two largest remainders → 1.43 / 2.86 / 5.71
  EXPECT_EQ(av(1, "p"), 143);
  EXPECT_EQ(av(1, "q"), 286);
  EXPECT_EQ(av(1, "r"), 571);
  EXPECT_EQ(av(1, "s"), 0);
  // group and dimension totals stay exact
  EXPECT_EQ(av(1, "g30"), 3000);
  EXPECT_EQ(av(1, "g10"), 1000);
  EXPECT_EQ(av(1, "d"), 4000);
  EXPECT_EQ(av(1, "d2"), 1000);
  EXPECT_EQ(r.total_centi[0], 5000);
  EXPECT_EQ(r.total_centi[1], 5000);
  EXPECT_EQ(r.node_centi(1, node_of(m, "a")), 334);
  EXPECT_EQ(r.node_centi(1, node_of(m, "g10")), 1000);
}

// ---------------------------------------------------------------------------------------------
// Facility roll-up

/// Three operators for facility_model(): O1 and O2 run two sites each (O2 has a site with a
/// missing "bw" and "cat"), O3 runs none.
dataset facility_dataset() {
  dataset d({"O1", "O2", "O3"});
  facility_table f;
  f.facility_ids = {"F1", "F2", "F3", "F4"};
  f.operator_ids = {"O1", "O1", "O2", "O2"};
  f.volume = {1, 3, 1, 1};
  f.numbers["bw"] = {80, 70, nan_v, 90};
  f.numbers["cw"] = {2, 5, 1, 9};
  f.numbers["mn"] = {60, 90, 10, 30};
  f.numbers["vm"] = {50, 80, 20, 40};
  f.numbers["sm"] = {3, 4, 1, 2};
  f.categories["cat"] = {"A", "B", "", "C"};
  d.set_facilities(f);
  return d;
}

TEST(rate, facility_rollup_worst_mean_volume_mean_sum_category_and_missing) {
  const model m = facility_model();
  const dataset d = facility_dataset();
  const ratings r = rate(m, d, as_of);
  auto sc = [&](std::size_t i, const char* leaf) { return r.indicator_score(static_cast<Eigen::Index>(i), leaf_of(m, leaf)); };
  // O1: worst benefit = min(80, 70) = 70; worst cost = max(2, 5) = 5; mean (60 + 90)/2 = 75
  //     (not the volume-weighted 82.5); volume_mean (1·50 + 3·80)/4 = 72.5; sum 3 + 4 = 7; worst of A, B = B
  EXPECT_DOUBLE_EQ(sc(0, "bw_leaf"), 0.70);
  EXPECT_DOUBLE_EQ(sc(0, "cw_leaf"), 0.05);
  EXPECT_DOUBLE_EQ(sc(0, "mn_leaf"), 0.75);
  EXPECT_DOUBLE_EQ(sc(0, "vm_leaf"), 0.725);
  EXPECT_DOUBLE_EQ(sc(0, "sm_leaf"), 0.07);
  EXPECT_DOUBLE_EQ(sc(0, "cat_leaf"), 0.5);
  EXPECT_TRUE(warnings_of(r, 0).empty());
  // O2: one site without bw → missing (fixed 0.25), not the other site's 90; cat missing likewise;
  //     worst cost max(1, 9) = 9; mean 20; volume_mean (20 + 40)/2 = 30; sum 3; cat "" + C → missing
  EXPECT_DOUBLE_EQ(sc(1, "bw_leaf"), 0.25);
  EXPECT_DOUBLE_EQ(sc(1, "cw_leaf"), 0.09);
  EXPECT_DOUBLE_EQ(sc(1, "mn_leaf"), 0.20);
  EXPECT_DOUBLE_EQ(sc(1, "vm_leaf"), 0.30);
  EXPECT_DOUBLE_EQ(sc(1, "sm_leaf"), 0.03);
  EXPECT_DOUBLE_EQ(sc(1, "cat_leaf"), 0.25);
  EXPECT_EQ(warnings_of(r, 1), (std::vector<operator_warning::kind_t>{operator_warning::kind_t::missing_fixed,
                                                                      operator_warning::kind_t::missing_fixed}));
  // O3 has no facility: every value missing
  for (const char* l : {"bw_leaf", "cw_leaf", "mn_leaf", "vm_leaf", "sm_leaf", "cat_leaf"}) EXPECT_DOUBLE_EQ(sc(2, l), 0.25) << l;
  EXPECT_EQ(warnings_of(r, 2).size(), 6u);
}

TEST(rate, every_facility_value_is_range_checked_not_only_the_rolled_up_one) {
  // O1's sites: 80 and 130 on a 0–100 measure rolled up by "worst" (min = 80): the bad site is not
  // the worst, yet the rating refuses it, naming the facility
  dataset d({"O1", "O2", "O3"});
  facility_table f = *facility_dataset().facilities();
  f.numbers["bw"] = {80, 130, nan_v, 90};
  d.set_facilities(f);
  const std::string msg = data_error_of([&] { rate(facility_model(), d, as_of); });
  EXPECT_NE(msg.find("facilities.bw"), std::string::npos) << msg;
  EXPECT_NE(msg.find("operator O1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("facility \"F2\": value 130 is outside the allowed range [0, 100]"), std::string::npos) << msg;
}

TEST(rate, facility_category_worst_takes_the_last_level) {
  const model m = facility_model();
  dataset d({"O1"});
  facility_table f;
  f.facility_ids = {"F1", "F2", "F3"};
  f.operator_ids = {"O1", "O1", "O1"};
  for (const char* id : {"bw", "cw", "mn", "vm", "sm"}) f.numbers[id] = {50, 50, 50};
  f.categories["cat"] = {"B", "C", "A"};  // worst = C → 0
  d.set_facilities(f);
  const ratings r = rate(m, d, as_of);
  EXPECT_EQ(r.indicator_score(0, leaf_of(m, "cat_leaf")), 0.0);
  EXPECT_DOUBLE_EQ(r.indicator_score(0, leaf_of(m, "sm_leaf")), 1.0);  // 150 → clamped at 1
}

// ---------------------------------------------------------------------------------------------
// Explanations

TEST(rate, explain_en_and_zh_name_operator_grade_rules_lapse_dates_and_gates) {
  op_inputs t1, t2;
  t1.id = "WH-T1";
  t1.dates["opened_on"] = make_date(2024, 6, 16);  // 11 months: cap 3A until 2025-06-16
  t2.id = "WH-T2";
  t2.numbers["service_volume_ratio"] = 0.6;  // 0 of 80
  t2.numbers["staff_qualified_share"] = 0.7;  // 0 of 60 → service 160/300 = 0.533
  const ratings r = rate(default_model(), make_dataset({t1, t2}), as_of);
  ASSERT_EQ(r.final_grade[0], grade::a3);
  ASSERT_EQ(r.final_grade[1], grade::a2);
  const std::string en = r.explain(0, language::en);
  EXPECT_NE(en.find("WH-T1"), std::string::npos) << en;
  EXPECT_NE(en.find("final grade 3A"), std::string::npos) << en;
  EXPECT_NE(en.find("by score 5A"), std::string::npos) << en;
  EXPECT_NE(en.find("cap_open_lt_12m"), std::string::npos) << en;
  EXPECT_NE(en.find("lapses on 2025-06-16"), std::string::npos) << en;
  EXPECT_NE(en.find("To reach 4A"), std::string::npos) << en;
  EXPECT_NE(en.find("cap cap_open_lt_12m limits the grade to 3A until 2025-06-16"), std::string::npos) << en;
  EXPECT_EQ(en, r.explain("WH-T1", language::en));
  const std::string zh = r.explain(0, language::zh);
  EXPECT_NE(zh.find("运营商 WH-T1"), std::string::npos) << zh;
  EXPECT_NE(zh.find("最终等级 3A"), std::string::npos) << zh;
  EXPECT_NE(zh.find("cap_open_lt_12m"), std::string::npos) << zh;
  EXPECT_NE(zh.find("失效日期 2025-06-16"), std::string::npos) << zh;
  EXPECT_NE(zh.find("升至 4A"), std::string::npos) << zh;
  EXPECT_NE(zh.find("封顶规则 cap_open_lt_12m 限定最高 3A，至 2025-06-16"), std::string::npos) << zh;
  // a score gate line: 3A needs service ≥ 0.60 → 180.00, has 160.00 → 20.00 points short
  const std::string en2 = r.explain("WH-T2", language::en);
  EXPECT_NE(en2.find("final grade 2A"), std::string::npos) << en2;
  EXPECT_NE(en2.find("Rules fired: none"), std::string::npos) << en2;
  EXPECT_NE(en2.find("3A needs dimension Service supply and quality ratio ≥ 0.600, has 0.533, short by 20.00 points"),
            std::string::npos)
      << en2;
  const std::string zh2 = r.explain("WH-T2", language::zh);
  EXPECT_NE(zh2.find("最终等级 2A"), std::string::npos) << zh2;
  EXPECT_NE(zh2.find("服务供给与质量"), std::string::npos) << zh2;
  EXPECT_NE(zh2.find("差 20.00 分"), std::string::npos) << zh2;
  EXPECT_THROW(r.explain("NOPE"), data_error);
}

// ---------------------------------------------------------------------------------------------
// rate_one

TEST(rate, rate_one_equals_the_row_of_rate_on_the_example_file) {
  const model& m = default_model();
  const dataset d = read_operators_csv(example_csv(), m);
  const civil_date day = make_date(2025, 12, 31);
  const ratings all = rate(m, d, day);
  ASSERT_EQ(all.size(), d.size());
  for (std::size_t i = 0; i < d.size(); ++i) expect_same_row(all, i, rate_one(m, d, i, day));
  EXPECT_THROW(rate_one(m, d, d.size(), day), data_error);
}

TEST(rate, rate_one_equals_the_row_of_rate_with_facilities_and_na) {
  {
    const model m = facility_model();
    const dataset d = facility_dataset();
    const ratings all = rate(m, d, as_of);
    for (std::size_t i = 0; i < d.size(); ++i) expect_same_row(all, i, rate_one(m, d, i, as_of));
  }
  {
    const model m = alloc_model();
    dataset d({"ALL", "NA"});
    d.set_number("one", {1.0, 0.5});
    d.set_flag("na", {0, 1});
    const ratings all = rate(m, d, as_of);
    for (std::size_t i = 0; i < d.size(); ++i) expect_same_row(all, i, rate_one(m, d, i, as_of));
  }
}

// ---------------------------------------------------------------------------------------------
// Input validation

TEST(rate, missing_required_columns_are_all_listed) {
  op_inputs o;
  const dataset d = make_dataset({o}, {"fire_inspection_score", "food_grade", "food_inspection_score", "scenarios",
                                       "stars_1", "fire_auto_fail", "credit_blacklist", "opened_on",
                                       "last_penalty_on"});
  const std::string msg = data_error_of([&] { rate(default_model(), d, as_of); });
  ASSERT_FALSE(msg.empty());
  for (const char* col : {"raw.fire_inspection_score", "raw.food_grade", "raw.food_inspection_score", "scenarios",
                          "stars_1", "flag.fire_auto_fail", "flag.credit_blacklist", "opened_on", "last_penalty_on"})
    EXPECT_NE(msg.find(col), std::string::npos) << col << " in: " << msg;
  // columns that are present are not listed
  EXPECT_EQ(msg.find("medical_inspection_score"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("stars_2"), std::string::npos) << msg;

  // a dataset with nothing but ids lists everything the model reads
  dataset bare({"X"});
  const std::string all = data_error_of([&] { rate(default_model(), bare, as_of); });
  for (const auto& me : default_model().spec().measures)
    EXPECT_NE(all.find("raw." + me.id), std::string::npos) << me.id;
  for (const char* f : veto_flag_names) EXPECT_NE(all.find(std::string("flag.") + f), std::string::npos) << f;
  for (const char* dt : {"opened_on", "last_serious_accident_on", "last_food_incident_on", "last_penalty_on"})
    EXPECT_NE(all.find(dt), std::string::npos) << dt;
}

TEST(rate, out_of_range_value_names_operator_column_and_value) {
  op_inputs ok, bad;
  ok.id = "IN-RANGE";
  bad.id = "OUT-OF-RANGE";
  bad.numbers["fire_inspection_score"] = 100.5;  // allowed [0, 100]
  const dataset d = make_dataset({ok, bad});
  std::string msg;
  try {
    rate(default_model(), d, as_of);
  } catch (const data_error& e) {
    msg = e.what();
    EXPECT_EQ(e.where().operator_id, "OUT-OF-RANGE");
    EXPECT_EQ(e.where().field, "raw.fire_inspection_score");
  }
  ASSERT_FALSE(msg.empty()) << "no data_error";
  EXPECT_NE(msg.find("OUT-OF-RANGE"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fire_inspection_score"), std::string::npos) << msg;
  EXPECT_NE(msg.find("100.5"), std::string::npos) << msg;
  // the boundary value itself is accepted
  bad.numbers["fire_inspection_score"] = 100.0;
  EXPECT_NO_THROW(rate(default_model(), make_dataset({ok, bad}), as_of));
  // a negative count too
  bad.numbers["fire_open_hazards"] = -1;
  const std::string neg = data_error_of([&] { rate(default_model(), make_dataset({ok, bad}), as_of); });
  EXPECT_NE(neg.find("fire_open_hazards"), std::string::npos) << neg;
  EXPECT_NE(neg.find("-1"), std::string::npos) << neg;
}

TEST(rate, unknown_category_level_is_an_error_naming_the_operator) {
  op_inputs ok, bad;
  ok.id = "GOOD";
  bad.id = "GRADE-D";
  bad.categories["food_grade"] = "D";
  const std::string msg = data_error_of([&] { rate(default_model(), make_dataset({ok, bad}), as_of); });
  ASSERT_FALSE(msg.empty()) << "no data_error";
  EXPECT_NE(msg.find("GRADE-D"), std::string::npos) << msg;
  EXPECT_NE(msg.find("food_grade"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"D\""), std::string::npos) << msg;
}

TEST(rate, number_given_for_a_category_measure_is_an_error) {
  op_inputs o;
  dataset d = make_dataset({o}, {"funds_audit"});
  d.set_number("funds_audit", {1.0});
  const std::string msg = data_error_of([&] { rate(default_model(), d, as_of); });
  EXPECT_NE(msg.find("funds_audit"), std::string::npos) << msg;
}

// ---------------------------------------------------------------------------------------------
// Status, distribution, run metadata

TEST(rate, non_active_status_is_unrated_and_not_in_distribution) {
  op_inputs a, first, susp, term, vetoed;
  a.id = "A";
  first.id = "FIRST";
  first.previous_grade = std::nullopt;
  susp.id = "SUSP";
  susp.status = operator_status::suspended;
  term.id = "TERM";
  term.status = operator_status::terminated;
  vetoed.id = "VETO";
  vetoed.flags["credit_blacklist"] = 1;
  const ratings r = rate(default_model(), make_dataset({a, first, susp, term, vetoed}), as_of);
  EXPECT_EQ(r.final_grade[0], grade::a5);
  EXPECT_EQ(r.final_grade[1], grade::a3);
  for (std::size_t i : {std::size_t{2}, std::size_t{3}}) {
    EXPECT_EQ(r.final_grade[i], grade::unrated);
    EXPECT_EQ(r.grade_by_score[i], grade::unrated);
  }
  EXPECT_EQ(r.status[2], operator_status::suspended);
  EXPECT_EQ(r.status[3], operator_status::terminated);
  const auto dist = r.distribution();
  EXPECT_EQ(dist.not_graded, 2u);
  EXPECT_EQ(dist.by_grade[5], 1u);
  EXPECT_EQ(dist.by_grade[3], 1u);
  EXPECT_EQ(dist.by_grade[0], 1u);  // the vetoed active operator is graded unrated
  std::size_t graded = 0;
  for (std::size_t k : dist.by_grade) graded += k;
  EXPECT_EQ(graded, 3u);
  const std::string en = r.explain(2);
  EXPECT_NE(en.find("suspended"), std::string::npos) << en;
}

TEST(rate, run_warning_when_as_of_is_outside_the_effective_period) {
  const dataset d = make_dataset({op_inputs{}});
  auto outside = [&](civil_date day) {
    const ratings r = rate(default_model(), d, day);
    for (const auto& w : r.run_warnings)
      if (w.find("outside the effective period") != std::string::npos) return true;
    return false;
  };
  EXPECT_FALSE(outside(make_date(2024, 8, 23)));  // effective_from
  EXPECT_FALSE(outside(make_date(2026, 8, 22)));  // effective_to
  EXPECT_TRUE(outside(make_date(2024, 8, 22)));
  EXPECT_TRUE(outside(make_date(2026, 8, 23)));
  const ratings late = rate(default_model(), d, make_date(2026, 8, 23));
  EXPECT_EQ(late.final_grade[0], grade::a5);  // rating still works
  EXPECT_THROW(rate(default_model(), d, civil_date::missing()), data_error);
}

TEST(rate, records_input_hash_library_version_fingerprint_and_as_of) {
  const model& m = default_model();
  op_inputs o;
  const dataset d = make_dataset({o});
  const ratings r = rate(m, d, as_of);
  EXPECT_EQ(r.input_hash.size(), 64u);
  EXPECT_EQ(r.input_hash.find_first_not_of("0123456789abcdef"), std::string::npos) << r.input_hash;
  EXPECT_EQ(r.input_hash, d.input_hash());
  EXPECT_EQ(r.library_version, std::string(EMBEDRATING_VERSION_STRING));
  EXPECT_FALSE(r.library_version.empty());
  ASSERT_TRUE(r.rating_model.has_value());
  EXPECT_EQ(r.rating_model->fingerprint(), m.fingerprint());
  EXPECT_EQ(r.as_of, as_of);
  // a different input gives a different hash
  o.numbers["fire_inspection_score"] = 99.0;
  EXPECT_NE(rate(m, make_dataset({o}), as_of).input_hash, r.input_hash);
  // and the hash can be switched off
  rate_options opt;
  opt.compute_input_hash = false;
  EXPECT_TRUE(rate(m, d, as_of, opt).input_hash.empty());
  // the explanation shows them
  const std::string en = r.explain(0);
  EXPECT_NE(en.find(r.input_hash.substr(0, 16)), std::string::npos) << en;
  EXPECT_NE(en.find(m.fingerprint().substr(0, 16)), std::string::npos) << en;
  EXPECT_NE(en.find(r.library_version), std::string::npos) << en;
}

TEST(rate, example_file_rates_and_final_never_exceeds_grade_by_score) {
  const model& m = default_model();
  const dataset d = read_operators_csv(example_csv(), m);
  ratings r;
  ASSERT_NO_THROW(r = rate(m, d, make_date(2025, 12, 31)));
  ASSERT_EQ(r.size(), 8u);
  EXPECT_TRUE(r.run_warnings.empty());
  for (std::size_t i = 0; i < r.size(); ++i) {
    SCOPED_TRACE(r.operator_ids[i]);
    EXPECT_LE(level(r.final_grade[i]), level(r.grade_by_score[i]));
    EXPECT_LE(r.total_centi[i], 100000);
    EXPECT_GE(r.total_centi[i], 0);
    EXPECT_FALSE(r.explain(i).empty());
  }
  const std::int64_t susp = r.find("WH-007");
  ASSERT_GE(susp, 0);
  EXPECT_EQ(r.final_grade[static_cast<std::size_t>(susp)], grade::unrated);
  EXPECT_EQ(r.distribution().not_graded, 1u);
}
