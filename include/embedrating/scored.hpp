#pragma once
/// \file scored.hpp
/// Score once, re-grade many (SPEC §7; DESIGN "Second wave").
///
/// `score(model, dataset, as_of)` runs the part of a rating that does not depend on points: roll-up
/// of facilities, review measures, conditions, leaf scores, not-applicable patterns, every rule
/// that reads no points, history limits and the input hash. `regrade(scored, variant)` finishes
/// the rating under a variant of the model that differs only in numbers that set points and
/// thresholds — indicator and dimension points, cut-offs, dimension floors and minimums, and the
/// values that rules compare total, dim.* and group scores with — and gives exactly what
/// `rate(variant, dataset, as_of)` gives (`rate` is `regrade(score(...), model)`). A variant that
/// differs in anything else is refused, naming the difference.
///
/// `regrade_many(scored, weights)` grades K weight vectors at once in cache-sized tiles of
/// operators, without a K × N matrix of doubles; the result is identical for any thread count.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "dataset.hpp"
#include "date.hpp"
#include "model.hpp"
#include "ratings.hpp"

namespace embedrating {

class review_aggregator;
class holiday_calendar;

namespace detail {
struct scored_state;
}

struct score_options {
  bool compute_input_hash = true;  ///< SHA-256 of the dataset (cached with the dataset), recorded in results
  /// Review events: when set, their summary at as_of (this calendar's working days; nullptr: China's
  /// official calendar) replaces the dataset's review columns (the dataset itself is not changed;
  /// the input hash is that of the inputs as rated). Every operator must be in the aggregator.
  const review_aggregator* reviews = nullptr;
  const holiday_calendar* calendar = nullptr;
};

/// The weight-independent part of a rating of one dataset at one date. Immutable, cheap to copy,
/// safe to share between threads; it keeps no reference to the dataset.
class scored {
 public:
  scored() = default;
  explicit scored(std::shared_ptr<const detail::scored_state> state) : state_(std::move(state)) {}

  std::size_t size() const noexcept;
  const model& scoring_model() const;
  civil_date as_of() const;
  const std::string& input_hash() const;
  const std::vector<std::string>& operator_ids() const;
  /// n × leaves scores in [0, 1] after set_score rules; NaN where a leaf is not applicable.
  leaf_score_matrix leaf_scores() const;
  /// The not-applicable pattern of each operator (0: every leaf applies) and, per pattern, the
  /// leaves that apply (1) or not (0).
  const std::vector<std::uint32_t>& patterns() const;
  const std::vector<std::vector<std::uint8_t>>& pattern_leaves() const;
  /// Active and not vetoed (only these get a grade above unrated).
  bool graded(std::size_t i) const;
  /// Each operator's status (Art. 14).
  const shared_column<operator_status>& status() const;
  /// Warnings of the run (e.g. as_of outside the model's effective period, no status column).
  const std::vector<std::string>& run_warnings() const;
  /// True if some rule or prerequisite compares total, dim.* or a group's score (re-grading then
  /// re-evaluates those conditions; regrade_many does so exactly, more slowly).
  bool has_point_rules() const;
  /// Structure fingerprint of the scored model (docs/fingerprint.md).
  const std::string& structure_fingerprint() const;

  const std::shared_ptr<const detail::scored_state>& state() const noexcept { return state_; }

 private:
  std::shared_ptr<const detail::scored_state> state_;
};

/// Scores every operator of `data` at `as_of` (the weight-independent stages of rate()).
scored score(const model& m, const dataset& data, civil_date as_of, const score_options& options = {});
/// Frees the memory kept for reuse by the large arrays of earlier ratings (the leaf-score
/// matrices; see detail/large_buffer.hpp). Ratings still alive keep theirs.
void release_cached_memory() noexcept;

/// Scores row `row` alone (what rate_one grades).
scored score_one(const model& m, const dataset& data, std::size_t row, civil_date as_of,
                 const score_options& options = {});

struct regrade_options {
  bool keep_node_points = false;  ///< store n × nodes earned/available matrices in the result
};

/// The ratings of `variant` on the scored data: identical to rate(variant, dataset, as_of).
/// Throws model_error naming the first difference when the variant's structure differs.
ratings regrade(const scored& s, const model& variant, const regrade_options& options = {});

/// Centi-points each leaf can earn under `variant` (same structure as the scored model) for each
/// not-applicable pattern of the scored operators: patterns × leaves (patterns() gives each
/// operator's row; a not-applicable leaf has 0, its points re-allocated to its siblings). An
/// operator's total is Σ_leaf round-half-up(score × this) — without the rounding, a linear
/// function of the weights, which is what fitting and sensitivity analyses work with.
Eigen::MatrixXd leaf_available(const scored& s, const model& variant);

/// The first difference between two models in anything but points and thresholds ("" if none):
/// e.g. "rules.food_c_cap.when: field raw.food_grade differs".
std::string structure_difference(const model& a, const model& b);

/// K variants for regrade_many: global leaf weights (K × leaves, each row non-negative and summing
/// to 1 within 1e-9; leaf points = weight × the model's total, rounded to 0.01 as
/// model::with_weights does, groups and dimensions their children's sums), and optionally
/// per-variant cut-offs (K × 5: minimum totals of 1A … 5A, non-decreasing).
struct regrade_batch {
  Eigen::MatrixXd weights;
  Eigen::MatrixXd min_totals;  ///< empty: the model's cut-offs
};

struct regrade_many_options {
  bool totals = false;           ///< also return total centi-points per variant and operator
  int threads = 1;               ///< worker threads over tiles (results do not depend on it)
  std::size_t tile_rows = 0;     ///< operators per tile (0: sized to the L2 cache)
};

/// One tile of a regrade_many run: variants [k0, k1) × operators rows[0 .. count) (original row
/// numbers); the final grade level (0 = unrated … 5 = 5A) of variant k and operator rows[r] is
/// grades[(k - k0) * stride + r] and, when asked, its total in centi-points likewise.
struct regrade_tile {
  std::size_t k0 = 0, k1 = 0, count = 0, stride = 0;
  const std::uint32_t* rows = nullptr;
  const std::int8_t* grades = nullptr;
  const std::int32_t* totals = nullptr;
  int worker = 0;  ///< 0 … threads - 1: the thread handing over the tile
};

/// K × N final grade levels (row k = variant k), and K × N totals when asked.
struct regrade_many_result {
  Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> grades;
  Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> totals;
};

regrade_many_result regrade_many(const scored& s, const regrade_batch& batch, const regrade_many_options& options = {});

/// The streaming form: hands each tile to `sink` (called from `options.threads` threads at once,
/// each with its `worker` index; tiles arrive in no fixed order). Memory does not grow with K.
void regrade_many(const scored& s, const regrade_batch& batch, const regrade_many_options& options,
                  const std::function<void(const regrade_tile&)>& sink);

}  // namespace embedrating
