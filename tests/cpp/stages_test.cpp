// Each stage of the rating pipeline alone (src/rate/stages.hpp, src/condition.cpp): conditions as
// bit masks, partial conditions, roll-up, review measures, not-applicable masks and patterns,
// re-allocation, points, prerequisites, history limits, grading, fired rules and warnings.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>

#include "embedrating/embedrating.hpp"
#include "rate/stages.hpp"

namespace {

using namespace embedrating;
using namespace embedrating::detail;

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

/// A field source over hand-made columns.
class fake_source final : public field_source {
 public:
  explicit fake_source(std::size_t n) : n_(n) {}
  std::size_t rows() const noexcept override { return n_; }
  const double* numeric(const field_ref& f) override {
    const auto it = numbers.find(f.text());
    return it == numbers.end() ? nullptr : it->second.data();
  }
  category_view category(const std::string& name) override {
    const auto it = categories.find(name);
    if (it == categories.end()) return {};
    return {it->second.codes.data(), &it->second.levels};
  }
  const std::string* attribute(const std::string& name) override {
    const auto it = attributes.find(name);
    return it == attributes.end() ? nullptr : it->second.data();
  }
  set_view scenarios() override { return {offsets.data(), codes.data(), &levels}; }
  const civil_date* date(const std::string& name) override {
    const auto it = dates.find(name);
    return it == dates.end() ? nullptr : it->second.data();
  }
  civil_date as_of() const override { return today; }
  const std::uint8_t* flag(const std::string& name) override {
    const auto it = flags.find(name);
    return it == flags.end() ? nullptr : it->second.data();
  }

  std::map<std::string, std::vector<civil_date>> dates;
  std::map<std::string, std::vector<std::uint8_t>> flags;
  civil_date today = civil_date::missing();

  std::map<std::string, std::vector<double>> numbers;
  std::map<std::string, category_column> categories;
  std::map<std::string, std::vector<std::string>> attributes;
  std::vector<std::uint32_t> offsets;
  std::vector<std::int32_t> codes;
  std::vector<std::string> levels;

 private:
  std::size_t n_;
};

condition compare(const char* field, compare_op op, std::vector<double> values) {
  condition c;
  c.kind = condition::node_kind::compare;
  EXPECT_TRUE(parse_field(field, c.field));
  c.op = op;
  c.numbers = std::move(values);
  return c;
}
condition compare_text(const char* field, compare_op op, std::vector<std::string> values) {
  condition c = compare(field, op, {});
  c.string_values = true;
  c.strings = std::move(values);
  return c;
}
condition node(condition::node_kind k, std::vector<condition> children) {
  condition c;
  c.kind = k;
  c.children = std::move(children);
  return c;
}

std::vector<bool> bits(const bitmask& m) {
  std::vector<bool> out(m.size());
  for (std::size_t i = 0; i < m.size(); ++i) out[i] = m.test(i);
  return out;
}

const char* const tiny_model = R"(
[model]
id = "stages"
version = "1"
[history]
first_rating_max = "3A"
max_rise = 1
no_rise_months_after_downgrade = 12

[[measures]]
id = "x"
min = 0
max = 100
rollup = "worst"
[[measures]]
id = "avg"
min = 0
max = 100
rollup = "mean"
[[measures]]
id = "vol"
min = 0
max = 100
rollup = "volume_mean"
[[measures]]
id = "cnt"
min = 0
max = 1000
rollup = "sum"
direction = "cost"
[[measures]]
id = "grade"
kind = "category"
levels = ["A", "B", "C"]

[[dimensions]]
id = "d1"
points = 60
[[dimensions]]
id = "d2"
points = 40
[[indicators]]
id = "g"
parent = "d1"
points = 60
[[indicators]]
id = "l1"
parent = "g"
points = 30
input = "raw.x"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }
[[indicators]]
id = "l2"
parent = "g"
points = 20
input = "raw.avg"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }
[[indicators]]
id = "l3"
parent = "g"
points = 10
input = "raw.vol"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 100 }
[[indicators]]
id = "l4"
parent = "d2"
points = 40
input = "raw.grade"
scoring = { kind = "categorical", map = { A = 1.0, B = 0.5, C = 0.0 } }

[[grades]]
grade = "5A"
min_total = 90
min_dimension_ratio = 0.9
[[grades]]
grade = "4A"
min_total = 80
dimension_minimums = { d2 = 0.75 }
[[grades]]
grade = "3A"
min_total = 70
[[grades]]
grade = "2A"
min_total = 60
[[grades]]
grade = "1A"
min_total = 50
)";

const model& tiny() {
  static const model m = model::from_toml(tiny_model, "stages.toml");
  return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// conditions

TEST(stages, bitmask_words_tail_and_iteration) {
  bitmask m(130, true);
  EXPECT_EQ(m.count(), 130u);
  m.flip();
  EXPECT_FALSE(m.any());
  m.set(0);
  m.set(64);
  m.set(129);
  std::vector<std::size_t> seen;
  m.for_each([&](std::size_t i) { seen.push_back(i); });
  EXPECT_EQ(seen, (std::vector<std::size_t>{0, 64, 129}));
  m.flip();  // bits past 130 stay clear
  EXPECT_EQ(m.count(), 127u);
}

TEST(stages, comparisons_evaluate_to_bits_and_missing_compares_false) {
  const std::size_t n = 130;  // three words, the last one partial
  fake_source src(n);
  auto& x = src.numbers["raw.x"];
  for (std::size_t i = 0; i < n; ++i) x.push_back(static_cast<double>(i % 10));
  x[5] = nan_v;
  bitmask out;
  const auto check = [&](compare_op op, std::vector<double> v, auto expected) {
    evaluate(compare("raw.x", op, std::move(v)), src, out);
    ASSERT_EQ(out.size(), n);
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out.test(i), expected(x[i])) << to_string(op) << " row " << i;
  };
  check(compare_op::lt, {3}, [](double a) { return a < 3; });
  check(compare_op::le, {3}, [](double a) { return a <= 3; });
  check(compare_op::gt, {3}, [](double a) { return a > 3; });
  check(compare_op::ge, {3}, [](double a) { return a >= 3; });
  check(compare_op::eq, {3}, [](double a) { return a == 3; });
  check(compare_op::ne, {3}, [](double a) { return !std::isnan(a) && a != 3; });  // missing is not "different"
  check(compare_op::in, {1, 7}, [](double a) { return a == 1 || a == 7; });
  check(compare_op::is_missing, {1}, [](double a) { return std::isnan(a); });
  check(compare_op::is_missing, {0}, [](double a) { return !std::isnan(a); });
  EXPECT_FALSE(out.test(5) && false);
}

TEST(stages, months_since_compared_as_dates_equals_counting_months) {
  // the date path (a boundary date per comparison) against months_between on every row
  std::mt19937_64 rng(5);
  const std::size_t n = 3000;
  fake_source by_dates(n), by_months(n);
  by_dates.today = make_date(2025, 3, 31);
  auto& d = by_dates.dates["opened_on"];
  auto& m = by_months.numbers["months_since.opened_on"];
  for (std::size_t i = 0; i < n; ++i) {
    const bool missing = i % 17 == 0;
    const civil_date x(by_dates.today.days() - 800 + static_cast<std::int32_t>(rng() % 1000));  // some after as_of
    d.push_back(missing ? civil_date::missing() : x);
    m.push_back(missing ? nan_v : static_cast<double>(months_between(x, by_dates.today)));
  }
  bitmask a, b;
  for (compare_op op : {compare_op::lt, compare_op::le, compare_op::gt, compare_op::ge})
    for (double v : {-3.0, 0.0, 1.0, 2.5, 3.0, 12.0, 24.0, 35.9}) {
      const condition c = compare("months_since.opened_on", op, {v});
      evaluate(c, by_dates, a);
      evaluate(c, by_months, b);
      ASSERT_EQ(a, b) << to_string(op) << " " << v;
    }
}

TEST(stages, flags_compare_as_bytes) {
  fake_source bytes(70), numbers(70);
  for (std::size_t i = 0; i < 70; ++i) {
    bytes.flags["x"].push_back(i % 3 == 0 ? 1 : 0);
    numbers.numbers["flag.x"].push_back(i % 3 == 0 ? 1.0 : 0.0);
  }
  bitmask a, b;
  for (compare_op op : {compare_op::eq, compare_op::ne, compare_op::lt, compare_op::ge})
    for (double v : {0.0, 1.0}) {
      evaluate(compare("flag.x", op, {v}), bytes, a);
      evaluate(compare("flag.x", op, {v}), numbers, b);
      ASSERT_EQ(a, b) << to_string(op) << " " << v;
    }
  evaluate(compare("flag.x", compare_op::in, {1.0, 5.0}), bytes, a);
  evaluate(compare("flag.x", compare_op::in, {1.0, 5.0}), numbers, b);
  EXPECT_EQ(a, b);
}

TEST(stages, categories_attributes_and_scenario_sets) {
  fake_source src(4);
  src.categories["grade"] = category_column{{0, 2, -1, 1}, {"A", "C", "B"}};
  src.attributes["district"] = {"江岸", "", "武昌", "江岸"};
  src.levels = {"meals", "elderly_care", "retail"};
  src.offsets = {0, 2, 2, 5, 6};
  src.codes = {0, 1, 0, 1, 2, 2};
  bitmask out;
  evaluate(compare_text("raw.grade", compare_op::in, {"A", "B"}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{true, true, false, false}));  // codes index the column's own levels
  evaluate(compare_text("raw.grade", compare_op::ne, {"A"}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{false, true, false, true}));  // missing is neither
  evaluate(compare("raw.grade", compare_op::is_missing, {1}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{false, false, true, false}));
  evaluate(compare_text("attr.district", compare_op::eq, {"江岸"}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{true, false, false, true}));
  evaluate(compare_text("attr.district", compare_op::ne, {"江岸"}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{false, false, true, false}));
  evaluate(compare_text("scenarios", compare_op::contains, {"meals"}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{true, false, true, false}));
  condition c = compare_text("scenarios", compare_op::count_in, {"meals", "elderly_care"});
  c.count_cmp = compare_op::ge;
  c.count_n = 2;
  evaluate(c, src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{true, false, true, false}));
  evaluate(node(condition::node_kind::negate, {c}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{false, true, false, true}));
}

TEST(stages, all_any_not_combine_masks) {
  fake_source src(3);
  src.numbers["raw.a"] = {1, 2, 3};
  src.numbers["raw.b"] = {3, 2, 1};
  bitmask out;
  const condition a = compare("raw.a", compare_op::ge, {2}), b = compare("raw.b", compare_op::ge, {2});
  evaluate(node(condition::node_kind::all, {a, b}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{false, true, false}));
  evaluate(node(condition::node_kind::any, {a, b}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{true, true, true}));
  evaluate(node(condition::node_kind::negate, {node(condition::node_kind::any, {a, b})}), src, out);
  EXPECT_EQ(bits(out), (std::vector<bool>{false, false, false}));
}

TEST(stages, a_partial_condition_finished_with_points_equals_the_whole_condition) {
  const compiled_model& cm = tiny().compiled();
  // any(total < 75, all(raw.x >= 50, dim.d1 < 0.8), score.g >= 0.5, not(score.l1 < 0.2))
  const condition c = node(condition::node_kind::any,
                           {compare("total", compare_op::lt, {75}),
                            node(condition::node_kind::all, {compare("raw.x", compare_op::ge, {50}), compare("dim.d1", compare_op::lt, {0.8})}),
                            compare("score.g", compare_op::ge, {0.5}),
                            node(condition::node_kind::negate, {compare("score.l1", compare_op::lt, {0.2})})});
  EXPECT_TRUE(reads_points(c, cm));
  EXPECT_FALSE(reads_points(compare("score.l1", compare_op::lt, {0.2}), cm)) << "a leaf's score reads no points";
  EXPECT_TRUE(reads_points(compare("score.g", compare_op::lt, {0.2}), cm)) << "a group's score does";
  fake_source all(6);
  all.numbers["total"] = {70, 80, 80, 80, 80, nan_v};
  all.numbers["raw.x"] = {0, 60, 40, 0, 0, 0};
  all.numbers["dim.d1"] = {0.9, 0.7, 0.7, 0.9, 0.9, 0.9};
  all.numbers["score.g"] = {0, 0, 0, 0.6, 0, 0};
  all.numbers["score.l1"] = {0.1, 0.1, 0.1, 0.1, 0.5, 0.1};
  bitmask whole;
  evaluate(c, all, whole);
  EXPECT_EQ(bits(whole), (std::vector<bool>{true, true, false, true, true, false}));
  partial_condition p;
  fake_source inputs(6);  // what scoring knows: no points
  inputs.numbers["raw.x"] = all.numbers["raw.x"];
  inputs.numbers["score.l1"] = all.numbers["score.l1"];
  evaluate_fixed_parts(c, cm, inputs, p);
  EXPECT_EQ(p.fixed.size(), 2u);  // raw.x >= 50 and not(score.l1 < 0.2)
  fake_source points(6);  // what re-grading knows: points
  for (const char* f : {"total", "dim.d1", "score.g"}) points.numbers[f] = all.numbers[f];
  bitmask finished;
  evaluate_with_fixed_parts(c, cm, points, p, finished);
  EXPECT_EQ(finished, whole);
}

// ---------------------------------------------------------------------------------------------
// roll-up, review measures

TEST(stages, roll_up_worst_mean_volume_mean_sum_and_category_over_any_row_range) {
  const model& m = tiny();
  dataset d({"A", "B", "C"});
  facility_table f;
  f.facility_ids = {"a1", "b1", "a2", "b2", "c1"};
  f.operator_ids = {"A", "B", "A", "B", "C"};
  f.volume = {1, 3, 3, 1, 1};
  f.numbers["x"] = {80, 70, 60, nan_v, 50};
  f.numbers["avg"] = {80, 70, 60, 90, 50};
  f.numbers["vol"] = {80, 70, 40, 90, 50};
  f.numbers["cnt"] = {1, 2, 3, 4, 5};
  f.categories["grade"] = {"A", "B", "C", "A", ""};
  d.set_facilities(f);
  rolled_columns all;
  roll_up(m.compiled(), d, 0, 3, all);
  EXPECT_EQ(all.numbers["x"][0], 60.0);                 // worst of a benefit measure: the lowest
  EXPECT_TRUE(std::isnan(all.numbers["x"][1]));         // a missing site makes it missing
  EXPECT_EQ(all.numbers["avg"][1], 80.0);               // mean
  EXPECT_EQ(all.numbers["vol"][0], (80.0 * 1 + 40.0 * 3) / 4);  // volume-weighted
  EXPECT_EQ(all.numbers["cnt"][1], 6.0);                // sum
  EXPECT_EQ(all.categories["grade"].codes, (std::vector<std::int32_t>{2, 1, -1}));  // worst level; missing
  rolled_columns one;
  roll_up(m.compiled(), d, 1, 1, one);  // the range of row B alone gives B's values
  EXPECT_TRUE(std::isnan(one.numbers["x"][0]));
  EXPECT_EQ(one.numbers["avg"][0], 80.0);
  EXPECT_EQ(one.numbers["cnt"][0], 6.0);
  f.numbers["x"][3] = 101;  // a bad site that is not the worst one is still an error
  dataset bad({"A", "B", "C"});
  bad.set_facilities(f);
  try {
    roll_up(m.compiled(), bad, 0, 3, all);
    ADD_FAILURE();
  } catch (const data_error& e) {
    EXPECT_EQ(e.where().operator_id, "B");
    EXPECT_EQ(e.where().field, "facilities.x");
    EXPECT_NE(std::string(e.what()).find("facility \"b2\": value 101 is outside the allowed range [0, 100]"), std::string::npos) << e.what();
  }
}

TEST(stages, review_measures_shrink_toward_the_prior_below_the_minimum_count) {
  review_settings rs;  // index 0/30/60/80/100, min_count 30, prior index 80, rate 0.9, closure 1
  // operator 0: 10 reviews (6 ★5, 4 ★1), one bad closed in time, one overdue; operator 1: 40 ★4
  const std::vector<double> s1 = {4, 0}, s2 = {0, 0}, s3 = {0, 0}, s4 = {0, 40}, s5 = {6, 0}, open = {0, 0},
                            closed = {1, 0}, overdue = {1, 0}, followed = {3, 0};
  review_measure_columns out;
  derive_review_measures(rs, {s1.data(), s2.data(), s3.data(), s4.data(), s5.data(), open.data(), closed.data(), overdue.data(), followed.data()}, 2, out);
  EXPECT_TRUE(out.low_volume.test(0));
  EXPECT_FALSE(out.low_volume.test(1));
  EXPECT_DOUBLE_EQ(out.columns["raw_satisfaction_index"][0], 60.0);
  EXPECT_DOUBLE_EQ(out.columns["satisfaction_index"][0], (600.0 + 20.0 * 80.0) / 30.0);  // (n·x̄ + (m − n)·prior) / m
  EXPECT_DOUBLE_EQ(out.columns["satisfaction_rate"][0], (6.0 + 20.0 * 0.9) / 30.0);
  EXPECT_DOUBLE_EQ(out.columns["closure_rate"][0], 0.5);
  EXPECT_DOUBLE_EQ(out.columns["followup_rate"][0], 0.75);
  EXPECT_DOUBLE_EQ(out.columns["satisfaction_index"][1], 80.0);
  EXPECT_DOUBLE_EQ(out.columns["closure_rate"][1], 1.0);  // nothing closed or overdue: the prior
  EXPECT_DOUBLE_EQ(out.columns["followup_rate"][1], 1.0);
}

// ---------------------------------------------------------------------------------------------
// not applicable, patterns, allocation, points

TEST(stages, not_applicable_reaches_the_leaves_below_and_patterns_group_operators) {
  const compiled_model& cm = tiny().compiled();
  std::vector<bitmask> node_na(cm.nodes.size());
  const auto id = [&](const char* s) { return static_cast<std::size_t>(cm.node_index.at(s)); };
  node_na[id("g")] = bitmask(5, false);
  node_na[id("g")].set(1);
  node_na[id("l3")] = bitmask(5, false);
  node_na[id("l3")].set(2);
  node_na[id("l3")].set(4);
  const std::vector<bitmask> leaf = leaf_not_applicable(cm, node_na, 5);
  ASSERT_EQ(leaf.size(), 4u);
  EXPECT_EQ(bits(leaf[0]), (std::vector<bool>{false, true, false, false, false}));  // l1: under g
  EXPECT_EQ(bits(leaf[2]), (std::vector<bool>{false, true, true, false, true}));    // l3: g and its own
  EXPECT_EQ(bits(leaf[3]), (std::vector<bool>(5, false)));                           // l4: d2
  const na_patterns p = find_patterns(leaf, 5);
  EXPECT_EQ(p.of_row, (std::vector<std::uint32_t>{0, 1, 2, 0, 2}));
  ASSERT_EQ(p.applicable.size(), 3u);
  EXPECT_EQ(p.applicable[0], (std::vector<std::uint8_t>{1, 1, 1, 1}));
  EXPECT_EQ(p.applicable[1], (std::vector<std::uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(p.applicable[2], (std::vector<std::uint8_t>{1, 1, 0, 1}));
}

TEST(stages, allocation_re_allocates_pro_rata_with_largest_remainders) {
  const compiled_model& cm = tiny().compiled();
  std::vector<std::int64_t> pts(cm.nodes.size());
  for (std::size_t k = 0; k < pts.size(); ++k) pts[k] = cm.nodes[k].points_centi;
  const auto id = [&](const char* s) { return static_cast<std::size_t>(cm.node_index.at(s)); };
  // l3 (10 of g's 60) not applicable: l1 and l2 share 6000 centi-points 3:2 → 3600 and 2400
  std::vector<std::int64_t> a = allocate(cm, pts, 10000, {1, 1, 0, 1});
  EXPECT_EQ(a[id("g")], 6000);
  EXPECT_EQ(a[id("l1")], 3600);
  EXPECT_EQ(a[id("l2")], 2400);
  EXPECT_EQ(a[id("l3")], 0);
  // all of g not applicable: d1 keeps nothing, d2 gets the whole total
  a = allocate(cm, pts, 10000, {0, 0, 0, 1});
  EXPECT_EQ(a[id("d1")], 0);
  EXPECT_EQ(a[id("d2")], 10000);
  EXPECT_EQ(a[id("l4")], 10000);
  // 1/3 splits: l2 not applicable, l1 : l3 = 3 : 1 of 6000 → 4500 / 1500 exactly; with 6001 the
  // left-over centi-point goes to the larger remainder
  a = allocate(cm, pts, 10001, {1, 0, 1, 1});
  EXPECT_EQ(a[id("d1")] + a[id("d2")], 10001);
  EXPECT_EQ(a[id("l1")] + a[id("l3")], a[id("g")]);
}

TEST(stages, plan_thresholds_are_cumulative_and_points_round_half_up) {
  const model& m = tiny();
  const compiled_model& cm = m.compiled();
  na_patterns p;
  p.of_row = {0, 0};
  p.applicable = {{1, 1, 1, 1}};
  const point_plan plan = make_point_plan(m, p);
  EXPECT_EQ(plan.total, 10000);
  for (int l = 2; l < grade_count; ++l) EXPECT_GE(plan.min_total[static_cast<std::size_t>(l)], plan.min_total[static_cast<std::size_t>(l - 1)]);
  // d2's 4A minimum 0.75 of 4000 = 3000 carries up to 5A, where 0.9 × 4000 = 3600 takes over
  const std::size_t D = plan.dims;
  EXPECT_EQ(plan.required[(0 * grade_count + 4) * D + 1], 3000);
  EXPECT_EQ(plan.required[(0 * grade_count + 5) * D + 1], 3600);
  EXPECT_EQ(plan.required[(0 * grade_count + 3) * D + 1], 0) << "3A has no floor: a ratio of 0";
  Eigen::MatrixXd scores(2, 4);
  scores << 0.5, 1.0, 1.0 / 3.0, 1.0,  // l1 30 × 0.5 = 15; l3 10 × 1/3 = 3.33…
      0.123456, 0.0, nan_v, 0.5;
  centi_matrix dims;
  std::vector<std::int32_t> total;
  dimension_points(plan, scores, p.of_row.data(), 2, dims, total);
  EXPECT_EQ(dims(0, 0), 1500 + 2000 + 333);
  EXPECT_EQ(dims(0, 1), 4000);
  EXPECT_EQ(total[0], 7833);
  EXPECT_EQ(dims(1, 0), 370);  // 0.123456 × 3000 = 370.368 → 370; a NaN score earns nothing
  EXPECT_EQ(total[1], 370 + 2000);
  std::vector<std::int64_t> earned, available;
  node_points_of(cm, plan, scores.data(), 2, 0, earned, available);
  EXPECT_EQ(earned[static_cast<std::size_t>(cm.node_index.at("g"))], 3833);
  EXPECT_EQ(available[static_cast<std::size_t>(cm.node_index.at("l3"))], 1000);
}

// ---------------------------------------------------------------------------------------------
// grading

TEST(stages, prerequisite_levels_block_their_grade_and_every_grade_above) {
  std::array<std::vector<const bitmask*>, grade_count> holds;
  bitmask p4(3, true), p2(3, true);
  p4.reset(0);  // operator 0 fails a 4A prerequisite
  p2.reset(1);  // operator 1 fails a 2A prerequisite
  holds[4].push_back(&p4);
  holds[2].push_back(&p2);
  std::vector<std::uint8_t> level;
  prerequisite_levels(holds, 3, level);
  EXPECT_EQ(level, (std::vector<std::uint8_t>{3, 1, 5}));
}

TEST(stages, history_limits_first_rating_rise_and_no_rise_after_a_downgrade) {
  history_settings hs;  // max rise 1, 12 months after a downgrade, first rating at most 3A
  const std::vector<std::int8_t> prev = {-1, 2, 2, 4};
  const std::vector<civil_date> down = {civil_date::missing(), civil_date::missing(), make_date(2025, 3, 1),
                                        make_date(2024, 1, 31)};
  std::vector<grade> limit;
  std::vector<civil_date> lapses;
  history_limits(hs, prev.data(), down.data(), 4, make_date(2025, 6, 30), limit, lapses);
  EXPECT_EQ(limit, (std::vector<grade>{grade::a3, grade::a3, grade::a2, grade::a5}));
  EXPECT_EQ(lapses[2], make_date(2026, 3, 1));
  EXPECT_TRUE(lapses[3].is_missing()) << "a downgrade 17 months ago no longer holds the grade";
}

TEST(stages, final_grade_is_the_grade_by_score_under_caps_minus_downgrades) {
  const model& m = tiny();
  na_patterns p;
  p.of_row.assign(5, 0);
  p.applicable = {{1, 1, 1, 1}};
  const point_plan plan = make_point_plan(m, p);
  centi_matrix dims(5, 2);
  dims << 5500, 4000,  // 95: every floor holds → 5A
      5500, 2900,      // 84: d2 below 0.75 → 3A
      5500, 4000,      // 95, capped at 4A, one level down → 3A
      5500, 4000,      // 95, not graded (vetoed) → unrated; by score 5A
      5500, 4000;      // suspended: not graded, and by score reported unrated
  const std::vector<std::int32_t> total = {9500, 8400, 9500, 9500, 9500};
  const std::vector<std::uint8_t> prereq = {5, 5, 5, 5, 5};
  const std::vector<std::int8_t> ceiling = {5, 5, 4, 5, 5}, down = {0, 0, 1, 0, 0};
  bitmask graded(5, true);
  graded.reset(3);
  graded.reset(4);
  const std::vector<operator_status> status = {operator_status::active, operator_status::active, operator_status::active,
                                               operator_status::active, operator_status::suspended};
  std::vector<grade> by_score, final_grade;
  grade_operators(plan, dims, total, p.of_row.data(), prereq.data(), ceiling.data(), down.data(), graded, status.data(), 5,
                  by_score, final_grade);
  EXPECT_EQ(by_score, (std::vector<grade>{grade::a5, grade::a3, grade::a5, grade::a5, grade::unrated}));
  EXPECT_EQ(final_grade, (std::vector<grade>{grade::a5, grade::a3, grade::a3, grade::unrated, grade::unrated}));
}

TEST(stages, fired_rules_and_warnings_keep_rule_order_per_operator) {
  model_spec s;
  s.rules.resize(3);
  s.rules[0].action = rule_action::cap;
  s.rules[1].action = rule_action::warn;
  s.rules[2].action = rule_action::downgrade;
  s.rules[2].lapse = {"opened_on", 6};
  bitmask r0(3, false), r1(3, false), r2(3, false);
  r0.set(2);
  r1.set(0);
  r1.set(2);
  r2.set(2);
  const std::vector<civil_date> opened = {make_date(2025, 1, 1), civil_date::missing(), make_date(2025, 1, 31)};
  std::vector<std::uint32_t> offsets;
  std::vector<fired_rule> fired;
  fired_rules(s, {&r0, &r1, &r2}, {nullptr, nullptr, opened.data()}, 3, offsets, fired);
  EXPECT_EQ(offsets, (std::vector<std::uint32_t>{0, 1, 1, 4}));
  ASSERT_EQ(fired.size(), 4u);
  EXPECT_EQ(fired[1].rule, 0u);
  EXPECT_EQ(fired[2].rule, 1u);
  EXPECT_EQ(fired[3].rule, 2u);
  EXPECT_EQ(fired[3].lapses_on, make_date(2025, 7, 31));
  bitmask low(3, false);
  low.set(2);
  const std::vector<std::pair<std::uint32_t, operator_warning>> missing = {
      {2, {operator_warning::kind_t::missing_zero, 0}}, {0, {operator_warning::kind_t::missing_fixed, 1}},
      {2, {operator_warning::kind_t::missing_fallback, 1}}};
  std::vector<operator_warning> w;
  operator_warnings(s, missing, {&r0, &r1, &r2}, &low, 3, offsets, w);
  EXPECT_EQ(offsets, (std::vector<std::uint32_t>{0, 2, 2, 6}));
  EXPECT_EQ(w[0].kind, operator_warning::kind_t::missing_fixed);
  EXPECT_EQ(w[1].kind, operator_warning::kind_t::rule_warning);
  EXPECT_EQ(w[2].kind, operator_warning::kind_t::missing_zero);  // leaf order, then rules, then volume
  EXPECT_EQ(w[3].kind, operator_warning::kind_t::missing_fallback);
  EXPECT_EQ(w[4].kind, operator_warning::kind_t::rule_warning);
  EXPECT_EQ(w[5].kind, operator_warning::kind_t::low_review_volume);
}
