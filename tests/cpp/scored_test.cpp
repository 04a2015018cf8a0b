// Score once, re-grade many (scored.hpp): regrade(score(m, d), v) equals rate(v, d) field by field
// for the sample and for random datasets and random variants; variants of another structure are
// refused by name; regrade_many equals regrade of each variant, for any thread count and tile size.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "embedrating/embedrating.hpp"
#include "embedrating/serialize.hpp"
#include "perfect_operator.hpp"
#include "random_dataset.hpp"
#include "rate/stages.hpp"
#include "test_files.hpp"

namespace {

using embedrating::test_support::read_text;
using embedrating::test_support::write_text;

using namespace embedrating;
using namespace embedrating::test_support;

const civil_date as_of = make_date(2025, 12, 31);

const dataset& sample() {
  static const dataset d = [] {
    dataset x = read_operators_csv(data_directory() + "/sample/operators.csv", default_model());
    x.set_facilities(read_facilities_csv(data_directory() + "/sample/facilities.csv", default_model(), x));
    return x;
  }();
  return d;
}

/// The default model with rules and a prerequisite that compare points: total, dim.* and the
/// group score score.fire.
const model& point_rule_model() {
  static const model m = model::from_toml(read_text(data_directory() + "/models/wuhan-2024.toml") + R"(
[[rules]]
id = "test_cap_total"
action = "cap"
grade = "3A"
when = { all = [ { field = "total", op = "<", value = 880 }, { field = "scenarios", op = "contains", value = "meals" } ] }
source = "test"

[[rules]]
id = "test_warn_fire"
action = "warn"
when = { any = [ { field = "score.fire", op = "<", value = 0.8 }, { field = "dim.safety", op = "<", value = 0.85 } ] }
message = "fire or safety low"
source = "test"

[[rules]]
id = "test_prerequisite_service"
action = "prerequisite"
grade = "4A"
when = { field = "dim.service", op = ">=", value = 0.82 }
source = "test"

[[rules]]
id = "test_downgrade_total"
action = "downgrade"
levels = 1
when = { not = { field = "total", op = ">=", value = 650 } }
lapse = { date = "opened_on", months = 48 }
source = "test"
)", "point-rules.toml");
  return m;
}

/// Random global weights (a Dirichlet draw with concentration 4 around the model's weights).
std::vector<std::pair<std::string, double>> random_weights(const model& m, std::mt19937_64& rng) {
  const std::vector<double> base = m.weights();
  std::vector<double> w(base.size());
  double sum = 0.0;
  for (std::size_t j = 0; j < w.size(); ++j) {
    std::gamma_distribution<double> g(std::max(0.05, 4.0 * base[j] * static_cast<double>(w.size())), 1.0);
    w[j] = g(rng);
    sum += w[j];
  }
  std::vector<std::pair<std::string, double>> out;
  for (std::size_t j = 0; j < w.size(); ++j) out.emplace_back(m.leaf_ids()[j], w[j] / sum);
  return out;
}

/// A variant that differs in points, cut-offs, floors, dimension minimums and the point thresholds
/// of rules — everything a re-grade may change.
model random_variant(const model& m, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  model v = m.with_weights(random_weights(m, rng));
  model_spec s = v.spec();
  double cut = 450.0 + 100.0 * u(rng);
  double floor_ratio = 0.2 + 0.2 * u(rng);
  std::vector<grade_gate*> by_level(6, nullptr);
  for (auto& g : s.grades) by_level[static_cast<std::size_t>(level(g.level))] = &g;
  for (int l = 1; l <= 5; ++l) {
    grade_gate& g = *by_level[static_cast<std::size_t>(l)];
    g.min_total = std::round(cut * 100.0) / 100.0;
    g.min_dimension_ratio = floor_ratio;
    for (auto& [dim, r] : g.dimension_minimums) r = std::min(1.0, floor_ratio + 0.1 * u(rng));
    cut += 60.0 + 60.0 * u(rng);
    floor_ratio = std::min(1.0, floor_ratio + 0.1 * u(rng));
  }
  std::function<void(condition&)> jitter = [&](condition& c) {
    if (c.kind == condition::node_kind::compare) {
      if (c.field.kind == field_kind::total) c.numbers[0] = std::round(600.0 + 300.0 * u(rng));
      if (c.field.kind == field_kind::dim || c.field.kind == field_kind::score) c.numbers[0] = 0.6 + 0.35 * u(rng);
      return;
    }
    for (auto& ch : c.children) jitter(ch);
  };
  for (auto& r : s.rules)
    if (r.source == "test") jitter(r.when);
  return model(std::move(s));
}

void expect_same(const ratings& a, const ratings& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.rating_model->fingerprint(), b.rating_model->fingerprint());
  EXPECT_EQ(a.as_of, b.as_of);
  EXPECT_EQ(a.input_hash, b.input_hash);
  EXPECT_EQ(a.run_warnings, b.run_warnings);
  EXPECT_EQ(a.operator_ids.vector(), b.operator_ids.vector());
  EXPECT_EQ(a.status.vector(), b.status.vector());
  EXPECT_EQ(a.grade_by_score.vector(), b.grade_by_score.vector());
  EXPECT_EQ(a.final_grade.vector(), b.final_grade.vector());
  EXPECT_EQ(a.terminate.vector(), b.terminate.vector());
  EXPECT_EQ(a.total_centi.vector(), b.total_centi.vector());
  EXPECT_EQ(a.dimension_centi, b.dimension_centi);
  EXPECT_EQ(a.fired_offsets.vector(), b.fired_offsets.vector());
  EXPECT_EQ(a.fired.vector(), b.fired.vector());
  EXPECT_EQ(a.warning_offsets.vector(), b.warning_offsets.vector());
  EXPECT_EQ(a.warnings.vector(), b.warnings.vector());
  EXPECT_EQ(a.previous_grade.vector(), b.previous_grade.vector());
  EXPECT_EQ(a.history_limit.vector(), b.history_limit.vector());
  EXPECT_EQ(a.history_lapses_on.vector(), b.history_lapses_on.vector());
  std::vector<std::int64_t> ea, aa, eb, ab;
  for (std::size_t i = 0; i < a.size(); ++i) {
    a.node_points(i, ea, aa);
    b.node_points(i, eb, ab);
    ASSERT_EQ(ea, eb) << a.operator_ids[i];
    ASSERT_EQ(aa, ab) << a.operator_ids[i];
    for (int l = 1; l <= 5; ++l) ASSERT_EQ(a.prerequisites_failed(i, l), b.prerequisites_failed(i, l)) << a.operator_ids[i];
    const auto ga = a.gates(i), gb = b.gates(i);
    ASSERT_EQ(ga.size(), gb.size()) << a.operator_ids[i];
    for (std::size_t k = 0; k < ga.size(); ++k) {
      EXPECT_EQ(ga[k].kind, gb[k].kind);
      EXPECT_EQ(ga[k].id, gb[k].id);
      EXPECT_EQ(ga[k].target, gb[k].target);
      if (std::isnan(ga[k].shortfall)) EXPECT_TRUE(std::isnan(gb[k].shortfall));  // a gate without a number
      else EXPECT_EQ(ga[k].shortfall, gb[k].shortfall);
      EXPECT_EQ(ga[k].lapses_on, gb[k].lapses_on);
    }
  }
  for (std::size_t i = 0; i < a.size(); i += std::max<std::size_t>(1, a.size() / 7))
    EXPECT_EQ(a.explain(i, language::zh), b.explain(i, language::zh));
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TEST(scored, rate_is_regrade_of_score_on_the_sample) {
  const model& m = default_model();
  const scored s = score(m, sample(), as_of);
  EXPECT_EQ(s.size(), sample().size());
  EXPECT_FALSE(s.has_point_rules());
  EXPECT_EQ(s.input_hash(), sample().input_hash());
  expect_same(regrade(s, m), rate(m, sample(), as_of));
}

TEST(scored, regrade_equals_rate_of_the_variant_on_the_sample_for_random_variants) {
  const model& m = default_model();
  const scored s = score(m, sample(), as_of);
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    const model v = random_variant(m, rng);
    ASSERT_NE(v.fingerprint(), m.fingerprint());
    ASSERT_EQ(structure_difference(m, v), "");
    expect_same(regrade(s, v), rate(v, sample(), as_of));
  }
}

TEST(scored, regrade_equals_rate_of_the_variant_on_random_datasets) {
  const model& m = default_model();
  std::set<int> grades_seen;
  std::size_t patterns_seen = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE(seed);
    const dataset d = random_dataset(m, 400, seed, seed % 2 == 0);
    const scored s = score(m, d, as_of);
    patterns_seen = std::max(patterns_seen, s.pattern_leaves().size());
    std::mt19937_64 rng(100 + seed);
    for (int k = 0; k < 3; ++k) {
      const model v = random_variant(m, rng);
      const ratings r = regrade(s, v);
      expect_same(r, rate(v, d, as_of));
      for (grade g : r.final_grade) grades_seen.insert(level(g));
    }
  }
  EXPECT_EQ(grades_seen.size(), 6u) << "the random datasets should reach every grade";
  EXPECT_GE(patterns_seen, 2u) << "operators without meals make a second not-applicable pattern";
}

TEST(scored, rules_that_compare_points_are_finished_at_each_regrade) {
  const model& m = point_rule_model();
  const dataset d = random_dataset(m, 500, 7);
  const scored s = score(m, d, as_of);
  EXPECT_TRUE(s.has_point_rules());
  expect_same(regrade(s, m), rate(m, d, as_of));
  std::set<std::string> fired_point_rules;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    const model v = random_variant(m, rng);
    const ratings r = regrade(s, v);
    expect_same(r, rate(v, d, as_of));
    for (const fired_rule& f : r.fired) fired_point_rules.insert(v.spec().rules[f.rule].id);
  }
  for (const char* id : {"test_cap_total", "test_warn_fire", "test_downgrade_total"})
    EXPECT_TRUE(fired_point_rules.count(id)) << id << " never fired: the test would not test it";
}

TEST(scored, rate_one_is_the_row_of_rate_and_records_the_hash_of_that_row) {
  const model& m = default_model();
  const dataset d = random_dataset(m, 60, 3, true);
  const ratings all = rate(m, d, as_of);
  for (std::size_t i = 0; i < d.size(); i += 7) {
    const ratings one = rate_one(m, d, i, as_of);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one.final_grade[0], all.final_grade[i]);
    EXPECT_EQ(one.total_centi[0], all.total_centi[i]);
    EXPECT_EQ(one.input_hash, d.input_hash_of_row(i));
    EXPECT_NE(one.input_hash, all.input_hash);
  }
}

TEST(scored, variants_of_another_structure_are_refused_naming_the_difference) {
  const model& m = default_model();
  const scored s = score(m, sample(), as_of);
  struct change {
    const char* part;
    std::function<void(model_spec&)> edit;
  };
  const std::vector<change> changes = {
      {"rules.cap_open_lt_3m.when", [](model_spec& x) {
         for (auto& r : x.rules)
           if (r.id == "cap_open_lt_3m") r.when.numbers[0] = 4;
       }},
      {"rules.cap_food_grade_c.parameters", [](model_spec& x) {
         for (auto& r : x.rules)
           if (r.id == "cap_food_grade_c") r.cap = grade::a2;
       }},
      {"fire_inspection.scoring", [](model_spec& x) {
         for (auto& nd : x.nodes)
           if (nd.id == "fire_inspection") nd.scoring.lower += 1.0;
       }},
      {"reviews", [](model_spec& x) { x.reviews.min_count = 20; }},
      {"history", [](model_spec& x) { x.history.max_rise = 2; }},
      {"model.effective_period", [](model_spec& x) { x.info.effective_to = make_date(2030, 1, 1); }},
  };
  for (const auto& c : changes) {
    SCOPED_TRACE(c.part);
    model_spec spec = m.spec();
    c.edit(spec);
    const model v(std::move(spec));
    EXPECT_EQ(structure_difference(m, v).rfind(c.part, 0), 0u) << structure_difference(m, v);
    try {
      (void)regrade(s, v);
      ADD_FAILURE() << "not refused";
    } catch (const model_error& e) {
      EXPECT_EQ(e.where().field.rfind(c.part, 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find("score the dataset with this model instead"), std::string::npos) << e.what();
    }
  }
  // a rule more: the parts no longer line up
  model_spec spec = m.spec();
  spec.rules.push_back(spec.rules.back());
  spec.rules.back().id = "extra_rule";
  EXPECT_NE(structure_difference(m, model(std::move(spec))), "");
  // points, cut-offs, floors and labels are not structure
  model_spec same = m.spec();
  same.nodes[0].label = "renamed";
  for (auto& g : same.grades) g.min_dimension_ratio = 0.1;
  EXPECT_EQ(structure_difference(m, model(std::move(same))), "");
}

TEST(scored, leaf_available_points_give_each_total) {
  const model& m = default_model();
  const dataset d = random_dataset(m, 300, 12);
  const scored s = score(m, d, as_of);
  std::mt19937_64 rng(3);
  const model v = random_variant(m, rng);
  const Eigen::MatrixXd avail = leaf_available(s, v);
  ASSERT_EQ(static_cast<std::size_t>(avail.rows()), s.pattern_leaves().size());
  const ratings r = regrade(s, v);
  const auto scores = s.leaf_scores();
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::int64_t total = 0;
    for (Eigen::Index j = 0; j < scores.cols(); ++j) {
      const double x = scores(static_cast<Eigen::Index>(i), j);
      if (!std::isnan(x)) total += static_cast<std::int64_t>(std::floor(x * avail(s.patterns()[i], j) + 0.5));
    }
    ASSERT_EQ(total, r.total_centi[i]) << i;
  }
  model_spec other = m.spec();
  other.reviews.min_count = 10;
  EXPECT_THROW((void)leaf_available(s, model(std::move(other))), model_error);
}

TEST(scored, with_params_changes_grade_numbers_by_name_and_refuses_unknown_names) {
  const model& m = default_model();
  const model v = m.with_params({{"5A.min_total", 950.0}, {"grades.4A.min_dimension_ratio", 0.7},
                                 {"grades.5A.dimension_minimums.residents", 0.95}});
  const grade_gate* g5 = nullptr;
  const grade_gate* g4 = nullptr;
  for (const auto& g : v.spec().grades) {
    if (g.level == grade::a5) g5 = &g;
    if (g.level == grade::a4) g4 = &g;
  }
  ASSERT_TRUE(g5 && g4);
  EXPECT_EQ(g5->min_total, 950.0);
  EXPECT_EQ(g4->min_dimension_ratio, 0.7);
  bool found = false;
  for (const auto& [d, r] : g5->dimension_minimums) found = found || (d == "residents" && r == 0.95);
  EXPECT_TRUE(found);
  EXPECT_EQ(structure_difference(m, v), "");
  for (const char* bad : {"6A.min_total", "5A.points", "min_total", "grades.5A.dimension_minimums.fire"}) {
    SCOPED_TRACE(bad);
    try {
      (void)m.with_params({{bad, 1.0}});
      ADD_FAILURE() << "accepted";
    } catch (const model_error& e) {
      EXPECT_EQ(e.where().field, bad);
    }
  }
  EXPECT_THROW((void)m.with_params({{"4A.min_total", 2000.0}}), model_error);  // 4A above 5A's 900
}

// ---------------------------------------------------------------------------------------------
// regrade_many

namespace {

regrade_batch random_batch(const model& m, std::size_t K, std::uint64_t seed, bool cutoffs) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  regrade_batch b;
  const auto L = static_cast<Eigen::Index>(m.leaf_ids().size());
  b.weights.resize(static_cast<Eigen::Index>(K), L);
  for (std::size_t k = 0; k < K; ++k) {
    const auto w = random_weights(m, rng);
    for (Eigen::Index j = 0; j < L; ++j) b.weights(static_cast<Eigen::Index>(k), j) = w[static_cast<std::size_t>(j)].second;
  }
  if (cutoffs) {
    b.min_totals.resize(static_cast<Eigen::Index>(K), 5);
    for (std::size_t k = 0; k < K; ++k) {
      double c = 450.0 + 100.0 * u(rng);
      for (Eigen::Index l = 0; l < 5; ++l) {
        b.min_totals(static_cast<Eigen::Index>(k), l) = std::round(c);
        c += 50.0 + 60.0 * u(rng);
      }
    }
  }
  return b;
}

model variant_of(const model& m, const regrade_batch& b, Eigen::Index k) {
  std::vector<std::pair<std::string, double>> w;
  for (std::size_t j = 0; j < m.leaf_ids().size(); ++j) w.emplace_back(m.leaf_ids()[j], b.weights(k, static_cast<Eigen::Index>(j)));
  model v = m.with_weights(w);
  if (b.min_totals.size() != 0) {
    std::vector<std::pair<grade, double>> cut;
    for (int l = 1; l <= 5; ++l) cut.emplace_back(grade_from_level(l), b.min_totals(k, l - 1));
    v = v.with_cutoffs(cut);
  }
  return v;
}

void expect_batch_equals_regrade(const scored& s, const regrade_batch& b, const regrade_many_result& r) {
  const model& m = s.scoring_model();
  for (Eigen::Index k = 0; k < b.weights.rows(); ++k) {
    const ratings one = regrade(s, variant_of(m, b, k));
    for (std::size_t i = 0; i < s.size(); ++i) {
      ASSERT_EQ(r.grades(k, static_cast<Eigen::Index>(i)), level(one.final_grade[i])) << "variant " << k << " operator " << i;
      if (r.totals.size() != 0) {
        ASSERT_EQ(r.totals(k, static_cast<Eigen::Index>(i)), one.total_centi[i]) << "variant " << k;
      }
    }
  }
}

}  // namespace

TEST(regrade_many, grades_equal_regrade_of_each_variant) {
  const model& m = default_model();
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    const dataset d = random_dataset(m, 700, seed, seed % 2 == 1);
    const scored s = score(m, d, as_of);
    const regrade_batch b = random_batch(m, 9, seed, seed > 2);
    expect_batch_equals_regrade(s, b, regrade_many(s, b));
    regrade_many_options with_totals;
    with_totals.totals = true;
    expect_batch_equals_regrade(s, b, regrade_many(s, b, with_totals));
  }
}

TEST(regrade_many, operators_exactly_at_a_cut_off_are_graded_exactly) {
  // Cut-offs set to operators' exact totals put them within the kernel's margin: the exact sum of
  // rounded leaf points must decide, on both sides of the cut-off.
  const model& m = default_model();
  const dataset d = random_dataset(m, 500, 11);
  const scored s = score(m, d, as_of);
  const ratings base = regrade(s, m);
  regrade_batch b;
  b.weights.resize(6, static_cast<Eigen::Index>(m.leaf_ids().size()));
  b.min_totals.resize(6, 5);
  const std::vector<double> w = m.weights();
  for (Eigen::Index k = 0; k < 6; ++k) {
    for (std::size_t j = 0; j < w.size(); ++j) b.weights(k, static_cast<Eigen::Index>(j)) = w[j];
    // 1A … 5A at the totals of five operators (sorted), nudged by k centi-points
    std::vector<double> t;
    for (std::size_t i = 10 * static_cast<std::size_t>(k); t.size() < 5; ++i) t.push_back(base.total(i) + 0.01 * static_cast<double>(k % 3) - 0.01);
    std::sort(t.begin(), t.end());
    for (Eigen::Index l = 0; l < 5; ++l) b.min_totals(k, l) = t[static_cast<std::size_t>(l)];
  }
  expect_batch_equals_regrade(s, b, regrade_many(s, b));
}

TEST(regrade_many, any_thread_count_and_tile_size_gives_the_same_grades) {
  const model& m = default_model();
  const dataset d = random_dataset(m, 1500, 5, true);
  const scored s = score(m, d, as_of);
  const regrade_batch b = random_batch(m, 13, 5, true);
  regrade_many_options one;
  const regrade_many_result ref = regrade_many(s, b, one);
  for (int threads : {1, 2, 3}) {
    for (std::size_t tile : {std::size_t{0}, std::size_t{32}, std::size_t{100}, std::size_t{4096}}) {
      regrade_many_options o;
      o.threads = threads;
      o.tile_rows = tile;
      const regrade_many_result r = regrade_many(s, b, o);
      EXPECT_EQ(r.grades, ref.grades) << threads << " threads, tile " << tile;
    }
  }
}

TEST(regrade_many, the_streaming_form_hands_over_every_pair_once_from_its_workers) {
  const model& m = default_model();
  const dataset d = random_dataset(m, 900, 8);
  const scored s = score(m, d, as_of);
  const regrade_batch b = random_batch(m, 5, 8, false);
  regrade_many_options o;
  o.threads = 2;
  o.tile_rows = 64;
  std::vector<int> seen(5 * d.size(), 0);
  std::mutex mu;
  std::set<int> workers;
  regrade_many(s, b, o, [&](const regrade_tile& t) {
    std::lock_guard<std::mutex> lock(mu);
    workers.insert(t.worker);
    EXPECT_LE(t.count, t.stride);
    for (std::size_t k = t.k0; k < t.k1; ++k)
      for (std::size_t r = 0; r < t.count; ++r) ++seen[k * d.size() + t.rows[r]];
  });
  for (int c : seen) ASSERT_EQ(c, 1);
  for (int w : workers) EXPECT_TRUE(w == 0 || w == 1);
}

TEST(regrade_many, rules_that_compare_points_take_the_exact_path) {
  const model& m = point_rule_model();
  const dataset d = random_dataset(m, 200, 9);
  const scored s = score(m, d, as_of);
  const regrade_batch b = random_batch(m, 4, 9, true);
  regrade_many_options o;
  o.totals = true;
  expect_batch_equals_regrade(s, b, regrade_many(s, b, o));
}

TEST(regrade_many, bad_batches_get_precise_errors) {
  const model& m = default_model();
  const scored s = score(m, random_dataset(m, 50, 1), as_of);
  const auto L = static_cast<Eigen::Index>(m.leaf_ids().size());
  const auto expect_error = [&](const regrade_batch& b, const std::string& field, const std::string& text, int threads = 1) {
    regrade_many_options o;
    o.threads = threads;
    try {
      (void)regrade_many(s, b, o);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const model_error& e) {
      EXPECT_EQ(e.where().field, field);
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  regrade_batch ok = random_batch(m, 2, 1, true);
  regrade_batch b = ok;
  b.weights.resize(2, L - 1);
  expect_error(b, "weights", "columns, the model has 19 leaf indicators");
  b = ok;
  b.weights(1, 3) = -0.1;
  expect_error(b, "weights[1]." + m.leaf_ids()[3], "must be finite and >= 0, got -0.1");
  b = ok;
  b.weights(0, 0) = std::nan("");
  expect_error(b, "weights[0]." + m.leaf_ids()[0], "must be finite");
  b = ok;
  b.weights.row(1) *= 2.0;
  expect_error(b, "weights[1]", "sum to 2, not 1");
  b = ok;
  b.min_totals(0, 3) = b.min_totals(0, 2) - 1.0;
  expect_error(b, "min_totals[0]", "must not decrease");
  b = ok;
  b.min_totals.resize(2, 4);
  expect_error(b, "min_totals", "must be 2 × 5");
  expect_error(ok, "threads", "threads must be >= 1", 0);
  b = ok;
  b.weights.resize(0, L);
  expect_error(b, "weights", "no variants");
}

// ---------------------------------------------------------------------------------------------
// compact results, cached input hash

TEST(scored, results_are_compact_and_node_points_come_on_request) {
  static_assert(sizeof(decltype(std::declval<ratings>().total_centi)::value_type) == 4, "int32 centi-points");
  static_assert(sizeof(centi_matrix::Scalar) == 4, "int32 dimension points");
  const model& m = default_model();
  const ratings r = rate(m, sample(), as_of);
  EXPECT_FALSE(r.kept_earned_);
  rate_options keep;
  keep.keep_node_points = true;
  const ratings k = rate(m, sample(), as_of, keep);
  ASSERT_TRUE(k.kept_earned_);
  for (std::size_t i = 0; i < r.size(); i += 13)
    for (std::size_t node = 0; node < m.spec().nodes.size(); ++node) {
      EXPECT_EQ(r.node_centi(i, node), k.node_centi(i, node));
      EXPECT_EQ(r.available_centi(i, node), k.available_centi(i, node));
    }
  // two ratings from one scored share the weight-independent columns instead of copying them
  const scored s = score(m, sample(), as_of);
  const ratings a = regrade(s, m), b = regrade(s, m.with_cutoffs({{grade::a5, 950.0}}));
  EXPECT_EQ(a.operator_ids.data(), b.operator_ids.data());
  EXPECT_EQ(a.fired.data(), b.fired.data());
  EXPECT_EQ(a.operator_ids.data(), sample().operator_ids().data()) << "the ids are the dataset's own";
}

TEST(scored, the_input_hash_is_computed_once_and_cleared_by_a_change) {
  dataset d = random_dataset(default_model(), 30, 2, true);
  const std::string h = d.input_hash();
  EXPECT_EQ(d.input_hash(), h);
  const dataset copy = d;
  EXPECT_EQ(copy.input_hash(), h);
  d.set_attribute("district", std::vector<std::string>(d.size(), "江岸"));
  EXPECT_NE(d.input_hash(), h);
  EXPECT_EQ(copy.input_hash(), h);
}

TEST(scored, the_hash_of_a_row_is_the_hash_of_that_row_as_a_dataset) {
  const dataset d = random_dataset(default_model(), 20, 4, true);
  for (std::size_t row : {std::size_t{0}, std::size_t{7}, std::size_t{19}}) {
    // the one-operator dataset built column by column
    dataset one({d.operator_ids()[row]}, d.source_name());
    one.set_status({(*d.status())[row]});
    for (const auto& [k, v] : d.numbers()) one.set_number(k, {v[row]}, nan_policy::missing);
    for (const auto& [k, v] : d.categories())
      one.set_category(k, std::vector<std::string>{v.codes[row] < 0 ? std::string() : v.levels[static_cast<std::size_t>(v.codes[row])]});
    for (const auto& [k, v] : d.flags()) one.set_flag(k, {v[row]});
    for (const auto& [k, v] : d.dates())
      if (k.rfind("history.", 0) != 0) one.set_date(k, {v[row]});
    for (const auto& [k, v] : d.review_columns()) one.set_review_column(k, {v[row]});
    std::vector<std::string> sc;
    for (std::uint32_t k = d.scenario_offsets()[row]; k < d.scenario_offsets()[row + 1]; ++k)
      sc.push_back(d.scenario_levels()[static_cast<std::size_t>(d.scenario_codes()[k])]);
    one.set_scenarios({sc});
    const std::int8_t g = d.previous_grade()[row];
    one.set_history({g < 0 ? std::nullopt : std::optional<grade>(grade_from_level(g))},
                    {(*d.date("history.previous_rated_on"))[row]}, {(*d.date("history.last_downgrade_on"))[row]});
    facility_table sub;
    const facility_table& f = *d.facilities();
    for (std::uint32_t j = d.facility_offsets()[row]; j < d.facility_offsets()[row + 1]; ++j) {
      const std::size_t k = d.facility_index()[j];
      sub.facility_ids.push_back(f.facility_ids[k]);
      sub.operator_ids.push_back(f.operator_ids[k]);
      sub.volume.push_back(f.volume[k]);
      for (const auto& [name, col] : f.numbers) sub.numbers[name].push_back(col[k]);
      for (const auto& [name, col] : f.categories) sub.categories[name].push_back(col[k]);
    }
    for (const auto& [name, col] : f.numbers) sub.numbers.emplace(name, std::vector<double>{});
    for (const auto& [name, col] : f.categories) sub.categories.emplace(name, std::vector<std::string>{});
    one.set_facilities(std::move(sub));
    EXPECT_EQ(d.input_hash_of_row(row), one.input_hash()) << row;
  }
  EXPECT_THROW((void)d.input_hash_of_row(20), data_error);
}

// The scored archive (src/archive/scored_archive.cpp): a loaded scored re-grades and explains as the
// original — here with rules and a prerequisite that compare points (their partly evaluated
// conditions are stored) and under variants; a ratings archive (format 2) of a variant carries its
// scoring model and explains after loading. The sample without point rules: serialize_test.cpp.
TEST(scored, archives_regrade_and_explain_as_the_original_with_point_rules) {
  const model& m = point_rule_model();
  const dataset d = random_dataset(m, 300, 11, true);
  const scored s = score(m, d, as_of);
  ASSERT_TRUE(s.has_point_rules());
  const std::string bytes = to_bytes(s);
  const scored back = from_bytes<scored>(bytes, "point-rules.erscored");
  EXPECT_EQ(to_bytes(back), bytes);
  EXPECT_TRUE(back.has_point_rules());
  EXPECT_EQ(back.patterns(), s.patterns());
  EXPECT_EQ(back.pattern_leaves(), s.pattern_leaves());
  expect_same(regrade(back, m), regrade(s, m));
  std::mt19937_64 rng(5);
  for (int k = 0; k < 3; ++k) {
    const model v = random_variant(m, rng);
    const ratings a = regrade(s, v);
    expect_same(regrade(back, v), a);
    // the ratings of a variant: the archive keeps the scoring model beside the rating model
    const ratings r = from_bytes<ratings>(to_bytes(a), "variant.errating");
    expect_same(r, a);
    ASSERT_NE(r.scored_state_, nullptr);
    EXPECT_EQ(r.scored_state_->scoring_model->fingerprint(), m.fingerprint());
    for (std::size_t i = 0; i < a.size(); i += 17) EXPECT_EQ(r.explain(i), a.explain(i)) << i;
  }
}
