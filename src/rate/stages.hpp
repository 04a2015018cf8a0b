#pragma once
// The rating pipeline as stages (SPEC §3; docs/model-format.md "Evaluation order"). Each stage is a
// function over column arrays with its own tests (tests/cpp/stages_test.cpp); src/rate.cpp is the
// orchestrator: score() runs the stages that do not depend on points once, regrade() the rest.
//
//   inputs.cpp           required columns, range checks, the operators' field source
//   rollup.cpp           facilities → operators (worst, mean, volume-weighted mean, sum)
//   review_measures.cpp  review counts → satisfaction index, rate, closure (shrunk toward the prior)
//   leaf_scores.cpp      not-applicable masks, scoring functions, missing policies, set_score
//   points.cpp           not-applicable patterns, re-allocation per pattern, points per operator
//   fired.cpp            fired rules and warnings per operator (CSR); the actions' effects are
//                        in src/rules.cpp with the action table
//   grading.cpp          thresholds per pattern, grade by score, history limits, final grade
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "../condition_eval.hpp"
#include "embedrating/dataset.hpp"
#include "embedrating/detail/bitmask.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/detail/large_buffer.hpp"
#include "embedrating/ratings.hpp"
#include "embedrating/scored.hpp"

namespace embedrating::detail {

// ---------------------------------------------------------------------------------------------
// inputs.cpp / rollup.cpp / review_measures.cpp

/// Facility columns rolled up to the operators of a row range (rows relative to its start).
struct rolled_columns {
  std::map<std::string, std::vector<double>> numbers;        ///< NaN missing
  std::map<std::string, category_column> categories;         ///< levels = the measure's levels
};

/// Review measures derived from the review count columns (SPEC §4–§5), one column per measure.
struct review_measure_columns {
  std::map<std::string, std::vector<double>> columns;  ///< by measure name ("satisfaction_index", …)
  bitmask low_volume;                                  ///< fewer valid reviews than the model's min_count
};

/// Throws data_error listing every column the model reads that the dataset lacks; adds run
/// warnings for a missing status column or missing history columns.
void check_columns(const compiled_model& cm, const dataset& d, std::vector<std::string>& run_warnings);

/// Rolls facility values up to the operators in rows [begin, begin + n) of `d`; every site value is
/// range-checked (data_error naming the facility and operator).
void roll_up(const compiled_model& cm, const dataset& d, std::size_t begin, std::size_t n, rolled_columns& out);

/// One review measure (a name of detail::review_measures) of `n` operators from the nine review
/// count columns (in the order of `review_input_columns`); false for an unknown name.
bool review_measure(const review_settings& rs, const std::array<const double*, 9>& counts, std::size_t n,
                    const std::string& name, std::vector<double>& out);
/// Operators with fewer valid reviews than the model's min_count.
void low_review_volume(const review_settings& rs, const std::array<const double*, 9>& counts, std::size_t n, bitmask& out);
/// Every review measure and the low-volume mask.
void derive_review_measures(const review_settings& rs, const std::array<const double*, 9>& counts, std::size_t n,
                     review_measure_columns& out);

/// What conditions and leaves read for rows [begin, begin + n) of a dataset: its columns, the
/// facility roll-ups, the review measures, and numeric views of flags, scenario counts, history
/// and months since a date (at `as_of`), made on first use.
class operator_inputs final : public field_source {
 public:
  operator_inputs(const compiled_model& cm, const dataset& d, civil_date as_of, std::size_t begin, std::size_t n);

  std::size_t rows() const noexcept override { return n_; }
  const double* numeric(const field_ref& f) override;
  category_view category(const std::string& name) override;
  const std::string* attribute(const std::string& name) override;
  set_view scenarios() override;
  const std::uint8_t* flag(const std::string& name) override;
  const civil_date* date(const std::string& name) override;
  civil_date as_of() const override { return as_of_; }
  const std::uint64_t* scenario_bits() override;
  /// Repeated conditions are worth remembering over many operators; for a few, keying costs more.
  std::map<std::string, bitmask>* memo() override { return n_ >= 4096 ? &memo_ : nullptr; }

  /// A raw number column (rolled up when the model's facilities give it), or nullptr.
  const double* raw_number(const std::string& name) const;
  /// Throws data_error for the first raw value outside its measure's range or category level
  /// not among its measure's levels.
  void check_ranges() const;
  /// Notes the review columns (the measures are computed when first read) and the operators with
  /// fewer valid reviews than the model's minimum.
  void derive_reviews();
  const bitmask* low_volume() const { return reviews_.low_volume.size() ? &reviews_.low_volume : nullptr; }
  /// Leaf scores (n × leaves, column-major) for score.<leaf>, once they are computed.
  void set_scores(const double* scores) noexcept { scores_ = scores; }

  const dataset& data() const noexcept { return d_; }
  std::size_t begin() const noexcept { return begin_; }
  const std::string& operator_id(std::size_t i) const { return d_.operator_ids()[begin_ + i]; }

 private:
  const compiled_model& cm_;
  const dataset& d_;
  civil_date as_of_;
  std::size_t begin_, n_;
  rolled_columns rolled_;
  review_measure_columns reviews_;
  std::array<const double*, 9> review_counts_{};
  std::map<std::string, std::vector<double>> derived_;  ///< numeric views by field text
  std::vector<std::string> status_text_;
  std::vector<std::uint32_t> scenario_offsets_;         ///< all zero when the dataset has no scenarios
  const double* scores_ = nullptr;
  std::map<std::string, bitmask> memo_;  ///< conditions evaluated so far (a model may repeat one)
};

// ---------------------------------------------------------------------------------------------
// fired.cpp, and src/rules.cpp: what rules do, through the action table (include/embedrating/rules.hpp)

/// The per-operator state rule actions write to.
struct rule_effects {
  std::size_t n = 0;
  const compiled_model* cm = nullptr;
  bitmask* vetoed = nullptr;                 ///< veto
  bitmask* terminate = nullptr;              ///< veto with terminate
  std::vector<bitmask>* node_na = nullptr;   ///< not_applicable: by node
  double* leaf_scores = nullptr;             ///< set_score: n × leaves, column-major
  std::int8_t* ceiling = nullptr;            ///< cap, hold: highest final level
  std::int8_t* down = nullptr;               ///< downgrade: levels down
  const std::int8_t* previous_grade = nullptr;  ///< hold: -1 for a first rating
  std::array<std::vector<const bitmask*>, grade_count>* prerequisites = nullptr;  ///< prerequisite: holds, by level
};

/// Builds the fired-rule CSR (rule order per operator) from the masks of every rule but
/// prerequisites (`fired[r]`, nullptr to skip); a rule with a lapse reads its date column
/// `lapse_dates[r]` (nullptr: no lapse date) and lapses `months` after it.
void fired_rules(const model_spec& s, const std::vector<const bitmask*>& fired,
                 const std::vector<const civil_date*>& lapse_dates, std::size_t n,
                 std::vector<std::uint32_t>& offsets, std::vector<fired_rule>& out);

/// Builds the warnings CSR: per operator the missing-input warnings (leaf order), then the warn
/// rules that fired (rule order), then the low-volume warning.
void operator_warnings(const model_spec& s, const std::vector<std::pair<std::uint32_t, operator_warning>>& missing,
                       const std::vector<const bitmask*>& fired, const bitmask* low_volume, std::size_t n,
                       std::vector<std::uint32_t>& offsets, std::vector<operator_warning>& out);

// ---------------------------------------------------------------------------------------------
// leaf_scores.cpp

/// Not-applicable mask of every leaf: its own and its ancestors' `not_applicable_if` conditions
/// and not_applicable rules (`node_na`, by node; empty = never).
std::vector<bitmask> leaf_not_applicable(const compiled_model& cm, const std::vector<bitmask>& node_na, std::size_t n);

/// Scores every leaf into `scores` (n × leaves, column-major, allocated by the caller): scoring
/// functions, NaN where not applicable, missing policies (data_error for a missing input under
/// "error" when the operator is graded; warnings for the others, as (row, warning) in leaf order).
void score_leaves(const compiled_model& cm, operator_inputs& in, const std::vector<bitmask>& leaf_na,
                  const bitmask& graded, double* scores,
                  std::vector<std::pair<std::uint32_t, operator_warning>>& warnings);

// ---------------------------------------------------------------------------------------------
// points.cpp

/// Operators grouped by which leaves are not applicable: pattern 0 is "everything applies".
struct na_patterns {
  std::vector<std::uint32_t> of_row;                ///< pattern id per operator
  std::vector<std::vector<std::uint8_t>> applicable;  ///< per pattern: 1 per leaf that applies
};
na_patterns find_patterns(const std::vector<bitmask>& leaf_na, std::size_t n);

/// Available centi-points per node when the leaves in `applicable` apply: nominal points, and
/// points of not-applicable nodes re-allocated pro rata to their applicable siblings (largest
/// remainder, earlier siblings first on ties), top-down from `total`.
std::vector<std::int64_t> allocate(const compiled_model& cm, const std::vector<std::int64_t>& node_points,
                                   std::int64_t total, const std::vector<std::uint8_t>& applicable);

/// What re-grading needs of one model variant: nominal points, the allocation per pattern and
/// the cumulative grade thresholds per pattern.
struct point_plan {
  std::size_t nodes = 0, leaves = 0, dims = 0, patterns = 0;
  std::vector<std::int64_t> node_points;   ///< nominal centi-points per node
  std::int64_t total = 0;
  std::vector<std::int64_t> available;     ///< patterns × nodes
  std::vector<double> leaf_available;      ///< patterns × leaves (double, for the kernels)
  std::vector<std::int32_t> leaf_dimension;  ///< dimension index per leaf
  std::vector<std::uint8_t> leaf_uniform;    ///< 1 when a leaf's available points are the same in every pattern
  /// Cumulative thresholds: level l passes when total >= min_total[l] and every dimension d
  /// has >= required[(p * 6 + l) * dims + d] (max over levels <= l, so passing is monotone).
  std::array<std::int64_t, grade_count> min_total{};
  std::vector<std::int64_t> required;      ///< patterns × 6 × dims
};
point_plan make_point_plan(const compiled_model& cm, const std::vector<std::int64_t>& node_points,
                           const std::array<double, grade_count>& min_totals, const na_patterns& patterns);
point_plan make_point_plan(const model& variant, const na_patterns& patterns);

/// Dimension and total centi-points of every operator: leaf points = round-half-up(score ×
/// available) (NaN scores earn 0), summed per dimension.
void dimension_points(const point_plan& plan, const Eigen::Ref<const Eigen::MatrixXd>& scores, const std::uint32_t* pattern,
                      std::size_t n, centi_matrix& dims, std::vector<std::int32_t>& total);

/// Earned and available centi-points of every node for one operator.
void node_points_of(const compiled_model& cm, const point_plan& plan, const double* scores_row, std::size_t stride,
                    std::uint32_t pattern, std::vector<std::int64_t>& earned, std::vector<std::int64_t>& available);

// ---------------------------------------------------------------------------------------------
// grading.cpp

/// Highest level each operator's prerequisites allow: l such that every prerequisite of levels
/// 1 … l holds (grades are cumulative); `holds[l]` lists the masks of level l's prerequisites.
void prerequisite_levels(const std::array<std::vector<const bitmask*>, grade_count>& holds, std::size_t n,
                         std::vector<std::uint8_t>& out);

/// History ceilings (SPEC §3 step 6): at most max_rise above the previous grade, no rise within N
/// months of a downgrade, a first rating at most first_rating_max.
void history_limits(const history_settings& hs, const std::int8_t* previous, const civil_date* last_downgrade,
                    std::size_t n, civil_date as_of, std::vector<grade>& limit, std::vector<civil_date>& lapses_on);

/// Grade by score and final grade of every operator.
void grade_operators(const point_plan& plan, const centi_matrix& dims, const std::vector<std::int32_t>& total,
                     const std::uint32_t* pattern, const std::uint8_t* prerequisite_level, const std::int8_t* ceiling,
                     const std::int8_t* down, const bitmask& graded, const operator_status* status, std::size_t n,
                     std::vector<grade>& by_score, std::vector<grade>& final_grade);

// ---------------------------------------------------------------------------------------------
// What score() computes once (src/rate.cpp)

struct scored_state {
  std::optional<model> scoring_model;
  civil_date as_of;
  std::string input_hash;
  std::vector<std::string> run_warnings;
  std::size_t n = 0;
  std::string structure;  ///< structure fingerprint of the model

  shared_column<std::string> operator_ids;
  shared_column<operator_status> status;
  shared_column<std::uint8_t> terminate;
  bitmask graded;  ///< active and not vetoed

  large_buffer score_memory;                               ///< owns the leaf scores
  Eigen::Map<Eigen::MatrixXd> leaf_scores{nullptr, 0, 0};  ///< n × leaves
  na_patterns patterns;

  // rules: masks of the rules that read no points; partial conditions of those that do
  std::vector<bitmask> rule_fired;                 ///< by rule (empty for prerequisites and point rules)
  std::vector<std::uint8_t> rule_reads_points;     ///< by rule
  std::vector<partial_condition> rule_partial;     ///< by rule (point rules only)
  std::vector<std::vector<civil_date>> rule_lapse; ///< by rule with a lapse, when point rules exist
  struct prerequisite_entry {
    bitmask holds;           ///< empty when it reads points
    partial_condition partial;
    bool reads_points = false;
  };
  std::array<std::vector<prerequisite_entry>, grade_count> prerequisites;  ///< compiled order per level
  std::vector<std::uint8_t> prerequisite_level;    ///< from the prerequisites that read no points
  std::vector<std::int8_t> ceiling;                ///< min(history limit, caps and holds that read no points)
  std::vector<std::int8_t> down;                   ///< downgrades that read no points
  shared_column<std::int8_t> previous_grade;
  shared_column<grade> history_limit;
  shared_column<civil_date> history_lapses_on;
  std::vector<std::pair<std::uint32_t, operator_warning>> missing_warnings;  ///< (row, warning), leaf order
  bitmask low_volume;
  bool has_point_rules = false;

  // fired rules and warnings when no rule reads points (shared by every re-grade)
  shared_column<std::uint32_t> fired_offsets;
  shared_column<fired_rule> fired;
  shared_column<std::uint32_t> warning_offsets;
  shared_column<operator_warning> warnings;
};

/// Fills `S.prerequisites` in the compiled order of each level (at most 64 a level): a
/// prerequisite rule shares its rule's mask, or its partial condition when the rule reads points;
/// every other prerequisite is filled by `own(entry, prerequisite, level)` (evaluated by the
/// rating, read by the scored archive), which sets `reads_points` and `holds` or `partial`.
/// `start(level, count)` is called before each level's entries. Returns, by level, the masks of
/// the prerequisites that read no points (for prerequisite_levels).
template <class Start, class Own>
std::array<std::vector<const bitmask*>, grade_count> fill_prerequisites(const compiled_model& cm, scored_state& S, Start&& start,
                                                                        Own&& own) {
  std::array<std::vector<const bitmask*>, grade_count> holds;
  for (int l = 1; l < grade_count; ++l) {
    const auto& list = cm.prerequisites[static_cast<std::size_t>(l)];
    auto& entries = S.prerequisites[static_cast<std::size_t>(l)];
    entries.resize(std::min<std::size_t>(list.size(), 64));
    start(l, entries.size());
    for (std::size_t k = 0; k < entries.size(); ++k) {
      auto& e = entries[k];
      if (list[k].rule >= 0) {
        const auto r = static_cast<std::size_t>(list[k].rule);
        e.reads_points = S.rule_reads_points[r] != 0;
        if (!e.reads_points) e.holds = S.rule_fired[r];
        else e.partial = S.rule_partial[r];
      } else {
        own(e, list[k], l);
      }
      if (!e.reads_points) holds[static_cast<std::size_t>(l)].push_back(&e.holds);
    }
  }
  return holds;
}

}  // namespace embedrating::detail
