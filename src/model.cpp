// Model validation, compilation, canonical encoding and fingerprint, weights.
#include <algorithm>
#include <cmath>
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
      case field_kind::months_since:
      case field_kind::flag:
        return;
      default:
        fail(line, field, f.text() + " cannot be an indicator input (use raw.*, reviews.*, scenarios, flag.* or months_since.*)");
    }
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
  for (double x : s.reviews.level_values) e.f64(x);
  e.f64(s.reviews.min_count);
  e.f64(s.reviews.prior_index);
  e.f64(s.reviews.prior_rate);
  e.f64(s.reviews.prior_closure);
  e.i64(s.reviews.period == review_period::month ? 0 : s.reviews.period_days);
  e.i64(s.reviews.window_months);
  e.f64(s.reviews.half_life_days);
  e.i64(s.reviews.deadline_working_days);
  e.i64(s.reviews.service_record_only ? 1 : 0);
  e.i64(s.reviews.dedup ? 1 : 0);
  e.f64(s.reviews.wilson_z);
  e.i64(static_cast<std::int64_t>(s.reviews.eb_method));
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
  model_spec s = spec();
  const auto& cm = *compiled_;
  const double total = static_cast<double>(cm.total_centi) / 100.0;
  std::set<std::string> seen;
  for (const auto& [id, w] : weights) {
    const auto it = cm.node_index.find(id);
    error_location where;
    where.field = id;
    if (it == cm.node_index.end() || cm.nodes[static_cast<std::size_t>(it->second)].leaf < 0)
      throw model_error(where, "with_weights: \"" + id + "\" is not a leaf indicator");
    if (!std::isfinite(w) || w < 0.0) throw model_error(where, "with_weights: weight must be finite and >= 0, got " + number_text(w));
    if (!seen.insert(id).second) throw model_error(where, "with_weights: weight given twice");
    // Points rounded to 0.01, so with_weights(weights()) gives back the same points exactly.
    s.nodes[static_cast<std::size_t>(it->second)].points = static_cast<double>(std::llround(w * total * 100.0)) / 100.0;
  }
  // Groups and dimensions follow their children (reverse topological order).
  for (auto it = cm.topo.rbegin(); it != cm.topo.rend(); ++it) {
    const auto& cn = cm.nodes[static_cast<std::size_t>(*it)];
    if (cn.children.empty()) continue;
    std::int64_t sum = 0;
    for (std::int32_t c : cn.children) sum += to_centi(s.nodes[static_cast<std::size_t>(c)].points);
    s.nodes[static_cast<std::size_t>(*it)].points = static_cast<double>(sum) / 100.0;
  }
  return model(std::move(s));
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
  return model(std::move(s));
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
  return model(std::move(s));
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

}  // namespace embedrating
