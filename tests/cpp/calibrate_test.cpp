// Calibration (calibrate.hpp): agreement statistics against hand-computed values and a
// pair-by-pair second implementation; the benchmark reader's errors; fits that recover known
// weights and cut-offs from data generated with them; exact fits never worse than the start;
// cross-validation folds; fitted models that round-trip with their fingerprint and provenance.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "embedrating/calibrate.hpp"
#include "embedrating/embedrating.hpp"
#include "temp_dir.hpp"

namespace {

using namespace embedrating;
namespace cal = embedrating::calibrate;

const civil_date as_of = make_date(2025, 12, 31);

const dataset& sample() {
  static const dataset d = [] {
    dataset x = read_operators_csv(data_directory() + "/sample/operators.csv", model::default_model());
    x.set_facilities(read_facilities_csv(data_directory() + "/sample/facilities.csv", model::default_model(), x));
    return x;
  }();
  return d;
}

const cal::benchmark& sample_benchmark() {
  static const cal::benchmark b = cal::read_benchmark_csv(data_directory() + "/sample/benchmark.csv");
  return b;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const error& e) {
    return e.what();
  }
  return "(no error)";
}

// -- agreement ----------------------------------------------------------------------------

/// Kendall's tau-b straight from its definition, pair by pair (a second implementation).
double tau_b_pairs(const std::vector<int>& x, const std::vector<int>& y) {
  double c = 0, d = 0, tx = 0, ty = 0, n0 = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      n0 += 1;
      const int sx = (x[i] > x[j]) - (x[i] < x[j]), sy = (y[i] > y[j]) - (y[i] < y[j]);
      if (sx == 0) tx += 1;
      if (sy == 0) ty += 1;
      if (sx * sy > 0) c += 1;
      if (sx * sy < 0) d += 1;
    }
  return (c - d) / std::sqrt((n0 - tx) * (n0 - ty));
}

/// Quadratic-weighted kappa as 1 − Σ(x−y)² / Σ_i Σ_j (x_i − y_j)²/n (the pairwise form of the
/// same statistic: E_ij = row_i · col_j / n), a second implementation.
double kappa_pairs(const std::vector<int>& x, const std::vector<int>& y) {
  const double n = static_cast<double>(x.size());
  double obs = 0, exp = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    obs += (x[i] - y[i]) * (x[i] - y[i]);
    for (std::size_t j = 0; j < x.size(); ++j) exp += (x[i] - y[j]) * (x[i] - y[j]) / n;
  }
  return 1.0 - obs / exp;
}

TEST(calibrate, agreement_matches_hand_computed_values) {
  // predicted vs agreed for 6 operators (levels): hand computation in docs/calibration.md
  //   agreed    5 4 3 3 2 0
  //   predicted 5 3 3 2 2 1
  // exact 3/6, within one 6/6. Kappa: O has (5,5)(4,3)(3,3)(3,2)(2,2)(0,1); Σ w O = 0+1+0+1+0+1 = 3;
  // row sums (agreed) 0:1 2:1 3:2 4:1 5:1; col sums (predicted) 1:1 2:2 3:2 5:1; Σ w E =
  // Σ_i Σ_j (a_i − p_j)² / 6 = (42 + 20 + 10 + 10 + 12 + 52) / 6 = 146 / 6 (per agreed grade 5, 4, 3,
  // 3, 2, 0 against every predicted grade) → kappa = 1 − 3 / (146/6) = 0.876712…
  // Tau-b: n0 = 15, ties in agreed 1 (the two 3s), ties in predicted 2 ((3,3), (2,2)),
  // concordant 12, discordant 0 → 12 / √(14 · 13) = 0.889499…
  const std::vector<int> agreed = {5, 4, 3, 3, 2, 0}, predicted = {5, 3, 3, 2, 2, 1};
  const cal::agreement_result r = cal::agreement(predicted, agreed);
  EXPECT_EQ(r.n, 6u);
  EXPECT_DOUBLE_EQ(r.exact, 0.5);
  EXPECT_DOUBLE_EQ(r.within_one, 1.0);
  EXPECT_NEAR(r.kappa, 1.0 - 3.0 / (146.0 / 6.0), 1e-12);
  EXPECT_NEAR(r.tau_b, 12.0 / std::sqrt(14.0 * 13.0), 1e-12);
  EXPECT_EQ(r.confusion[4][3], 1);
  EXPECT_EQ(r.confusion[0][1], 1);
  EXPECT_EQ(r.higher, 1u);
  EXPECT_EQ(r.lower, 2u);
  EXPECT_NEAR(r.mean_abs_error, 3.0 / 6.0, 1e-12);
}

TEST(calibrate, agreement_equals_a_second_implementation_on_random_gradings) {
  std::mt19937_64 rng(7);
  for (int rep = 0; rep < 50; ++rep) {
    const std::size_t n = 5 + rng() % 60;
    std::vector<int> x(n), y(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = static_cast<int>(rng() % 6);
      y[i] = std::clamp(x[i] + static_cast<int>(rng() % 3) - 1, 0, 5);
    }
    const auto r = cal::agreement(y, x);
    EXPECT_NEAR(r.kappa, kappa_pairs(x, y), 1e-12);
    EXPECT_NEAR(r.tau_b, tau_b_pairs(x, y), 1e-12);
  }
}

TEST(calibrate, kappa_of_identical_gradings_is_one) {
  const std::vector<int> g = {5, 4, 4, 3, 1, 0, 2};
  const auto r = cal::agreement(g, g);
  EXPECT_DOUBLE_EQ(r.kappa, 1.0);
  EXPECT_DOUBLE_EQ(r.tau_b, 1.0);
  EXPECT_DOUBLE_EQ(r.exact, 1.0);
  // one category on both sides: 0/0 in the formula, 1 by definition; tau-b undefined
  const auto one = cal::agreement({3, 3, 3}, {3, 3, 3});
  EXPECT_DOUBLE_EQ(one.kappa, 1.0);
  EXPECT_TRUE(std::isnan(one.tau_b));
}

TEST(calibrate, agreement_leaves_out_not_graded_and_keeps_unrated) {
  const auto r = cal::agreement({cal::not_graded, 0, 3, 5}, {2, 0, 3, cal::not_graded});
  EXPECT_EQ(r.n, 2u);
  EXPECT_EQ(r.not_graded, 2u);
  EXPECT_EQ(r.confusion[0][0], 1);  // unrated is a category of the scale
  EXPECT_DOUBLE_EQ(r.exact, 1.0);
}

TEST(calibrate, agreement_refusals_name_the_fault) {
  EXPECT_NE(error_of([] { cal::agreement({1, 2}, {1}); }).find("agreement: 2 predicted grades but 1 agreed grades"), std::string::npos);
  EXPECT_NE(error_of([] { cal::agreement({7}, {1}); }).find("predicted grade code 7 at position 0"), std::string::npos);
  EXPECT_NE(error_of([] { cal::agreement({cal::not_graded}, {1}); }).find("no operator has a grade on both sides"), std::string::npos);
  EXPECT_THROW(cal::agreement({1}, {-2}), data_error);
}

TEST(calibrate, sample_benchmark_against_the_default_model) {
  // data/sample/README.md: the panel agrees with the default model for 32 of the 40 (80 %), the
  // other 8 are one level off
  const model m = model::default_model();
  const ratings r = rate(m, sample(), as_of);
  const cal::benchmark_agreement a = cal::compare(r, sample_benchmark());
  EXPECT_EQ(a.stats.n, 40u);
  EXPECT_EQ(a.stats.exact_count, 32u);
  EXPECT_EQ(a.stats.within_one_count, 40u);
  EXPECT_NEAR(a.stats.kappa, 0.9582, 0.0005);  // by hand from the confusion matrix: 1 − Σw·O / Σw·E = 0.9582 (0.959 under model 1.0.0)
  ASSERT_EQ(a.disagreements.size(), 8u);
  for (const auto& d : a.disagreements) {
    EXPECT_FALSE(d.note.empty()) << d.operator_id;
    EXPECT_FALSE(d.why.empty()) << d.operator_id;
    EXPECT_EQ(std::abs(d.agreed - d.predicted), 1) << d.operator_id;
  }
}

// -- benchmark file -------------------------------------------------------------------------

TEST(calibrate, benchmark_reader_errors_name_file_line_and_column) {
  test_support::temp_dir dir("bench");
  const std::string f = dir.file("b.csv");
  write(f, "operator_id,agreed_grade\nA,5A\nB,6A\n");
  EXPECT_NE(error_of([&] { cal::read_benchmark_csv(f); }).find(f + ":3:2: agreed_grade: operator B: benchmark: \"6A\" is not a grade"),
            std::string::npos);
  write(f, "operator_id,agreed_grade\nA,5A\nA,4A\n");
  EXPECT_NE(error_of([&] { cal::read_benchmark_csv(f); }).find(":3:1: operator_id: operator A: benchmark: operator A appears twice (also on line 2)"),
            std::string::npos);
  write(f, "operator,grade\nA,5A\n");
  EXPECT_NE(error_of([&] { cal::read_benchmark_csv(f); }).find("needs the columns operator_id and agreed_grade"), std::string::npos);
  write(f, "operator_id,agreed_grade\n");
  EXPECT_NE(error_of([&] { cal::read_benchmark_csv(f); }).find("no rows below the header"), std::string::npos);
  // the unknown operator is named with its line
  write(f, "operator_id,agreed_grade,panel_note\nWH-NOPE-1,3A,x\n");
  const cal::benchmark b = cal::read_benchmark_csv(f);
  const ratings r = rate(model::default_model(), sample(), as_of);
  EXPECT_NE(error_of([&] { cal::compare(r, b); }).find(f + ":2: operator_id: operator WH-NOPE-1: benchmark operator WH-NOPE-1 is not in the rated data"),
            std::string::npos);
}

// -- fitting on the sample ----------------------------------------------------------------

TEST(calibrate, fits_on_the_sample_are_exactly_evaluated_and_reviewable) {
  const model m = model::default_model();
  const scored s = score(m, sample(), as_of);
  for (cal::fit_method method : {cal::fit_method::weights, cal::fit_method::cutoffs, cal::fit_method::floors, cal::fit_method::joint}) {
    const cal::fit_result r = cal::fit(s, sample_benchmark(), method);
    SCOPED_TRACE(cal::to_string(method));
    // the report's "after" is the exact rating of the fitted model
    const cal::benchmark_agreement again = cal::compare(rate(r.fitted, sample(), as_of), sample_benchmark());
    EXPECT_EQ(again.stats.exact_count, r.report.after.stats.exact_count);
    EXPECT_EQ(r.report.before.stats.exact_count, 32u);
    // the exact fits never end worse than they start on the cases they fit
    if (method != cal::fit_method::weights) {
      EXPECT_GE(r.report.after.stats.exact_count, r.report.before.stats.exact_count);
    }
    EXPECT_DOUBLE_EQ(r.fitted.total_points(), 1000.0);
    EXPECT_FALSE(r.report.trace.empty());
    EXPECT_FALSE(r.report.parameters.empty());
    // provenance: parent fingerprint and method; a version of its own
    EXPECT_EQ(r.fitted.info().provenance.parent_fingerprint, m.fingerprint());
    EXPECT_EQ(r.fitted.info().provenance.method, std::string("fit_") + cal::to_string(method));
    EXPECT_EQ(r.fitted.info().version, m.info().version + "+" + r.fitted.fingerprint().substr(0, 8));
    EXPECT_EQ(r.fitted.info().id, "wuhan-2024");
    // round trip: same fingerprint, same provenance, same grades
    const model back = model::from_toml(r.fitted.to_toml());
    EXPECT_EQ(back.fingerprint(), r.fitted.fingerprint());
    EXPECT_EQ(back.info().provenance.note, r.fitted.info().provenance.note);
    EXPECT_EQ(rate(back, sample(), as_of).final_grade.vector(), rate(r.fitted, sample(), as_of).final_grade.vector());
  }
}

TEST(calibrate, fit_weights_respects_bounds_and_fixed_dimension_totals) {
  const model m = model::default_model();
  const scored s = score(m, sample(), as_of);
  cal::fit_options o;
  o.fixed_dimension_totals = true;
  o.bounds = {{"satisfaction_index", 0.14, 0.15}, {"fire_inspection", 0.05, 0.07}};
  o.lambda = 0.0;
  const cal::fit_result r = cal::fit_weights(s, sample_benchmark(), o);
  std::map<std::string, double> before, after;
  for (const auto& nd : m.spec().nodes) before[nd.id] = nd.points;
  for (const auto& nd : r.fitted.spec().nodes) after[nd.id] = nd.points;
  for (const char* dim : {"safety", "service", "operations", "residents"}) EXPECT_DOUBLE_EQ(after[dim], before[dim]) << dim;
  EXPECT_GE(after["satisfaction_index"], 140.0 - 0.01);
  EXPECT_LE(after["satisfaction_index"], 150.0 + 0.01);
  EXPECT_LE(after["fire_inspection"], 70.0 + 0.01);
  for (const auto& [id, p] : after) EXPECT_GE(p, 0.0) << id;
}

TEST(calibrate, fit_option_refusals_name_the_parameter) {
  const scored s = score(model::default_model(), sample(), as_of);
  cal::fit_options o;
  o.bounds = {{"no_such", 0.0, 0.1}};
  EXPECT_NE(error_of([&] { cal::fit_weights(s, sample_benchmark(), o); }).find("bounds.no_such: fit_weights: bounds for \"no_such\", which is not a leaf indicator"),
            std::string::npos);
  o.bounds = {{"fire_inspection", 0.2, 0.1}};
  EXPECT_NE(error_of([&] { cal::fit_weights(s, sample_benchmark(), o); }).find("must satisfy 0 <= lower <= upper <= 1, got [0.2, 0.1]"), std::string::npos);
  o.bounds.clear();
  o.upper = 0.01;  // 19 leaves × 0.01 < 1
  EXPECT_NE(error_of([&] { cal::fit_weights(s, sample_benchmark(), o); }).find("the bounds cannot hold the weights (sum 1): lower bounds add up to 0, upper bounds to 0.19"),
            std::string::npos);
  o = {};
  o.lambda = -1;
  EXPECT_NE(error_of([&] { cal::fit_weights(s, sample_benchmark(), o); }).find("lambda: fit_weights: lambda must be finite and >= 0, got -1"), std::string::npos);
  EXPECT_NE(error_of([] { cal::parse_fit_method("everything"); }).find("unknown fit method \"everything\" (weights, cutoffs, floors, joint)"), std::string::npos);
  const cal::benchmark missing = cal::make_benchmark({"WH-NOPE"}, {grade::a3});
  EXPECT_NE(error_of([&] { cal::fit_cutoffs(s, missing); }).find("operator WH-NOPE: benchmark operator WH-NOPE is not in the scored data"), std::string::npos);
  EXPECT_NE(error_of([] { cal::make_benchmark({"A", "A"}, {grade::a3, grade::a2}); }).find("operator A appears twice (rows 0 and 1)"), std::string::npos);
}

// -- recovering known parameters ------------------------------------------------------------

/// A model of L leaves under two dimensions, every leaf scoring its raw input x_j in [0, 1]
/// linearly, first ratings not capped (history first_rating_max = 5A) and no floors.
model synthetic_model(const std::vector<double>& points, const std::array<double, 5>& cut) {
  std::ostringstream t;
  t << "[model]\nid = \"synthetic\"\nversion = \"1.0.0\"\n[history]\nfirst_rating_max = \"5A\"\n";
  for (std::size_t j = 0; j < points.size(); ++j)
    t << "[[measures]]\nid = \"x" << j << "\"\nmin = 0\nmax = 1\n";
  double a = 0, b = 0;
  for (std::size_t j = 0; j < points.size(); ++j) (j < points.size() / 2 ? a : b) += points[j];
  t << "[[dimensions]]\nid = \"a\"\npoints = " << a << "\n[[dimensions]]\nid = \"b\"\npoints = " << b << "\n";
  for (std::size_t j = 0; j < points.size(); ++j)
    t << "[[indicators]]\nid = \"i" << j << "\"\nparent = \"" << (j < points.size() / 2 ? "a" : "b") << "\"\npoints = " << points[j]
      << "\ninput = \"raw.x" << j << "\"\nscoring = { kind = \"linear\", direction = \"benefit\", lower = 0, upper = 1 }\n";
  const char* names[] = {"1A", "2A", "3A", "4A", "5A"};
  for (int l = 4; l >= 0; --l) t << "[[grades]]\ngrade = \"" << names[l] << "\"\nmin_total = " << cut[static_cast<std::size_t>(l)] << "\n";
  return model::from_toml(t.str(), "synthetic.toml");
}

struct synthetic {
  dataset data;
  cal::benchmark bench;
};

/// n operators with inputs in [0.2, 1], graded by `truth` with Gaussian noise (sd `noise` points)
/// on the total; the first `cases` are the benchmark.
synthetic make_synthetic(const model& truth, std::size_t n, std::size_t cases, double noise, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.2, 1.0);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<std::string> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = "S" + std::to_string(i);
  synthetic s{dataset(ids, "synthetic"), {}};
  s.data.set_status(std::vector<operator_status>(n, operator_status::active));
  const std::size_t L = truth.leaf_ids().size();
  std::vector<std::vector<double>> x(L, std::vector<double>(n));
  for (std::size_t i = 0; i < n; ++i) {
    const double quality = u(rng);
    for (std::size_t j = 0; j < L; ++j) x[j][i] = std::clamp(quality + 0.25 * z(rng), 0.0, 1.0);
  }
  for (std::size_t j = 0; j < L; ++j) s.data.set_number("x" + std::to_string(j), x[j]);
  const ratings r = rate(truth, s.data, make_date(2025, 12, 31));
  std::vector<double> cut;
  for (int l = 1; l <= 5; ++l)
    for (const auto& g : truth.spec().grades)
      if (level(g.level) == l) cut.push_back(g.min_total);
  std::vector<std::string> bid;
  std::vector<grade> bg;
  for (std::size_t i = 0; i < cases; ++i) {
    const double t = r.total(i) + noise * z(rng);
    int lvl = 0;
    for (int l = 1; l <= 5; ++l)
      if (t >= cut[static_cast<std::size_t>(l - 1)]) lvl = l;
    bid.push_back(ids[i]);
    bg.push_back(grade_from_level(lvl));
  }
  s.bench = cal::make_benchmark(bid, bg);
  return s;
}

TEST(calibrate, fit_weights_recovers_known_weights) {
  const std::vector<double> truth_points = {260, 140, 100, 90, 210, 200};  // weights .26 .14 .10 .09 .21 .20
  const std::array<double, 5> cut = {500, 600, 700, 800, 900};
  const model truth = synthetic_model(truth_points, cut);
  const synthetic syn = make_synthetic(truth, 3000, 2000, 2.0, 11);
  const model start = synthetic_model({170, 170, 160, 170, 170, 160}, cut);
  const scored s = score(start, syn.data, as_of);
  cal::fit_options o;
  o.lambda = 1e-4;  // a light pull: the data decide
  const cal::fit_result r = cal::fit_weights(s, syn.bench, o);
  const auto w = r.fitted.weights();
  // stated tolerance: every weight within 0.015 of the truth (15 points of 1000)
  for (std::size_t j = 0; j < w.size(); ++j) EXPECT_NEAR(w[j], truth_points[j] / 1000.0, 0.015) << r.fitted.leaf_ids()[j];
  EXPECT_GT(r.report.after.stats.exact, 0.9);
  EXPECT_GT(r.report.after.stats.exact, r.report.before.stats.exact);
}

TEST(calibrate, fit_cutoffs_recovers_known_cutoffs) {
  const std::vector<double> points = {260, 140, 100, 90, 210, 200};
  const model truth = synthetic_model(points, {500, 600, 700, 800, 900});
  const synthetic syn = make_synthetic(truth, 2000, 1000, 1.0, 5);
  const model start = synthetic_model(points, {470, 640, 690, 830, 880});
  const scored s = score(start, syn.data, as_of);
  const cal::fit_result r = cal::fit_cutoffs(s, syn.bench);
  // stated tolerance: every cut-off within 3 points of the truth
  const double truth_cut[] = {500, 600, 700, 800, 900};
  for (const auto& g : r.fitted.spec().grades) EXPECT_NEAR(g.min_total, truth_cut[level(g.level) - 1], 3.0) << to_string(g.level);
  // without noise the exact fit reproduces every case
  const synthetic clean = make_synthetic(truth, 600, 600, 0.0, 6);
  const cal::fit_result c = cal::fit_cutoffs(score(start, clean.data, as_of), clean.bench);
  EXPECT_EQ(c.report.after.stats.exact_count, 600u);
}

TEST(calibrate, folds_are_stratified_seeded_and_complete) {
  std::vector<int> levels;
  for (int k = 0; k < 40; ++k) levels.push_back(k % 6);
  const auto a = cal::assign_folds(levels, 5, 42), b = cal::assign_folds(levels, 5, 42), c = cal::assign_folds(levels, 5, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<int> size(5, 0);
  for (int f : a) ++size[static_cast<std::size_t>(f)];
  for (int x : size) EXPECT_EQ(x, 8);
  const auto loo = cal::assign_folds(levels, 0, 1);
  for (std::size_t i = 0; i < loo.size(); ++i) EXPECT_EQ(loo[i], static_cast<int>(i));
  EXPECT_NE(error_of([&] { cal::assign_folds(levels, 1, 1); }).find("folds must be 0 (leave-one-out) or 2 … 40"), std::string::npos);
}

TEST(calibrate, cross_validation_on_the_sample) {
  const scored s = score(model::default_model(), sample(), as_of);
  cal::cv_options o;
  o.method = cal::fit_method::cutoffs;
  const cal::cv_result loo = cal::cross_validate(s, sample_benchmark(), o);
  EXPECT_EQ(loo.folds, 40);
  EXPECT_EQ(loo.scheme, "leave-one-out");
  EXPECT_EQ(loo.current.stats.exact_count, 32u);
  EXPECT_EQ(loo.cross_validated.stats.n, 40u);
  EXPECT_LE(loo.cross_validated.stats.exact, loo.in_sample.stats.exact + 1e-12);
  ASSERT_TRUE(loo.full.has_value());
  EXPECT_EQ(loo.parameters.size(), loo.full->report.parameters.size());
  o.folds = 5;
  o.seed = 3;
  const cal::cv_result k5 = cal::cross_validate(s, sample_benchmark(), o);
  EXPECT_EQ(k5.folds, 5);
  EXPECT_EQ(k5.scheme, "stratified 5-fold (seed 3)");
  for (auto m : {cal::fit_method::weights, cal::fit_method::cutoffs, cal::fit_method::floors, cal::fit_method::joint}) {
    o.method = m; o.folds = 0;
    const auto cv = cal::cross_validate(s, sample_benchmark(), o);
    EXPECT_DOUBLE_EQ(cv.current.stats.exact, 0.8) << cal::to_string(m);  // 32 of the 40 (data/sample/README.md)
    EXPECT_EQ(cv.cross_validated.stats.n, 40u) << cal::to_string(m);
  }
}

}  // namespace
