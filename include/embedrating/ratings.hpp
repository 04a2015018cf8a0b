#pragma once
/// \file ratings.hpp
/// The result of a rating run (SPEC §3 step 8), as a struct of arrays, with per-operator
/// explanations and the gates between each operator and the next grade.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "dataset.hpp"
#include "date.hpp"
#include "grade.hpp"
#include "model.hpp"

namespace embedrating {

/// A rule that fired for an operator; `lapses_on` is set for time-based rules.
struct fired_rule {
  std::uint32_t rule = 0;  ///< index into model.spec().rules
  civil_date lapses_on = civil_date::missing();
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
};

/// One gate between an operator and a grade: what is required, what the operator has, the
/// shortfall, and for time-based limits the date the limit lapses.
struct gate {
  enum class kind_t : unsigned char {
    status,            ///< not active: not graded
    veto,              ///< an Art. 16 veto (id = rule)
    total,             ///< minimum total points
    dimension_ratio,   ///< every dimension's minimum ratio (id = dimension)
    dimension_minimum, ///< a per-dimension minimum (id = dimension)
    prerequisite,      ///< a prerequisite of the grade (id = prerequisite)
    cap,               ///< a cap rule below the grade (id = rule)
    history,           ///< a history limit (id = "max_rise" | "no_rise_after_downgrade" | "first_rating")
    downgrade,         ///< a downgrade rule (id = rule)
  };
  kind_t kind;
  grade target = grade::a1;  ///< the grade this gate blocks
  std::string id;
  double required = 0.0;
  double actual = 0.0;
  double shortfall = 0.0;  ///< required - actual for numeric gates (points or ratio), else 0
  civil_date lapses_on = civil_date::missing();
};

enum class language : unsigned char { en, zh };

class ratings {
 public:
  ratings() = default;

  std::size_t size() const noexcept { return operator_ids.size(); }
  std::int64_t find(const std::string& operator_id) const;

  // -- per operator (row i)
  std::vector<std::string> operator_ids;
  std::vector<operator_status> status;
  std::vector<grade> grade_by_score;
  std::vector<grade> final_grade;
  std::vector<std::uint8_t> terminate;
  std::vector<std::int64_t> total_centi;
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic> dimension_centi;  ///< n × dimensions
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic> available_centi;  ///< n × nodes: points after re-allocation
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic> node_centi;       ///< n × nodes: points earned
  Eigen::MatrixXd indicator_score;  ///< n × leaves: score in [0,1]; NaN when not applicable
  std::vector<std::uint64_t> prerequisites_failed;  ///< n × 6 (by grade level): bit k = prerequisite k failed
  std::vector<std::uint32_t> fired_offsets;  ///< CSR over `fired`, n + 1 entries
  std::vector<fired_rule> fired;
  std::vector<std::uint32_t> warning_offsets;  ///< CSR over `warnings`, n + 1 entries
  std::vector<operator_warning> warnings;
  std::vector<std::int8_t> previous_grade;     ///< input history: level, -1 for a first rating
  std::vector<grade> history_limit;            ///< grade ceiling from history (a5 = none)
  std::vector<civil_date> history_lapses_on;   ///< when a no-rise-after-downgrade limit lapses

  // -- per run
  std::optional<model> rating_model;  ///< the model that made these ratings
  civil_date as_of;
  std::string input_hash;
  std::string library_version;
  std::vector<std::string> run_warnings;  ///< e.g. as_of outside the model's effective period

  double total(std::size_t i) const { return static_cast<double>(total_centi[i]) / 100.0; }
  /// Dimension d's points ÷ its available points.
  double dimension_ratio(std::size_t i, std::size_t d) const;

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
};

}  // namespace embedrating
