// The scored archive (docs/archives.md "scored"): the scoring model (its canonical TOML and
// fingerprints, as in the model archive), then the scored part — everything score() computed
// that re-grading and explaining read: per-run fields, per-operator arrays, the leaf score matrix,
// the not-applicable patterns, the rule and prerequisite masks, history and warnings.
//
// The scored part is also written by the ratings archive (format 2), so that a loaded ratings
// explains. What the model gives is recomputed on loading, never stored: the compiled model and
// its conditions, which rules and prerequisites read points, the structure fingerprint and the
// point plan of a ratings. Every count, size, index and enum code is checked against the model and
// the bytes left; each violation is an archive_error naming the source and the field
// ("scored field patterns: pattern 7 out of range (3 patterns) at row 12").
#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "../rate/stages.hpp"
#include "embedrating/model.hpp"
#include "embedrating/scored.hpp"
#include "embedrating/serialize.hpp"
#include "forms.hpp"

namespace embedrating {
namespace detail {
namespace {

// -- saving helpers

void save_mask(portable_oarchive& ar, const bitmask& m) {
  ar << static_cast<std::uint64_t>(m.size());
  std::vector<std::uint64_t> words(m.words(), m.words() + m.word_count());
  ar << words;
}

void save_partial(portable_oarchive& ar, const partial_condition& p) {
  ar << static_cast<std::uint64_t>(p.fixed.size());
  for (const bitmask& m : p.fixed) save_mask(ar, m);
}

template <class T, class E>
std::vector<T> codes_of(const std::vector<E>& v) {
  std::vector<T> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<T>(v[i]);
  return out;
}

std::vector<std::int32_t> days_of(const std::vector<civil_date>& v) {
  std::vector<std::int32_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[i].days();
  return out;
}

/// Number of subtrees of `c` that read no points (what evaluate_fixed_parts stores, in pre-order).
std::size_t fixed_parts(const condition& c, const compiled_model& cm) {
  if (!reads_points(c, cm)) return 1;
  std::size_t k = 0;
  for (const auto& ch : c.children) k += fixed_parts(ch, cm);
  return k;
}

/// The loading side: every read checked, every failure an archive_error naming the field.
class reader {
 public:
  reader(portable_iarchive& ar, std::size_t n) : ar_(ar), n_(n) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    ar_.fail("scored field " + field + ": " + what);
  }
  void sized(std::size_t got, std::size_t want, const std::string& field) const {
    if (got != want) fail(field, "has " + std::to_string(got) + " entries, " + std::to_string(want) + " expected");
  }
  template <class T>
  std::vector<T> array(const std::string& field, std::size_t want) {
    std::vector<T> v;
    ar_ >> v;
    sized(v.size(), want, field);
    return v;
  }
  /// A mask of `n` bits (or, when `may_be_empty`, none); bits past the end must be clear.
  bitmask mask(const std::string& field, bool may_be_empty) {
    std::uint64_t bits = 0;
    ar_ >> bits;
    if (bits != n_ && !(may_be_empty && bits == 0))
      fail(field, "a mask of " + std::to_string(bits) + " bits, " + std::to_string(n_) + " expected");
    std::vector<std::uint64_t> words;
    ar_ >> words;
    const std::size_t want = (static_cast<std::size_t>(bits) + 63) / 64;
    sized(words.size(), want, field + " (words)");
    bitmask m;
    if (bits == 0) return m;
    m.assign(static_cast<std::size_t>(bits), false);
    std::memcpy(m.words(), words.data(), want * sizeof(std::uint64_t));
    const std::size_t tail = static_cast<std::size_t>(bits) % 64;
    if (tail != 0 && (words.back() >> tail) != 0) fail(field, "bits set past the last operator");
    return m;
  }
  partial_condition partial(const std::string& field, std::size_t want) {
    const std::uint64_t k = ar_.count(16, "fixed parts");
    if (k != want)
      fail(field, std::to_string(k) + " evaluated parts, the model's condition has " + std::to_string(want));
    partial_condition p;
    p.fixed.resize(static_cast<std::size_t>(k));
    for (std::size_t j = 0; j < p.fixed.size(); ++j) p.fixed[j] = mask(field, false);
    return p;
  }
 private:
  portable_iarchive& ar_;
  std::size_t n_;
};

/// Which rules score() evaluates (those of some phase) and which of those read points.
struct rule_layout {
  std::vector<std::uint8_t> evaluated, reads;
};
rule_layout layout_of(const compiled_model& cm) {
  rule_layout l;
  l.evaluated.assign(cm.spec.rules.size(), 0);
  l.reads.assign(cm.spec.rules.size(), 0);
  for (const auto& phase : cm.rules_by_phase)
    for (std::uint32_t r : phase) {
      l.evaluated[r] = 1;
      l.reads[r] = reads_points(cm.spec.rules[r].when, cm) ? 1 : 0;
    }
  return l;
}

std::string prerequisites_field(int level) {
  return "prerequisites[" + std::string(to_string(grade_from_level(level))) + "]";
}

bool is_missing_kind(operator_warning::kind_t k) {
  return k == operator_warning::kind_t::missing_fixed || k == operator_warning::kind_t::missing_fallback ||
         k == operator_warning::kind_t::missing_zero;
}

}  // namespace

void scored_part::save(portable_oarchive& ar, const unsigned int /*version*/) const {
  const scored_state& S = *in;
  const compiled_model& cm = S.scoring_model->compiled();
  ar << S.as_of.days() << S.input_hash << S.run_warnings;
  ar << S.operator_ids.vector();
  ar << codes_of<std::uint8_t>(S.status.vector()) << S.terminate.vector();
  std::vector<std::uint8_t> graded(S.n);
  for (std::size_t i = 0; i < S.n; ++i) graded[i] = S.graded.test(i) ? 1 : 0;
  ar << graded;
  // leaf scores, column-major (NaN where a leaf does not apply)
  ar << static_cast<std::uint64_t>(S.leaf_scores.cols());
  ar << static_cast<std::uint64_t>(S.leaf_scores.size());  // as a std::vector<double>, without the copy
  ar.save_array(S.leaf_scores.data(), static_cast<std::size_t>(S.leaf_scores.size()));
  ar << S.patterns.of_row << S.patterns.applicable;
  // rules (by index) and prerequisites of the grade table (compiled order per level)
  ar << static_cast<std::uint64_t>(S.rule_fired.size());
  for (const bitmask& m : S.rule_fired) save_mask(ar, m);
  for (const partial_condition& p : S.rule_partial) save_partial(ar, p);
  ar << S.has_point_rules;
  ar << static_cast<std::uint64_t>(S.rule_lapse.size());
  for (const auto& v : S.rule_lapse) ar << days_of(v);
  for (int l = 1; l < grade_count; ++l) {
    const auto& list = cm.prerequisites[static_cast<std::size_t>(l)];
    const auto& entries = S.prerequisites[static_cast<std::size_t>(l)];
    ar << static_cast<std::uint64_t>(entries.size());
    for (std::size_t k = 0; k < entries.size(); ++k) {
      if (list[k].rule >= 0) continue;  // a prerequisite rule: the rule's mask above
      if (entries[k].reads_points) save_partial(ar, entries[k].partial);
      else save_mask(ar, entries[k].holds);
    }
  }
  // grading inputs and history
  ar << S.prerequisite_level << S.ceiling << S.down << S.previous_grade.vector();
  ar << codes_of<std::int8_t>(S.history_limit.vector()) << days_of(S.history_lapses_on.vector());
  // warnings of missing inputs (row, kind, leaf), low review volume
  std::vector<std::uint32_t> rows(S.missing_warnings.size()), index(S.missing_warnings.size());
  std::vector<std::uint8_t> kind(S.missing_warnings.size());
  for (std::size_t k = 0; k < S.missing_warnings.size(); ++k) {
    rows[k] = S.missing_warnings[k].first;
    kind[k] = static_cast<std::uint8_t>(S.missing_warnings[k].second.kind);
    index[k] = S.missing_warnings[k].second.index;
  }
  ar << rows << kind << index;
  save_mask(ar, S.low_volume);
  // fired rules and warnings shared by every re-grade (empty when some rule reads points)
  ar << S.fired_offsets.vector();
  std::vector<std::uint32_t> rule(S.fired.size());
  std::vector<std::int32_t> lapses(S.fired.size());
  for (std::size_t k = 0; k < S.fired.size(); ++k) {
    rule[k] = S.fired[k].rule;
    lapses[k] = S.fired[k].lapses_on.days();
  }
  ar << rule << lapses;
  ar << S.warning_offsets.vector();
  kind.resize(S.warnings.size());
  index.resize(S.warnings.size());
  for (std::size_t k = 0; k < S.warnings.size(); ++k) {
    kind[k] = static_cast<std::uint8_t>(S.warnings[k].kind);
    index[k] = S.warnings[k].index;
  }
  ar << kind << index;
}

void scored_part::load(portable_iarchive& ar, const unsigned int /*version*/) {
  const model& m = *scoring_model;
  const compiled_model& cm = m.compiled();
  const std::size_t n_rules = cm.spec.rules.size(), n_leaves = cm.leaves.size();
  auto st = std::make_shared<scored_state>();
  scored_state& S = *st;
  S.scoring_model = m;
  S.structure = cm.structure;
  std::int32_t as_of = 0;
  ar >> as_of >> S.input_hash >> S.run_warnings;
  S.as_of = civil_date(as_of);
  std::vector<std::string> ids;
  ar >> ids;
  const std::size_t n = ids.size();
  S.n = n;
  S.operator_ids = std::move(ids);
  reader rd(ar, n);

  const auto status = rd.array<std::uint8_t>("status", n);
  std::vector<operator_status> st_codes(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (status[i] > static_cast<std::uint8_t>(operator_status::terminated))
      rd.fail("status", "code " + std::to_string(status[i]) + " out of range (row " + std::to_string(i) + ")");
    st_codes[i] = static_cast<operator_status>(status[i]);
  }
  auto terminate = rd.array<std::uint8_t>("terminate", n);
  const auto graded = rd.array<std::uint8_t>("graded", n);
  S.graded.assign(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    if (terminate[i] > 1) rd.fail("terminate", "value " + std::to_string(terminate[i]) + " (0 or 1 expected) at row " + std::to_string(i));
    if (graded[i] > 1) rd.fail("graded", "value " + std::to_string(graded[i]) + " (0 or 1 expected) at row " + std::to_string(i));
    if (graded[i] == 1 && st_codes[i] != operator_status::active)
      rd.fail("graded", "row " + std::to_string(i) + " is graded but its status is not active");
    if (graded[i] == 1) S.graded.set(i);
  }
  S.status = std::move(st_codes);
  S.terminate = std::move(terminate);

  std::uint64_t leaves = 0;
  ar >> leaves;
  if (leaves != n_leaves)
    rd.fail("leaf_scores", std::to_string(leaves) + " columns, the model has " + std::to_string(n_leaves) + " leaves");
  // read straight into the buffer the matrix maps (the count is checked against the bytes left)
  const std::uint64_t n_scores = ar.count(sizeof(double), "array length");
  if (n != 0 && n_scores / n != n_leaves)
    rd.fail("leaf_scores", "has " + std::to_string(n_scores) + " values, " + std::to_string(n) + " × " + std::to_string(n_leaves) + " expected");
  rd.sized(static_cast<std::size_t>(n_scores), n * n_leaves, "leaf_scores");
  S.score_memory = large_buffer(sizeof(double) * static_cast<std::size_t>(n_scores));
  double* scores = static_cast<double*>(S.score_memory.data());
  ar.load_array(scores, static_cast<std::size_t>(n_scores));
  for (std::size_t k = 0; k < n_scores; ++k)
    if (!(std::isnan(scores[k]) || (scores[k] >= 0.0 && scores[k] <= 1.0)))
      rd.fail("leaf_scores", "score " + std::to_string(scores[k]) + " outside [0, 1] (row " + std::to_string(k % n) + ", leaf " +
                                 cm.spec.nodes[static_cast<std::size_t>(cm.leaves[k / n])].id + ")");
  new (&S.leaf_scores) Eigen::Map<Eigen::MatrixXd>(static_cast<double*>(S.score_memory.data()), static_cast<Eigen::Index>(n),
                                                   static_cast<Eigen::Index>(n_leaves));

  S.patterns.of_row = rd.array<std::uint32_t>("patterns", n);
  ar >> S.patterns.applicable;
  const std::size_t P = S.patterns.applicable.size();
  if (P == 0) rd.fail("pattern_leaves", "no patterns (pattern 0, every leaf applies, is always there)");
  for (std::size_t p = 0; p < P; ++p) {
    const auto& a = S.patterns.applicable[p];
    rd.sized(a.size(), n_leaves, "pattern_leaves[" + std::to_string(p) + "]");
    for (std::uint8_t v : a)
      if (v > 1) rd.fail("pattern_leaves[" + std::to_string(p) + "]", "value " + std::to_string(v) + " (0 or 1 expected)");
    if (p == 0 && std::find(a.begin(), a.end(), 0) != a.end()) rd.fail("pattern_leaves[0]", "not every leaf applies");
  }
  for (std::size_t i = 0; i < n; ++i)
    if (S.patterns.of_row[i] >= P)
      rd.fail("patterns", "pattern " + std::to_string(S.patterns.of_row[i]) + " out of range (" + std::to_string(P) +
                              " patterns) at row " + std::to_string(i));

  // rules: which ones score() evaluates and which read points come from the model
  const rule_layout lay = layout_of(cm);
  std::uint64_t rules = 0;
  ar >> rules;
  if (rules != n_rules) rd.fail("rule_fired", std::to_string(rules) + " rules, the model has " + std::to_string(n_rules));
  S.rule_fired.resize(n_rules);
  S.rule_partial.resize(n_rules);
  S.rule_reads_points = lay.reads;
  for (std::size_t r = 0; r < n_rules; ++r) {
    const std::string field = "rule_fired[" + cm.spec.rules[r].id + "]";
    S.rule_fired[r] = rd.mask(field, true);
    const bool want = lay.evaluated[r] && !lay.reads[r];
    if (want != (S.rule_fired[r].size() == n && n != 0) && n != 0)
      rd.fail(field, want ? "missing (the rule reads no points)" : "present for a rule that reads points or is not evaluated");
  }
  bool any_reads = false;
  for (std::size_t r = 0; r < n_rules; ++r) {
    const std::size_t parts = lay.reads[r] ? fixed_parts(cm.spec.rules[r].when, cm) : 0;
    S.rule_partial[r] = rd.partial("rule_partial[" + cm.spec.rules[r].id + "]", parts);
    any_reads = any_reads || lay.reads[r];
  }
  ar >> S.has_point_rules;
  std::uint64_t lapse_rules = 0;
  ar >> lapse_rules;
  if (lapse_rules != (S.has_point_rules ? n_rules : 0))
    rd.fail("rule_lapse", std::to_string(lapse_rules) + " rules, " + std::to_string(S.has_point_rules ? n_rules : 0) + " expected");
  S.rule_lapse.resize(static_cast<std::size_t>(lapse_rules));
  for (std::size_t r = 0; r < S.rule_lapse.size(); ++r) {
    std::vector<std::int32_t> d;
    ar >> d;
    if (!d.empty()) rd.sized(d.size(), n, "rule_lapse[" + cm.spec.rules[r].id + "]");
    S.rule_lapse[r].reserve(d.size());
    for (std::int32_t x : d) S.rule_lapse[r].emplace_back(x);
  }
  const auto holds = fill_prerequisites(
      cm, S,
      [&](int l, std::size_t want) {
        std::uint64_t count = 0;
        ar >> count;
        if (count != want)
          rd.fail(prerequisites_field(l), std::to_string(count) + " entries, the model has " + std::to_string(want));
      },
      [&](scored_state::prerequisite_entry& e, const auto& p, int l) {
        const std::string f = prerequisites_field(l) + "[" + p.id + "]";
        if (reads_points(*p.when, cm)) {
          e.reads_points = true;
          any_reads = true;
          e.partial = rd.partial(f, fixed_parts(*p.when, cm));
        } else {
          e.holds = rd.mask(f, false);
        }
      });
  for (int l = 1; l < grade_count; ++l)
    for (std::size_t k = 0; k < S.prerequisites[static_cast<std::size_t>(l)].size(); ++k) {
      const auto& e = S.prerequisites[static_cast<std::size_t>(l)][k];
      if (!e.reads_points && e.holds.size() != n)
        rd.fail(prerequisites_field(l) + "[" + cm.prerequisites[static_cast<std::size_t>(l)][k].id + "]",
                "no mask for a prerequisite that reads no points");
    }
  if (any_reads != S.has_point_rules)
    rd.fail("has_point_rules", S.has_point_rules ? "set, but no rule or prerequisite of the model reads points"
                                                 : "not set, but a rule or prerequisite of the model reads points");

  S.prerequisite_level = rd.array<std::uint8_t>("prerequisite_level", n);
  {  // the level the stored masks give (the stored one is checked against them)
    std::vector<std::uint8_t> level;
    prerequisite_levels(holds, n, level);
    for (std::size_t i = 0; i < n; ++i)
      if (S.prerequisite_level[i] != level[i])
        rd.fail("prerequisite_level", "row " + std::to_string(i) + " has level " + std::to_string(S.prerequisite_level[i]) +
                                          ", its prerequisite masks give " + std::to_string(level[i]));
  }
  S.ceiling = rd.array<std::int8_t>("ceiling", n);
  S.down = rd.array<std::int8_t>("down", n);
  auto previous = rd.array<std::int8_t>("previous_grade", n);
  const auto limit = rd.array<std::int8_t>("history_limit", n);
  const auto lapses = rd.array<std::int32_t>("history_lapses_on", n);
  std::vector<grade> hist(n);
  std::vector<civil_date> lapse_dates;
  lapse_dates.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string row = " at row " + std::to_string(i);
    if (S.ceiling[i] < 0 || S.ceiling[i] >= grade_count) rd.fail("ceiling", "level " + std::to_string(S.ceiling[i]) + " out of range" + row);
    if (S.down[i] < 0) rd.fail("down", "level " + std::to_string(S.down[i]) + " out of range" + row);
    if (previous[i] < no_grade || previous[i] >= grade_count)
      rd.fail("previous_grade", "code " + std::to_string(previous[i]) + " out of range" + row);
    if (limit[i] < 0 || limit[i] >= grade_count) rd.fail("history_limit", "code " + std::to_string(limit[i]) + " out of range" + row);
    hist[i] = static_cast<grade>(limit[i]);
    lapse_dates.emplace_back(lapses[i]);
  }
  S.previous_grade = std::move(previous);
  S.history_limit = std::move(hist);
  S.history_lapses_on = std::move(lapse_dates);

  std::vector<std::uint32_t> rows, index;
  std::vector<std::uint8_t> kind;
  ar >> rows >> kind >> index;
  rd.sized(kind.size(), rows.size(), "missing_warnings (kind)");
  rd.sized(index.size(), rows.size(), "missing_warnings (leaf)");
  S.missing_warnings.resize(rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto kt = static_cast<operator_warning::kind_t>(kind[k]);
    if (kind[k] > static_cast<std::uint8_t>(operator_warning::kind_t::low_review_volume) || !is_missing_kind(kt))
      rd.fail("missing_warnings", "kind code " + std::to_string(kind[k]) + " is not a missing-input warning");
    if (rows[k] >= n) rd.fail("missing_warnings", "row " + std::to_string(rows[k]) + " out of range (" + std::to_string(n) + " operators)");
    if (index[k] >= n_leaves)
      rd.fail("missing_warnings", "leaf index " + std::to_string(index[k]) + " out of range (the model has " + std::to_string(n_leaves) + " leaves)");
    S.missing_warnings[k] = {rows[k], operator_warning{kt, index[k]}};
  }
  S.low_volume = rd.mask("low_volume", true);

  // fired rules and warnings (empty when some rule reads points: each re-grade makes its own)
  std::vector<std::uint32_t> fired_offsets;
  ar >> fired_offsets;
  std::vector<std::uint32_t> rule;
  std::vector<std::int32_t> rule_lapses;
  ar >> rule >> rule_lapses;
  rd.sized(rule_lapses.size(), rule.size(), "fired (lapses_on)");
  std::vector<std::uint32_t> warning_offsets;
  ar >> warning_offsets;
  ar >> kind >> index;
  rd.sized(index.size(), kind.size(), "warnings (index)");
  if (S.has_point_rules) {
    if (!fired_offsets.empty() || !rule.empty() || !warning_offsets.empty() || !kind.empty())
      rd.fail("fired", "stored, but a rule reads points (each re-grade finds its own)");
  } else {
    // re-check the offsets through the reader's rules (start 0, monotone, end at the list size)
    auto check_offsets = [&](const std::vector<std::uint32_t>& o, std::size_t size, const char* field) {
      rd.sized(o.size(), n + 1, field);
      if (o[0] != 0) rd.fail(field, "does not start at 0");
      for (std::size_t i = 1; i < o.size(); ++i)
        if (o[i] < o[i - 1]) rd.fail(field, "not monotone at row " + std::to_string(i - 1));
      if (o.back() != size)
        rd.fail(field, "ends at " + std::to_string(o.back()) + " but the list has " + std::to_string(size) + " entries");
    };
    check_offsets(fired_offsets, rule.size(), "fired_offsets");
    check_offsets(warning_offsets, kind.size(), "warning_offsets");
    std::vector<fired_rule> fired(rule.size());
    for (std::size_t k = 0; k < rule.size(); ++k) {
      if (rule[k] >= n_rules)
        rd.fail("fired", "rule index " + std::to_string(rule[k]) + " out of range (the model has " + std::to_string(n_rules) + " rules)");
      fired[k] = fired_rule{rule[k], civil_date(rule_lapses[k])};
    }
    std::vector<operator_warning> warnings(kind.size());
    for (std::size_t k = 0; k < kind.size(); ++k) {
      if (kind[k] > static_cast<std::uint8_t>(operator_warning::kind_t::low_review_volume))
        rd.fail("warnings", "kind code " + std::to_string(kind[k]) + " out of range");
      const auto kt = static_cast<operator_warning::kind_t>(kind[k]);
      if (kt == operator_warning::kind_t::rule_warning && index[k] >= n_rules)
        rd.fail("warnings", "rule index " + std::to_string(index[k]) + " out of range (the model has " + std::to_string(n_rules) + " rules)");
      if (is_missing_kind(kt) && index[k] >= n_leaves)
        rd.fail("warnings", "leaf index " + std::to_string(index[k]) + " out of range (the model has " + std::to_string(n_leaves) + " leaves)");
      warnings[k] = operator_warning{kt, index[k]};
    }
    S.fired_offsets = std::move(fired_offsets);
    S.fired = std::move(fired);
    S.warning_offsets = std::move(warning_offsets);
    S.warnings = std::move(warnings);
  }
  out = std::move(st);
}

}  // namespace detail

namespace {

/// The serialized form of scored data; class version 1: the scoring model, then the scored part.
struct scored_form {
  const scored* in = nullptr;
  std::shared_ptr<const detail::scored_state> out;
  std::string source;

  void save(portable_oarchive& ar, const unsigned int /*version*/) const {
    const detail::scored_state& S = *in->state();
    detail::save_model_text(ar, *S.scoring_model);
    detail::scored_part p;
    p.in = &S;
    ar << p;
  }
  void load(portable_iarchive& ar, const unsigned int /*version*/) {
    const model m = detail::load_model_text(ar, source, "the model in the scored archive");
    detail::scored_part p;
    p.scoring_model = &m;
    ar >> p;
    out = std::move(p.out);
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};

}  // namespace
}  // namespace embedrating

BOOST_CLASS_VERSION(embedrating::scored_form, 1)

namespace embedrating {

std::string to_bytes(const scored& s) {
  if (!s.state()) throw std::logic_error("scored: empty (use score())");
  scored_form f;
  f.in = &s;
  return detail::seal_form(archive_type::scored, f);
}

template <>
scored from_bytes<scored>(std::string_view bytes, const std::string& source) {
  scored_form f;
  f.source = source;
  detail::unseal_form(archive_type::scored, bytes, source, "scored", f);
  return scored(std::move(f.out));
}

}  // namespace embedrating
