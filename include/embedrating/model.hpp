#pragma once
/// \file model.hpp
/// The rating model: indicator tree with points, scoring functions, grade table, rules, review and
/// history settings (SPEC §3–§4). `model_spec` is plain, editable data; `model` is a validated,
/// immutable, thread-safe view of one spec (copies share it).
#include <cstdint>
#include <memory>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "condition.hpp"
#include "date.hpp"
#include "grade.hpp"
#include "rules.hpp"
#include "scoring.hpp"

namespace embedrating {

enum class measure_kind : unsigned char { number, category };
enum class rollup_kind : unsigned char { worst, mean, volume_mean, sum };

const char* to_string(rollup_kind r) noexcept;

/// A declared raw input column.
struct measure {
  std::string id;
  measure_kind kind = measure_kind::number;
  std::string unit;
  std::optional<double> min, max;      ///< allowed range (numbers)
  std::vector<std::string> levels;     ///< allowed levels, best first (categories)
  direction dir = direction::benefit;  ///< what "worst" means in roll-up
  rollup_kind rollup = rollup_kind::worst;
  /// `source`: the article of the measures (seed/) the item implements; `basis`: the standard
  /// or judgement its numbers are borrowed from (docs/model-format.md "Sources and bases").
  std::string label, label_zh, source, basis;
  std::uint32_t line = 0;
  std::string rationale;  ///< why it is in the model (documentation, not meaning)
};

/// What a leaf does when its input is missing. Never earns more than zero silently: a fixed
/// score or a fallback adds a warning to the operator's result.
struct missing_policy {
  enum class kind_t : unsigned char { error, zero, fixed, fallback };
  kind_t kind = kind_t::error;
  double score = 0.0;              ///< fixed
  field_ref fallback_input;        ///< fallback
  scoring_function fallback_scoring;
};

/// A node of the indicator tree: a dimension (no parent), a group (has children) or a leaf.
struct indicator_node {
  std::string id;
  std::string parent;  ///< empty for a dimension
  double points = 0.0;
  // leaves only:
  std::optional<field_ref> input;
  scoring_function scoring;
  missing_policy missing;
  std::optional<condition> not_applicable_if;
  std::string label, label_zh, source, basis;
  std::uint32_t line = 0;
  std::string rationale;  ///< why these points (documentation, not meaning)
};

struct prerequisite {
  std::string id;
  condition when;  ///< must hold
  std::string label, label_zh, source, basis;
  std::uint32_t line = 0;
  std::string rationale;
};

/// The gates of one grade.
struct grade_gate {
  grade level = grade::a1;
  double min_total = 0.0;
  double min_dimension_ratio = 0.0;
  std::vector<std::pair<std::string, double>> dimension_minimums;
  std::vector<prerequisite> prerequisites;
  std::uint32_t line = 0;
  std::string rationale;  ///< why these cut-offs and floors (documentation, not meaning)
};

/// Review indicator settings (model parameters, covered by the fingerprint).
/// How reviews are bucketed for "one effective review per (reviewer, operator, period)".
enum class review_period : unsigned char { month, days };
/// Empirical-Bayes fit reported in review summaries (never used for grades).
enum class beta_fit_method : unsigned char { method_of_moments, maximum_likelihood };

/// Review (好差评) settings: every one is a model parameter covered by the fingerprint (SPEC §5).
struct review_settings {
  double level_values[5] = {0.0, 30.0, 60.0, 80.0, 100.0};  ///< ★1..★5 → satisfaction index
  double min_count = 30.0;       ///< effective reviews below which scores shrink and the low-volume cap applies
  double prior_index = 80.0;     ///< prior satisfaction index (0–100)
  double prior_rate = 0.9;       ///< prior satisfaction rate (★3+ share)
  double prior_closure = 1.0;    ///< closure rate when no bad review is closed or overdue
  // -- event-level aggregation (reviews.hpp)
  review_period period = review_period::month;  ///< calendar month in UTC+8, or N-day buckets
  int period_days = 0;           ///< N for review_period::days (buckets of N days from 1970-01-01, UTC+8)
  int window_months = 12;        ///< reviews dated in (add_months(as_of, -window), as_of]; 0 = all up to as_of
  double half_life_days = 0.0;   ///< exponential decay by age in days; 0 = no decay
  int deadline_working_days = 15;  ///< a bad review must be rectified within this many working days
  bool service_record_only = false;  ///< count only reviews tied to a service record
  bool dedup = true;             ///< revisions and one review per (reviewer, operator, period); false = count events as they come
  double wilson_z = 1.959963984540054;  ///< z of the Wilson lower bound in summaries
  beta_fit_method eb_method = beta_fit_method::method_of_moments;  ///< empirical-Bayes fit in summaries
};

struct history_settings {
  int max_rise = 1;
  int no_rise_months_after_downgrade = 12;
  grade first_rating_max = grade::a3;
};

/// How a model was made from another one (a fitted or edited model). Metadata, not meaning: left
/// out of the fingerprint (docs/fingerprint.md), written to TOML as [model.provenance].
struct model_provenance {
  std::string parent_id, parent_version;
  std::string parent_fingerprint;  ///< hex SHA-256 of the model it was made from
  std::string method;              ///< e.g. "with_weights", "with_cutoffs", "fit_weights"
  std::string note;                ///< what changed or how it was fitted, in words
  bool empty() const noexcept { return parent_fingerprint.empty() && method.empty() && note.empty(); }
};

struct model_info {
  std::string id, version, label, label_zh, source;
  civil_date effective_from = civil_date::missing();
  civil_date effective_to = civil_date::missing();
  std::string file;  ///< where it was loaded from (for messages), not part of the meaning
  std::string rationale;    ///< why the model is as it is (documentation)
  model_provenance provenance;  ///< empty for a model written by hand
};

/// A named set of scenario codes (`[[scenario_sets]]`): `scenarios.<id>` counts an operator's
/// scenarios that are in the set, e.g. the seven scenes of Art. 3 for the scenario mix.
struct scenario_set {
  std::string id;
  std::vector<std::string> codes;
  std::string label, label_zh, source, basis;
  std::uint32_t line = 0;
};

/// Where the numbers of a settings table come from (`source`, `basis` keys of [reviews],
/// [history] and each [[grades]] entry), kept for explanations and the TOML writer.
struct citation {
  std::string source, basis;
};

/// Everything a model says, as plain data. Edit it, then build a `model` to validate it.
struct model_spec {
  model_info info;
  review_settings reviews;
  history_settings history;
  std::vector<measure> measures;
  std::vector<indicator_node> nodes;  ///< dimensions and indicators in file order
  std::vector<grade_gate> grades;
  std::vector<rule> rules;
  /// Rationale of each rule by rule id (documentation, not meaning; rules.hpp holds the rule).
  std::vector<std::pair<std::string, std::string>> rule_rationales;
  std::vector<scenario_set> scenario_sets;
  /// "reviews", "history", "grades.5A" … → their source and basis (documentation only: not in
  /// the fingerprint, like labels).
  std::map<std::string, citation> citations;
};

/// How with_leaf_weights treats weights that do not sum to 1: the model's total is never changed
/// silently.
enum class weight_total : unsigned char {
  keep,       ///< the weights (named leaves, with the current weights of the others) must sum to 1 within 1e-6, else model_error
  normalize,  ///< every leaf weight is divided by their sum: the total is kept
  rescale,    ///< explicit: the total becomes (sum of the weights) × the current total; cut-offs are not changed
};

/// One difference between two models (model::diff): section ("model", "reviews", "history",
/// "measures", "indicators", "grades", "rules"), item (an id, or "" for a setting of the section),
/// field, and both values as text ("" = absent).
struct model_change {
  std::string section, item, field, before, after;
};

namespace detail {
struct compiled_model;
}

/// A validated, immutable model. Cheap to copy; safe to share between threads.
/// One node of the indicator tree as rating sees it (the order of spec().nodes).
struct tree_node {
  std::int32_t parent = -1;       ///< node index, -1 for a dimension
  std::int32_t depth = 0;         ///< 0 for a dimension
  std::int32_t dimension = -1;    ///< index into dimension_nodes()
  std::int32_t leaf = -1;         ///< index into leaf_ids(), -1 for groups and dimensions
  std::int64_t points_centi = 0;  ///< nominal points (centi-points)
};

class model {
 public:
  /// Validates and compiles a spec; throws model_error naming the field (and line) at fault.
  explicit model(model_spec spec);

  /// Parses TOML text; `source_name` is used in error messages (e.g. the file name).
  static model from_toml(const std::string& text, const std::string& source_name = "<string>");
  /// Reads a TOML model file (at most 4 MiB).
  static model load(const std::string& path);
  /// The model shipped with the library (`data/models/wuhan-2024.toml`).
  static model default_model();

  /// Canonical TOML: loading it gives a model with the same fingerprint.
  std::string to_toml() const;
  /// Writes to_toml() to a file atomically.
  void save(const std::string& path) const;

  /// Hex SHA-256 of the canonical encoding of the model's meaning (docs/fingerprint.md).
  const std::string& fingerprint() const noexcept;
  /// The canonical byte encoding the fingerprint is computed over.
  std::string canonical_encoding() const;

  const model_spec& spec() const noexcept;
  const model_info& info() const noexcept { return spec().info; }

  /// Leaf indicator ids in tree order, and their global weights (points / total).
  const std::vector<std::string>& leaf_ids() const noexcept;
  std::vector<double> weights() const;
  /// A copy with new leaf points = weight × total (group and dimension points follow); weights
  /// are given by leaf id and must be non-negative; leaves not named keep their points.
  /// The weights (with the current weights of leaves not named) must sum to 1 (within 1e-6): the
  /// model's total is kept (each leaf rounded to 0.01 points, as regrade_many does: weights on the
  /// 0.01-point grid, such as weights() or a fitted model's, keep it exactly); otherwise a
  /// model_error says so. with_leaf_weights normalises or rescales when asked.
  /// The result records its parent (provenance, a new version) unless its fingerprint is the same.
  model with_weights(const std::vector<std::pair<std::string, double>>& weights) const;
  /// with_weights with an explicit treatment of the total (weight_total).
  model with_leaf_weights(const std::vector<std::pair<std::string, double>>& weights, weight_total total) const;
  /// A copy with new minimum totals per grade.
  model with_cutoffs(const std::vector<std::pair<grade, double>>& min_totals) const;
  /// A copy with grade-table numbers changed by name: "grades.<G>.min_total",
  /// "grades.<G>.min_dimension_ratio", "grades.<G>.dimension_minimums.<dimension>" (G = 1A … 5A;
  /// the "grades." prefix may be left out). The result is validated like any model.
  model with_params(const std::vector<std::pair<std::string, double>>& params) const;
  /// A copy with new id, version, labels, source, rationale and provenance (nothing else; the
  /// fingerprint is unchanged).
  model with_info(const model_info& info) const;
  /// `spec` as a model derived from this one by `method`: when its fingerprint differs, its version
  /// becomes this version (up to any "+") + "+" + the first 8 hex digits of its fingerprint, and its
  /// provenance names this model, `method` and `note`; an empty `id` keeps the spec's id. With
  /// `always` (fits), version and provenance are set even when the fingerprint is the same.
  model derive(model_spec spec, const std::string& method, const std::string& note, const std::string& id = {},
               const std::string& version = {}, bool always = false) const;

  /// Every difference from `other` (this = before, other = after): points and weights, cut-offs,
  /// floors, prerequisites, rules, settings, labels, sources and provenance, in model order.
  std::vector<model_change> diff(const model& other) const;

  double total_points() const noexcept;
  /// Total points in centi-points (what every integer result adds up to).
  std::int64_t total_centi() const noexcept;
  /// The tree, node by node (spec().nodes order).
  std::vector<tree_node> tree() const;
  /// Node indices of the dimensions (file order) and their ids.
  const std::vector<std::int32_t>& dimension_nodes() const noexcept;
  std::vector<std::string> dimension_ids() const;
  /// Index of a node id in spec().nodes, or -1.
  std::int32_t node_index(const std::string& id) const;
  /// Fingerprint of the structure (docs/fingerprint.md): models with the same one re-grade each
  /// other's scores (scored.hpp).
  const std::string& structure_fingerprint() const noexcept;

  /// The compiled form the library's stages use (not part of the stable API).
  const detail::compiled_model& compiled() const noexcept { return *compiled_; }

 private:
  std::shared_ptr<const detail::compiled_model> compiled_;
};

/// Where the shipped data (models, catalogue, sample) lives: $EMBEDRATING_DATA_DIR, else the
/// install prefix's share/embedrating when it holds the data, else the source tree's data/ (build tree).
std::string data_directory();

}  // namespace embedrating
