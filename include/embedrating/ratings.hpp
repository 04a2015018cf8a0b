#pragma once
/// \file ratings.hpp
/// The result of a rating run (SPEC §3 step 8), as a struct of compact arrays, with per-operator
/// explanations and the gates between each operator and the next grade.
///
/// Grades, totals, dimension points, statuses, fired rules, warnings and gates are always there.
/// Points per indicator and per group are computed when asked for (`node_centi`,
/// `available_centi`, `node_points`) from the leaf scores the result shares with the `scored`
/// data it was graded from; `rate_options::keep_node_points` stores them instead.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "dataset.hpp"
#include "date.hpp"
#include "grade.hpp"
#include "model.hpp"
#include "shared_column.hpp"

namespace embedrating {

namespace detail {
struct scored_state;
struct point_plan;
}  // namespace detail

/// A rule that fired for an operator; `lapses_on` is set for time-based rules.
struct fired_rule {
  std::uint32_t rule = 0;  ///< index into model.spec().rules
  civil_date lapses_on = civil_date::missing();
  bool operator==(const fired_rule& o) const noexcept { return rule == o.rule && lapses_on == o.lapses_on; }
};

/// Non-fatal findings attached to one operator.
struct operator_warning {
  enum class kind_t : unsigned char {
    missing_fixed,     ///< a missing input was given a fixed score (indicator)
    missing_fallback,  ///< a missing input was scored from its fallback (indicator)
    missing_zero,      ///< a missing input scored zero (indicator)
    rule_warning,      ///< a warn rule fired (rule)
    low_review_volume, ///< fewer valid reviews than the model's minimum; review scores shrunk
  };
  kind_t kind;
  std::uint32_t index = 0;  ///< leaf index or rule index
  bool operator==(const operator_warning& o) const noexcept { return kind == o.kind && index == o.index; }
};

/// One gate between an operator and a grade: what is required, what the operator has, the
/// shortfall, and for time-based limits the date the limit lapses.
struct gate {
  using kind_t = gate_kind;
  kind_t kind;
  grade target = grade::a1;  ///< the grade this gate blocks
  std::string id;
  double required = 0.0;
  double actual = 0.0;
  double shortfall = 0.0;  ///< required - actual for numeric gates (points or ratio), else 0
  civil_date lapses_on = civil_date::missing();
};

enum class language : unsigned char { en, zh };

/// Centi-points per operator and dimension (int32: a model's total is at most 10^7 points).
using centi_matrix = Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic>;
/// n × leaves scores, column-major: a view of memory owned by the scored data (kept alive by the
/// `scored` or `ratings` object it came from).
using leaf_score_matrix = Eigen::Map<const Eigen::MatrixXd>;

class ratings {
 public:
  ratings() = default;

  std::size_t size() const noexcept { return operator_ids.size(); }
  /// Row of an operator id, or -1.
  std::int64_t find(const std::string& operator_id) const;

  // -- per operator (row i)
  shared_column<std::string> operator_ids;
  shared_column<operator_status> status;
  shared_column<grade> grade_by_score;
  shared_column<grade> final_grade;
  shared_column<std::uint8_t> terminate;
  shared_column<std::int32_t> total_centi;
  centi_matrix dimension_centi;                ///< n × dimensions
  shared_column<std::uint32_t> fired_offsets;  ///< CSR over `fired`, n + 1 entries
  shared_column<fired_rule> fired;
  shared_column<std::uint32_t> warning_offsets;  ///< CSR over `warnings`, n + 1 entries
  shared_column<operator_warning> warnings;
  shared_column<std::int8_t> previous_grade;     ///< input history: level, -1 for a first rating
  shared_column<grade> history_limit;            ///< grade ceiling from history (a5 = none)
  shared_column<civil_date> history_lapses_on;   ///< when a no-rise-after-downgrade limit lapses

  // -- per run
  std::optional<model> rating_model;  ///< the model that made these ratings
  civil_date as_of;
  std::string input_hash;
  std::string library_version;
  std::vector<std::string> run_warnings;  ///< e.g. as_of outside the model's effective period

  double total(std::size_t i) const { return static_cast<double>(total_centi[i]) / 100.0; }
  /// Dimension d's points ÷ its available points (NaN when nothing in it applies).
  double dimension_ratio(std::size_t i, std::size_t d) const;

  // -- indicator and node detail (leaf scores shared with the scored data)
  /// Score of leaf j in [0, 1] (after set_score rules); NaN when not applicable.
  template <class I, class J>
  double indicator_score(I i, J j) const {
    return indicator_score_at(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
  }
  /// The n × leaves matrix of leaf scores (column-major, NaN = not applicable).
  leaf_score_matrix leaf_scores() const;
  /// Points node k can earn for operator i after re-allocation of not-applicable points.
  template <class I, class K>
  std::int64_t available_centi(I i, K k) const {
    return available_centi_at(static_cast<std::size_t>(i), static_cast<std::size_t>(k));
  }
  /// Points node k earned for operator i (leaves rounded to 0.01, groups the sum of their children).
  template <class I, class K>
  std::int64_t node_centi(I i, K k) const {
    return node_centi_at(static_cast<std::size_t>(i), static_cast<std::size_t>(k));
  }
  double indicator_score_at(std::size_t i, std::size_t j) const;
  std::int64_t available_centi_at(std::size_t i, std::size_t k) const;
  std::int64_t node_centi_at(std::size_t i, std::size_t k) const;
  /// Earned and available centi-points of every node for operator i (model node order).
  void node_points(std::size_t i, std::vector<std::int64_t>& earned, std::vector<std::int64_t>& available) const;
  /// n × nodes matrices of earned and available centi-points (computed on request).
  void node_matrices(Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>& earned,
                     Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>& available) const;
  /// Bit k set: prerequisite k of grade level `lvl` (compiled order) failed for operator i.
  std::uint64_t prerequisites_failed(std::size_t i, int lvl) const;

  /// Every gate between operator i and the grade above its final grade (empty at 5A).
  std::vector<gate> gates(std::size_t i) const;
  /// Every gate between operator i and grade `target`.
  std::vector<gate> gates(std::size_t i, grade target) const;

  /// A readable explanation of operator i's rating.
  std::string explain(std::size_t i, language lang = language::en) const;
  std::string explain(const std::string& operator_id, language lang = language::en) const;

  /// Number of operators per final grade, indexed by level (0 = unrated … 5 = 5A), active only;
  /// not-active operators are counted in `not_graded`.
  struct distribution_t {
    std::size_t by_grade[grade_count] = {0, 0, 0, 0, 0, 0};
    std::size_t not_graded = 0;
  };
  distribution_t distribution() const;

  // -- internals shared with regrade()
  std::shared_ptr<const detail::scored_state> scored_state_;
  std::shared_ptr<const detail::point_plan> point_plan_;
  std::vector<std::uint8_t> prerequisite_level_;  ///< highest level whose prerequisites (and below) hold; empty: from scored
  std::vector<std::uint64_t> extra_prerequisites_failed_;  ///< n × 6, prerequisites that read points (empty if none)
  std::shared_ptr<const Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>> kept_earned_, kept_available_;
};

}  // namespace embedrating
