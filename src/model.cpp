// Model validation, compilation, canonical encoding and fingerprint, weights.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "condition_eval.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/detail/sha256.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/model.hpp"
#include "embedrating/scored.hpp"
#include "embedrating/review_fields.hpp"
#include "review_settings.hpp"

namespace embedrating {

// ---------------------------------------------------------------------------------------------
// Names

const char* to_string(rollup_kind r) noexcept {
  switch (r) {
    case rollup_kind::worst: return "worst";
    case rollup_kind::mean: return "mean";
    case rollup_kind::volume_mean: return "volume_mean";
    case rollup_kind::sum: return "sum";
  }
  return "?";
}

namespace {
std::string number_text(double v) {
  std::ostringstream os;
  os.precision(15);
  os << v;
  return os.str();
}
}  // namespace

// ---------------------------------------------------------------------------------------------
// Validation and compilation

namespace {

constexpr int max_tree_depth = 8;

class validator {
 public:
  explicit validator(const model_spec& s) : spec_(s) {}

  [[noreturn]] void fail(std::uint32_t line, const std::string& field, const std::string& msg) const {
    error_location where;
    where.file = spec_.info.file;
    where.line = line;
    where.field = field;
    throw model_error(where, msg);
  }

  void check_unit(std::uint32_t line, const std::string& field, double v) const {
    if (!std::isfinite(v) || v < 0.0 || v > 1.0)
      fail(line, field, "must be a number in [0, 1], got " + number_text(v));
  }

  void check_scoring(std::uint32_t line, const std::string& field, const scoring_function& f,
                     const field_ref& input) const {
    const bool category_input = is_category(input);
    if (category_input != (f.kind == scoring_kind::categorical)) {
      fail(line, field + ".kind",
           category_input ? "input " + input.text() + " is a category: use kind = \"categorical\""
                          : "kind \"categorical\" needs a category input, " + input.text() + " is numeric");
    }
    switch (f.kind) {
      case scoring_kind::linear:
        if (!std::isfinite(f.lower) || !std::isfinite(f.upper) || !(f.lower < f.upper))
          fail(line, field, "linear scoring needs finite lower < upper, got lower = " + number_text(f.lower) +
                                ", upper = " + number_text(f.upper));
        break;
      case scoring_kind::piecewise:
        if (f.points.size() < 2) fail(line, field + ".points", "piecewise scoring needs at least 2 points");
        for (std::size_t i = 0; i < f.points.size(); ++i) {
          if (!std::isfinite(f.points[i].first))
            fail(line, field + ".points[" + std::to_string(i) + "]", "x must be finite");
          check_unit(line, field + ".points[" + std::to_string(i) + "]", f.points[i].second);
          if (i > 0 && !(f.points[i - 1].first < f.points[i].first))
            fail(line, field + ".points", "x values must be strictly increasing");
        }
        break;
      case scoring_kind::steps:
        if (f.points.empty()) fail(line, field + ".steps", "steps scoring needs at least one step");
        for (std::size_t i = 0; i < f.points.size(); ++i) {
          if (!std::isfinite(f.points[i].first))
            fail(line, field + ".steps[" + std::to_string(i) + "]", "threshold must be finite");
          check_unit(line, field + ".steps[" + std::to_string(i) + "]", f.points[i].second);
          if (i > 0) {
            const bool ok = f.dir == direction::benefit ? f.points[i - 1].first > f.points[i].first
                                                        : f.points[i - 1].first < f.points[i].first;
            if (!ok)
              fail(line, field + ".steps",
                   f.dir == direction::benefit ? "benefit thresholds must be strictly descending"
                                               : "cost thresholds must be strictly ascending");
          }
        }
        check_unit(line, field + ".otherwise", f.otherwise);
        break;
      case scoring_kind::boolean:
        check_unit(line, field + ".true_score", f.true_score);
        check_unit(line, field + ".false_score", f.false_score);
        break;
      case scoring_kind::categorical: {
        const measure& m = spec_.measures[static_cast<std::size_t>(measure_of(input))];
        std::set<std::string> seen;
        for (const auto& [level, s] : f.categories) {
          if (std::find(m.levels.begin(), m.levels.end(), level) == m.levels.end())
            fail(line, field + ".map." + level, "\"" + level + "\" is not a level of measure " + m.id);
          if (!seen.insert(level).second) fail(line, field + ".map." + level, "level mapped twice");
          check_unit(line, field + ".map." + level, s);
        }
        for (const auto& level : m.levels)
          if (!seen.count(level)) fail(line, field + ".map", "level \"" + level + "\" of measure " + m.id + " is not mapped");
        break;
      }
    }
  }

  int measure_of(const field_ref& f) const {
    if (f.kind != field_kind::raw) return -1;
    for (std::size_t i = 0; i < spec_.measures.size(); ++i)
      if (spec_.measures[i].id == f.name) return static_cast<int>(i);
    return -1;
  }
  bool is_category(const field_ref& f) const {
    const int m = measure_of(f);
    return m >= 0 && spec_.measures[static_cast<std::size_t>(m)].kind == measure_kind::category;
  }

  void check_input(std::uint32_t line, const std::string& field, const field_ref& f) const {
    switch (f.kind) {
      case field_kind::raw:
        if (measure_of(f) < 0) fail(line, field, "unknown measure \"" + f.name + "\" (declare it in [[measures]])");
        return;
      case field_kind::reviews:
        check_review_measure(line, field, f.name);
        return;
      case field_kind::scenarios:
        check_scenario_set(line, field, f);
        return;
      case field_kind::months_since:
      case field_kind::flag:
        return;
      default:
        fail(line, field, f.text() + " cannot be an indicator input (use raw.*, reviews.*, scenarios, flag.* or months_since.*)");
    }
  }

  /// `scenarios.<set>` must name a declared [[scenario_sets]] entry.
  void check_scenario_set(std::uint32_t line, const std::string& field, const field_ref& f) const {
    if (f.name.empty()) return;
    for (const auto& set : spec_.scenario_sets)
      if (set.id == f.name) return;
    std::string known;
    for (const auto& set : spec_.scenario_sets) known += (known.empty() ? "" : ", ") + set.id;
    fail(line, field, "unknown scenario set \"" + f.name + "\" (declare it in [[scenario_sets]]" +
                          (known.empty() ? ")" : "; declared: " + known + ")"));
  }

  void check_review_measure(std::uint32_t line, const std::string& field, const std::string& name) const {
    for (const char* r : detail::review_measures)
      if (name == r) return;
    std::string known;
    for (const char* r : detail::review_measures) known += std::string(known.empty() ? "" : ", ") + r;
    fail(line, field, "unknown review measure \"" + name + "\" (known: " + known + ")");
  }

  void check_condition(std::uint32_t line, const std::string& field, const condition& c, int depth,
                       const std::set<std::string>& node_ids, const std::set<std::string>& dims) const {
    detail::validate_condition({spec_, node_ids, dims}, line, field, c, depth);
  }

 private:
  const model_spec& spec_;
};

std::int64_t to_centi(double points) { return static_cast<std::int64_t>(std::llround(points * 100.0)); }

}  // namespace

namespace {

void validate_and_compile(detail::compiled_model& cm) {
  model_spec& s = cm.spec;
  validator v(s);
  const std::uint32_t no_line = 0;

  // info
  if (s.info.id.empty()) v.fail(no_line, "model.id", "is required");
  if (!s.info.effective_from.is_missing() && !s.info.effective_to.is_missing() &&
      s.info.effective_to < s.info.effective_from)
    v.fail(no_line, "model.effective_to", "is before effective_from");

  // reviews (the same checks as on loading a review archive: src/review_settings.cpp), history
  if (const auto problem = detail::review_settings_problem(s.reviews)) v.fail(no_line, problem->first, problem->second);
  if (s.history.max_rise < 0 || s.history.max_rise > 5) v.fail(no_line, "history.max_rise", "must be 0..5");
  if (s.history.no_rise_months_after_downgrade < 0 || s.history.no_rise_months_after_downgrade > 1200)
    v.fail(no_line, "history.no_rise_months_after_downgrade", "must be 0..1200");

  // measures
  for (std::size_t i = 0; i < s.measures.size(); ++i) {
    const measure& m = s.measures[i];
    const std::string f = "measures[" + std::to_string(i) + "]";
    if (m.id.empty()) v.fail(m.line, f + ".id", "is required");
    if (cm.measure_index.count(m.id)) v.fail(m.line, f + ".id", "duplicate measure \"" + m.id + "\"");
    cm.measure_index.emplace(m.id, static_cast<std::int32_t>(i));
    if (m.kind == measure_kind::category) {
      if (m.levels.empty()) v.fail(m.line, f + ".levels", "a category measure needs levels");
      std::set<std::string> seen;
      for (const auto& l : m.levels)
        if (l.empty() || !seen.insert(l).second) v.fail(m.line, f + ".levels", "levels must be unique and non-empty");
      if (m.rollup != rollup_kind::worst) v.fail(m.line, f + ".rollup", "a category measure rolls up by \"worst\" only");
    } else {
      if (m.min && !std::isfinite(*m.min)) v.fail(m.line, f + ".min", "must be finite");
      if (m.max && !std::isfinite(*m.max)) v.fail(m.line, f + ".max", "must be finite");
      if (m.min && m.max && !(*m.min < *m.max)) v.fail(m.line, f + ".max", "must be greater than min");
      if (!m.levels.empty()) v.fail(m.line, f + ".levels", "only category measures have levels");
    }
  }

  // scenario sets: unique ids, each a non-empty list of distinct scenario codes
  {
    std::set<std::string> ids;
    for (std::size_t k = 0; k < s.scenario_sets.size(); ++k) {
      const scenario_set& set = s.scenario_sets[k];
      const std::string f = "scenario_sets[" + std::to_string(k) + "]";
      if (set.id.empty()) v.fail(set.line, f + ".id", "is required");
      if (!ids.insert(set.id).second) v.fail(set.line, f + ".id", "duplicate scenario set id \"" + set.id + "\"");
      if (set.codes.empty()) v.fail(set.line, f + ".codes", "a scenario set needs at least one code");
      std::set<std::string> seen;
      for (const auto& c : set.codes)
        if (c.empty() || !seen.insert(c).second) v.fail(set.line, f + ".codes", "codes must be unique and non-empty");
    }
  }

  // nodes
  const std::size_t n = s.nodes.size();
  cm.nodes.assign(n, {});
  std::set<std::string> node_ids, dims;
  for (std::size_t i = 0; i < n; ++i) {
    const indicator_node& nd = s.nodes[i];
    const std::string f = (nd.parent.empty() ? "dimensions[" : "indicators[") + std::to_string(i) + "]";
    if (nd.id.empty()) v.fail(nd.line, f + ".id", "is required");
    if (!cm.node_index.emplace(nd.id, static_cast<std::int32_t>(i)).second)
      v.fail(nd.line, f + ".id", "duplicate indicator or dimension id \"" + nd.id + "\"");
    if (!std::isfinite(nd.points)) v.fail(nd.line, nd.id + ".points", "must be a finite number");
    if (nd.points < 0.0) v.fail(nd.line, nd.id + ".points", "negative points (" + number_text(nd.points) + ") are not allowed");
    node_ids.insert(nd.id);
    if (nd.parent.empty()) dims.insert(nd.id);
  }
  if (dims.empty()) v.fail(no_line, "dimensions", "a model needs at least one dimension");
  for (std::size_t i = 0; i < n; ++i) {
    const indicator_node& nd = s.nodes[i];
    if (nd.parent.empty()) continue;
    const auto it = cm.node_index.find(nd.parent);
    if (it == cm.node_index.end())
      v.fail(nd.line, nd.id + ".parent", "unknown parent \"" + nd.parent + "\"");
    if (it->second == static_cast<std::int32_t>(i)) v.fail(nd.line, nd.id + ".parent", "a node cannot be its own parent");
    cm.nodes[i].parent = it->second;
    cm.nodes[static_cast<std::size_t>(it->second)].children.push_back(static_cast<std::int32_t>(i));
  }
  // depth (and cycles)
  for (std::size_t i = 0; i < n; ++i) {
    int depth = 0;
    std::int32_t p = cm.nodes[i].parent;
    while (p >= 0) {
      ++depth;
      if (depth > max_tree_depth)
        v.fail(s.nodes[i].line, s.nodes[i].id + ".parent",
               "indicator tree nested deeper than " + std::to_string(max_tree_depth) + " levels (or a parent cycle)");
      p = cm.nodes[static_cast<std::size_t>(p)].parent;
    }
    cm.nodes[i].depth = depth;
    cm.nodes[i].points_centi = to_centi(s.nodes[i].points);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (cm.nodes[i].parent < 0) {
      cm.nodes[i].dimension = static_cast<std::int32_t>(cm.dimensions.size());
      cm.dimensions.push_back(static_cast<std::int32_t>(i));
    }
  }
  // leaves in depth-first order; dimension of every node; topo order
  std::function<void(std::int32_t, std::int32_t)> walk = [&](std::int32_t node, std::int32_t dim) {
    detail::compiled_node& cn = cm.nodes[static_cast<std::size_t>(node)];
    cn.dimension = dim;
    cm.topo.push_back(node);
    if (cn.children.empty()) {
      cn.leaf = static_cast<std::int32_t>(cm.leaves.size());
      cm.leaves.push_back(node);
      cm.leaf_ids.push_back(s.nodes[static_cast<std::size_t>(node)].id);
    }
    for (std::int32_t c : cn.children) walk(c, dim);
  };
  for (std::size_t d = 0; d < cm.dimensions.size(); ++d) walk(cm.dimensions[d], static_cast<std::int32_t>(d));

  // points add up; leaves have inputs; groups do not
  for (std::size_t i = 0; i < n; ++i) {
    const indicator_node& nd = s.nodes[i];
    const detail::compiled_node& cn = cm.nodes[i];
    if (!cn.children.empty()) {
      std::int64_t sum = 0;
      for (std::int32_t c : cn.children) sum += cm.nodes[static_cast<std::size_t>(c)].points_centi;
      if (sum != cn.points_centi)
        v.fail(nd.line, nd.id + ".points",
               "children's points add up to " + number_text(static_cast<double>(sum) / 100.0) + ", not " +
                   number_text(nd.points));
      if (nd.input) v.fail(nd.line, nd.id + ".input", "a group (an indicator with children) has no input");
    } else {
      if (cn.parent < 0) v.fail(nd.line, nd.id, "a dimension needs at least one indicator");
      if (!nd.input) v.fail(nd.line, nd.id + ".input", "a leaf indicator needs an input");
      v.check_input(nd.line, nd.id + ".input", *nd.input);
      v.check_scoring(nd.line, nd.id + ".scoring", nd.scoring, *nd.input);
      switch (nd.missing.kind) {
        case missing_policy::kind_t::fixed:
          v.check_unit(nd.line, nd.id + ".missing.score", nd.missing.score);
          break;
        case missing_policy::kind_t::fallback:
          v.check_input(nd.line, nd.id + ".missing.fallback", nd.missing.fallback_input);
          v.check_scoring(nd.line, nd.id + ".missing.scoring", nd.missing.fallback_scoring, nd.missing.fallback_input);
          break;
        default:
          break;
      }
    }
    if (nd.not_applicable_if) {
      v.check_condition(nd.line, nd.id + ".not_applicable_if", *nd.not_applicable_if, 1, node_ids, dims);
      if (reads_scores(*nd.not_applicable_if))
        v.fail(nd.line, nd.id + ".not_applicable_if", "cannot read score.*, dim.* or total (not yet computed)");
    }
  }
  for (std::int32_t d : cm.dimensions) cm.total_centi += cm.nodes[static_cast<std::size_t>(d)].points_centi;
  if (cm.total_centi <= 0) v.fail(no_line, "dimensions", "total points must be positive");
  if (cm.total_centi > 1'000'000'000)
    v.fail(no_line, "dimensions", "total points must not exceed 10000000 (got " + number_text(static_cast<double>(cm.total_centi) / 100.0) + ")");
  for (auto& cn : cm.nodes) cn.base_centi = cn.points_centi;

  // grades
  for (std::size_t gi = 0; gi < s.grades.size(); ++gi) {
    const grade_gate& g = s.grades[gi];
    const std::string f = "grades[" + std::string(to_string(g.level)) + "]";
    if (g.level == grade::unrated) v.fail(g.line, f + ".grade", "\"unrated\" has no gates");
    auto& slot = cm.gate_index[static_cast<std::size_t>(level(g.level))];
    if (slot >= 0) v.fail(g.line, f + ".grade", "grade defined twice");
    slot = static_cast<std::int32_t>(gi);
    if (!std::isfinite(g.min_total) || g.min_total < 0.0) v.fail(g.line, f + ".min_total", "must be >= 0");
    v.check_unit(g.line, f + ".min_dimension_ratio", g.min_dimension_ratio);
    for (const auto& [d, r] : g.dimension_minimums) {
      if (!dims.count(d)) v.fail(g.line, f + ".dimension_minimums." + d, "unknown dimension \"" + d + "\"");
      v.check_unit(g.line, f + ".dimension_minimums." + d, r);
    }
    std::set<std::string> ids;
    for (std::size_t k = 0; k < g.prerequisites.size(); ++k) {
      const prerequisite& p = g.prerequisites[k];
      const std::string pf = f + ".prerequisites[" + std::to_string(k) + "]";
      if (p.id.empty()) v.fail(p.line, pf + ".id", "is required");
      if (!ids.insert(p.id).second) v.fail(p.line, pf + ".id", "duplicate prerequisite \"" + p.id + "\"");
      v.check_condition(p.line, pf + ".when", p.when, 1, node_ids, dims);
      cm.prerequisites[static_cast<std::size_t>(level(g.level))].push_back(
          {&p.when, p.id, -1, static_cast<std::int32_t>(gi), static_cast<std::int32_t>(k)});
    }
  }
  for (int l = 1; l <= 5; ++l)
    if (cm.gate_index[static_cast<std::size_t>(l)] < 0)
      v.fail(no_line, "grades", "grade " + std::string(to_string(grade_from_level(l))) + " is not defined");
  for (int l = 2; l <= 5; ++l) {
    const auto& lo = s.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l - 1)])];
    const auto& hi = s.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])];
    if (hi.min_total < lo.min_total)
      v.fail(hi.line, "grades[" + std::string(to_string(hi.level)) + "].min_total",
             "cut-offs must not decrease with the grade (" + number_text(hi.min_total) + " < " +
                 number_text(lo.min_total) + " of " + std::string(to_string(lo.level)) + ")");
  }

  // rules
  std::set<std::string> rule_ids;
  for (std::size_t ri = 0; ri < s.rules.size(); ++ri) {
    const rule& r = s.rules[ri];
    const std::string f = "rules[" + std::to_string(ri) + "]";
    if (r.id.empty()) v.fail(r.line, f + ".id", "is required");
    if (!rule_ids.insert(r.id).second) v.fail(r.line, f + ".id", "duplicate rule \"" + r.id + "\"");
    const std::string rf = "rules." + r.id;
    if (r.source.empty()) v.fail(r.line, rf + ".source", "every rule must cite its source");
    v.check_condition(r.line, rf + ".when", r.when, 1, node_ids, dims);
    const auto idx = static_cast<std::uint32_t>(ri);
    const rule_action_info& act = action_info(r.action);
    for (rule_param p : act.params) {
      switch (p) {
        case rule_param::levels:
          if (r.levels < 1 || r.levels > 5) v.fail(r.line, rf + ".levels", "must be 1..5");
          break;
        case rule_param::gated_grade:
          if (r.cap == grade::unrated) v.fail(r.line, rf + ".grade", "a prerequisite gates a grade 1A..5A");
          break;
        case rule_param::target:
          if (!node_ids.count(r.target)) v.fail(r.line, rf + ".target", "unknown indicator \"" + r.target + "\"");
          if (cm.nodes[static_cast<std::size_t>(cm.node_index.at(r.target))].parent < 0)
            v.fail(r.line, rf + ".target", "must be an indicator or group, not a dimension");
          break;
        case rule_param::score:
          v.check_unit(r.line, rf + ".score", r.score);
          break;
        case rule_param::ceiling:
        case rule_param::terminate:
        case rule_param::message:
        case rule_param::message_zh:
          break;
      }
    }
    cm.rules_by_phase[static_cast<std::size_t>(act.phase)].push_back(idx);
    if (act.phase == rule_phase::grade_gate)
      cm.prerequisites[static_cast<std::size_t>(level(r.cap))].push_back({&r.when, r.id, static_cast<std::int32_t>(ri), -1, -1});
    if ((act.phase == rule_phase::before_scoring || act.phase == rule_phase::on_scores) && reads_scores(r.when))
      v.fail(r.line, rf + ".when", std::string("a ") + act.name +
                                       " rule cannot read score.*, dim.* or total (they are computed after it)");
    if (r.lapse.active() && r.lapse.months <= 0) v.fail(r.line, rf + ".lapse.months", "must be > 0");
  }
}

// Canonical encoding -----------------------------------------------------------------------
//
// One encoder writes both the fingerprint's canonical encoding (docs/fingerprint.md) and the
// structure encoding: the same bytes with every number a re-grade may change written as 0 —
// node points, cut-offs, dimension floors and minimums, and the values compared with total,
// dim.* and group scores. Named parts mark where each item starts, so two structures can be
// compared part by part and the first difference named.

class encoder {
 public:
  encoder(bool structure, const detail::compiled_model* cm) : structure_(structure), cm_(cm) {}

  void part(std::string name) { parts_.emplace_back(std::move(name), out_.size()); }
  void tag(const char* t) {
    out_ += t;
    out_ += '\0';
  }
  void u8(unsigned v) { out_ += static_cast<char>(v & 0xFFu); }
  void i64(std::int64_t v) {
    for (int k = 0; k < 8; ++k) out_ += static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * k)) & 0xFFu);
  }
  void f64(double v) {
    if (v == 0.0) v = 0.0;  // -0 as +0
    std::uint64_t bits;
    if (std::isnan(v)) {
      bits = 0x7FF8000000000000ull;
    } else {
      std::memcpy(&bits, &v, sizeof bits);
    }
    i64(static_cast<std::int64_t>(bits));
  }
  /// A number a re-grade may change: 0 in the structure encoding.
  void variable(double v) { f64(structure_ ? 0.0 : v); }
  void str(const std::string& s) {
    i64(static_cast<std::int64_t>(s.size()));
    out_ += s;
  }
  void date(civil_date d) { i64(d.is_missing() ? INT64_MIN : d.days()); }
  void field(const field_ref& f) {
    u8(static_cast<unsigned>(f.kind));
    str(f.name);
  }
  void cond(const condition& c) {
    u8(static_cast<unsigned>(c.kind));
    if (c.kind == condition::node_kind::compare) {
      field(c.field);
      u8(static_cast<unsigned>(c.op));
      u8(c.string_values ? 1 : 0);
      i64(static_cast<std::int64_t>(c.numbers.size()));
      const bool threshold = cm_ != nullptr && detail::reads_points(c.field, *cm_);
      for (double x : c.numbers) threshold ? variable(x) : f64(x);
      i64(static_cast<std::int64_t>(c.strings.size()));
      for (const auto& x : c.strings) str(x);
      if (c.op == compare_op::count_in) {
        u8(static_cast<unsigned>(c.count_cmp));
        f64(c.count_n);
      }
    } else {
      i64(static_cast<std::int64_t>(c.children.size()));
      for (const auto& ch : c.children) cond(ch);
    }
  }
  void scoring(const scoring_function& f) {
    u8(static_cast<unsigned>(f.kind));
    switch (f.kind) {
      case scoring_kind::linear:
        u8(static_cast<unsigned>(f.dir));
        f64(f.lower);
        f64(f.upper);
        break;
      case scoring_kind::steps:
        u8(static_cast<unsigned>(f.dir));
        f64(f.otherwise);
        [[fallthrough]];
      case scoring_kind::piecewise:
        i64(static_cast<std::int64_t>(f.points.size()));
        for (const auto& [x, y] : f.points) {
          f64(x);
          f64(y);
        }
        break;
      case scoring_kind::boolean:
        f64(f.true_score);
        f64(f.false_score);
        break;
      case scoring_kind::categorical: {
        auto cats = f.categories;
        std::sort(cats.begin(), cats.end());
        i64(static_cast<std::int64_t>(cats.size()));
        for (const auto& [k, x] : cats) {
          str(k);
          f64(x);
        }
        break;
      }
    }
  }
  /// A rule's parameters, as the action table lists them (labels such as messages excluded).
  void params(const rule& r) {
    for (rule_param p : action_info(r.action).params) {
      switch (p) {
        case rule_param::ceiling:
        case rule_param::gated_grade: i64(level(r.cap)); break;
        case rule_param::levels: i64(r.levels); break;
        case rule_param::terminate: u8(r.terminate ? 1 : 0); break;
        case rule_param::target: str(r.target); break;
        case rule_param::score: f64(r.score); break;
        case rule_param::message:
        case rule_param::message_zh: break;
      }
    }
  }
  std::string take() { return std::move(out_); }
  const std::string& bytes() const noexcept { return out_; }
  const std::vector<std::pair<std::string, std::size_t>>& parts() const noexcept { return parts_; }

 private:
  bool structure_;
  const detail::compiled_model* cm_;
  std::string out_;
  std::vector<std::pair<std::string, std::size_t>> parts_;
};

void encode(const model_spec& s, encoder& e) {
  e.part("model");
  e.tag("embedrating-model/2");
  e.part("model.effective_period");
  e.tag("period");
  e.date(s.info.effective_from);
  e.date(s.info.effective_to);
  e.part("reviews");
  e.tag("reviews");
  // every setting from the table of review settings (embedrating/review_fields.hpp), in its order
  visit_review_fields(s.reviews, [&](const auto& field, const auto& v) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    if constexpr (std::is_array_v<T>) {
      for (double x : v) e.f64(x);
    } else if constexpr (std::is_same_v<T, double>) {
      e.f64(v);
    } else if (field.encoding == review_field_encoding::folded_into_next) {
      // carried by the next field (period by period_days)
    } else if (field.encoding == review_field_encoding::days_if_period) {
      e.i64(s.reviews.period == review_period::month ? 0 : static_cast<std::int64_t>(v));
    } else {
      e.i64(static_cast<std::int64_t>(v));  // whole numbers, flags (0/1) and choices (enum order)
    }
  });
  e.part("history");
  e.tag("history");
  e.i64(s.history.max_rise);
  e.i64(s.history.no_rise_months_after_downgrade);
  e.i64(level(s.history.first_rating_max));
  e.part("measures");
  e.tag("measures");
  std::vector<const measure*> ms;
  for (const auto& m : s.measures) ms.push_back(&m);
  std::sort(ms.begin(), ms.end(), [](const measure* a, const measure* b) { return a->id < b->id; });
  e.i64(static_cast<std::int64_t>(ms.size()));
  for (const measure* m : ms) {
    e.part("measures." + m->id);
    e.str(m->id);
    e.u8(static_cast<unsigned>(m->kind));
    e.u8(m->min ? 1 : 0);
    e.f64(m->min ? *m->min : 0.0);
    e.u8(m->max ? 1 : 0);
    e.f64(m->max ? *m->max : 0.0);
    e.i64(static_cast<std::int64_t>(m->levels.size()));
    for (const auto& l : m->levels) e.str(l);
    e.u8(static_cast<unsigned>(m->dir));
    e.u8(static_cast<unsigned>(m->rollup));
  }
  e.part("indicators");
  e.tag("nodes");
  e.i64(static_cast<std::int64_t>(s.nodes.size()));
  for (const auto& nd : s.nodes) {
    e.part(nd.id + ".parent");
    e.str(nd.id);
    e.str(nd.parent);
    e.variable(nd.points);
    e.part(nd.id + ".input");
    e.u8(nd.input ? 1 : 0);
    if (nd.input) {
      e.field(*nd.input);
      e.part(nd.id + ".scoring");
      e.scoring(nd.scoring);
      e.part(nd.id + ".missing");
      e.u8(static_cast<unsigned>(nd.missing.kind));
      if (nd.missing.kind == missing_policy::kind_t::fixed) e.f64(nd.missing.score);
      if (nd.missing.kind == missing_policy::kind_t::fallback) {
        e.field(nd.missing.fallback_input);
        e.scoring(nd.missing.fallback_scoring);
      }
    }
    e.part(nd.id + ".not_applicable_if");
    e.u8(nd.not_applicable_if ? 1 : 0);
    if (nd.not_applicable_if) e.cond(*nd.not_applicable_if);
  }
  e.part("grades");
  e.tag("grades");
  std::vector<const grade_gate*> gs;
  for (const auto& g : s.grades) gs.push_back(&g);
  std::sort(gs.begin(), gs.end(), [](const grade_gate* a, const grade_gate* b) { return a->level < b->level; });
  e.i64(static_cast<std::int64_t>(gs.size()));
  for (const grade_gate* g : gs) {
    const std::string gp = "grades." + std::string(to_string(g->level));
    e.part(gp);
    e.i64(level(g->level));
    e.variable(g->min_total);
    e.variable(g->min_dimension_ratio);
    auto mins = g->dimension_minimums;
    std::sort(mins.begin(), mins.end());
    e.part(gp + ".dimension_minimums");
    e.i64(static_cast<std::int64_t>(mins.size()));
    for (const auto& [d, r] : mins) {
      e.str(d);
      e.variable(r);
    }
    e.part(gp + ".prerequisites");
    e.i64(static_cast<std::int64_t>(g->prerequisites.size()));
    for (const auto& p : g->prerequisites) {
      e.part(gp + ".prerequisites." + p.id);
      e.str(p.id);
      e.cond(p.when);
    }
  }
  e.part("rules");
  e.tag("rules");
  e.i64(static_cast<std::int64_t>(s.rules.size()));
  for (const auto& r : s.rules) {
    const std::string rp = "rules." + r.id;
    e.part(rp + ".action");
    e.str(r.id);
    e.u8(static_cast<unsigned>(r.action));
    e.part(rp + ".when");
    e.cond(r.when);
    e.part(rp + ".parameters");
    e.params(r);
    e.part(rp + ".lapse");
    e.str(r.lapse.date_field);
    e.i64(r.lapse.months);
  }
  if (!s.scenario_sets.empty()) {  // only when declared: models without sets keep their fingerprint
    e.part("scenario_sets");
    e.tag("scenario_sets");
    std::vector<const scenario_set*> sets;
    for (const auto& set : s.scenario_sets) sets.push_back(&set);
    std::sort(sets.begin(), sets.end(), [](const scenario_set* a, const scenario_set* b) { return a->id < b->id; });
    e.i64(static_cast<std::int64_t>(sets.size()));
    for (const scenario_set* set : sets) {
      e.str(set->id);
      std::vector<std::string> codes = set->codes;
      std::sort(codes.begin(), codes.end());
      e.i64(static_cast<std::int64_t>(codes.size()));
      for (const auto& c : codes) e.str(c);
    }
  }
  e.part("end");
}

std::string canonical_encoding_of(const model_spec& s) {
  encoder e(false, nullptr);
  encode(s, e);
  return e.take();
}

}  // namespace

model::model(model_spec spec) {
  auto cm = std::make_shared<detail::compiled_model>();
  cm->spec = std::move(spec);
  validate_and_compile(*cm);
  cm->canonical = canonical_encoding_of(cm->spec);
  cm->fingerprint = detail::sha256_hex(cm->canonical);
  encoder st(true, cm.get());
  encode(cm->spec, st);
  cm->structure = detail::sha256_hex(st.bytes());
  compiled_ = std::move(cm);
}

const std::string& model::fingerprint() const noexcept { return compiled_->fingerprint; }
std::string model::canonical_encoding() const { return compiled_->canonical; }
const model_spec& model::spec() const noexcept { return compiled_->spec; }
const std::vector<std::string>& model::leaf_ids() const noexcept { return compiled_->leaf_ids; }
double model::total_points() const noexcept { return static_cast<double>(compiled_->total_centi) / 100.0; }

std::vector<double> model::weights() const {
  std::vector<double> w;
  w.reserve(compiled_->leaves.size());
  const double total = static_cast<double>(compiled_->total_centi);
  for (std::int32_t leaf : compiled_->leaves)
    w.push_back(static_cast<double>(compiled_->nodes[static_cast<std::size_t>(leaf)].points_centi) / total);
  return w;
}

model model::with_weights(const std::vector<std::pair<std::string, double>>& weights) const {
  return with_leaf_weights(weights, weight_total::keep);
}

namespace {
const char* total_policy_name(weight_total t) {
  switch (t) {
    case weight_total::keep: return "keep";
    case weight_total::normalize: return "normalize";
    case weight_total::rescale: return "rescale";
  }
  return "?";
}
}  // namespace

model model::with_leaf_weights(const std::vector<std::pair<std::string, double>>& weights, weight_total policy) const {
  model_spec s = spec();
  const auto& cm = *compiled_;
  const double total = static_cast<double>(cm.total_centi) / 100.0;
  // the full weight vector: named leaves get their new weight, the others keep theirs
  std::vector<double> w = this->weights();
  std::vector<std::uint8_t> named(w.size(), 0);
  std::set<std::string> seen;
  for (const auto& [id, x] : weights) {
    const auto it = cm.node_index.find(id);
    error_location where;
    where.field = id;
    if (it == cm.node_index.end() || cm.nodes[static_cast<std::size_t>(it->second)].leaf < 0)
      throw model_error(where, "with_weights: \"" + id + "\" is not a leaf indicator");
    if (!std::isfinite(x) || x < 0.0) throw model_error(where, "with_weights: weight must be finite and >= 0, got " + number_text(x));
    if (!seen.insert(id).second) throw model_error(where, "with_weights: weight given twice");
    const auto leaf = static_cast<std::size_t>(cm.nodes[static_cast<std::size_t>(it->second)].leaf);
    w[leaf] = x;
    named[leaf] = 1;
  }
  double sum = 0.0;
  for (double x : w) sum += x;
  double scale = total;  // points per unit of weight
  error_location where;
  where.field = "weights";
  switch (policy) {
    case weight_total::keep:
      if (std::fabs(sum - 1.0) > 1e-6) {
        const bool partial = seen.size() < w.size();
        throw model_error(where, "with_weights: the weights" + std::string(partial ? " (with the current weights of the leaves not named)" : "") +
                                     " sum to " + number_text(sum) + ", not 1: the model's total of " + number_text(total) +
                                     " points would become " + number_text(sum * total) +
                                     " while the cut-offs stay; normalise the weights (total=\"normalize\"), or change the total explicitly (total=\"rescale\")");
      }
      break;
    case weight_total::normalize:
      if (!(sum > 0.0)) throw model_error(where, "with_weights: every weight is 0: nothing to normalise");
      scale = total / sum;
      break;
    case weight_total::rescale:
      if (!(sum > 0.0)) throw model_error(where, "with_weights: every weight is 0: the total would be 0");
      break;
  }
  for (std::size_t j = 0; j < w.size(); ++j) {
    if (policy == weight_total::keep && !named[j]) continue;  // keeps its points exactly
    // Points rounded to 0.01 (as regrade_many does), so with_weights(weights()) gives back the same points exactly.
    s.nodes[static_cast<std::size_t>(cm.leaves[j])].points = static_cast<double>(std::llround(w[j] * scale * 100.0)) / 100.0;
  }
  // Groups and dimensions follow their children (reverse topological order).
  for (auto it = cm.topo.rbegin(); it != cm.topo.rend(); ++it) {
    const auto& cn = cm.nodes[static_cast<std::size_t>(*it)];
    if (cn.children.empty()) continue;
    std::int64_t sum_c = 0;
    for (std::int32_t c : cn.children) sum_c += to_centi(s.nodes[static_cast<std::size_t>(c)].points);
    s.nodes[static_cast<std::size_t>(*it)].points = static_cast<double>(sum_c) / 100.0;
  }
  std::int64_t new_total = 0;
  for (std::int32_t d : cm.dimensions) new_total += to_centi(s.nodes[static_cast<std::size_t>(d)].points);
  std::string note = std::to_string(seen.size()) + " leaf weight(s) set, total " + total_policy_name(policy) + ": " +
                     number_text(total) + " -> " + number_text(static_cast<double>(new_total) / 100.0) + " points";
  return derive(std::move(s), "with_weights", note);
}

model model::with_cutoffs(const std::vector<std::pair<grade, double>>& min_totals) const {
  model_spec s = spec();
  for (const auto& [g, t] : min_totals) {
    const std::int32_t gi = compiled_->gate_index[static_cast<std::size_t>(level(g))];
    if (gi < 0) {
      error_location where;
      where.field = "grades";
      throw model_error(where, "with_cutoffs: no gate for grade " + std::string(to_string(g)));
    }
    s.grades[static_cast<std::size_t>(gi)].min_total = t;
  }
  std::string note;
  for (const auto& [g, t] : min_totals) note += (note.empty() ? "min_total " : ", ") + std::string(to_string(g)) + " = " + number_text(t);
  return derive(std::move(s), "with_cutoffs", note);
}

std::string structure_difference(const model& a, const model& b) {
  if (a.compiled().structure == b.compiled().structure) return {};
  encoder ea(true, &a.compiled()), eb(true, &b.compiled());
  encode(a.spec(), ea);
  encode(b.spec(), eb);
  const auto& pa = ea.parts();
  const auto& pb = eb.parts();
  const auto slice = [](const encoder& e, std::size_t k) {
    const auto& p = e.parts();
    const std::size_t end = k + 1 < p.size() ? p[k + 1].second : e.bytes().size();
    return e.bytes().substr(p[k].second, end - p[k].second);
  };
  for (std::size_t k = 0; k < pa.size() && k < pb.size(); ++k) {
    if (pa[k].first != pb[k].first) return pa[k].first + " (the other model has " + pb[k].first + " there)";
    if (slice(ea, k) != slice(eb, k)) return pa[k].first;
  }
  return pa.size() < pb.size() ? pb[pa.size()].first : "model";
}

model model::with_params(const std::vector<std::pair<std::string, double>>& params) const {
  model_spec s = spec();
  for (const auto& [name, value] : params) {
    error_location where;
    where.field = name;
    std::string rest = name.rfind("grades.", 0) == 0 ? name.substr(7) : name;
    const auto dot = rest.find('.');
    const auto g = dot == std::string::npos ? std::nullopt : parse_grade(rest.substr(0, dot));
    if (!g || *g == grade::unrated)
      throw model_error(where, "with_params: unknown parameter \"" + name +
                                   "\" (use grades.<1A..5A>.min_total, .min_dimension_ratio or .dimension_minimums.<dimension>)");
    grade_gate& gate = s.grades[static_cast<std::size_t>(compiled_->gate_index[static_cast<std::size_t>(level(*g))])];
    const std::string what = rest.substr(dot + 1);
    if (what == "min_total") {
      gate.min_total = value;
    } else if (what == "min_dimension_ratio") {
      gate.min_dimension_ratio = value;
    } else if (what.rfind("dimension_minimums.", 0) == 0) {
      const std::string dim = what.substr(19);
      const auto it = compiled_->node_index.find(dim);
      if (it == compiled_->node_index.end() || compiled_->nodes[static_cast<std::size_t>(it->second)].parent >= 0)
        throw model_error(where, "with_params: \"" + dim + "\" is not a dimension");
      bool found = false;
      for (auto& [d, r] : gate.dimension_minimums)
        if (d == dim) {
          r = value;
          found = true;
        }
      if (!found) gate.dimension_minimums.emplace_back(dim, value);
    } else {
      throw model_error(where, "with_params: unknown parameter \"" + name +
                                   "\" (use grades.<1A..5A>.min_total, .min_dimension_ratio or .dimension_minimums.<dimension>)");
    }
  }
  std::string note;
  for (const auto& [name, value] : params) note += (note.empty() ? "" : ", ") + name + " = " + number_text(value);
  return derive(std::move(s), "with_params", note);
}

model model::with_info(const model_info& info) const {
  model_spec s = spec();
  const std::string file = s.info.file;
  s.info = info;
  s.info.file = file;
  return model(std::move(s));
}

model model::derive(model_spec s, const std::string& method, const std::string& note, const std::string& id,
                    const std::string& version, bool always) const {
  const std::string fp = detail::sha256_hex(canonical_encoding_of(s));
  if (!id.empty()) s.info.id = id;
  if (always || fp != fingerprint() || !version.empty()) {
    if (!version.empty()) {
      s.info.version = version;
    } else {
      const std::string& v = info().version;
      const std::string base = v.substr(0, v.find('+'));
      s.info.version = (base.empty() ? std::string("0") : base) + "+" + fp.substr(0, 8);
    }
    s.info.provenance.parent_id = info().id;
    s.info.provenance.parent_version = info().version;
    s.info.provenance.parent_fingerprint = fingerprint();
    s.info.provenance.method = method;
    s.info.provenance.note = note;
  }
  return model(std::move(s));
}

// ---------------------------------------------------------------------------------------------
// Differences between two models (model::diff)

namespace {

std::string short_number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string date_text(civil_date d) { return d.is_missing() ? std::string() : to_string(d); }

std::string scoring_text(const scoring_function& f) {
  std::string out;
  auto dir = [&] { return std::string(f.dir == direction::benefit ? "benefit" : "cost"); };
  auto pts = [&] {
    std::string p;
    for (const auto& [x, y] : f.points) p += (p.empty() ? "" : ", ") + ("(" + short_number(x) + ", " + short_number(y) + ")");
    return p;
  };
  switch (f.kind) {
    case scoring_kind::linear: return "linear " + dir() + " " + short_number(f.lower) + ".." + short_number(f.upper);
    case scoring_kind::piecewise: return "piecewise " + pts();
    case scoring_kind::steps: return "steps " + dir() + " " + pts() + " otherwise " + short_number(f.otherwise);
    case scoring_kind::boolean: return "boolean true " + short_number(f.true_score) + " false " + short_number(f.false_score);
    case scoring_kind::categorical: {
      auto cats = f.categories;
      std::sort(cats.begin(), cats.end());
      for (const auto& [k, x] : cats) out += (out.empty() ? "" : ", ") + k + " " + short_number(x);
      return "categorical " + out;
    }
  }
  return out;
}

std::string missing_text(const missing_policy& m) {
  switch (m.kind) {
    case missing_policy::kind_t::error: return "error";
    case missing_policy::kind_t::zero: return "zero";
    case missing_policy::kind_t::fixed: return "score " + short_number(m.score);
    case missing_policy::kind_t::fallback: return "fallback " + m.fallback_input.text() + ": " + scoring_text(m.fallback_scoring);
  }
  return {};
}

std::string rule_params_text(const rule& r) {
  std::string out;
  for (rule_param p : action_info(r.action).params) {
    std::string part;
    switch (p) {
      case rule_param::ceiling:
      case rule_param::gated_grade: part = "grade " + std::string(to_string(r.cap)); break;
      case rule_param::levels: part = "levels " + std::to_string(r.levels); break;
      case rule_param::terminate: part = std::string("terminate ") + (r.terminate ? "true" : "false"); break;
      case rule_param::target: part = "target " + r.target; break;
      case rule_param::score: part = "score " + short_number(r.score); break;
      case rule_param::message: part = r.message.empty() ? "" : "message " + r.message; break;
      case rule_param::message_zh: part = r.message_zh.empty() ? "" : "message_zh " + r.message_zh; break;
    }
    if (!part.empty()) out += (out.empty() ? "" : "; ") + part;
  }
  return out;
}

class differ {
 public:
  std::vector<model_change> out;
  void add(const std::string& section, const std::string& item, const std::string& field, const std::string& a,
           const std::string& b) {
    if (a != b) out.push_back({section, item, field, a, b});
  }
  void num(const std::string& section, const std::string& item, const std::string& field, double a, double b) {
    if (a != b) out.push_back({section, item, field, short_number(a), short_number(b)});
  }
  void presence(const std::string& section, const std::string& item, bool in_a) {
    out.push_back({section, item, "", in_a ? "present" : "", in_a ? "" : "present"});
  }
};

template <class T, class F>
const T* find_by_id(const std::vector<T>& v, const std::string& id, F id_of) {
  for (const auto& x : v)
    if (id_of(x) == id) return &x;
  return nullptr;
}

std::string rationale_of(const model_spec& s, const std::string& rule_id) {
  for (const auto& [id, text] : s.rule_rationales)
    if (id == rule_id) return text;
  return {};
}

}  // namespace

std::vector<model_change> model::diff(const model& other) const {
  const model_spec& a = spec();
  const model_spec& b = other.spec();
  differ d;
  // model
  d.add("model", "", "id", a.info.id, b.info.id);
  d.add("model", "", "version", a.info.version, b.info.version);
  d.add("model", "", "label", a.info.label, b.info.label);
  d.add("model", "", "label_zh", a.info.label_zh, b.info.label_zh);
  d.add("model", "", "source", a.info.source, b.info.source);
  d.add("model", "", "rationale", a.info.rationale, b.info.rationale);
  d.add("model", "", "effective_from", date_text(a.info.effective_from), date_text(b.info.effective_from));
  d.add("model", "", "effective_to", date_text(a.info.effective_to), date_text(b.info.effective_to));
  d.add("model", "", "provenance.parent_fingerprint", a.info.provenance.parent_fingerprint, b.info.provenance.parent_fingerprint);
  d.add("model", "", "provenance.method", a.info.provenance.method, b.info.provenance.method);
  d.add("model", "", "provenance.note", a.info.provenance.note, b.info.provenance.note);
  d.num("model", "", "total", total_points(), other.total_points());
  // reviews and history
  visit_review_fields(a.reviews, [&](const auto& field, const auto& x) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    const auto& y = b.reviews.*(field.member);
    if constexpr (std::is_array_v<T>) {
      for (std::size_t k = 0; k < std::extent_v<T>; ++k)
        d.num("reviews", "", std::string(field.name) + "." + std::to_string(k + 1), x[k], y[k]);
    } else if constexpr (std::is_enum_v<T>) {
      // period and period_days are one change ("days 7"), as in the canonical encoding
      auto text = [&](T v, const review_settings& r) {
        const char* name = choice_name(field, v);
        std::string out = name != nullptr ? name : std::to_string(static_cast<int>(v));
        if (field.encoding == review_field_encoding::folded_into_next && r.period == review_period::days)
          out += " " + std::to_string(r.period_days);
        return out;
      };
      d.add("reviews", "", field.name, text(x, a.reviews), text(y, b.reviews));
    } else if constexpr (std::is_same_v<T, bool>) {
      d.add("reviews", "", field.name, x ? "true" : "false", y ? "true" : "false");
    } else if (field.encoding != review_field_encoding::days_if_period) {
      d.num("reviews", "", field.name, static_cast<double>(x), static_cast<double>(y));
    }
  });
  d.num("history", "", "max_rise", a.history.max_rise, b.history.max_rise);
  d.num("history", "", "no_rise_months_after_downgrade", a.history.no_rise_months_after_downgrade, b.history.no_rise_months_after_downgrade);
  d.add("history", "", "first_rating_max", std::string(to_string(a.history.first_rating_max)), std::string(to_string(b.history.first_rating_max)));
  // measures
  auto mid = [](const measure& m) { return m.id; };
  for (const auto& ma : a.measures) {
    const measure* mb = find_by_id(b.measures, ma.id, mid);
    if (mb == nullptr) {
      d.presence("measures", ma.id, true);
      continue;
    }
    d.add("measures", ma.id, "kind", ma.kind == measure_kind::number ? "number" : "category", mb->kind == measure_kind::number ? "number" : "category");
    d.add("measures", ma.id, "min", ma.min ? short_number(*ma.min) : "", mb->min ? short_number(*mb->min) : "");
    d.add("measures", ma.id, "max", ma.max ? short_number(*ma.max) : "", mb->max ? short_number(*mb->max) : "");
    std::string la, lb;
    for (const auto& l : ma.levels) la += (la.empty() ? "" : ", ") + l;
    for (const auto& l : mb->levels) lb += (lb.empty() ? "" : ", ") + l;
    d.add("measures", ma.id, "levels", la, lb);
    d.add("measures", ma.id, "direction", ma.dir == direction::benefit ? "benefit" : "cost", mb->dir == direction::benefit ? "benefit" : "cost");
    d.add("measures", ma.id, "rollup", to_string(ma.rollup), to_string(mb->rollup));
    d.add("measures", ma.id, "unit", ma.unit, mb->unit);
    d.add("measures", ma.id, "label", ma.label, mb->label);
    d.add("measures", ma.id, "label_zh", ma.label_zh, mb->label_zh);
    d.add("measures", ma.id, "source", ma.source, mb->source);
    d.add("measures", ma.id, "rationale", ma.rationale, mb->rationale);
  }
  for (const auto& mb : b.measures)
    if (find_by_id(a.measures, mb.id, mid) == nullptr) d.presence("measures", mb.id, false);
  // indicator tree
  auto nid = [](const indicator_node& n) { return n.id; };
  const double ta = total_points(), tb = other.total_points();
  for (const auto& na : a.nodes) {
    const indicator_node* nb = find_by_id(b.nodes, na.id, nid);
    if (nb == nullptr) {
      d.presence("indicators", na.id, true);
      continue;
    }
    d.add("indicators", na.id, "parent", na.parent, nb->parent);
    d.num("indicators", na.id, "points", na.points, nb->points);
    if (ta > 0 && tb > 0) {
      const double wa = std::round(na.points / ta * 1e6) / 1e6, wb = std::round(nb->points / tb * 1e6) / 1e6;
      d.num("indicators", na.id, "weight", wa, wb);
    }
    d.add("indicators", na.id, "input", na.input ? na.input->text() : "", nb->input ? nb->input->text() : "");
    if (na.input || nb->input) {
      d.add("indicators", na.id, "scoring", na.input ? scoring_text(na.scoring) : "", nb->input ? scoring_text(nb->scoring) : "");
      d.add("indicators", na.id, "missing", na.input ? missing_text(na.missing) : "", nb->input ? missing_text(nb->missing) : "");
    }
    d.add("indicators", na.id, "not_applicable_if", na.not_applicable_if ? to_string(*na.not_applicable_if) : "",
          nb->not_applicable_if ? to_string(*nb->not_applicable_if) : "");
    d.add("indicators", na.id, "label", na.label, nb->label);
    d.add("indicators", na.id, "label_zh", na.label_zh, nb->label_zh);
    d.add("indicators", na.id, "source", na.source, nb->source);
    d.add("indicators", na.id, "rationale", na.rationale, nb->rationale);
  }
  for (const auto& nb : b.nodes)
    if (find_by_id(a.nodes, nb.id, nid) == nullptr) d.presence("indicators", nb.id, false);
  // grades, best first
  for (int l = grade_count - 1; l >= 1; --l) {
    const grade g = grade_from_level(l);
    const std::string gid(to_string(g));
    const grade_gate* ga = nullptr;
    const grade_gate* gb = nullptr;
    for (const auto& x : a.grades)
      if (x.level == g) ga = &x;
    for (const auto& x : b.grades)
      if (x.level == g) gb = &x;
    if (ga == nullptr && gb == nullptr) continue;
    if (ga == nullptr || gb == nullptr) {
      d.presence("grades", gid, ga != nullptr);
      continue;
    }
    d.num("grades", gid, "min_total", ga->min_total, gb->min_total);
    d.num("grades", gid, "min_dimension_ratio", ga->min_dimension_ratio, gb->min_dimension_ratio);
    std::set<std::string> dims;
    for (const auto& [dim, r] : ga->dimension_minimums) dims.insert(dim);
    for (const auto& [dim, r] : gb->dimension_minimums) dims.insert(dim);
    for (const auto& dim : dims) {
      std::string va, vb;
      for (const auto& [x, r] : ga->dimension_minimums)
        if (x == dim) va = short_number(r);
      for (const auto& [x, r] : gb->dimension_minimums)
        if (x == dim) vb = short_number(r);
      d.add("grades", gid, "dimension_minimums." + dim, va, vb);
    }
    auto pid = [](const prerequisite& p) { return p.id; };
    for (const auto& pa : ga->prerequisites) {
      const prerequisite* pb = find_by_id(gb->prerequisites, pa.id, pid);
      if (pb == nullptr) {
        d.add("grades", gid, "prerequisites." + pa.id, to_string(pa.when), "");
        continue;
      }
      d.add("grades", gid, "prerequisites." + pa.id, to_string(pa.when), to_string(pb->when));
      d.add("grades", gid, "prerequisites." + pa.id + ".label", pa.label, pb->label);
      d.add("grades", gid, "prerequisites." + pa.id + ".source", pa.source, pb->source);
    }
    for (const auto& pb : gb->prerequisites)
      if (find_by_id(ga->prerequisites, pb.id, pid) == nullptr) d.add("grades", gid, "prerequisites." + pb.id, "", to_string(pb.when));
    d.add("grades", gid, "rationale", ga->rationale, gb->rationale);
  }
  // rules
  auto rid = [](const rule& r) { return r.id; };
  for (const auto& ra : a.rules) {
    const rule* rb = find_by_id(b.rules, ra.id, rid);
    if (rb == nullptr) {
      d.presence("rules", ra.id, true);
      continue;
    }
    d.add("rules", ra.id, "action", to_string(ra.action), to_string(rb->action));
    d.add("rules", ra.id, "when", to_string(ra.when), to_string(rb->when));
    d.add("rules", ra.id, "parameters", rule_params_text(ra), rule_params_text(*rb));
    d.add("rules", ra.id, "lapse", ra.lapse.active() ? ra.lapse.date_field + " + " + std::to_string(ra.lapse.months) + " months" : "",
          rb->lapse.active() ? rb->lapse.date_field + " + " + std::to_string(rb->lapse.months) + " months" : "");
    d.add("rules", ra.id, "label", ra.label, rb->label);
    d.add("rules", ra.id, "label_zh", ra.label_zh, rb->label_zh);
    d.add("rules", ra.id, "source", ra.source, rb->source);
    d.add("rules", ra.id, "rationale", rationale_of(a, ra.id), rationale_of(b, ra.id));
  }
  for (const auto& rb : b.rules)
    if (find_by_id(a.rules, rb.id, rid) == nullptr) d.presence("rules", rb.id, false);
  // rule order matters (file order decides evaluation order within a phase)
  std::string oa, ob;
  for (const auto& r : a.rules) oa += (oa.empty() ? "" : ", ") + r.id;
  for (const auto& r : b.rules) ob += (ob.empty() ? "" : ", ") + r.id;
  if (oa != ob && a.rules.size() == b.rules.size()) d.add("rules", "", "order", oa, ob);
  return std::move(d.out);
}

// ---------------------------------------------------------------------------------------------
// Files

std::string data_directory() {
  // 1. the environment; 2. the install prefix's share/embedrating when it holds the data (an
  // installed library must not follow a source tree that happens to be on the same machine);
  // 3. the source tree's data/ (build-tree use); 4. the install directory, for the error message.
  if (const char* env = std::getenv("EMBEDRATING_DATA_DIR"); env != nullptr && *env != '\0') return env;
  auto holds_data = [](const std::string& dir) {
    std::ifstream probe(dir + "/models/wuhan-2024.toml");
    return static_cast<bool>(probe);
  };
#ifdef EMBEDRATING_DATA_DIR
  if (holds_data(EMBEDRATING_DATA_DIR)) return EMBEDRATING_DATA_DIR;
#endif
#ifdef EMBEDRATING_SOURCE_DATA_DIR
  if (holds_data(EMBEDRATING_SOURCE_DATA_DIR)) return EMBEDRATING_SOURCE_DATA_DIR;
#endif
#ifdef EMBEDRATING_DATA_DIR
  return EMBEDRATING_DATA_DIR;
#else
  return "data";
#endif
}

model model::default_model() { return load(data_directory() + "/models/wuhan-2024.toml"); }

std::int64_t model::total_centi() const noexcept { return compiled_->total_centi; }

std::vector<tree_node> model::tree() const {
  std::vector<tree_node> out(compiled_->nodes.size());
  for (std::size_t k = 0; k < out.size(); ++k) {
    const detail::compiled_node& c = compiled_->nodes[k];
    out[k].parent = c.parent;
    out[k].depth = c.depth;
    out[k].dimension = c.dimension;
    out[k].leaf = c.leaf;
    out[k].points_centi = c.points_centi;
  }
  return out;
}

const std::vector<std::int32_t>& model::dimension_nodes() const noexcept { return compiled_->dimensions; }

std::vector<std::string> model::dimension_ids() const {
  std::vector<std::string> ids;
  for (const std::int32_t node : compiled_->dimensions) ids.push_back(compiled_->spec.nodes[static_cast<std::size_t>(node)].id);
  return ids;
}

std::int32_t model::node_index(const std::string& id) const {
  const auto it = compiled_->node_index.find(id);
  return it == compiled_->node_index.end() ? -1 : it->second;
}

const std::string& model::structure_fingerprint() const noexcept { return compiled_->structure; }

}  // namespace embedrating
