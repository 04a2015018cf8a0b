// The orchestrator of the rating pipeline (SPEC §3): score() runs the stages that do not depend on
// points once (src/rate/*.cpp), regrade() the rest for a model variant; rate = regrade ∘ score.
#include <algorithm>
#include <limits>
#include <new>

#include "embedrating/reviews.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/rate.hpp"
#include "embedrating/scored.hpp"
#include "embedrating/version.hpp"
#include "rate/stages.hpp"

namespace embedrating {

namespace {

using namespace detail;

[[noreturn]] void fail_as_of(const dataset& d) {
  error_location w;
  w.file = d.source_name();
  w.field = "as_of";
  throw data_error(w, "an evaluation date is required");
}

/// Field source of a re-grade: total, dim.* and score.* from the points of one model variant.
class points_source final : public field_source {
 public:
  points_source(const compiled_model& cm, const point_plan& plan, const scored_state& st, const centi_matrix& dims,
                const std::vector<std::int32_t>& total)
      : cm_(cm), plan_(plan), st_(st), dims_(dims), total_(total) {}

  std::size_t rows() const noexcept override { return st_.n; }
  category_view category(const std::string&) override { return {}; }
  const std::string* attribute(const std::string&) override { return nullptr; }
  set_view scenarios() override { return {}; }

  const double* numeric(const field_ref& f) override {
    const std::string key = f.text();
    const auto it = cache_.find(key);
    if (it != cache_.end()) return it->second.data();
    const std::size_t n = st_.n;
    std::vector<double> out(n, std::numeric_limits<double>::quiet_NaN());
    const std::uint32_t* pattern = st_.patterns.of_row.data();
    switch (f.kind) {
      case field_kind::total:
        for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<double>(total_[i]) / 100.0;
        break;
      case field_kind::dim:
      case field_kind::score: {
        const auto node = static_cast<std::size_t>(cm_.node_index.at(f.name));
        const auto& cn = cm_.nodes[node];
        if (f.kind == field_kind::score && cn.leaf >= 0) {
          const double* s = st_.leaf_scores.col(cn.leaf).data();
          out.assign(s, s + n);
          break;
        }
        std::vector<std::int64_t> earned, available;
        for (std::size_t i = 0; i < n; ++i) {
          std::int64_t have, av = plan_.available[pattern[i] * plan_.nodes + node];
          if (cn.parent < 0) {
            have = dims_(static_cast<Eigen::Index>(i), cn.dimension);
          } else {
            node_points_of(cm_, plan_, st_.leaf_scores.data() + i, st_.n, pattern[i], earned, available);
            have = earned[node];
          }
          out[i] = av > 0 ? static_cast<double>(have) / static_cast<double>(av) : std::numeric_limits<double>::quiet_NaN();
        }
        break;
      }
      default:
        return nullptr;  // every other field was evaluated when the data was scored
    }
    return cache_.emplace(key, std::move(out)).first->second.data();
  }

 private:
  const compiled_model& cm_;
  const point_plan& plan_;
  const scored_state& st_;
  const centi_matrix& dims_;
  const std::vector<std::int32_t>& total_;
  std::map<std::string, std::vector<double>> cache_;
};

/// Scores rows [begin, begin + n) of `d`. The recorded input hash is the whole dataset's when
/// `hash_whole` (rate_rows: a block of a population), else that of the rows (rate_one: one row).
std::shared_ptr<const scored_state> score_rows(const model& m, const dataset& d, civil_date as_of, std::size_t begin,
                                               std::size_t n, const score_options& options, bool hash_whole) {
  const compiled_model& cm = m.compiled();
  const model_spec& s = cm.spec;
  const bool whole = begin == 0 && n == d.size();
  auto st = std::make_shared<scored_state>();
  scored_state& S = *st;
  S.scoring_model = m;
  S.as_of = as_of;
  S.n = n;
  S.structure = cm.structure;
  if (as_of.is_missing()) fail_as_of(d);
  if ((!s.info.effective_from.is_missing() && as_of < s.info.effective_from) ||
      (!s.info.effective_to.is_missing() && as_of > s.info.effective_to))
    S.run_warnings.push_back("as_of " + to_string(as_of) + " is outside the effective period of model " + s.info.id +
                             " (" + to_string(s.info.effective_from) + " to " + to_string(s.info.effective_to) + ")");

  // inputs: required columns (checked once per dataset and model structure), facility roll-up,
  // ranges, review measures
  const std::string columns_key = "columns:" + cm.structure;
  if (const auto seen = std::static_pointer_cast<const std::vector<std::string>>(d.derived(columns_key))) {
    S.run_warnings.insert(S.run_warnings.end(), seen->begin(), seen->end());
  } else {
    auto warnings = std::make_shared<std::vector<std::string>>();
    check_columns(cm, d, *warnings);
    S.run_warnings.insert(S.run_warnings.end(), warnings->begin(), warnings->end());
    d.keep_derived(columns_key, std::move(warnings));
  }
  operator_inputs in(cm, d, as_of, begin, n);
  // every raw value within its measure's range: once per dataset and model structure (a row of a
  // checked dataset needs no check of its own)
  const std::string ranges_key = "ranges:" + cm.structure;
  if (whole || !d.derived(ranges_key)) {
    in.check_ranges();
    if (whole) d.keep_derived(ranges_key, std::make_shared<const int>(1));
  }
  in.derive_reviews();
  if (options.compute_input_hash) S.input_hash = whole || hash_whole ? d.input_hash() : d.input_hash_of_row(begin);

  S.operator_ids = whole ? shared_column<std::string>(d.shared_operator_ids())
                         : shared_column<std::string>(std::vector<std::string>(d.operator_ids().begin() + static_cast<std::ptrdiff_t>(begin),
                                                                               d.operator_ids().begin() + static_cast<std::ptrdiff_t>(begin + n)));
  std::vector<operator_status> status(n, operator_status::active);
  if (const auto* st_col = d.status()) std::copy_n(st_col->begin() + static_cast<std::ptrdiff_t>(begin), n, status.begin());
  std::vector<std::int8_t> previous(n, no_grade);
  if (d.has_history()) std::copy_n(d.previous_grade().begin() + static_cast<std::ptrdiff_t>(begin), n, previous.begin());

  // rules before scoring (veto, not_applicable) and node conditions
  bitmask vetoed(n, false), terminate(n, false);
  std::vector<bitmask> node_na(s.nodes.size());
  for (std::size_t k = 0; k < s.nodes.size(); ++k)
    if (s.nodes[k].not_applicable_if) evaluate(*s.nodes[k].not_applicable_if, in, node_na[k]);
  S.rule_fired.resize(s.rules.size());
  S.rule_reads_points.assign(s.rules.size(), 0);
  S.rule_partial.resize(s.rules.size());
  std::vector<std::int8_t> ceiling(n, 5), down(n, 0);
  rule_effects fx;
  fx.n = n;
  fx.cm = &cm;
  fx.vetoed = &vetoed;
  fx.terminate = &terminate;
  fx.node_na = &node_na;
  S.score_memory = large_buffer(sizeof(double) * n * cm.leaves.size());
  new (&S.leaf_scores) Eigen::Map<Eigen::MatrixXd>(static_cast<double*>(S.score_memory.data()), static_cast<Eigen::Index>(n),
                                                   static_cast<Eigen::Index>(cm.leaves.size()));
  fx.leaf_scores = S.leaf_scores.data();
  fx.ceiling = ceiling.data();
  fx.down = down.data();
  fx.previous_grade = previous.data();
  const auto run_phase = [&](rule_phase phase) {
    for (std::uint32_t r : cm.rules_by_phase[static_cast<std::size_t>(phase)]) {
      const rule& ru = s.rules[r];
      if (reads_points(ru.when, cm)) {  // only possible after points: limit, gate and report rules
        S.rule_reads_points[r] = 1;
        S.has_point_rules = true;
        evaluate_fixed_parts(ru.when, cm, in, S.rule_partial[r]);
        continue;
      }
      evaluate(ru.when, in, S.rule_fired[r]);
      action_info(ru.action).apply(ru, S.rule_fired[r], fx);
    }
  };
  run_phase(rule_phase::before_scoring);
  S.graded.assign(n, false);
  S.graded.fill([&](std::size_t i) { return status[i] == operator_status::active && !vetoed.test(i); });

  // leaf scores, set_score, patterns
  const std::vector<bitmask> leaf_na = leaf_not_applicable(cm, node_na, n);
  score_leaves(cm, in, leaf_na, S.graded, S.leaf_scores.data(), S.missing_warnings);
  run_phase(rule_phase::on_scores);
  S.patterns = find_patterns(leaf_na, n);
  in.set_scores(S.leaf_scores.data());

  // history, then the rules after points that read none (limits, gates, reports)
  std::vector<grade> hist;
  std::vector<civil_date> lapses;
  const std::vector<civil_date>* last_down = d.date("history.last_downgrade_on");
  history_limits(s.history, previous.data(), last_down ? last_down->data() + begin : nullptr, n, as_of, hist, lapses);
  for (std::size_t i = 0; i < n; ++i) ceiling[i] = static_cast<std::int8_t>(level(hist[i]));
  run_phase(rule_phase::grade_gate);
  run_phase(rule_phase::limit);
  run_phase(rule_phase::report);

  // prerequisites: grade-table ones evaluated here, prerequisite rules reuse their masks
  const auto holds = fill_prerequisites(cm, S, [](int, std::size_t) {}, [&](scored_state::prerequisite_entry& e, const auto& p, int) {
    if (reads_points(*p.when, cm)) {
      e.reads_points = true;
      S.has_point_rules = true;
      evaluate_fixed_parts(*p.when, cm, in, e.partial);
    } else {
      evaluate(*p.when, in, e.holds);
    }
  });
  prerequisite_levels(holds, n, S.prerequisite_level);

  S.ceiling = std::move(ceiling);
  S.down = std::move(down);
  S.status = std::move(status);
  S.terminate = shared_column<std::uint8_t>([&] {
    std::vector<std::uint8_t> t(n, 0);
    terminate.for_each([&](std::size_t i) { t[i] = 1; });
    return t;
  }());
  S.previous_grade = std::move(previous);
  S.history_limit = std::move(hist);
  S.history_lapses_on = std::move(lapses);
  if (const bitmask* lv = in.low_volume()) S.low_volume = *lv;

  // fired rules with lapse dates, and warnings: once here unless some rule reads points
  std::vector<const civil_date*> lapse_dates(s.rules.size(), nullptr);
  for (std::size_t r = 0; r < s.rules.size(); ++r)
    if (s.rules[r].lapse.active())
      if (const auto* dates = d.date(s.rules[r].lapse.date_field)) lapse_dates[r] = dates->data() + begin;
  if (S.has_point_rules) {
    S.rule_lapse.resize(s.rules.size());
    for (std::size_t r = 0; r < s.rules.size(); ++r)
      if (lapse_dates[r] != nullptr) S.rule_lapse[r].assign(lapse_dates[r], lapse_dates[r] + n);
  } else {
    std::vector<const bitmask*> fired(s.rules.size());
    for (std::size_t r = 0; r < s.rules.size(); ++r) fired[r] = &S.rule_fired[r];
    std::vector<std::uint32_t> offsets;
    std::vector<fired_rule> list;
    fired_rules(s, fired, lapse_dates, n, offsets, list);
    S.fired_offsets = std::move(offsets);
    S.fired = std::move(list);
    std::vector<std::uint32_t> woff;
    std::vector<operator_warning> wl;
    operator_warnings(s, S.missing_warnings, fired, S.low_volume.size() ? &S.low_volume : nullptr, n, woff, wl);
    S.warning_offsets = std::move(woff);
    S.warnings = std::move(wl);
  }
  return st;
}

[[noreturn]] void refuse(const model& scored_with, const model& variant, const std::string& what) {
  error_location w;
  w.file = variant.info().file;
  w.field = structure_difference(scored_with, variant);
  throw model_error(w, what + ": model " + variant.info().id + " differs from the scored model " + scored_with.info().id +
                           " in " + w.field +
                           ", which is not a number of points or a threshold (only indicator and dimension points, "
                           "cut-offs, dimension floors and minimums, and the values compared with total, dim.* and "
                           "group scores may differ); score the dataset with this model instead");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// scored

namespace {
const scored_state& state_of(const scored& s) {
  if (!s.state()) throw std::logic_error("scored: empty (use score())");
  return *s.state();
}
}  // namespace

std::size_t scored::size() const noexcept { return state_ ? state_->n : 0; }
const model& scored::scoring_model() const { return *state_of(*this).scoring_model; }
civil_date scored::as_of() const { return state_of(*this).as_of; }
const std::string& scored::input_hash() const { return state_of(*this).input_hash; }
const std::vector<std::string>& scored::operator_ids() const { return state_of(*this).operator_ids.vector(); }
leaf_score_matrix scored::leaf_scores() const {
  const auto& m = state_of(*this).leaf_scores;
  return leaf_score_matrix(m.data(), m.rows(), m.cols());
}
void release_cached_memory() noexcept { detail::release_large_buffers(); }
const std::vector<std::uint32_t>& scored::patterns() const { return state_of(*this).patterns.of_row; }
const std::vector<std::vector<std::uint8_t>>& scored::pattern_leaves() const { return state_of(*this).patterns.applicable; }
bool scored::graded(std::size_t i) const { return state_of(*this).graded.test(i); }
const shared_column<operator_status>& scored::status() const { return state_of(*this).status; }
const std::vector<std::string>& scored::run_warnings() const { return state_of(*this).run_warnings; }
bool scored::has_point_rules() const { return state_of(*this).has_point_rules; }
const std::string& scored::structure_fingerprint() const { return state_of(*this).structure; }

namespace {

/// A copy of `data` whose review columns are the summary of `o.reviews` at as_of.
dataset with_review_summary(const dataset& data, civil_date as_of, const score_options& o) {
  dataset d = data;
  (o.calendar ? o.reviews->summary(as_of, *o.calendar) : o.reviews->summary(as_of)).apply_to(d);
  return d;
}

score_options without_reviews(score_options o) {
  o.reviews = nullptr;
  o.calendar = nullptr;
  return o;
}

}  // namespace

scored score(const model& m, const dataset& data, civil_date as_of, const score_options& options) {
  if (options.reviews != nullptr)
    return score(m, with_review_summary(data, as_of, options), as_of, without_reviews(options));
  return scored(score_rows(m, data, as_of, 0, data.size(), options, true));
}

scored score_one(const model& m, const dataset& data, std::size_t row, civil_date as_of, const score_options& options) {
  if (row >= data.size()) {
    error_location w;
    w.file = data.source_name();
    throw data_error(w, "rate_one: row " + std::to_string(row) + " is out of range (" + std::to_string(data.size()) + " operators)");
  }
  if (options.reviews != nullptr)
    return score_one(m, with_review_summary(data, as_of, options), row, as_of, without_reviews(options));
  return scored(score_rows(m, data, as_of, row, 1, options, false));
}

// ---------------------------------------------------------------------------------------------
// regrade

ratings regrade(const scored& sc, const model& variant, const regrade_options& options) {
  const scored_state& S = state_of(sc);
  const compiled_model& cm = variant.compiled();
  const model_spec& s = cm.spec;
  if (cm.structure != S.structure) refuse(*S.scoring_model, variant, "regrade");
  const std::size_t n = S.n;
  std::shared_ptr<const point_plan> plan;
  if (S.patterns.applicable.size() <= 4) {  // few patterns (always, rating one operator): kept with the model
    std::string key = "plan:";
    for (const auto& a : S.patterns.applicable) key.append(reinterpret_cast<const char*>(a.data()), a.size()).push_back('|');
    plan = std::static_pointer_cast<const point_plan>(cm.cached(key));
    if (!plan) {
      plan = std::make_shared<const point_plan>(make_point_plan(variant, S.patterns));
      cm.cache(key, plan);
    }
  } else {
    plan = std::make_shared<const point_plan>(make_point_plan(variant, S.patterns));
  }

  ratings r;
  r.rating_model = variant;
  r.as_of = S.as_of;
  r.input_hash = S.input_hash;
  r.library_version = version_string;
  r.run_warnings = S.run_warnings;
  r.operator_ids = S.operator_ids;
  r.status = S.status;
  r.terminate = S.terminate;
  r.previous_grade = S.previous_grade;
  r.history_limit = S.history_limit;
  r.history_lapses_on = S.history_lapses_on;
  r.scored_state_ = sc.state();

  std::vector<std::int32_t> total;
  dimension_points(*plan, S.leaf_scores, S.patterns.of_row.data(), n, r.dimension_centi, total);

  const std::uint8_t* prereq_level = S.prerequisite_level.data();
  const std::int8_t* ceiling = S.ceiling.data();
  const std::int8_t* down = S.down.data();
  std::vector<std::uint8_t> own_level;
  std::vector<std::int8_t> own_ceiling, own_down;
  if (S.has_point_rules) {
    // rules and prerequisites that compare points: finish their conditions under this variant
    points_source ps(cm, *plan, S, r.dimension_centi, total);
    std::vector<bitmask> dynamic(s.rules.size());
    own_ceiling = S.ceiling;
    own_down = S.down;
    rule_effects fx;
    fx.n = n;
    fx.cm = &cm;
    fx.ceiling = own_ceiling.data();
    fx.down = own_down.data();
    fx.previous_grade = S.previous_grade.data();
    std::vector<const bitmask*> fired(s.rules.size(), nullptr);
    for (std::size_t k = 0; k < s.rules.size(); ++k) {
      if (S.rule_reads_points[k]) {
        evaluate_with_fixed_parts(s.rules[k].when, cm, ps, S.rule_partial[k], dynamic[k]);
        action_info(s.rules[k].action).apply(s.rules[k], dynamic[k], fx);
        fired[k] = &dynamic[k];
      } else {
        fired[k] = &S.rule_fired[k];
      }
    }
    std::array<std::vector<const bitmask*>, grade_count> holds;
    std::vector<bitmask> prereq_masks;
    prereq_masks.reserve(64 * grade_count);
    r.extra_prerequisites_failed_.assign(n * grade_count, 0);
    for (int l = 1; l < grade_count; ++l) {
      const auto& list = cm.prerequisites[static_cast<std::size_t>(l)];
      const auto& entries = S.prerequisites[static_cast<std::size_t>(l)];
      for (std::size_t k = 0; k < entries.size(); ++k) {
        if (!entries[k].reads_points) continue;
        prereq_masks.emplace_back();
        evaluate_with_fixed_parts(*list[k].when, cm, ps, entries[k].partial, prereq_masks.back());
        holds[static_cast<std::size_t>(l)].push_back(&prereq_masks.back());
        bitmask failed = prereq_masks.back();
        failed.flip();
        failed.for_each([&](std::size_t i) { r.extra_prerequisites_failed_[i * grade_count + static_cast<std::size_t>(l)] |= std::uint64_t{1} << k; });
      }
    }
    prerequisite_levels(holds, n, own_level);
    for (std::size_t i = 0; i < n; ++i) own_level[i] = std::min(own_level[i], S.prerequisite_level[i]);
    r.prerequisite_level_ = own_level;
    prereq_level = own_level.data();
    ceiling = own_ceiling.data();
    down = own_down.data();
    std::vector<const civil_date*> lapse_dates(s.rules.size(), nullptr);
    for (std::size_t k = 0; k < s.rules.size(); ++k)
      if (!S.rule_lapse[k].empty()) lapse_dates[k] = S.rule_lapse[k].data();
    std::vector<std::uint32_t> offsets;
    std::vector<fired_rule> list;
    fired_rules(s, fired, lapse_dates, n, offsets, list);
    r.fired_offsets = std::move(offsets);
    r.fired = std::move(list);
    std::vector<std::uint32_t> woff;
    std::vector<operator_warning> wl;
    operator_warnings(s, S.missing_warnings, fired, S.low_volume.size() ? &S.low_volume : nullptr, n, woff, wl);
    r.warning_offsets = std::move(woff);
    r.warnings = std::move(wl);
  } else {
    r.fired_offsets = S.fired_offsets;
    r.fired = S.fired;
    r.warning_offsets = S.warning_offsets;
    r.warnings = S.warnings;
  }

  std::vector<grade> by_score, final_grade;
  grade_operators(*plan, r.dimension_centi, total, S.patterns.of_row.data(), prereq_level, ceiling, down, S.graded,
                  S.status.data(), n, by_score, final_grade);
  r.grade_by_score = std::move(by_score);
  r.final_grade = std::move(final_grade);
  r.total_centi = std::move(total);
  r.point_plan_ = plan;
  if (options.keep_node_points) {
    auto earned = std::make_shared<Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>>();
    auto available = std::make_shared<Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>>();
    r.node_matrices(*earned, *available);
    r.kept_earned_ = earned;
    r.kept_available_ = available;
  }
  return r;
}

Eigen::MatrixXd leaf_available(const scored& sc, const model& variant) {
  const scored_state& S = state_of(sc);
  if (variant.compiled().structure != S.structure) refuse(*S.scoring_model, variant, "leaf_available");
  const point_plan plan = make_point_plan(variant, S.patterns);
  Eigen::MatrixXd out(static_cast<Eigen::Index>(plan.patterns), static_cast<Eigen::Index>(plan.leaves));
  for (std::size_t p = 0; p < plan.patterns; ++p)
    for (std::size_t j = 0; j < plan.leaves; ++j)
      out(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(j)) = plan.leaf_available[p * plan.leaves + j];
  return out;
}

// ---------------------------------------------------------------------------------------------
// rate, rate_one

ratings rate(const model& m, const dataset& data, civil_date as_of, const rate_options& options) {
  score_options so;
  so.compute_input_hash = options.compute_input_hash;
  so.reviews = options.reviews;
  so.calendar = options.calendar;
  regrade_options ro;
  ro.keep_node_points = options.keep_node_points;
  return regrade(score(m, data, as_of, so), m, ro);
}

ratings rate_rows(const model& m, const dataset& data, std::size_t begin, std::size_t count, civil_date as_of,
                  const rate_options& options) {
  if (count == 0 || begin > data.size() || count > data.size() - begin) {
    error_location w;
    w.file = data.source_name();
    throw data_error(w, "rate_rows: rows [" + std::to_string(begin) + ", " + std::to_string(begin) + " + " +
                            std::to_string(count) + ") are " + (count == 0 ? "an empty range" : "out of range") +
                            " (the dataset has " + std::to_string(data.size()) + " operators)");
  }
  score_options so;
  so.compute_input_hash = options.compute_input_hash;
  regrade_options ro;
  ro.keep_node_points = options.keep_node_points;
  if (options.reviews != nullptr) {
    so.reviews = options.reviews;
    so.calendar = options.calendar;
    const dataset d = with_review_summary(data, as_of, so);
    return regrade(scored(score_rows(m, d, as_of, begin, count, without_reviews(so), true)), m, ro);
  }
  return regrade(scored(score_rows(m, data, as_of, begin, count, so, true)), m, ro);
}

ratings rate_one(const model& m, const dataset& data, std::size_t row, civil_date as_of, const rate_options& options) {
  score_options so;
  so.compute_input_hash = options.compute_input_hash;
  so.reviews = options.reviews;
  so.calendar = options.calendar;
  regrade_options ro;
  ro.keep_node_points = options.keep_node_points;
  return regrade(score_one(m, data, row, as_of, so), m, ro);
}

}  // namespace embedrating
