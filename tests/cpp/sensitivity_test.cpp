// Sensitivity and model comparison (sensitivity.hpp, issue 13): the counter-based generator and its
// variates, Monte Carlo over weights (probabilities, stability, quantiles, the population, identical
// results for any threads, tile size, chunk and kernel instruction set), near the line,
// one-at-a-time swings and model comparison, against small models whose answers are worked out by
// hand and against the engine's own regrade/rate of each variant.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "embedrating/embedrating.hpp"
#include "embedrating/sensitivity.hpp"
#include "sensitivity/sensitivity_internal.hpp"

namespace {

using namespace embedrating;
namespace es = embedrating::sensitivity;

const civil_date as_of = make_date(2025, 12, 31);

const model& default_model() {
  static const model m = model::default_model();
  return m;
}

const dataset& sample() {
  static const dataset d = [] {
    dataset x = read_operators_csv(data_directory() + "/sample/operators.csv", default_model());
    x.set_facilities(read_facilities_csv(data_directory() + "/sample/facilities.csv", default_model(), x));
    return x;
  }();
  return d;
}

const scored& sample_scored() {
  static const scored s = score(default_model(), sample(), as_of);
  return s;
}

const char* const model_head = R"(
[model]
id = "t"
version = "1"
effective_from = 2025-01-01
effective_to = 2026-12-31

[history]
first_rating_max = "5A"
)";

std::string plain_grades(double t5, double t4, double t3, double t2, double t1) {
  std::string out;
  const char* names[] = {"5A", "4A", "3A", "2A", "1A"};
  const double totals[] = {t5, t4, t3, t2, t1};
  for (int k = 0; k < 5; ++k)
    out += std::string("\n[[grades]]\ngrade = \"") + names[k] + "\"\nmin_total = " + std::to_string(totals[k]) + "\n";
  return out;
}

/// One dimension, one linear leaf: x points = x (0 … 1000).
model cutoff_model(const std::string& grades = plain_grades(900, 800, 700, 600, 500), const std::string& extra = "") {
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
)" + grades + extra,
                          "t-cut.toml");
}

/// Two leaves a (pa points) and b (pb points) in one dimension, scores = raw values in [0, 1].
model two_leaf_model(int pa, int pb, const std::string& grades = plain_grades(900, 800, 700, 600, 500)) {
  return model::from_toml(std::string(model_head) + R"(
[[measures]]
id = "a"
min = 0
max = 1

[[measures]]
id = "b"
min = 0
max = 1

[[dimensions]]
id = "d"
points = )" + std::to_string(pa + pb) + R"(

[[indicators]]
id = "al"
parent = "d"
points = )" + std::to_string(pa) + R"(
input = "raw.a"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 1 }

[[indicators]]
id = "bl"
parent = "d"
points = )" + std::to_string(pb) + R"(
input = "raw.b"
scoring = { kind = "linear", direction = "benefit", lower = 0, upper = 1 }
)" + grades,
                          "t-two.toml");
}

dataset x_dataset(const std::vector<double>& x) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < x.size(); ++i) ids.push_back("OP" + std::to_string(i));
  dataset d(ids, "x");
  d.set_number("x", x);
  return d;
}

dataset ab_dataset(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < a.size(); ++i) ids.push_back("OP" + std::to_string(i));
  dataset d(ids, "ab");
  d.set_number("a", a);
  d.set_number("b", b);
  return d;
}

template <class F>
void expect_data_error(F&& f, const std::string& field, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one naming " << field;
  } catch (const data_error& e) {
    EXPECT_EQ(e.where().field, field);
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

es::monte_carlo_options small_options(std::size_t draws = 200) {
  es::monte_carlo_options o;
  o.draws = draws;
  o.seed = 42;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Random numbers

TEST(sensitivity_random, philox_matches_the_published_known_answer) {
  // Random123's kat_vectors: philox4x32 10 rounds, counter 0, key 0 → 6627e8d5 e169c58d bc57ac4c 9b00dbd8
  es::detail::stream s(0, 0, 0, 0);
  std::uint32_t w[4];
  s.block(w);
  EXPECT_EQ(w[0], 0x6627e8d5u);
  EXPECT_EQ(w[1], 0xe169c58du);
  EXPECT_EQ(w[2], 0xbc57ac4cu);
  EXPECT_EQ(w[3], 0x9b00dbd8u);
}

TEST(sensitivity_random, deterministic_log_and_exp_agree_with_libm_to_two_ulps) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> e(-700, 700), u(-30, 30);
  for (int k = 0; k < 20000; ++k) {
    const double x = std::exp(u(rng));
    EXPECT_NEAR(es::detail::det_log(x), std::log(x), 4e-16 * std::max(1.0, std::abs(std::log(x)))) << x;
    const double y = e(rng);
    EXPECT_NEAR(es::detail::det_exp(y), std::exp(y), 4e-16 * std::exp(y)) << y;
  }
  EXPECT_EQ(es::detail::det_log(1.0), 0.0);
  EXPECT_EQ(es::detail::det_exp(0.0), 1.0);
  EXPECT_TRUE(std::isinf(es::detail::det_log(0.0)));
}

TEST(sensitivity_random, uniforms_and_normals_have_their_moments) {
  double su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0;
  const int n = 200000;
  for (int k = 0; k < n; ++k) {
    es::detail::stream s(7, static_cast<std::uint64_t>(k), 9, 1);
    const double u = s.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    su2 += u * u;
    const double z = s.normal();
    sn += z;
    sn2 += z * z;
    sn4 += z * z * z * z;
  }
  EXPECT_NEAR(su / n, 0.5, 4 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(su2 / n - (su / n) * (su / n), 1.0 / 12, 0.002);
  EXPECT_NEAR(sn / n, 0.0, 4 / std::sqrt(double(n)));
  EXPECT_NEAR(sn2 / n, 1.0, 4 * std::sqrt(2.0 / n));
  EXPECT_NEAR(sn4 / n, 3.0, 0.06);
}

TEST(sensitivity_random, gamma_variates_have_mean_and_variance_equal_to_the_shape) {
  for (double shape : {0.3, 1.0, 4.5, 60.0}) {
    const int n = 40000;
    double s1 = 0, s2 = 0;
    for (int k = 0; k < n; ++k) {
      es::detail::stream s(11, static_cast<std::uint64_t>(k), 1, 0);
      const double g = std::exp(s.log_gamma_variate(shape));
      s1 += g;
      s2 += g * g;
    }
    const double mean = s1 / n, var = s2 / n - mean * mean;
    EXPECT_NEAR(mean, shape, 5 * std::sqrt(shape / n)) << shape;
    EXPECT_NEAR(var / shape, 1.0, 0.06) << shape;
  }
}

TEST(sensitivity_random, a_draw_depends_only_on_seed_and_index) {
  const std::vector<double> base = default_model().weights();
  es::monte_carlo_options o = small_options();
  const Eigen::MatrixXd all = es::draw_weights(base, o, 0, 40);
  const Eigen::MatrixXd part = es::draw_weights(base, o, 25, 40);
  EXPECT_TRUE(all.bottomRows(15) == part);
  o.seed = 43;
  const Eigen::MatrixXd other = es::draw_weights(base, o, 0, 40);
  EXPECT_FALSE(all == other);
  for (Eigen::Index k = 0; k < all.rows(); ++k) EXPECT_NEAR(all.row(k).sum(), 1.0, 1e-12);
}

TEST(sensitivity_random, dirichlet_draws_are_centred_on_the_weights_with_the_dirichlet_variance) {
  const std::vector<double> base = default_model().weights();
  es::monte_carlo_options o = small_options();
  o.concentration = 150;
  const std::size_t K = 20000;
  const Eigen::MatrixXd w = es::draw_weights(base, o, 0, K);
  for (std::size_t j = 0; j < base.size(); ++j) {
    const auto col = w.col(static_cast<Eigen::Index>(j));
    const double mean = col.mean();
    const double var = (col.array() - mean).square().mean();
    const double want = base[j] * (1 - base[j]) / (o.concentration + 1);
    EXPECT_NEAR(mean, base[j], 5 * std::sqrt(want / K)) << j;
    EXPECT_NEAR(var / want, 1.0, 0.08) << j;
  }
}

TEST(sensitivity_random, uniform_noise_stays_within_its_spread_before_renormalising) {
  const std::vector<double> base = default_model().weights();
  es::monte_carlo_options o = small_options();
  o.noise = es::weight_noise::uniform;
  o.spread = 0.2;
  const Eigen::MatrixXd w = es::draw_weights(base, o, 0, 2000);
  for (Eigen::Index k = 0; k < w.rows(); ++k) {
    // w'_j / w'_l = (1 + u_j) / (1 + u_l) with |u| <= 0.2
    for (std::size_t j = 1; j < base.size(); ++j) {
      const double ratio = (w(k, static_cast<Eigen::Index>(j)) / base[j]) / (w(k, 0) / base[0]);
      EXPECT_LE(ratio, 1.2 / 0.8 + 1e-12);
      EXPECT_GE(ratio, 0.8 / 1.2 - 1e-12);
    }
  }
  o.noise = es::weight_noise::none;
  const Eigen::MatrixXd same = es::draw_weights(base, o, 0, 3);
  for (std::size_t j = 0; j < base.size(); ++j) EXPECT_EQ(same(2, static_cast<Eigen::Index>(j)), base[j]);
}

TEST(sensitivity_random, jittered_cutoffs_stay_in_order_and_within_the_jitter) {
  es::monte_carlo_options o = small_options();
  o.cutoff_jitter = 80;
  const Eigen::MatrixXd c = es::draw_cutoffs({500, 600, 700, 800, 900}, o, 0, 3000);
  double spread = 0;
  for (Eigen::Index k = 0; k < c.rows(); ++k)
    for (Eigen::Index g = 0; g < 5; ++g) {
      if (g > 0) {
        EXPECT_GE(c(k, g), c(k, g - 1));
      }
      EXPECT_LE(c(k, g), 500 + 100 * static_cast<double>(g) + 80);
      spread = std::max(spread, std::abs(c(k, g) - (500 + 100 * static_cast<double>(g))));
    }
  EXPECT_GT(spread, 70);
}

// ---------------------------------------------------------------------------------------------
// Monte Carlo

TEST(sensitivity_monte_carlo, points_per_pattern_are_the_engines_available_points_of_each_draw) {
  const scored& s = sample_scored();
  ASSERT_GT(s.pattern_leaves().size(), 1u) << "the sample should have operators with a not-applicable leaf";
  const Eigen::MatrixXd w = es::draw_weights(default_model().weights(), small_options(), 0, 25);
  const auto& ids = default_model().leaf_ids();
  for (Eigen::Index k = 0; k < w.rows(); ++k) {
    std::vector<std::pair<std::string, double>> named;
    for (std::size_t j = 0; j < ids.size(); ++j) named.emplace_back(ids[j], w(k, static_cast<Eigen::Index>(j)));
    const Eigen::MatrixXd want = leaf_available(s, default_model().with_weights(named));
    Eigen::MatrixXd got(want.rows(), want.cols());
    std::vector<double> buf(static_cast<std::size_t>(want.size()));
    es::detail::points_per_pattern(default_model().compiled(), w.data() + k, static_cast<std::size_t>(w.rows()),
                                   s.pattern_leaves(), buf.data());
    for (Eigen::Index p = 0; p < want.rows(); ++p)
      for (Eigen::Index j = 0; j < want.cols(); ++j) got(p, j) = buf[static_cast<std::size_t>(p * want.cols() + j)];
    EXPECT_TRUE(got == want) << "draw " << k;
  }
}

TEST(sensitivity_monte_carlo, probabilities_sum_to_one_and_grades_are_those_of_regrade_many) {
  const scored& s = sample_scored();
  const es::monte_carlo_result r = es::monte_carlo(s, small_options(150));
  ASSERT_EQ(r.size(), s.size());
  ASSERT_EQ(r.draws(), 150u);
  regrade_batch b;
  b.weights = r.weights;
  const regrade_many_result brute = regrade_many(s, b);
  for (std::size_t i = 0; i < r.size(); ++i) {
    double p = 0;
    for (int l = 0; l < grade_count; ++l) {
      p += r.probability(i, l);
      std::uint32_t n = 0;
      for (Eigen::Index k = 0; k < brute.grades.rows(); ++k) n += brute.grades(k, static_cast<Eigen::Index>(i)) == l;
      EXPECT_EQ(r.counts(static_cast<Eigen::Index>(i), l), n) << i << " " << l;
    }
    EXPECT_NEAR(p, 1.0, 1e-12);
    EXPECT_GE(r.stability(i), 0.0);
    EXPECT_LE(r.stability(i), 1.0);
  }
  // per draw, the counts of every grade cover every operator, and match the brute force
  for (Eigen::Index k = 0; k < r.per_draw.rows(); ++k) {
    EXPECT_EQ(r.per_draw.row(k).cast<std::size_t>().sum(), s.size());
    for (int l = 0; l < grade_count; ++l)
      EXPECT_EQ(r.per_draw(k, l), static_cast<std::uint32_t>((brute.grades.row(k).array() == static_cast<std::int8_t>(l)).count()));
  }
  double expected = 0, current = 0;
  for (const auto& g : r.population) {
    expected += g.expected;
    current += g.current;
    EXPECT_LE(g.low, g.expected + 1e-9);
    EXPECT_GE(g.high, g.expected - 1e-9);
  }
  EXPECT_NEAR(expected, static_cast<double>(s.size() - r.not_graded), 1e-9);
  EXPECT_EQ(current, static_cast<double>(s.size() - r.not_graded));
  // the current grade is the model's own
  const ratings now = regrade(s, default_model());
  for (std::size_t i = 0; i < r.size(); ++i) EXPECT_EQ(r.grade[i], level(now.final_grade[i]));
}

TEST(sensitivity_monte_carlo, the_same_seed_gives_the_same_result_for_any_threads_tiles_chunks_and_kernels) {
  const scored& s = sample_scored();
  es::monte_carlo_options o = small_options(300);
  o.cutoff_jitter = 5;
  const es::monte_carlo_result one = es::monte_carlo(s, o);
  auto same = [&](const es::monte_carlo_result& x, const char* what) {
    EXPECT_TRUE(x.counts == one.counts) << what;
    EXPECT_TRUE(x.per_draw == one.per_draw) << what;
    EXPECT_TRUE(x.total_quantiles == one.total_quantiles) << what;  // bit for bit
    EXPECT_EQ(x.total_mean, one.total_mean) << what;
    EXPECT_EQ(x.total_sd, one.total_sd) << what;
    EXPECT_EQ(x.total_min, one.total_min) << what;
    EXPECT_EQ(x.total_max, one.total_max) << what;
    EXPECT_EQ(x.clipped, one.clipped) << what;
  };
  o.threads = 2;
  same(es::monte_carlo(s, o), "2 threads");
  o.tile_rows = 64;
  same(es::monte_carlo(s, o), "2 threads, 64-row tiles");
  o.threads = 1;
  o.chunk = 7;
  same(es::monte_carlo(s, o), "chunks of 7 draws");
  o.chunk = 256;
  o.tile_rows = 0;
  for (const char* isa : {"generic", "avx2"}) {
    if (!es::detail::set_kernel_isa(isa)) continue;  // not on this CPU
    const es::monte_carlo_result other = es::monte_carlo(s, o);
    ASSERT_TRUE(es::detail::set_kernel_isa("best"));
    same(other, isa);
  }
  o.seed = 43;
  EXPECT_FALSE(es::monte_carlo(s, o).counts == one.counts) << "another seed";
}

TEST(sensitivity_monte_carlo, runs_over_consecutive_draw_ranges_add_up_to_the_run_over_the_whole_range) {
  // embedrating.dask splits the draws of one run over machines by first_draw: the parts' draws,
  // per-draw rows and grade counts must be exactly those of the single run
  const scored& s = sample_scored();
  es::monte_carlo_options o = small_options(300);
  o.cutoff_jitter = 5;
  o.quantiles.clear();
  const es::monte_carlo_result whole = es::monte_carlo(s, o);
  const std::size_t cuts[] = {0, 1, 97, 256, 300};  // uneven parts, one of a single draw
  Eigen::Matrix<std::uint32_t, Eigen::Dynamic, grade_count, Eigen::RowMajor> counts(whole.counts.rows(), grade_count);
  counts.setZero();
  for (std::size_t c = 0; c + 1 < std::size(cuts); ++c) {
    es::monte_carlo_options part = o;
    part.first_draw = cuts[c];
    part.draws = cuts[c + 1] - cuts[c];
    const es::monte_carlo_result r = es::monte_carlo(s, part);
    const auto k0 = static_cast<Eigen::Index>(cuts[c]), n = static_cast<Eigen::Index>(part.draws);
    EXPECT_TRUE(r.weights == whole.weights.middleRows(k0, n)) << "part " << c;
    EXPECT_TRUE(r.cutoffs == whole.cutoffs.middleRows(k0, n)) << "part " << c;
    EXPECT_TRUE(r.per_draw == whole.per_draw.middleRows(k0, n)) << "part " << c;
    EXPECT_EQ(r.grade, whole.grade);
    counts += r.counts;
  }
  EXPECT_TRUE(counts == whole.counts);
  // and a range that starts elsewhere is other draws
  es::monte_carlo_options shifted = o;
  shifted.first_draw = 1;
  EXPECT_FALSE(es::monte_carlo(s, shifted).weights == whole.weights);
}

TEST(sensitivity_monte_carlo, combine_draw_ranges_gives_the_run_over_the_whole_range_bit_for_bit) {
  const scored& s = sample_scored();
  es::monte_carlo_options o = small_options(300);
  o.cutoff_jitter = 5;
  o.quantiles.clear();
  o.interval = 0.9;
  const es::monte_carlo_result whole = es::monte_carlo(s, o);
  auto parts_at = [&](std::vector<std::size_t> cuts) {
    std::vector<es::monte_carlo_result> parts;
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
      es::monte_carlo_options part = o;
      part.first_draw = cuts[c];
      part.draws = cuts[c + 1] - cuts[c];
      parts.push_back(es::monte_carlo(s, part));
    }
    return parts;
  };
  const es::monte_carlo_result r = es::combine_draw_ranges(parts_at({0, 1, 97, 256, 300}));
  EXPECT_EQ(r.draws(), 300u);
  EXPECT_EQ(r.options.draws, 300u);
  EXPECT_EQ(r.options.first_draw, 0u);
  EXPECT_TRUE(r.weights == whole.weights);
  EXPECT_TRUE(r.cutoffs == whole.cutoffs);
  EXPECT_TRUE(r.per_draw == whole.per_draw);
  EXPECT_TRUE(r.counts == whole.counts);
  EXPECT_EQ(r.grade, whole.grade);
  EXPECT_EQ(r.not_graded, whole.not_graded);
  for (std::size_t v = 0; v < grade_count; ++v) {  // the same operations in the same order: the same bits
    EXPECT_EQ(r.population[v].current, whole.population[v].current) << v;
    EXPECT_EQ(r.population[v].expected, whole.population[v].expected) << v;
    EXPECT_EQ(r.population[v].low, whole.population[v].low) << v;
    EXPECT_EQ(r.population[v].high, whole.population[v].high) << v;
  }
  for (std::size_t i = 0; i < r.size(); ++i) ASSERT_EQ(r.stability(i), whole.stability(i)) << i;
  // one part is the part itself
  EXPECT_TRUE(es::combine_draw_ranges(parts_at({0, 300})).counts == whole.counts);

  // what each bad list gets: std::invalid_argument naming the part and the reason
  auto refused = [](std::vector<es::monte_carlo_result> parts, const std::string& part, const std::string& why) {
    try {
      es::combine_draw_ranges(std::move(parts));
      ADD_FAILURE() << "accepted: " << why;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  refused({}, "combine_draw_ranges", "no parts");
  {  // a gap: draws 97 … 99 missing
    auto p = parts_at({0, 97, 300});
    es::monte_carlo_options late = o;
    late.first_draw = 100;
    late.draws = 200;
    p[1] = es::monte_carlo(s, late);
    refused(std::move(p), "part 1", "starts at draw 100, not at 97");
  }
  {  // out of order
    auto p = parts_at({0, 97, 300});
    std::swap(p[0], p[1]);
    refused(std::move(p), "part 1", "starts at draw 0, not at 300");
  }
  {  // another seed
    auto p = parts_at({0, 97, 300});
    es::monte_carlo_options other = o;
    other.seed = o.seed + 1;
    other.first_draw = 97;
    other.draws = 203;
    p[1] = es::monte_carlo(s, other);
    refused(std::move(p), "part 1", "other options");
  }
  {  // another model
    auto p = parts_at({0, 97, 300});
    p[1].model_fingerprint = "0000";
    refused(std::move(p), "part 1", "another model");
  }
  {  // other scored data
    auto p = parts_at({0, 97, 300});
    p[1].grade[3] = static_cast<std::int8_t>((p[1].grade[3] + 1) % grade_count);
    refused(std::move(p), "part 1", "other scored data");
  }
  {  // with quantiles
    auto p = parts_at({0, 97, 300});
    es::monte_carlo_options q = o;
    q.quantiles = {0.5};
    q.first_draw = 97;
    q.draws = 203;
    p[1] = es::monte_carlo(s, q);
    refused(std::move(p), "part 1", "total quantiles");
  }
  {  // a result with its arrays cut short
    auto p = parts_at({0, 97, 300});
    p[0].per_draw.conservativeResize(10, grade_count);
    refused(std::move(p), "part 0", "not a whole result");
  }
}

TEST(sensitivity_monte_carlo, rules_that_compare_points_take_the_engines_exact_path_with_the_same_totals) {
  // rules reading total and dim.*: regrade_many grades each draw in full (tiles of every operator,
  // mixed not-applicable patterns); the leaves and patterns are the default model's, so the
  // totals over the draws are the same bits
  std::ifstream in(data_directory() + "/models/wuhan-2024.toml");
  std::stringstream text;
  text << in.rdbuf();
  const model rules = model::from_toml(text.str() + R"(
[[rules]]
id = "test_cap_total"
action = "cap"
grade = "3A"
when = { field = "total", op = "<", value = 880 }
source = "test"

[[rules]]
id = "test_downgrade_safety"
action = "downgrade"
levels = 1
when = { field = "dim.safety", op = "<", value = 0.8 }
source = "test"
)", "point-rules.toml");
  const scored s = score(rules, sample(), as_of);
  ASSERT_TRUE(s.has_point_rules());
  es::monte_carlo_options o = small_options(16);
  const es::monte_carlo_result r = es::monte_carlo(s, o);
  const es::monte_carlo_result plain = es::monte_carlo(sample_scored(), o);
  EXPECT_TRUE(r.total_quantiles == plain.total_quantiles);
  EXPECT_EQ(r.total_min, plain.total_min);
  EXPECT_EQ(r.clipped, plain.clipped);
  const auto& ids = rules.leaf_ids();
  for (std::size_t k = 0; k < o.draws; ++k) {
    std::vector<std::pair<std::string, double>> named;
    for (std::size_t j = 0; j < ids.size(); ++j) named.emplace_back(ids[j], r.weights(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j)));
    const ratings v = rate(rules.with_weights(named), sample(), as_of);
    for (int l = 0; l < grade_count; ++l) {
      std::uint32_t n = 0;
      for (std::size_t i = 0; i < v.size(); ++i) n += level(v.final_grade[i]) == l;
      EXPECT_EQ(r.per_draw(static_cast<Eigen::Index>(k), l), n) << "draw " << k << " grade " << l;
    }
  }
}

TEST(sensitivity_monte_carlo, quantiles_are_within_one_bin_of_the_exact_quantiles) {
  const scored& s = sample_scored();
  es::monte_carlo_options o = small_options(400);
  o.quantiles = {0.0, 0.05, 0.5, 0.9, 1.0};
  const es::monte_carlo_result r = es::monte_carlo(s, o);
  // the exact unrounded totals of every draw, by the engine's leaf_available of each variant
  const auto& ids = default_model().leaf_ids();
  const std::size_t N = s.size(), K = o.draws, L = ids.size();
  Eigen::MatrixXd totals(static_cast<Eigen::Index>(N), static_cast<Eigen::Index>(K));
  const auto scores = s.leaf_scores();
  for (std::size_t k = 0; k < K; ++k) {
    std::vector<std::pair<std::string, double>> named;
    for (std::size_t j = 0; j < L; ++j) named.emplace_back(ids[j], r.weights(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j)));
    const Eigen::MatrixXd avail = leaf_available(s, default_model().with_weights(named));
    for (std::size_t i = 0; i < N; ++i) {
      double t = 0;
      for (std::size_t j = 0; j < L; ++j) {
        const double v = scores(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
        if (!std::isnan(v)) t += v * avail(s.patterns()[i], static_cast<Eigen::Index>(j));
      }
      totals(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = t / 100.0;
    }
  }
  std::size_t checked = 0;
  for (std::size_t i = 0; i < N; ++i) {
    std::vector<double> v(K);
    for (std::size_t k = 0; k < K; ++k) v[k] = totals(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k));
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(K);
    double var = 0;
    for (double x : v) var += (x - mean) * (x - mean);
    EXPECT_NEAR(r.total_mean[i], mean, 1e-9) << i;
    EXPECT_NEAR(r.total_sd[i], std::sqrt(var / static_cast<double>(K)), 1e-6) << i;
    std::sort(v.begin(), v.end());
    EXPECT_NEAR(r.total_min[i], v.front(), 1e-9);
    EXPECT_NEAR(r.total_max[i], v.back(), 1e-9);
    for (std::size_t q = 0; q < o.quantiles.size(); ++q) {
      const double h = o.quantiles[q] * static_cast<double>(K - 1);
      const auto a = static_cast<std::size_t>(std::floor(h));
      const double exact = v[a] + (h - static_cast<double>(a)) * (v[std::min(a + 1, K - 1)] - v[a]);
      EXPECT_NEAR(r.total_quantiles(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(q)), exact, r.resolution[i] + 1e-9)
          << "operator " << i << " quantile " << o.quantiles[q];
      if (q > 0) {
        EXPECT_GE(r.total_quantiles(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(q)),
                  r.total_quantiles(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(q - 1)));
      }
      ++checked;
    }
    EXPECT_GE(r.resolution[i], o.resolution);
    if (r.clipped[i] == 0) {
      EXPECT_LE(r.resolution[i], std::max(o.resolution, 2 * o.window_sd * r.total_sd[i] / 128) + 1e-9);
    }
  }
  EXPECT_EQ(checked, N * o.quantiles.size());
}

TEST(sensitivity_monte_carlo, a_dominant_weight_gives_stable_grades) {
  // scores on a: far from the cut-offs; b: anything. With a 99 % weight on a, b barely moves the
  // total; with equal weights the same operators are often graded differently.
  std::vector<double> a, b;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  for (double centre : {0.55, 0.65, 0.75, 0.85, 0.95})
    for (int k = 0; k < 20; ++k) {
      a.push_back(centre);
      b.push_back(u(rng));
    }
  const dataset d = ab_dataset(a, b);
  es::monte_carlo_options o = small_options(500);
  o.concentration = 100;
  const es::monte_carlo_result dominant = es::monte_carlo(two_leaf_model(990, 10), d, as_of, o);
  for (std::size_t i = 0; i < dominant.size(); ++i)
    if (std::abs(dominant.total[i] - 50.0 - std::floor(dominant.total[i] / 100.0) * 100.0) < 40.0) {  // 10+ points from a cut-off
      EXPECT_EQ(dominant.stability(i), 1.0) << "operator " << i << " total " << dominant.total[i];
    }
  const es::monte_carlo_result balanced = es::monte_carlo(two_leaf_model(500, 500), d, as_of, o);
  double min_dominant = 1, min_balanced = 1;
  for (std::size_t i = 0; i < d.size(); ++i) {
    min_dominant = std::min(min_dominant, dominant.stability(i));
    min_balanced = std::min(min_balanced, balanced.stability(i));
  }
  EXPECT_LT(min_balanced, 0.8);
  EXPECT_GT(min_dominant, min_balanced);
}

TEST(sensitivity_monte_carlo, an_operator_exactly_on_a_cut_off_has_stability_near_one_half_under_symmetric_noise) {
  // total = 1000 × w_a with scores (1, 0): exactly 500 = the 1A cut-off; Dirichlet(c/2, c/2) and
  // uniform noise are symmetric in the two weights, so P(total ≥ 500) = 1/2
  const dataset d = ab_dataset({1.0, 1.0, 0.0}, {0.0, 1.0, 0.0});
  const model m = two_leaf_model(500, 500, plain_grades(900, 800, 700, 600, 500));
  for (const char* method : {"dirichlet", "uniform"}) {
    es::monte_carlo_options o = small_options(4000);
    o.noise = es::parse_weight_noise(method);
    o.spread = 0.15;  // w_a within 0.5 ± 0.075: the total stays below the 2A cut-off of 600
    const es::monte_carlo_result r = es::monte_carlo(m, d, as_of, o);
    ASSERT_EQ(r.grade[0], 1) << "on the 1A line";
    EXPECT_NEAR(r.stability(0), 0.5, 0.04) << method;  // 5 standard errors
    EXPECT_NEAR(r.probability(0, 0), 0.5, 0.04) << method;
    EXPECT_EQ(r.stability(1), 1.0) << "all scores 1: every weighting gives 1000";
    EXPECT_EQ(r.stability(2), 1.0) << "all scores 0";
  }
  // cut-off jitter alone, symmetric around an operator at exactly 800
  es::monte_carlo_options o = small_options(4000);
  o.noise = es::weight_noise::none;
  o.cutoff_jitter = 10;
  const es::monte_carlo_result r = es::monte_carlo(cutoff_model(), x_dataset({800, 850}), as_of, o);
  ASSERT_EQ(r.grade[0], 4);
  EXPECT_NEAR(r.stability(0), 0.5, 0.04);
  EXPECT_EQ(r.stability(1), 1.0);
  EXPECT_EQ(r.total_sd[1], 0.0);
}

TEST(sensitivity_monte_carlo, memory_does_not_grow_with_the_draws_beyond_the_per_draw_counts) {
  const scored& s = sample_scored();
  es::monte_carlo_options o = small_options(64);
  const es::monte_carlo_result a = es::monte_carlo(s, o);
  o.draws = 640;
  const es::monte_carlo_result b = es::monte_carlo(s, o);
  EXPECT_GT(a.memory.accumulators, s.size() * (o.bins + 2) * 2);
  EXPECT_EQ(b.memory.accumulators - a.memory.accumulators, (640u - 64u) * 6 * (8 + 4));
  EXPECT_EQ(b.memory.tile_buffers, a.memory.tile_buffers);
  EXPECT_GT(a.memory.engine_buffers, 0u);
  EXPECT_EQ(b.memory.draws - a.memory.draws, (640u - 64u) * default_model().leaf_ids().size() * 8 * (1 + s.pattern_leaves().size()));
}

TEST(sensitivity_monte_carlo, bad_options_are_refused_naming_the_option) {
  const scored& s = sample_scored();
  auto run = [&](auto change) {
    es::monte_carlo_options o = small_options(10);
    change(o);
    return [&s, o] { es::monte_carlo(s, o); };
  };
  expect_data_error(run([](auto& o) { o.draws = 0; }), "draws", "draws must be at least 1, got 0");
  expect_data_error(run([](auto& o) { o.concentration = 0; }), "concentration", "must be finite and > 0, got 0");
  expect_data_error(run([](auto& o) { o.spread = 1.0; }), "spread", "must be in [0, 1)");
  expect_data_error(run([](auto& o) { o.cutoff_jitter = -1; }), "cutoff_jitter", "got -1");
  expect_data_error(run([](auto& o) { o.quantiles = {0.5, 1.5}; }), "quantiles", "got 1.5");
  expect_data_error(run([](auto& o) { o.draws = 70000; }), "draws", "at most 65535 draws");
  expect_data_error(run([](auto& o) { o.bins = 4; }), "bins", "bins must be in 8 … 4096, got 4");
  expect_data_error(run([](auto& o) { o.interval = 1; }), "interval", "interval must be in (0, 1)");
  expect_data_error(run([](auto& o) { o.threads = 0; }), "threads", "threads must be >= 1, got 0");
  expect_data_error(run([](auto& o) { o.resolution = 0; }), "resolution", "resolution must be finite and >= 0.01 points");
  expect_data_error([] { es::parse_weight_noise("gauss"); }, "method", "unknown method \"gauss\"");
  expect_data_error(run([](auto& o) { o.first_draw = std::numeric_limits<std::uint64_t>::max() - 5; }), "first_draw",
                    "first_draw + draws must stay below 2^64");
  es::monte_carlo_options o = small_options(3);
  o.quantiles.clear();
  o.draws = 70000;  // without quantiles there is no 16-bit limit
  EXPECT_NO_THROW(es::detail::check_options(o));
}

TEST(sensitivity_monte_carlo, without_quantiles_only_the_grades_are_counted) {
  const scored& s = sample_scored();
  es::monte_carlo_options o = small_options(50);
  const es::monte_carlo_result with = es::monte_carlo(s, o);
  o.quantiles.clear();
  const es::monte_carlo_result without = es::monte_carlo(s, o);
  EXPECT_TRUE(with.counts == without.counts);
  EXPECT_TRUE(without.total_mean.empty());
  EXPECT_EQ(without.total_quantiles.size(), 0);
  EXPECT_LT(without.memory.accumulators, with.memory.accumulators);
}

TEST(sensitivity_monte_carlo, progress_is_reported_per_chunk_and_can_stop_the_run) {
  es::monte_carlo_options o = small_options(100);
  o.chunk = 30;
  std::vector<std::size_t> seen;
  o.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 100u);
    seen.push_back(done);
  };
  es::monte_carlo(sample_scored(), o);
  EXPECT_EQ(seen, (std::vector<std::size_t>{30, 60, 90, 100}));
  o.progress = [](std::size_t done, std::size_t) {
    if (done >= 60) throw std::runtime_error("stop");
  };
  EXPECT_THROW(es::monte_carlo(sample_scored(), o), std::runtime_error);
}

// ---------------------------------------------------------------------------------------------
// Near the line

TEST(sensitivity_near_line, cut_off_distances_are_computed_by_hand) {
  const model m = cutoff_model();
  const ratings r = rate(m, x_dataset({805, 897, 700, 650, 1000, 480}), as_of);
  const auto near = es::near_the_line(r, 5.0);
  std::map<std::pair<std::size_t, es::direction_t>, es::line_gate> by;
  for (const auto& g : near) by[{g.row, g.direction}] = g;
  ASSERT_EQ(near.size(), 3u);
  const auto& d0 = by.at({0, es::direction_t::down});
  EXPECT_EQ(d0.distance, 5.0);
  EXPECT_EQ(d0.kind, gate_kind::total);
  EXPECT_EQ(d0.level, grade::a4);
  EXPECT_EQ(d0.from, grade::a4);
  EXPECT_EQ(d0.to, grade::a3);
  const auto& u1 = by.at({1, es::direction_t::up});
  EXPECT_EQ(u1.distance, 3.0);
  EXPECT_EQ(u1.to, grade::a5);
  EXPECT_EQ(u1.required, 900.0);
  EXPECT_EQ(by.at({2, es::direction_t::down}).distance, 0.0);
  EXPECT_EQ(near.front().distance, 0.0) << "closest first";
  const auto wider = es::near_the_line(r, 20.0);
  const auto it = std::find_if(wider.begin(), wider.end(), [](const es::line_gate& g) { return g.row == 5; });
  ASSERT_NE(it, wider.end());
  EXPECT_EQ(it->direction, es::direction_t::up);
  EXPECT_EQ(it->distance, 20.0);
  EXPECT_EQ(it->to, grade::a1);
  es::line_gate g;
  EXPECT_FALSE(es::deciding_gate(r, 4, es::direction_t::up, g)) << "5A cannot rise";
  EXPECT_FALSE(es::deciding_gate(r, 5, es::direction_t::down, g)) << "unrated cannot fall";
  expect_data_error([&] { es::near_the_line(r, -1); }, "points", "points must be finite and >= 0");
}

TEST(sensitivity_near_line, a_dimension_floor_decides_when_it_is_closer_than_the_cut_off) {
  // 4A needs 800 in all and every dimension at 0.80 (d has 1000 points): the floor is the total
  const model m = cutoff_model(R"(
[[grades]]
grade = "5A"
min_total = 900

[[grades]]
grade = "4A"
min_total = 700
min_dimension_ratio = 0.80

[[grades]]
grade = "3A"
min_total = 600

[[grades]]
grade = "2A"
min_total = 500

[[grades]]
grade = "1A"
min_total = 400
)");
  const ratings r = rate(m, x_dataset({812}), as_of);
  es::line_gate g;
  ASSERT_TRUE(es::deciding_gate(r, 0, es::direction_t::down, g));
  EXPECT_EQ(g.kind, gate_kind::dimension_ratio);
  EXPECT_EQ(g.id, "d");
  EXPECT_EQ(g.distance, 12.0);
  EXPECT_DOUBLE_EQ(g.required, 0.80);
}

TEST(sensitivity_near_line, a_cap_holds_the_grade_so_points_cannot_lift_it) {
  const model m = cutoff_model(plain_grades(900, 800, 700, 600, 500), R"(
[[rules]]
id = "cap_low_x"
action = "cap"
grade = "3A"
when = { field = "raw.x", op = "<", value = 860 }
source = "test"
)");
  const ratings r = rate(m, x_dataset({850, 870}), as_of);
  ASSERT_EQ(r.final_grade[0], grade::a3);
  es::line_gate g;
  EXPECT_FALSE(es::deciding_gate(r, 0, es::direction_t::up, g));
  ASSERT_TRUE(es::deciding_gate(r, 0, es::direction_t::down, g));
  EXPECT_EQ(g.level, grade::a3) << "held at 3A by the cap: the 3A cut-off decides a fall";
  EXPECT_EQ(g.distance, 150.0);
  ASSERT_TRUE(es::deciding_gate(r, 1, es::direction_t::up, g));
  EXPECT_EQ(g.distance, 30.0);
}

TEST(sensitivity_near_line, raising_every_cut_off_moves_exactly_the_operators_that_near_the_line_finds_below_it) {
  const scored& s = sample_scored();
  const ratings r = regrade(s, default_model());
  const double delta = 12.0;  // in the sample, dimension floors decide most grades: one total line is within 12 points
  std::vector<std::pair<grade, double>> cut;
  for (int l = 1; l <= 5; ++l) cut.emplace_back(grade_from_level(l), 400.0 + 100.0 * l + delta);
  const model raised = default_model().with_cutoffs(cut);
  const es::comparison c = es::compare(default_model(), raised, sample(), as_of);
  std::set<std::size_t> moved;
  for (const auto& mo : c.moved) {
    moved.insert(mo.row);
    EXPECT_LT(level(mo.to), level(mo.from));
  }
  std::set<std::size_t> near_total, near_any;
  for (const auto& g : es::near_the_line(r, delta))
    if (g.direction == es::direction_t::down && g.distance < delta) {
      near_any.insert(g.row);
      if (g.kind == gate_kind::total) near_total.insert(g.row);
    }
  ASSERT_FALSE(near_total.empty()) << "the sample should have operators within 12 points of a cut-off";
  for (std::size_t i : near_total) EXPECT_TRUE(moved.count(i)) << "near the total line but did not move: " << i;
  for (std::size_t i : moved) EXPECT_TRUE(near_any.count(i)) << "moved but not near any line: " << i;
}

TEST(sensitivity_near_line, fragile_operators_come_from_the_draws_with_their_deciding_gate) {
  const scored& s = sample_scored();
  const es::monte_carlo_result mc = es::monte_carlo(s, small_options(200));
  const ratings r = regrade(s, default_model());
  const auto f = es::fragile(r, mc, 0.1);
  ASSERT_FALSE(f.empty());
  auto moved = [&](std::size_t i) { return mc.draws() - mc.counts(static_cast<Eigen::Index>(i), mc.grade[i]); };
  std::size_t last = mc.draws();
  for (const auto& g : f) {
    EXPECT_GE(moved(g.row), 20u) << "10 % of 200 draws";
    EXPECT_LE(moved(g.row), last) << "least stable first";
    last = moved(g.row);
  }
  std::size_t want = 0;
  for (std::size_t i = 0; i < mc.size(); ++i) want += moved(i) >= 20u;
  EXPECT_EQ(f.size(), want) << "every fragile operator has a gate that decides it";
  expect_data_error([&] { es::fragile(r, mc, 0); }, "share", "share must be in (0, 1]");
}

// ---------------------------------------------------------------------------------------------
// One at a time

TEST(sensitivity_oat, a_cut_off_swing_moves_the_operators_between_the_old_and_new_line) {
  const dataset d = x_dataset({785, 795, 800, 805, 815, 950});
  es::oat_options o;
  o.cutoff_delta = 10;
  const es::oat_result r = es::one_at_a_time(cutoff_model(), d, as_of, o);
  // 1 leaf (its weight cannot move), 1 dimension (cannot move), 5 cut-offs, each both ways
  ASSERT_EQ(r.variants.size(), 2u * (1 + 1 + 5));
  auto find = [&](const std::string& id, int sign) {
    for (std::size_t k = 0; k < r.variants.size(); ++k)
      if (r.variants[k].id == id && r.variants[k].sign == sign) return k;
    ADD_FAILURE() << id;
    return std::size_t{0};
  };
  const std::size_t down4 = find("4A", -1), up4 = find("4A", 1);
  EXPECT_EQ(r.variants[down4].value, 790.0);
  EXPECT_EQ(r.variants[up4].value, 810.0);
  EXPECT_EQ(r.variants[down4].moved_up, 1u);    // 795
  EXPECT_EQ(r.variants[down4].moved_down, 0u);
  EXPECT_EQ(r.variants[up4].moved_down, 2u);    // 800, 805
  EXPECT_EQ(r.grade_change(static_cast<Eigen::Index>(down4), 1), 1);
  EXPECT_EQ(r.grade_change(static_cast<Eigen::Index>(up4), 2), -1);
  EXPECT_EQ(r.grade_change(static_cast<Eigen::Index>(up4), 3), -1);
  EXPECT_EQ(r.grade_change(static_cast<Eigen::Index>(up4), 4), 0);
  for (Eigen::Index i = 0; i < 6; ++i) EXPECT_EQ(r.total_change(static_cast<Eigen::Index>(up4), i), 0) << "cut-offs move no points";
  const std::size_t w = find("xl", 1);
  EXPECT_EQ(r.variants[w].moved_up + r.variants[w].moved_down, 0u) << "the only weight cannot change";
}

TEST(sensitivity_oat, weight_swings_change_totals_as_worked_out_by_hand_and_as_the_engine_rates_the_variant) {
  const model m = two_leaf_model(600, 400);
  const dataset d = ab_dataset({0.5, 1.0, 0.25}, {1.0, 0.5, 0.125});
  es::oat_options o;
  o.delta = 0.10;
  o.cutoffs = false;
  const es::oat_result r = es::one_at_a_time(m, d, as_of, o);
  ASSERT_EQ(r.variants.size(), 2u * (2 + 1));
  // al +10 %: 660 / 340 points; operator 0: 0.5·660 + 1·340 = 670 (was 700) → −30
  const std::size_t k = 1;
  ASSERT_EQ(r.variants[k].id, "al");
  ASSERT_EQ(r.variants[k].sign, 1);
  EXPECT_NEAR(r.variants[k].value, 0.66, 1e-12);
  EXPECT_EQ(r.total_change(static_cast<Eigen::Index>(k), 0), -3000);
  EXPECT_EQ(r.total_change(static_cast<Eigen::Index>(k), 1), (660 + 170) * 100 - (600 + 200) * 100);
  // operator 2: 0.25·660 + 0.125·340 = 165 + 42.5 = 207.5; was 150 + 50 = 200
  EXPECT_EQ(r.total_change(static_cast<Eigen::Index>(k), 2), 750);
  EXPECT_EQ(r.grade_change(static_cast<Eigen::Index>(k), 0), -1) << "700 → 670 leaves 3A";
  EXPECT_NEAR(r.variants[k].mean_change, (-30.0 + 30.0 + 7.5) / 3.0, 1e-12);
  EXPECT_EQ(r.variants[k].moved_down, 1u);
  // each variant equals the engine's rating of that variant
  const std::vector<std::pair<std::string, double>> v = {{"al", 0.54}, {"bl", 0.46}};
  const ratings base = rate(m, d, as_of), variant = rate(m.with_weights(v), d, as_of);
  ASSERT_EQ(r.variants[0].id, "al");
  ASSERT_EQ(r.variants[0].sign, -1);
  for (Eigen::Index i = 0; i < 3; ++i) {
    EXPECT_EQ(r.total_change(0, i), variant.total_centi[static_cast<std::size_t>(i)] - base.total_centi[static_cast<std::size_t>(i)]);
    EXPECT_EQ(r.grade_change(0, i), level(variant.final_grade[static_cast<std::size_t>(i)]) - level(base.final_grade[static_cast<std::size_t>(i)]));
  }
}

TEST(sensitivity_oat, the_sample_swings_every_parameter_both_ways_with_the_same_result_on_two_threads) {
  const scored& s = sample_scored();
  es::oat_options o;
  const es::oat_result r1 = es::one_at_a_time(s, o);
  const std::size_t L = default_model().leaf_ids().size(), D = default_model().compiled().dimensions.size();
  ASSERT_EQ(r1.variants.size(), 2 * (L + D + 5));
  o.threads = 2;
  const es::oat_result r2 = es::one_at_a_time(s, o);
  EXPECT_TRUE(r1.total_change == r2.total_change);
  EXPECT_TRUE(r1.grade_change == r2.grade_change);
  for (std::size_t k = 0; k < r1.variants.size(); ++k) {
    EXPECT_EQ(r1.variants[k].moved_up, r2.variants[k].moved_up);
    EXPECT_EQ(r1.variants[k].mean_abs_change, r2.variants[k].mean_abs_change);
  }
  std::size_t moved = 0;
  for (const auto& v : r1.variants) moved += v.moved_up + v.moved_down;
  EXPECT_GT(moved, 0u);
}

TEST(sensitivity_oat, bad_options_are_refused_naming_the_option) {
  const scored& s = sample_scored();
  es::oat_options o;
  o.delta = 1.0;
  expect_data_error([&] { es::one_at_a_time(s, o); }, "delta", "delta must be in (0, 1)");
  o = {};
  o.cutoff_delta = 0;
  expect_data_error([&] { es::one_at_a_time(s, o); }, "cutoff_delta", "cutoff_delta must be finite and > 0");
  o = {};
  o.weights = o.dimensions = o.cutoffs = false;
  expect_data_error([&] { es::one_at_a_time(s, o); }, "parameters", "nothing to swing");
}

// ---------------------------------------------------------------------------------------------
// Comparison

TEST(sensitivity_compare, a_model_compared_with_itself_moves_nobody) {
  const es::comparison c = es::compare(default_model(), default_model(), sample(), as_of);
  EXPECT_TRUE(c.moved.empty());
  EXPECT_TRUE(c.summary.same_structure);
  std::uint64_t sum = 0, diagonal = 0;
  for (int a = 0; a < grade_count; ++a)
    for (int b = 0; b < grade_count; ++b) {
      sum += c.transitions[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)];
      if (a == b) diagonal += c.transitions[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)];
    }
  EXPECT_EQ(sum, sample().size());
  EXPECT_EQ(diagonal, sample().size());
  EXPECT_EQ(c.summary.kappa, 1.0);
  EXPECT_EQ(c.summary.weighted_kappa, 1.0);
  EXPECT_EQ(c.summary.moved, 0u);
}

TEST(sensitivity_compare, a_raised_cut_off_moves_exactly_the_operators_computed_by_hand) {
  const std::vector<double> x = {795, 800, 803, 809.99, 810, 900, 650};
  const model a = cutoff_model(), b = cutoff_model(plain_grades(900, 810, 700, 600, 500));
  const es::comparison c = es::compare(a, b, x_dataset(x), as_of);
  std::vector<std::size_t> moved;
  for (const auto& mo : c.moved) moved.push_back(mo.row);
  EXPECT_EQ(moved, (std::vector<std::size_t>{1, 2, 3}));  // 800 ≤ x < 810
  for (const auto& mo : c.moved) {
    EXPECT_EQ(mo.from, grade::a4);
    EXPECT_EQ(mo.to, grade::a3);
    ASSERT_EQ(mo.reasons.size(), 1u) << "no points changed: the total gate alone";
    const auto& why = mo.reasons[0];
    EXPECT_EQ(why.kind, es::move_reason::kind_t::gate_b);
    EXPECT_EQ(why.gate, gate_kind::total);
    EXPECT_EQ(why.target, grade::a4);
    EXPECT_NEAR(why.magnitude, 810 - x[mo.row], 1e-9);
  }
  EXPECT_EQ(c.summary.moved_down, 3u);
  EXPECT_EQ(c.summary.moved_up, 0u);
  EXPECT_EQ(c.transitions[4][3], 3u);
  EXPECT_TRUE(c.summary.same_structure);
  EXPECT_LT(c.summary.kappa, 1.0);
}

TEST(sensitivity_compare, a_new_weighting_moves_the_operators_worked_out_by_hand_with_their_indicators) {
  // A: 600/400; B: 400/600. Totals by hand: A = 600a + 400b, B = 400a + 600b
  const std::vector<double> a = {1.0, 0.5, 0.9, 0.0}, b = {0.5, 1.0, 0.9, 1.0};
  const es::comparison c = es::compare(two_leaf_model(600, 400), two_leaf_model(400, 600), ab_dataset(a, b), as_of);
  // op0: 800 → 700 (4A → 3A); op1: 700 → 800 (3A → 4A); op2: 900 → 900; op3: 400 → 600 (unrated → 2A)
  ASSERT_EQ(c.moved.size(), 3u);
  EXPECT_EQ(c.moved[0].row, 0u);
  EXPECT_EQ(c.moved[0].to, grade::a3);
  EXPECT_EQ(c.moved[1].to, grade::a4);
  EXPECT_EQ(c.moved[2].from, grade::unrated);
  EXPECT_EQ(c.moved[2].to, grade::a2);
  // op0's reasons: the 4A total gate under B (shortfall 100), then al (600 → 400) and bl (200 → 300)
  const auto& r0 = c.moved[0].reasons;
  ASSERT_EQ(r0.size(), 3u);
  EXPECT_EQ(r0[0].kind, es::move_reason::kind_t::gate_b);
  EXPECT_NEAR(r0[0].magnitude, 100.0, 1e-9);
  EXPECT_EQ(r0[1].kind, es::move_reason::kind_t::indicator);
  EXPECT_EQ(r0[1].id, "al");
  EXPECT_EQ(r0[1].a, 600.0);
  EXPECT_EQ(r0[1].b, 400.0);
  EXPECT_EQ(r0[2].id, "bl");
  EXPECT_EQ(r0[2].magnitude, 100.0);
  EXPECT_EQ(c.summary.moved_up, 2u);
  EXPECT_EQ(c.summary.moved_down, 1u);
  EXPECT_EQ(c.summary.max_shift, 2);
  EXPECT_NEAR(c.summary.mean_total_change, (-100.0 + 100.0 + 0.0 + 200.0) / 4.0, 1e-12);
}

TEST(sensitivity_compare, a_rule_added_in_the_new_model_is_the_first_reason_of_the_moves_it_causes) {
  const model a = cutoff_model();
  const model b = cutoff_model(plain_grades(900, 800, 700, 600, 500), R"(
[[rules]]
id = "new_cap"
action = "cap"
grade = "2A"
when = { field = "raw.x", op = "<", value = 850 }
source = "test"
)");
  const es::comparison c = es::compare(a, b, x_dataset({820, 700, 650, 900}), as_of);
  EXPECT_FALSE(c.summary.same_structure);
  ASSERT_EQ(c.moved.size(), 2u);  // 820 (4A → 2A), 700 (3A → 2A); 650 is 2A already
  const auto& r = c.moved[0].reasons;
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].kind, es::move_reason::kind_t::rule_b);
  EXPECT_EQ(r[0].id, "new_cap");
  EXPECT_EQ(r[0].action, "cap");
  EXPECT_EQ(r[0].magnitude, 2.0) << "4A → 2A";
  EXPECT_EQ(r.size(), 1u) << "the cap's gate is not listed again";
  EXPECT_EQ(c.moved[1].reasons[0].magnitude, 1.0);
}

TEST(sensitivity_compare, kappa_matches_values_worked_out_by_hand) {
  // 2 × 2: p_o = 0.7, p_e = (25·30 + 25·20) / 2500 = 0.5 → κ = 0.4
  const std::vector<std::vector<int>> t2 = {{20, 5}, {10, 15}};
  EXPECT_NEAR(es::cohen_kappa(t2), 0.4, 1e-12);
  EXPECT_NEAR(es::cohen_kappa(t2, es::kappa_weights::quadratic), 0.4, 1e-12) << "two categories: weights change nothing";
  // 3 × 3, quadratic weights (0, 1/4, 1): observed disagreement (2·0.25 + 1·1 + 3·0.25 + 2·0.25) / 20 = 2.75 / 20;
  // expected from rows (10, 5, 5) and columns (10, 6, 4): Σ w_ij r_i c_j / 400 = (10·6·0.25 + 10·4·1 + 5·10·0.25
  // + 5·4·0.25 + 5·10·1 + 5·6·0.25) / 400 = (15 + 40 + 12.5 + 5 + 50 + 7.5) / 400 = 130 / 400
  const std::vector<std::vector<int>> t3 = {{7, 2, 1}, {3, 2, 0}, {0, 2, 3}};
  EXPECT_NEAR(es::cohen_kappa(t3, es::kappa_weights::quadratic), 1.0 - (2.75 / 20) / (130.0 / 400), 1e-12);
  const std::vector<std::vector<int>> one = {{5, 0}, {0, 0}};
  EXPECT_EQ(es::cohen_kappa(one), 1.0) << "everyone in one category under both";
  const std::vector<std::vector<int>> empty = {{0, 0}, {0, 0}};
  expect_data_error([&] { es::cohen_kappa(empty); }, "transitions", "the table is empty");
}

}  // namespace
