// Model comparison (include/embedrating/sensitivity.hpp; docs/sensitivity.md "Comparing models"):
// both gradings, the transition matrix, and for every operator that moved the rules, gates and
// indicators that account for the move, ranked.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/rate.hpp"
#include "embedrating/sensitivity.hpp"

namespace embedrating::sensitivity {

namespace {

bool numeric(gate_kind k) {
  return k == gate_kind::total || k == gate_kind::dimension_ratio || k == gate_kind::dimension_minimum;
}

/// The grade levels a fired rule takes from `target` (0 when it does not bind there).
double rule_levels(const rule& r, int target, int previous) {
  switch (r.action) {
    case rule_action::veto: return target;
    case rule_action::cap: return std::max(0, target - level(r.cap));
    case rule_action::hold: return previous >= 0 ? std::max(0, target - previous) : 0;
    case rule_action::downgrade: return r.levels;
    default: return 0;
  }
}

/// The grade levels a non-numeric gate holds back.
double gate_levels(const gate& g) {
  switch (g.kind) {
    case gate_kind::status:
    case gate_kind::veto: return level(g.target);
    case gate_kind::cap:
    case gate_kind::history: return std::max(0.0, g.required - g.actual);
    case gate_kind::downgrade: return g.actual;
    default: return 1;  // a prerequisite: one grade
  }
}

std::vector<move_reason> reasons_of(const ratings& ra, const ratings& rb, std::size_t i) {
  std::vector<move_reason> out;
  const model_spec& sa = ra.rating_model->spec();
  const model_spec& sb = rb.rating_model->spec();
  const int target = std::max(level(ra.final_grade[i]), level(rb.final_grade[i]));
  const int previous = ra.previous_grade.empty() ? -1 : ra.previous_grade[i];

  // rules that fire under one model only (by id)
  std::set<std::string> fired_a, fired_b, rule_ids;
  for (std::uint32_t k = ra.fired_offsets[i]; k < ra.fired_offsets[i + 1]; ++k) fired_a.insert(sa.rules[ra.fired[k].rule].id);
  for (std::uint32_t k = rb.fired_offsets[i]; k < rb.fired_offsets[i + 1]; ++k) fired_b.insert(sb.rules[rb.fired[k].rule].id);
  auto add_rules = [&](const ratings& r, const model_spec& s, const std::set<std::string>& other, move_reason::kind_t kind) {
    for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k) {
      const rule& ru = s.rules[r.fired[k].rule];
      if (other.count(ru.id) != 0 || ru.action == rule_action::warn) continue;
      move_reason m;
      m.kind = kind;
      m.id = ru.id;
      m.action = to_string(ru.action);
      m.rank_class = 0;
      m.magnitude = rule_levels(ru, target, previous);
      const double v = ru.action == rule_action::cap ? level(ru.cap) : ru.action == rule_action::downgrade ? ru.levels : 0;
      (kind == move_reason::kind_t::rule_a ? m.a : m.b) = v;
      out.push_back(m);
      rule_ids.insert(ru.id);
    }
  };
  add_rules(ra, sa, fired_b, move_reason::kind_t::rule_a);
  add_rules(rb, sb, fired_a, move_reason::kind_t::rule_b);

  // gates to the higher grade under one model only (rules listed above are not repeated)
  if (target >= 1) {
    const grade tg = grade_from_level(target);
    const std::vector<gate> ga = ra.gates(i, tg), gb = rb.gates(i, tg);
    using key = std::tuple<int, std::string, int>;
    auto key_of = [](const gate& g) { return key{static_cast<int>(g.kind), g.id, level(g.target)}; };
    std::set<key> ka, kb;
    for (const gate& g : ga) ka.insert(key_of(g));
    for (const gate& g : gb) kb.insert(key_of(g));
    auto add_gates = [&](const std::vector<gate>& gs, const std::set<key>& other, move_reason::kind_t kind) {
      for (const gate& g : gs) {
        if (other.count(key_of(g)) != 0 || rule_ids.count(g.id) != 0) continue;
        move_reason m;
        m.kind = kind;
        m.id = g.id;
        m.gate = g.kind;
        m.target = g.target;
        if (numeric(g.kind)) {
          m.rank_class = 1;
          m.magnitude = g.shortfall;
          (kind == move_reason::kind_t::gate_a ? m.a : m.b) = g.shortfall;
        } else {
          m.rank_class = 0;
          m.magnitude = gate_levels(g);
          (kind == move_reason::kind_t::gate_a ? m.a : m.b) = g.actual;
        }
        out.push_back(m);
      }
    };
    add_gates(ga, kb, move_reason::kind_t::gate_a);
    add_gates(gb, ka, move_reason::kind_t::gate_b);
  }

  // indicators whose earned points differ (matched by id)
  std::vector<std::int64_t> ea, aa, eb, ab;
  ra.node_points(i, ea, aa);
  rb.node_points(i, eb, ab);
  const auto& ca = ra.rating_model->compiled();
  const auto& cb = rb.rating_model->compiled();
  std::map<std::string, std::int64_t> points_b;
  for (std::size_t j = 0; j < cb.leaves.size(); ++j) points_b[cb.leaf_ids[j]] = eb[static_cast<std::size_t>(cb.leaves[j])];
  auto add_indicator = [&](const std::string& id, std::int64_t a, std::int64_t b) {
    if (a == b) return;
    move_reason m;
    m.kind = move_reason::kind_t::indicator;
    m.id = id;
    m.a = static_cast<double>(a) / 100.0;
    m.b = static_cast<double>(b) / 100.0;
    m.rank_class = 2;
    m.magnitude = std::abs(m.b - m.a);
    out.push_back(m);
  };
  for (std::size_t j = 0; j < ca.leaves.size(); ++j) {
    const auto it = points_b.find(ca.leaf_ids[j]);
    add_indicator(ca.leaf_ids[j], ea[static_cast<std::size_t>(ca.leaves[j])], it == points_b.end() ? 0 : it->second);
    if (it != points_b.end()) points_b.erase(it);
  }
  for (std::size_t j = 0; j < cb.leaves.size(); ++j)
    if (points_b.count(cb.leaf_ids[j]) != 0) add_indicator(cb.leaf_ids[j], 0, points_b[cb.leaf_ids[j]]);

  std::stable_sort(out.begin(), out.end(), [](const move_reason& x, const move_reason& y) {
    if (x.rank_class != y.rank_class) return x.rank_class < y.rank_class;
    if (x.magnitude != y.magnitude) return x.magnitude > y.magnitude;
    if (x.kind != y.kind) return x.kind < y.kind;
    return x.id < y.id;
  });
  return out;
}

}  // namespace

const char* to_string(move_reason::kind_t k) noexcept {
  switch (k) {
    case move_reason::kind_t::rule_a: return "rule_a";
    case move_reason::kind_t::rule_b: return "rule_b";
    case move_reason::kind_t::gate_a: return "gate_a";
    case move_reason::kind_t::gate_b: return "gate_b";
    case move_reason::kind_t::indicator: break;
  }
  return "indicator";
}

comparison compare(const ratings& ra_in, const ratings& rb_in, const compare_options& options) {
  if (!ra_in.rating_model || !rb_in.rating_model) throw std::logic_error("compare: ratings without a model");
  if (ra_in.operator_ids.vector() != rb_in.operator_ids.vector()) {
    error_location w;
    w.field = "ratings";
    throw data_error(w, "compare: the two ratings are not of the same operators in the same order (" +
                            std::to_string(ra_in.size()) + " and " + std::to_string(rb_in.size()) + " operators)");
  }
  comparison res;
  res.ratings_a = ra_in;
  res.ratings_b = rb_in;
  const ratings& ra = res.ratings_a;
  const ratings& rb = res.ratings_b;
  res.summary.same_structure = structure_difference(*ra.rating_model, *rb.rating_model).empty();
  const std::size_t N = ra.size();
  res.operator_ids = ra.operator_ids.vector();
  res.fingerprint_a = ra.rating_model->fingerprint();
  res.fingerprint_b = rb.rating_model->fingerprint();
  res.as_of = ra.as_of;
  res.grade_a = ra.final_grade.vector();
  res.grade_b = rb.final_grade.vector();
  res.total_a.resize(N);
  res.total_b.resize(N);
  res.active.resize(N);
  transition_matrix active_table{};
  double change = 0;
  compare_summary& sm = res.summary;
  sm.operators = N;
  for (std::size_t i = 0; i < N; ++i) {
    res.total_a[i] = ra.total(i);
    res.total_b[i] = rb.total(i);
    res.active[i] = ra.status[i] == operator_status::active ? 1 : 0;
    const int ga = level(res.grade_a[i]), gb = level(res.grade_b[i]);
    ++res.transitions[static_cast<std::size_t>(ga)][static_cast<std::size_t>(gb)];
    if (res.active[i]) {
      ++sm.active;
      ++active_table[static_cast<std::size_t>(ga)][static_cast<std::size_t>(gb)];
      change += res.total_b[i] - res.total_a[i];
    }
    if (ga == gb) continue;
    ++sm.moved;
    (gb > ga ? sm.moved_up : sm.moved_down) += 1;
    sm.max_shift = std::max(sm.max_shift, std::abs(gb - ga));
    moved_operator mo;
    mo.row = i;
    mo.from = res.grade_a[i];
    mo.to = res.grade_b[i];
    mo.total_a = res.total_a[i];
    mo.total_b = res.total_b[i];
    mo.reasons = reasons_of(ra, rb, i);
    if (options.max_reasons != 0 && mo.reasons.size() > options.max_reasons) mo.reasons.resize(options.max_reasons);
    res.moved.push_back(std::move(mo));
  }
  if (sm.active > 0) {
    sm.mean_total_change = change / static_cast<double>(sm.active);
    sm.kappa = cohen_kappa(active_table, kappa_weights::none);
    sm.weighted_kappa = cohen_kappa(active_table, kappa_weights::quadratic);
  } else {
    sm.kappa = sm.weighted_kappa = std::numeric_limits<double>::quiet_NaN();
  }
  return res;
}

comparison compare(const model& a, const model& b, const dataset& data, civil_date as_of, const compare_options& options) {
  if (structure_difference(a, b).empty()) {
    score_options so;
    so.compute_input_hash = false;
    const scored s = score(a, data, as_of, so);
    return compare(regrade(s, a), regrade(s, b), options);
  }
  rate_options ro;
  ro.compute_input_hash = false;
  return compare(rate(a, data, as_of, ro), rate(b, data, as_of, ro), options);
}

}  // namespace embedrating::sensitivity
