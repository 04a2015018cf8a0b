#pragma once
/// \file sensitivity.hpp
/// How stable is each grade, and who moves under a new model (SPEC §6–§7; Python
/// `embedrating.sensitivity`; issue 13). Every analysis is built on score once, re-grade many
/// (scored.hpp): the weight-independent part of the rating is computed once, and grades come from
/// `regrade_many` tiles or `regrade`, so they equal `rate()` of each variant exactly.
///
/// - **Monte Carlo over weights** (`monte_carlo`): K weight vectors drawn around the model's global
///   weights — Dirichlet with a given concentration, or each weight × U(1 − x, 1 + x)
///   renormalised — optionally with the cut-offs jittered; per operator the probability of each
///   grade, the modal grade, the stability (probability of its current grade) and quantiles of its
///   total; for the population the expected number of operators per grade with an interval.
///   Draws come from Philox4x32-10 keyed by (seed, draw index): identical on every platform and for
///   any number of threads, tile size or chunking. Memory: O(N × bins) accumulators, never a
///   draws × operators matrix.
/// - **Near the line** (`near_the_line`, `line_gate`): operators within x points of the gate that
///   decides their grade (a cut-off, a dimension floor or minimum), up or down.
/// - **One-at-a-time swings** (`one_at_a_time`): each leaf weight, dimension total and cut-off
///   moved by ±δ (the other weights renormalised) → change in total and grade per operator, and a
///   population summary per parameter (a tornado chart).
/// - **Model comparison** (`compare`): the grade transition matrix, the operators that moved with
///   the rules, gates and indicators that account for each move, and agreement statistics (Cohen's
///   kappa, quadratic-weighted kappa).
///
/// Methods, sources and error bounds: docs/sensitivity.md. Invalid parameters throw
/// embedrating::data_error naming the parameter (error_location::field). Thread-safe: no global state.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "dataset.hpp"
#include "date.hpp"
#include "errors.hpp"
#include "grade.hpp"
#include "model.hpp"
#include "ratings.hpp"
#include "rules.hpp"
#include "scored.hpp"

namespace embedrating::sensitivity {

/// Counts per grade level (0 = unrated, 1 = 1A … 5A).
using grade_counts = std::array<std::uint64_t, grade_count>;
/// A grade transition matrix: [level under model A][level under model B].
using transition_matrix = std::array<std::array<std::uint64_t, grade_count>, grade_count>;

// ---------------------------------------------------------------------------------------------
// Monte Carlo over weights
// ---------------------------------------------------------------------------------------------

/// How the weights of each draw are made from the model's global leaf weights w.
enum class weight_noise : unsigned char {
  dirichlet,  ///< w' ~ Dirichlet(concentration × w): mean w, Var(w'_j) = w_j (1 − w_j) / (concentration + 1)
  uniform,    ///< w'_j ∝ w_j × U(1 − spread, 1 + spread), independent per leaf, renormalised to sum 1
  none,       ///< w' = w (only the cut-offs move, with cutoff_jitter > 0)
};

const char* to_string(weight_noise n) noexcept;
/// "dirichlet", "uniform" or "none"; data_error (field "method") otherwise.
weight_noise parse_weight_noise(const std::string& name);

struct monte_carlo_options {
  std::size_t draws = 1000;    ///< K, at least 1
  std::uint64_t seed = 0;      ///< with the draw index, the key of every random number
  /// Index of this run's first draw: the run makes draws first_draw … first_draw + draws − 1 of
  /// the seed's sequence, so runs over consecutive ranges (one per machine, embedrating.dask)
  /// together hold exactly the draws, grade counts and per-draw rows of one run over the whole
  /// range. (Total quantiles use histogram windows from the run's own draws: split runs differ there.)
  std::uint64_t first_draw = 0;
  weight_noise noise = weight_noise::dirichlet;
  double concentration = 200.0;  ///< Dirichlet: α_j = concentration × w_j (> 0; larger is tighter)
  double spread = 0.10;          ///< uniform: relative half-width x in [0, 1)
  double cutoff_jitter = 0.0;    ///< points: each cut-off (1A … 5A) + U(−x, x), then kept non-decreasing and ≥ 0
  /// Probabilities of the per-operator total quantiles, each in [0, 1]; empty: none (no totals
  /// are computed, which is faster). With quantiles, draws are limited to 65 535.
  std::vector<double> quantiles = {0.05, 0.25, 0.5, 0.75, 0.95};
  double resolution = 0.5;   ///< finest histogram bin width in points (>= 0.01)
  std::size_t bins = 128;    ///< histogram bins per operator (8 … 4096)
  double window_sd = 6.0;    ///< each operator's histogram spans mean ± window_sd × sd (> 0)
  double interval = 0.95;    ///< central interval of the population counts per grade, in (0, 1)
  int threads = 1;           ///< regrade_many worker threads (results do not depend on it)
  std::size_t tile_rows = 0; ///< regrade_many operators per tile (0: its default; results do not depend on it)
  std::size_t chunk = 256;   ///< draws per regrade_many call (progress granularity; results do not depend on it)
  /// Called on the calling thread after each chunk with (draws done, draws in all); may throw to
  /// stop the run (the exception propagates).
  std::function<void(std::size_t, std::size_t)> progress;
};

/// Bytes held by an analysis (the "peak memory" of a run, by part).
struct memory_report {
  std::size_t accumulators = 0;    ///< per-operator and per-draw accumulators (grade counts, histograms, …)
  std::size_t draws = 0;           ///< the drawn weights and cut-offs, and points per pattern and draw
  std::size_t tile_buffers = 0;    ///< this analysis's per-worker tile buffers
  std::size_t engine_buffers = 0;  ///< regrade_many's per-call buffers (from its allocation pattern; an estimate)
  std::size_t total() const noexcept { return accumulators + draws + tile_buffers + engine_buffers; }
};

/// Per-grade summary of the population over the draws.
struct population_grade {
  double current = 0;   ///< operators with this grade under the model itself
  double expected = 0;  ///< mean over the draws
  double low = 0, high = 0;  ///< central `interval` of the count over the draws (linear interpolation, as numpy's default)
};

struct monte_carlo_result {
  monte_carlo_options options;  ///< as run (without the progress callback)
  std::string model_fingerprint;
  civil_date as_of;
  std::vector<std::string> operator_ids;
  std::vector<std::string> leaf_ids;
  std::vector<double> model_weights;  ///< the centre of the draws
  Eigen::MatrixXd weights;            ///< K × leaves: the weights of each draw (rows sum to 1)
  Eigen::MatrixXd cutoffs;            ///< K × 5 minimum totals 1A … 5A of each draw (empty without cut-off jitter)

  std::vector<std::int8_t> grade;     ///< current final grade level of each operator (the model itself)
  std::vector<std::uint8_t> active;   ///< status active (Art. 14); the others are never graded
  std::vector<double> total;          ///< current total points (exact, as rate())
  /// N × 6: in how many draws each operator got each final grade level (row-major).
  Eigen::Matrix<std::uint32_t, Eigen::Dynamic, grade_count, Eigen::RowMajor> counts;

  // -- totals over the draws, unrounded (Σ score × available points, before the 0.01 rounding of
  //    each leaf's points: within leaves × 0.005 points of the exact total); empty without quantiles
  std::vector<double> total_mean, total_sd;  ///< exact mean and standard deviation over the draws
  std::vector<double> total_min, total_max;  ///< exact
  Eigen::MatrixXd total_quantiles;           ///< N × quantiles (histogram estimate, see `resolution`)
  std::vector<double> resolution;            ///< bin width in points: each quantile is within one bin of the empirical one
  std::vector<std::uint32_t> clipped;        ///< draws whose total fell outside the operator's histogram window

  /// K × 6: operators per final grade level in each draw (not-active operators count as unrated).
  Eigen::Matrix<std::uint32_t, Eigen::Dynamic, grade_count, Eigen::RowMajor> per_draw;
  std::array<population_grade, grade_count> population;  ///< active operators only
  std::size_t not_graded = 0;                              ///< operators that are not active

  memory_report memory;
  std::string kernel_isa;  ///< the instruction set of the tile kernels that ran ("avx512", "avx2", "generic")

  std::size_t size() const noexcept { return operator_ids.size(); }
  std::size_t draws() const noexcept { return static_cast<std::size_t>(weights.rows()); }
  /// Probability of grade level `lvl` for operator i.
  double probability(std::size_t i, int lvl) const {
    return static_cast<double>(counts(static_cast<Eigen::Index>(i), lvl)) / static_cast<double>(draws());
  }
  /// Probability of the operator's current grade.
  double stability(std::size_t i) const { return probability(i, grade[i]); }
  /// The most frequent grade level (ties: the current grade, then the lower level).
  int modal(std::size_t i) const {
    int best = grade[i];
    for (int l = 0; l < grade_count; ++l)
      if (counts(static_cast<Eigen::Index>(i), l) > counts(static_cast<Eigen::Index>(i), best)) best = l;
    return best;
  }
  /// Probability that the grade is above (+1) or below (−1) the current one.
  double probability_up(std::size_t i) const {
    double p = 0;
    for (int l = grade[i] + 1; l < grade_count; ++l) p += probability(i, l);
    return p;
  }
  double probability_down(std::size_t i) const {
    double p = 0;
    for (int l = 0; l < grade[i]; ++l) p += probability(i, l);
    return p;
  }
};

/// Weights of draws [k0, k1) around `base` (global leaf weights, non-negative, summing to 1):
/// (k1 − k0) × base.size(), each row summing to 1. Draw k depends only on (seed, k) and the
/// options that shape it (docs/sensitivity.md "Random numbers").
Eigen::MatrixXd draw_weights(const std::vector<double>& base, const monte_carlo_options& options, std::size_t k0,
                             std::size_t k1);
/// Cut-offs (minimum totals of 1A … 5A) of draws [k0, k1) around `base`: (k1 − k0) × 5.
Eigen::MatrixXd draw_cutoffs(const std::array<double, 5>& base, const monte_carlo_options& options, std::size_t k0,
                             std::size_t k1);

/// The instruction set the Monte Carlo tile kernels run with here (every one gives the same bits).
const char* kernel_isa() noexcept;

/// Monte Carlo over the weights (and optionally the cut-offs) of the scored model.
monte_carlo_result monte_carlo(const scored& s, const monte_carlo_options& options = {});
/// The same after score(m, data, as_of).
monte_carlo_result monte_carlo(const model& m, const dataset& data, civil_date as_of,
                               const monte_carlo_options& options = {});

/// One result from runs over consecutive draw ranges (`first_draw`, `draws`) of the same scored
/// data and options — one run per machine (embedrating.dask): the draws, cut-offs and per-draw
/// rows are stacked, the grade counts added, and the population rows computed as a single run
/// computes them, so the result equals the run over the whole range bit for bit (its `memory` is
/// the largest part's, each part having run on its own). Throws std::invalid_argument naming the
/// part when the list is empty, a part does not start where the previous one ends, is of another
/// model, scored data or options, or was run with total quantiles (those come from each run's own
/// histogram windows and cannot be put together: run the parts with `quantiles` empty).
monte_carlo_result combine_draw_ranges(std::vector<monte_carlo_result> parts);

// ---------------------------------------------------------------------------------------------
// Near the line
// ---------------------------------------------------------------------------------------------

enum class direction_t : unsigned char { up, down };
const char* to_string(direction_t d) noexcept;

/// The gate that decides whether operator i's final grade moves one level up or down by its
/// points alone (docs/sensitivity.md "Near the line").
struct line_gate {
  std::size_t row = 0;
  direction_t direction = direction_t::down;
  grade from = grade::unrated;  ///< the operator's final grade
  grade to = grade::unrated;    ///< the grade it would get
  gate_kind kind = gate_kind::total;  ///< total, dimension_ratio or dimension_minimum
  std::string id;               ///< "total" or the dimension id
  grade level = grade::a1;      ///< the grade level whose gate this is (the score level, before downgrades)
  double required = 0;          ///< points (total) or ratio (dimension gates)
  double actual = 0;
  /// Points: down — how many points above the line the operator is (losing more than this drops
  /// it); up — how many points it lacks (the shortfall of the largest gate).
  double distance = 0;
};

/// The gate deciding operator i's move in direction d by points, or false when points cannot move
/// it that way (not graded, already 5A/unrated, or a rule, prerequisite or history limit holds it).
bool deciding_gate(const ratings& r, std::size_t i, direction_t d, line_gate& out);

/// Every operator within `points` of the line (distance ≤ points), up and down, closest first.
std::vector<line_gate> near_the_line(const ratings& r, double points);

/// Every operator whose grade changed in at least `share` of the Monte Carlo draws (share in
/// (0, 1]), with the gate deciding its move in the more frequent direction (`r`: the ratings of the
/// model the draws were centred on; e.g. regrade(scored, model)). Least stable first.
std::vector<line_gate> fragile(const ratings& r, const monte_carlo_result& mc, double share);

// ---------------------------------------------------------------------------------------------
// One-at-a-time swings
// ---------------------------------------------------------------------------------------------

enum class parameter_kind : unsigned char { weight, dimension, cutoff };
const char* to_string(parameter_kind k) noexcept;

struct oat_options {
  double delta = 0.10;         ///< relative change of a leaf weight or dimension total, in (0, 1)
  double cutoff_delta = 10.0;  ///< points added to / taken from one cut-off (> 0)
  bool weights = true, dimensions = true, cutoffs = true;  ///< which parameters to swing
  bool per_operator = true;    ///< keep the per-operator changes (variants × N); else the summary only
  int threads = 1;
};

/// One parameter moved one way.
struct oat_variant {
  parameter_kind kind = parameter_kind::weight;
  std::string id;    ///< leaf id, dimension id, or grade ("1A" … "5A")
  int sign = 1;      ///< +1 or −1
  double base = 0;   ///< the parameter's value in the model (global weight, dimension weight, or points)
  double value = 0;  ///< its value in the variant
  // population summary (active operators)
  std::uint64_t moved_up = 0, moved_down = 0;
  double mean_change = 0;      ///< mean change of the total, points
  double mean_abs_change = 0;  ///< mean |change|, points
  double max_abs_change = 0;
};

struct oat_result {
  std::vector<std::string> operator_ids;
  std::vector<std::int8_t> grade;   ///< current final grade levels
  std::vector<double> total;        ///< current totals (points)
  std::vector<std::uint8_t> active;
  std::vector<oat_variant> variants;  ///< for each parameter: −δ then +δ
  /// variants × N: change of the total in centi-points and of the grade in levels (empty unless per_operator).
  Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> total_change;
  Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> grade_change;
  oat_options options;
};

/// One-at-a-time swings (exact totals and grades through regrade_many's exact path).
oat_result one_at_a_time(const scored& s, const oat_options& options = {});
oat_result one_at_a_time(const model& m, const dataset& data, civil_date as_of, const oat_options& options = {});

// ---------------------------------------------------------------------------------------------
// Model comparison
// ---------------------------------------------------------------------------------------------

/// Why an operator moved. Ranked by `rank_class`, then magnitude (largest first), then id.
struct move_reason {
  enum class kind_t : unsigned char {
    rule_a,     ///< a rule that fires under model A only
    rule_b,     ///< a rule that fires under model B only
    gate_a,     ///< a gate to the higher of the two grades under model A only (B lifted it)
    gate_b,     ///< a gate to the higher of the two grades under model B only (B added it)
    indicator,  ///< an indicator whose earned points differ
  };
  kind_t kind = kind_t::indicator;
  std::string id;                     ///< rule, gate (total, dimension, prerequisite …) or indicator id
  gate_kind gate = gate_kind::total;  ///< gate_a / gate_b: its kind
  grade target = grade::unrated;      ///< gate_a / gate_b: the grade it blocks
  std::string action;                 ///< rule_a / rule_b: the rule's action ("cap", "veto", …)
  double a = 0, b = 0;                ///< indicator: points under A and B; gate: shortfall (points) or actual; rule: grade ceiling
  /// rank class 0 (rules and gates that hold a grade by themselves: grade levels they account
  /// for), 1 (total and dimension gates: shortfall in points), 2 (indicators: |Δ points|).
  int rank_class = 2;
  double magnitude = 0;
};

const char* to_string(move_reason::kind_t k) noexcept;

struct moved_operator {
  std::size_t row = 0;
  grade from = grade::unrated, to = grade::unrated;
  double total_a = 0, total_b = 0;
  std::vector<move_reason> reasons;  ///< ranked
};

struct compare_summary {
  std::size_t operators = 0, active = 0;
  std::size_t moved = 0, moved_up = 0, moved_down = 0;
  int max_shift = 0;              ///< largest |levels| moved
  double mean_total_change = 0;   ///< mean of total_b − total_a over active operators, points
  double kappa = 0;               ///< Cohen's kappa over active operators (1 when both grade every operator alike)
  double weighted_kappa = 0;      ///< quadratic-weighted kappa over active operators
  bool same_structure = false;    ///< B is a variant of A (scored once, regraded twice)
};

struct comparison {
  std::vector<std::string> operator_ids;
  std::string fingerprint_a, fingerprint_b;
  civil_date as_of;
  std::vector<grade> grade_a, grade_b;
  std::vector<double> total_a, total_b;
  std::vector<std::uint8_t> active;
  transition_matrix transitions{};  ///< every operator (not-active ones are unrated under both); sums to N
  std::vector<moved_operator> moved;  ///< rows order
  compare_summary summary;
  ratings ratings_a, ratings_b;
};

struct compare_options {
  std::size_t max_reasons = 0;  ///< keep at most this many reasons per moved operator (0: all)
};

/// Rates the dataset under both models (scored once when B is a variant of A) and explains every
/// move. The models may differ in anything; indicators and rules are matched by id.
comparison compare(const model& a, const model& b, const dataset& data, civil_date as_of,
                   const compare_options& options = {});
/// The same from two ratings of the same operators (data_error naming "ratings" otherwise), e.g.
/// when each model reads the data its own way (its own review settings).
comparison compare(const ratings& a, const ratings& b, const compare_options& options = {});

/// Agreement weights for kappa: none (Cohen 1960), linear or quadratic (Cohen 1968).
enum class kappa_weights : unsigned char { none, linear, quadratic };

/// Cohen's kappa of a k × k contingency table of two gradings over the same categories:
/// κ = (p_o − p_e) / (1 − p_e), with disagreement weights (i − j)² / (k − 1)² (quadratic) or
/// |i − j| / (k − 1) (linear) for the weighted kappa (Cohen 1968, Psychological Bulletin
/// 70(4):213–220; Fleiss & Cohen 1973). 1 when both gradings put every item in the same single
/// category (no chance correction is possible); data_error for an empty table.
template <class Table>
double cohen_kappa(const Table& t, kappa_weights w = kappa_weights::none) {
  const std::size_t k = t.size();
  std::vector<double> rows(k, 0.0), cols(k, 0.0);
  double n = 0;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const auto v = static_cast<double>(t[i][j]);
      rows[i] += v;
      cols[j] += v;
      n += v;
    }
  if (n <= 0) {
    error_location where;
    where.field = "transitions";
    throw data_error(where, "cohen_kappa: the table is empty (no operator graded under both models)");
  }
  auto disagreement = [&](std::size_t i, std::size_t j) {
    if (k < 2) return 0.0;
    const double d = std::abs(static_cast<double>(i) - static_cast<double>(j)) / static_cast<double>(k - 1);
    switch (w) {
      case kappa_weights::none: return i == j ? 0.0 : 1.0;
      case kappa_weights::linear: return d;
      case kappa_weights::quadratic: return d * d;
    }
    return 0.0;
  };
  double observed = 0, expected = 0;  // weighted disagreement
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      observed += disagreement(i, j) * static_cast<double>(t[i][j]) / n;
      expected += disagreement(i, j) * rows[i] * cols[j] / (n * n);
    }
  if (expected <= 0) return observed <= 0 ? 1.0 : 0.0;
  return 1.0 - observed / expected;
}

}  // namespace embedrating::sensitivity
