// Tests of include/embedrating/scoring.hpp (score_value, category_score) and of the column kernel
// detail::score_column, which must agree with score_value bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "embedrating/detail/kernels.hpp"
#include "embedrating/scoring.hpp"

namespace {

using embedrating::category_score;
using embedrating::direction;
using embedrating::score_value;
using embedrating::scoring_function;
using embedrating::scoring_kind;

scoring_function linear(direction d, double lo, double hi) {
  scoring_function f;
  f.kind = scoring_kind::linear;
  f.dir = d;
  f.lower = lo;
  f.upper = hi;
  return f;
}

scoring_function piecewise(std::vector<std::pair<double, double>> pts) {
  scoring_function f;
  f.kind = scoring_kind::piecewise;
  f.points = std::move(pts);
  return f;
}

scoring_function steps(direction d, std::vector<std::pair<double, double>> pts, double otherwise) {
  scoring_function f;
  f.kind = scoring_kind::steps;
  f.dir = d;
  f.points = std::move(pts);
  f.otherwise = otherwise;
  return f;
}

scoring_function boolean(double t, double fl) {
  scoring_function f;
  f.kind = scoring_kind::boolean;
  f.true_score = t;
  f.false_score = fl;
  return f;
}

std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

}  // namespace

TEST(scoring, linear_benefit_bounds_and_between) {
  const auto f = linear(direction::benefit, 60.0, 95.0);
  EXPECT_EQ(score_value(f, 0.0), 0.0);
  EXPECT_EQ(score_value(f, 59.999), 0.0);
  EXPECT_EQ(score_value(f, 60.0), 0.0);
  EXPECT_EQ(score_value(f, 95.0), 1.0);
  EXPECT_EQ(score_value(f, 100.0), 1.0);
  EXPECT_DOUBLE_EQ(score_value(f, 77.5), 0.5);
  EXPECT_DOUBLE_EQ(score_value(f, 67.0), 0.2);
  EXPECT_DOUBLE_EQ(score_value(f, 88.0), 0.8);
  // strictly increasing inside the interval
  EXPECT_LT(score_value(f, 70.0), score_value(f, 70.5));
}

TEST(scoring, linear_cost_bounds_and_between) {
  const auto f = linear(direction::cost, 0.0, 4.0);
  EXPECT_EQ(score_value(f, -1.0), 1.0);
  EXPECT_EQ(score_value(f, 0.0), 1.0);
  EXPECT_EQ(score_value(f, 4.0), 0.0);
  EXPECT_EQ(score_value(f, 10.0), 0.0);
  EXPECT_DOUBLE_EQ(score_value(f, 1.0), 0.75);
  EXPECT_DOUBLE_EQ(score_value(f, 3.0), 0.25);
  EXPECT_GT(score_value(f, 2.0), score_value(f, 2.5));
}

TEST(scoring, linear_fractional_bounds) {
  const auto f = linear(direction::benefit, 0.8, 1.0);
  EXPECT_EQ(score_value(f, 0.8), 0.0);
  EXPECT_EQ(score_value(f, 1.0), 1.0);
  EXPECT_NEAR(score_value(f, 0.9), 0.5, 1e-12);
  EXPECT_NEAR(score_value(f, 0.95), 0.75, 1e-12);
}

TEST(scoring, piecewise_ends_knots_and_interpolation) {
  const auto f = piecewise({{0.0, 0.0}, {10.0, 0.5}, {20.0, 0.9}, {40.0, 1.0}});
  // constant beyond the ends
  EXPECT_EQ(score_value(f, -5.0), 0.0);
  EXPECT_EQ(score_value(f, 0.0), 0.0);
  EXPECT_EQ(score_value(f, 40.0), 1.0);
  EXPECT_EQ(score_value(f, 1e9), 1.0);
  // exactly at interior knots
  EXPECT_DOUBLE_EQ(score_value(f, 10.0), 0.5);
  EXPECT_DOUBLE_EQ(score_value(f, 20.0), 0.9);
  // between knots
  EXPECT_DOUBLE_EQ(score_value(f, 5.0), 0.25);
  EXPECT_DOUBLE_EQ(score_value(f, 15.0), 0.7);
  EXPECT_DOUBLE_EQ(score_value(f, 30.0), 0.95);
}

TEST(scoring, piecewise_non_monotone_scores_and_constant_ends) {
  // Scores need not increase: a peak in the middle (e.g. a ratio where too much is also bad).
  const auto f = piecewise({{0.5, 0.2}, {1.0, 1.0}, {1.5, 0.4}});
  EXPECT_EQ(score_value(f, 0.0), 0.2);
  EXPECT_EQ(score_value(f, 3.0), 0.4);
  EXPECT_DOUBLE_EQ(score_value(f, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(score_value(f, 0.75), 0.6);
  EXPECT_DOUBLE_EQ(score_value(f, 1.25), 0.7);
}

TEST(scoring, piecewise_two_points) {
  const auto f = piecewise({{1.0, 0.0}, {3.0, 1.0}});
  EXPECT_EQ(score_value(f, 1.0), 0.0);
  EXPECT_EQ(score_value(f, 3.0), 1.0);
  EXPECT_DOUBLE_EQ(score_value(f, 2.0), 0.5);
}

TEST(scoring, steps_benefit_exactly_at_thresholds_and_otherwise) {
  // scenario_mix of the default model: thresholds descending.
  const auto f = steps(direction::benefit, {{6, 1.0}, {5, 0.9}, {4, 0.8}, {3, 0.6}}, 0.1);
  EXPECT_EQ(score_value(f, 7.0), 1.0);
  EXPECT_EQ(score_value(f, 6.0), 1.0);   // exactly at a threshold: that step
  EXPECT_EQ(score_value(f, 5.999), 0.9);
  EXPECT_EQ(score_value(f, 5.0), 0.9);
  EXPECT_EQ(score_value(f, 4.5), 0.8);
  EXPECT_EQ(score_value(f, 4.0), 0.8);
  EXPECT_EQ(score_value(f, 3.0), 0.6);
  EXPECT_EQ(score_value(f, 2.999), 0.1);  // below every threshold: otherwise
  EXPECT_EQ(score_value(f, -100.0), 0.1);
}

TEST(scoring, steps_cost_exactly_at_thresholds_and_otherwise) {
  // fire_hazards of the default model: thresholds ascending, lowest t >= x wins.
  const auto f = steps(direction::cost, {{0, 1.0}, {1, 0.6}, {2, 0.3}}, 0.05);
  EXPECT_EQ(score_value(f, -1.0), 1.0);
  EXPECT_EQ(score_value(f, 0.0), 1.0);
  EXPECT_EQ(score_value(f, 0.5), 0.6);
  EXPECT_EQ(score_value(f, 1.0), 0.6);
  EXPECT_EQ(score_value(f, 1.5), 0.3);
  EXPECT_EQ(score_value(f, 2.0), 0.3);
  EXPECT_EQ(score_value(f, 2.001), 0.05);  // above every threshold: otherwise
  EXPECT_EQ(score_value(f, 50.0), 0.05);
}

TEST(scoring, steps_default_otherwise_is_zero) {
  auto f = steps(direction::benefit, {{90, 1.0}, {75, 0.8}, {60, 0.6}}, 0.0);
  scoring_function fresh;
  EXPECT_EQ(fresh.otherwise, 0.0);
  EXPECT_EQ(score_value(f, 59.0), 0.0);
  EXPECT_EQ(score_value(f, 75.0), 0.8);
  EXPECT_EQ(score_value(f, 89.99), 0.8);
  EXPECT_EQ(score_value(f, 90.0), 1.0);
}

TEST(scoring, boolean_true_for_nonzero) {
  const auto f = boolean(0.9, 0.2);
  EXPECT_EQ(score_value(f, 1.0), 0.9);
  EXPECT_EQ(score_value(f, 0.0), 0.2);
  EXPECT_EQ(score_value(f, -0.0), 0.2);
  EXPECT_EQ(score_value(f, 2.0), 0.9);
  EXPECT_EQ(score_value(f, -1.0), 0.9);
  const auto d = boolean(1.0, 0.0);
  EXPECT_EQ(score_value(d, 1.0), 1.0);
  EXPECT_EQ(score_value(d, 0.0), 0.0);
}

TEST(scoring, categorical_score_maps_levels_and_reports_unmapped) {
  scoring_function f;
  f.kind = scoring_kind::categorical;
  f.categories = {{"A", 1.0}, {"B", 0.75}, {"C", 0.4}};
  EXPECT_EQ(category_score(f, "A"), 1.0);
  EXPECT_EQ(category_score(f, "B"), 0.75);
  EXPECT_EQ(category_score(f, "C"), 0.4);
  EXPECT_EQ(category_score(f, "D"), -1.0);
  EXPECT_EQ(category_score(f, ""), -1.0);
  EXPECT_EQ(category_score(f, "a"), -1.0);  // case-sensitive
}

TEST(scoring, score_column_matches_score_value_bit_for_bit) {
  std::mt19937_64 rng(7u);
  std::uniform_real_distribution<double> wide(-50.0, 150.0);
  const std::vector<scoring_function> fns = {
      linear(direction::benefit, 60.0, 95.0),
      linear(direction::cost, 0.0, 4.0),
      linear(direction::benefit, 0.8, 1.0),
      linear(direction::cost, 0.1, 0.3),
      piecewise({{0.0, 0.0}, {10.0, 0.5}, {20.0, 0.9}, {40.0, 1.0}}),
      piecewise({{0.5, 0.2}, {1.0, 1.0}, {1.5, 0.4}}),
      steps(direction::benefit, {{90, 1.0}, {75, 0.8}, {60, 0.6}}, 0.1),
      steps(direction::cost, {{0, 1.0}, {1, 0.6}, {2, 0.3}}, 0.0),
      boolean(0.9, 0.2),
  };
  // Sizes that exercise vector bodies and scalar tails.
  for (const std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{8}, std::size_t{17}, std::size_t{1000},
                              std::size_t{4099}}) {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) {
      switch (i % 7) {
        case 0: x[i] = std::round(wide(rng)); break;  // integers hit thresholds and knots
        case 1: x[i] = wide(rng) / 100.0; break;      // fractions near [0, 1]
        case 2: x[i] = 0.0; break;
        case 3: x[i] = std::nextafter(60.0, 0.0); break;
        default: x[i] = wide(rng); break;
      }
    }
    for (std::size_t k = 0; k < fns.size(); ++k) {
      std::vector<double> out(n, -7.0);
      embedrating::detail::score_column(fns[k], x.data(), n, out.data());
      for (std::size_t i = 0; i < n; ++i) {
        const double expected = score_value(fns[k], x[i]);
        ASSERT_EQ(bits(out[i]), bits(expected))
            << "function " << k << ", n=" << n << ", i=" << i << ", x=" << x[i] << ": " << out[i] << " vs " << expected;
      }
    }
  }
}

TEST(scoring, score_column_passes_nan_through) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<scoring_function> fns = {
      linear(direction::benefit, 0.0, 1.0),
      linear(direction::cost, 0.0, 1.0),
      piecewise({{0.0, 0.0}, {1.0, 1.0}}),
      steps(direction::benefit, {{1, 1.0}}, 0.3),
      steps(direction::cost, {{1, 1.0}}, 0.3),
      boolean(1.0, 0.0),
  };
  std::vector<double> x = {0.5, nan, 2.0, nan, nan, -1.0, 0.0, nan, 1.0, 0.25, nan};
  for (std::size_t k = 0; k < fns.size(); ++k) {
    std::vector<double> out(x.size(), -7.0);
    embedrating::detail::score_column(fns[k], x.data(), x.size(), out.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (std::isnan(x[i])) {
        EXPECT_TRUE(std::isnan(out[i])) << "function " << k << ", i=" << i << " gave " << out[i];
      } else {
        EXPECT_EQ(bits(out[i]), bits(score_value(fns[k], x[i]))) << "function " << k << ", i=" << i;
        EXPECT_GE(out[i], 0.0);
        EXPECT_LE(out[i], 1.0);
      }
    }
  }
}

TEST(scoring, score_column_empty_input_writes_nothing) {
  double sentinel = 42.0;
  const double x = 1.0;
  embedrating::detail::score_column(linear(direction::benefit, 0.0, 1.0), &x, 0, &sentinel);
  EXPECT_EQ(sentinel, 42.0);
}
