#pragma once
/// \file scoring.hpp
/// Scoring functions: map one raw value to a score in [0, 1] (SPEC §3 step 3).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace embedrating {

enum class scoring_kind : unsigned char { linear, piecewise, steps, boolean, categorical };
/// benefit: higher raw values are better; cost: lower raw values are better.
enum class direction : unsigned char { benefit, cost };

/// One scoring function. Which members matter depends on `kind`:
/// - linear: `dir`, `lower` < `upper` (benefit: 0 at <= lower, 1 at >= upper; cost reversed);
/// - piecewise: `points` (x strictly increasing, score in [0,1]), constant beyond the ends;
/// - steps: `points` as (threshold, score), `dir`, `otherwise` — benefit: the score of the highest
///   threshold <= x; cost: the score of the lowest threshold >= x;
/// - boolean: `true_score` for a non-zero input, `false_score` for zero;
/// - categorical: `categories` (level, score), evaluated through `category_score`.
struct scoring_function {
  scoring_kind kind = scoring_kind::linear;
  direction dir = direction::benefit;
  double lower = 0.0;
  double upper = 1.0;
  std::vector<std::pair<double, double>> points;
  double otherwise = 0.0;
  double true_score = 1.0;
  double false_score = 0.0;
  std::vector<std::pair<std::string, double>> categories;
};

/// The score of a numeric raw value `x` (not NaN) under a non-categorical scoring function.
inline double score_value(const scoring_function& f, double x) noexcept {
  switch (f.kind) {
    case scoring_kind::linear: {
      const double t = (x - f.lower) / (f.upper - f.lower);
      const double s = f.dir == direction::benefit ? t : 1.0 - t;
      return std::clamp(s, 0.0, 1.0);
    }
    case scoring_kind::piecewise: {
      const auto& p = f.points;
      if (x <= p.front().first) return p.front().second;
      if (x >= p.back().first) return p.back().second;
      const auto it = std::upper_bound(p.begin(), p.end(), x,
                                       [](double v, const std::pair<double, double>& q) { return v < q.first; });
      const auto& b = *it;
      const auto& a = *(it - 1);
      return a.second + (b.second - a.second) * (x - a.first) / (b.first - a.first);
    }
    case scoring_kind::steps: {
      // benefit: thresholds descending, first with x >= t; cost: ascending, first with x <= t.
      for (const auto& [t, s] : f.points) {
        if (f.dir == direction::benefit ? x >= t : x <= t) return s;
      }
      return f.otherwise;
    }
    case scoring_kind::boolean:
      return x != 0.0 ? f.true_score : f.false_score;
    case scoring_kind::categorical:
      break;
  }
  return 0.0;
}

/// The score of a category level under a categorical scoring function; -1 if the level is not mapped.
inline double category_score(const scoring_function& f, const std::string& level) noexcept {
  for (const auto& [name, s] : f.categories)
    if (name == level) return s;
  return -1.0;
}

}  // namespace embedrating
