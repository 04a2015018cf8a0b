#pragma once
/// \file calibrate.hpp
/// Benchmark-driven recalibration (SPEC §6; Python `embedrating.calibrate`, SPEC §7; issue 12):
///
/// - **Agreement** of predicted with agreed grades: exact and within-one rates, Cohen's
///   quadratic-weighted kappa, Kendall's tau-b, the confusion matrix; against a benchmark, the
///   disagreements with each operator's gates and the panel's note.
/// - **Fitting** on scored data (scored.hpp): weights (smooth ordinal surrogate, spectral projected
///   gradient), cut-offs and dimension floors (exact, by dynamic programming over the benchmark's
///   totals and ratios), and a joint fit alternating the three. Each returns the fitted model (its
///   own version and provenance) and a report.
/// - **Cross-validation**: leave-one-out and seeded, stratified k-fold.
///
/// Formulas, objective, tie-breaking and sources: docs/calibration.md. Every function checks its
/// arguments and throws data_error (benchmark, options) or model_error (a model that cannot be
/// fitted) naming what is at fault. Deterministic: no clock, no global state, fixed-seed folds.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "grade.hpp"
#include "model.hpp"
#include "ratings.hpp"
#include "scored.hpp"

namespace embedrating::calibrate {

/// Grade codes for agreement: 0 = unrated (不予评级) … 5 = 5A; `not_graded` = the operator got no
/// grade at all (status not active, Art. 14). Unrated is the lowest category of the ordinal scale
/// (a grade outcome: below 1A's gates, capped or vetoed); not graded is not on the scale.
inline constexpr int not_graded = -1;

// ---------------------------------------------------------------------------------------------
// Benchmark
// ---------------------------------------------------------------------------------------------

/// Agreed grades of a panel (data/sample/benchmark.csv): one row per operator.
struct benchmark {
  std::vector<std::string> operator_ids;
  std::vector<grade> agreed;
  std::vector<std::string> notes;        ///< the panel's note ("" = none)
  std::vector<std::uint32_t> lines;      ///< file line of each row (0 when not from a file)
  std::string file;                      ///< for messages

  std::size_t size() const noexcept { return operator_ids.size(); }
  /// The rows in `keep` (in that order), for folds.
  benchmark subset(const std::vector<std::size_t>& keep) const;
};

/// A benchmark from arrays; throws data_error for an empty id, a duplicate id (naming both rows)
/// or arrays of different lengths. `notes` may be empty (no notes).
benchmark make_benchmark(std::vector<std::string> operator_ids, std::vector<grade> agreed,
                         std::vector<std::string> notes = {});

/// Reads a benchmark CSV: header with `operator_id` and `agreed_grade` (also `grade`), optionally
/// `panel_note` (also `note`); other columns are ignored. UTF-8 with or without BOM, or GB18030.
/// Errors name file:line:column (unknown grade, duplicate operator, missing column, empty file).
benchmark read_benchmark_csv(const std::string& path);

// ---------------------------------------------------------------------------------------------
// Agreement
// ---------------------------------------------------------------------------------------------

/// Agreement of two gradings on the ordinal scale unrated < 1A < … < 5A (codes 0 … 5).
struct agreement_result {
  std::size_t n = 0;                ///< pairs compared (a grade on both sides)
  std::size_t not_graded = 0;       ///< pairs left out: `not_graded` on either side
  std::size_t exact_count = 0;      ///< predicted == agreed
  std::size_t within_one_count = 0; ///< |predicted − agreed| <= 1
  std::size_t higher = 0, lower = 0;  ///< predicted above / below agreed
  double exact = std::numeric_limits<double>::quiet_NaN();       ///< exact_count / n
  double within_one = std::numeric_limits<double>::quiet_NaN();  ///< within_one_count / n
  /// Cohen's weighted kappa with quadratic weights (i − j)² over the six levels; 1 when the two
  /// gradings are identical (also when both sit in one category, where the formula is 0/0).
  double kappa = std::numeric_limits<double>::quiet_NaN();
  /// Kendall's tau-b; NaN when one side is constant (undefined).
  double tau_b = std::numeric_limits<double>::quiet_NaN();
  double mean_abs_error = std::numeric_limits<double>::quiet_NaN();  ///< mean |predicted − agreed| in levels
  /// confusion[a][p]: pairs with agreed level a and predicted level p.
  std::array<std::array<std::int64_t, grade_count>, grade_count> confusion{};
};

/// Agreement of `predicted` with `agreed` (codes 0 … 5 or not_graded; same length).
///
/// - kappa_w = 1 − Σ w_ij O_ij / Σ w_ij E_ij, w_ij = (i − j)², O the confusion matrix, E_ij = row_i
///   × col_j / n (Cohen 1968, Psychological Bulletin 70(4):213–220; quadratic weights: Fleiss & Cohen
///   1973, Educational and Psychological Measurement 33:613–619). The weights use the level
///   distance on the full six-level scale, so a level nobody used changes nothing.
/// - tau_b = (n_c − n_d) / √((n_0 − n_1)(n_0 − n_2)), n_0 = n(n − 1)/2, n_1 and n_2 the pairs tied
///   in agreed and in predicted (Kendall 1945, Biometrika 33(3):239–251), counted from the
///   confusion matrix.
/// Throws data_error for different lengths or a code outside −1 … 5, and when no pair has a grade
/// on both sides.
agreement_result agreement(const std::vector<int>& predicted, const std::vector<int>& agreed);

/// One benchmark operator whose final grade differs from the agreed grade.
struct disagreement {
  std::string operator_id;
  int agreed = 0;        ///< level
  int predicted = 0;     ///< final grade level, or not_graded
  int by_score = 0;      ///< grade by score level
  /// Why the operator is not at the agreed grade: below it, every gate between it and the agreed
  /// grade (ratings::gates); above it, the margins by which it passes the gates of the grade above
  /// the agreed one.
  std::vector<gate> gates;
  std::string why;       ///< the same as text, "; "-separated
  std::string note;      ///< the panel's note
};

/// A rating against a benchmark.
struct benchmark_agreement {
  agreement_result stats;
  std::vector<int> predicted;            ///< per benchmark row (final level or not_graded)
  std::vector<disagreement> disagreements;  ///< benchmark order
  std::vector<std::string> not_graded_ids;  ///< benchmark operators the model does not grade (status)
};

/// Compares ratings with a benchmark; throws data_error naming a benchmark operator missing from
/// the ratings (with the benchmark's file:line).
benchmark_agreement compare(const ratings& r, const benchmark& b);

/// Text of a gate for a disagreement ("total 812.35 < 900 (short 87.65)", "cap cap_low_review_volume").
std::string gate_text(const gate& g);

// ---------------------------------------------------------------------------------------------
// Fitting
// ---------------------------------------------------------------------------------------------

/// Bounds of one leaf's global weight (points ÷ total).
struct weight_bounds {
  std::string id;
  double lower = 0.0;
  double upper = 1.0;
};

struct fit_options {
  // -- weights (fit_weights, fit_joint)
  /// Pull toward the current weights: λ · Σ_j (points_j − current points_j)² (points²).
  double lambda = 0.02;
  /// Margin δ (points) the surrogate asks of every gate a case must pass or fail.
  double margin = 2.0;
  /// Temperature τ (points) of the soft minimum over the gates a case must fail.
  double smoothing = 1.0;
  double lower = 0.0;  ///< default lower bound of every leaf weight
  double upper = 1.0;  ///< default upper bound of every leaf weight
  std::vector<weight_bounds> bounds;  ///< per-leaf bounds (override lower/upper)
  /// Keep every dimension's points (fit the indicators within each dimension only).
  bool fixed_dimension_totals = false;
  int max_iterations = 400;
  double tolerance = 1e-7;  ///< stop when the projected-gradient step is below this (weights)
  // -- cut-offs and floors
  double cutoff_margin = 1.0;   ///< points kept between a cut-off and the nearest benchmark total when possible
  double ratio_margin = 0.005;  ///< the same for dimension floors (ratio)
  /// Pull toward the current cut-offs: ordinal errors a cut-off must save per point it moves (0.02:
  /// one error is worth 50 points).
  double cutoff_penalty = 0.02;
  /// The same for floors, per 0.01 of ratio moved (0.1: one error is worth 0.10).
  double floor_penalty = 0.1;
  bool fit_dimension_minimums = true;  ///< fit_floors: also the per-dimension minimums the model has
  // -- joint
  int rounds = 4;  ///< fit_joint: at most this many rounds of weights → cut-offs → floors
  // -- the fitted model
  std::string id;       ///< "" = the parent's id
  std::string version;  ///< "" = the parent's version + "+fit." + the first 8 hex digits of the fingerprint
};

/// One step of the objective trace.
struct trace_entry {
  int round = 0;          ///< joint fit round (0 for single fits)
  std::string step;       ///< "weights", "cutoffs", "floors"
  int iteration = 0;
  double objective = 0.0; ///< the step's objective (surrogate for weights, ordinal errors for the exact fits)
  double data = 0.0;      ///< its data part
  double penalty = 0.0;   ///< its pull toward the current model
};

/// One fitted parameter: "weights.<leaf>" (global weight), "grades.<G>.min_total",
/// "grades.<G>.min_dimension_ratio", "grades.<G>.dimension_minimums.<dimension>".
struct parameter_change {
  std::string name;
  double before = 0.0;
  double after = 0.0;
  bool moved() const noexcept { return before != after; }
};

/// A benchmark case no fitted parameter can move to its agreed grade (a rule or a history limit
/// binds), or that the model does not grade.
struct excluded_case {
  std::string operator_id;
  std::string reason;
};

struct fit_report {
  std::string method;     ///< "fit_weights", "fit_cutoffs", "fit_floors", "fit_joint"
  std::string objective;  ///< what was minimised, in words
  std::vector<trace_entry> trace;
  benchmark_agreement before;  ///< the starting model on the benchmark (exact regrade)
  benchmark_agreement after;   ///< the fitted model on the benchmark (exact regrade)
  std::vector<parameter_change> parameters;  ///< every fitted parameter, model order
  std::vector<excluded_case> excluded;       ///< cases left out of the fit, with the reason
  std::vector<std::string> warnings;
  std::size_t cases = 0;  ///< benchmark cases used
  bool converged = true;
  int iterations = 0;
  std::string parent_fingerprint;
};

struct fit_result {
  model fitted;
  fit_report report;
};

/// Weights: non-negative, summing to one (the model's total kept; each dimension's too with
/// fixed_dimension_totals), within bounds, pulled toward the scored model's weights. Minimises the
/// smoothed all-threshold ordinal loss (docs/calibration.md) by spectral projected gradient from the
/// current weights; points are then rounded to centi-points by largest remainder.
fit_result fit_weights(const scored& s, const benchmark& b, const fit_options& o = {});
/// Cut-offs (minimum totals of 1A … 5A), monotone, on the points scale: the exact minimum of the
/// all-threshold ordinal errors on the benchmark's exact totals, nearest to the current cut-offs.
fit_result fit_cutoffs(const scored& s, const benchmark& b, const fit_options& o = {});
/// Dimension floors: each grade's min_dimension_ratio and (fit_dimension_minimums) the
/// per-dimension minimums the model has, monotone over grades, exact as for cut-offs.
fit_result fit_floors(const scored& s, const benchmark& b, const fit_options& o = {});
/// Rounds of weights → cut-offs → floors while the exact ordinal errors fall; the best round wins
/// (fewest errors, then the earliest).
fit_result fit_joint(const scored& s, const benchmark& b, const fit_options& o = {});

enum class fit_method : unsigned char { weights, cutoffs, floors, joint };
const char* to_string(fit_method m) noexcept;
/// "weights", "cutoffs", "floors", "joint"; throws data_error listing them.
fit_method parse_fit_method(const std::string& name);
fit_result fit(const scored& s, const benchmark& b, fit_method method, const fit_options& o = {});

// ---------------------------------------------------------------------------------------------
// Cross-validation
// ---------------------------------------------------------------------------------------------

struct cv_options {
  fit_method method = fit_method::weights;
  int folds = 0;             ///< 0 = leave-one-out; k >= 2 = stratified k-fold
  std::uint64_t seed = 1;    ///< k-fold assignment (mt19937_64, platform-independent draws)
  fit_options fit;
  /// Warn when in-sample exact agreement or kappa exceeds the cross-validated one by more than this.
  double divergence = 0.10;
};

/// One parameter across the folds.
struct parameter_spread {
  std::string name;
  double current = 0.0;    ///< the starting model
  double in_sample = 0.0;  ///< fitted on every case
  double mean = 0.0, min = 0.0, max = 0.0;  ///< over the folds' fits
};

struct cv_result {
  std::string method;        ///< fit method
  std::string scheme;        ///< "leave-one-out" or "k-fold (k = 5, seed 1)"
  int folds = 0;
  std::vector<int> fold_of;  ///< fold of each benchmark row (−1: not used)
  benchmark_agreement current;         ///< the starting model, no fit
  benchmark_agreement in_sample;       ///< fitted on every case, judged on the same cases
  benchmark_agreement cross_validated; ///< each case predicted by the fit without its fold
  std::vector<parameter_spread> parameters;
  std::vector<std::string> warnings;   ///< divergence of in-sample and cross-validated agreement
  std::optional<fit_result> full;      ///< the fit on every case (always set)
};

/// Leave-one-out or k-fold cross-validation of a fit method: each fold is fitted from the scored
/// model on the other folds' cases and predicts its own cases by exact regrade.
cv_result cross_validate(const scored& s, const benchmark& b, const cv_options& o = {});

/// Fold of each of `n` cases with agreed levels `levels`: leave-one-out (folds = 0 or n) or
/// stratified k-fold: cases sorted by agreed level, shuffled within a level by a Fisher–Yates
/// shuffle on mt19937_64(seed) with unbiased bounded draws (rejection), dealt round-robin.
std::vector<int> assign_folds(const std::vector<int>& levels, int folds, std::uint64_t seed);

}  // namespace embedrating::calibrate
