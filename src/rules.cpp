// The rule actions, declared once (include/embedrating/rules.hpp). An action is one entry of
// `table()` below and one apply function; the TOML reader and writer, the canonical encoding, the
// explanation and the Python views read the entry. docs/model-format.md "Adding an action" walks
// through `hold`, the most recent one.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "embedrating/ratings.hpp"
#include "embedrating/rules.hpp"
#include "rate/stages.hpp"

namespace embedrating {

namespace {

using detail::bitmask;
using detail::rule_effects;

// ---- apply functions: what a fired rule does to the operators in `fired`

void apply_veto(const rule& r, const bitmask& fired, rule_effects& e) {
  *e.vetoed |= fired;
  if (r.terminate) *e.terminate |= fired;
}

void apply_not_applicable(const rule& r, const bitmask& fired, rule_effects& e) {
  bitmask& m = (*e.node_na)[static_cast<std::size_t>(e.cm->node_index.at(r.target))];
  if (m.size() != e.n) m.assign(e.n, false);
  m |= fired;
}

void apply_set_score(const rule& r, const bitmask& fired, rule_effects& e) {
  const detail::compiled_model& cm = *e.cm;
  const std::int32_t target = cm.node_index.at(r.target);
  for (std::size_t j = 0; j < cm.leaves.size(); ++j) {
    bool under = false;
    for (std::int32_t node = cm.leaves[j]; node >= 0 && !under; node = cm.nodes[static_cast<std::size_t>(node)].parent)
      under = node == target;
    if (!under) continue;
    double* col = e.leaf_scores + j * e.n;
    fired.for_each([&](std::size_t i) {
      if (!std::isnan(col[i])) col[i] = r.score;  // a not-applicable leaf stays not applicable
    });
  }
}

// A prerequisite is a requirement of its grade: grading reads its condition (it holds or not).
void apply_prerequisite(const rule&, const bitmask&, rule_effects&) {}

void apply_cap(const rule& r, const bitmask& fired, rule_effects& e) {
  const auto lvl = static_cast<std::int8_t>(level(r.cap));
  fired.for_each([&](std::size_t i) { e.ceiling[i] = std::min(e.ceiling[i], lvl); });
}

void apply_hold(const rule&, const bitmask& fired, rule_effects& e) {
  fired.for_each([&](std::size_t i) {
    const std::int8_t prev = e.previous_grade != nullptr ? e.previous_grade[i] : std::int8_t{-1};
    if (prev >= 0) e.ceiling[i] = std::min(e.ceiling[i], prev);  // a first rating has nothing to hold
  });
}

void apply_downgrade(const rule& r, const bitmask& fired, rule_effects& e) {
  const auto by = static_cast<std::int8_t>(r.levels);
  fired.for_each([&](std::size_t i) { e.down[i] = static_cast<std::int8_t>(std::min(e.down[i] + by, 5)); });
}

// A warning is reported with the operator's result and changes nothing.
void apply_warn(const rule&, const bitmask&, rule_effects&) {}

// ---- gates a fired rule reports

bool gate_none(const rule&, civil_date, int, grade, gate&) { return false; }

bool gate_veto(const rule& r, civil_date, int, grade target, gate& g) {
  g = gate{gate_kind::veto, target, r.id};
  return true;
}

bool gate_cap(const rule& r, civil_date lapses_on, int, grade target, gate& g) {
  if (level(r.cap) >= level(target)) return false;
  g = gate{gate_kind::cap, target, r.id};
  g.required = level(target);
  g.actual = level(r.cap);
  g.lapses_on = lapses_on;
  return true;
}

bool gate_hold(const rule& r, civil_date lapses_on, int previous, grade target, gate& g) {
  if (previous < 0 || previous >= level(target)) return false;
  g = gate{gate_kind::cap, target, r.id};
  g.required = level(target);
  g.actual = previous;
  g.lapses_on = lapses_on;
  return true;
}

bool gate_downgrade(const rule& r, civil_date lapses_on, int, grade target, gate& g) {
  g = gate{gate_kind::downgrade, target, r.id};
  g.actual = r.levels;
  g.lapses_on = lapses_on;
  return true;
}

// ---- the table, in the order of rule_action

std::vector<rule_action_info> make_table() {
  using P = rule_param;
  return {
      {rule_action::veto, "veto", "一票否决", rule_phase::before_scoring, {P::terminate}, {false}, gate_kind::veto,
       "not graded", "不予评级", apply_veto, gate_veto},
      {rule_action::cap, "cap", "封顶", rule_phase::limit, {P::ceiling}, {true}, gate_kind::cap, "at most {grade}",
       "最高 {grade}", apply_cap, gate_cap},
      {rule_action::downgrade, "downgrade", "降级", rule_phase::limit, {P::levels}, {false}, gate_kind::downgrade,
       "{levels} level(s) down", "降 {levels} 级", apply_downgrade, gate_downgrade},
      {rule_action::prerequisite, "prerequisite", "前提条件", rule_phase::grade_gate, {P::gated_grade}, {true},
       gate_kind::prerequisite, "required for {grade}", "{grade} 的前提条件", apply_prerequisite, gate_none},
      {rule_action::set_score, "set_score", "设定得分", rule_phase::on_scores, {P::target, P::score}, {true, true},
       std::nullopt, "score of {target} set to {score}", "{target} 得分设为 {score}", apply_set_score, gate_none},
      {rule_action::not_applicable, "not_applicable", "不适用", rule_phase::before_scoring, {P::target}, {true},
       std::nullopt, "{target} not applicable (its points re-allocated)", "{target} 不适用（分值按比例分配）",
       apply_not_applicable, gate_none},
      {rule_action::warn, "warn", "提示", rule_phase::report, {P::message, P::message_zh}, {false, false}, std::nullopt,
       "warning", "提示", apply_warn, gate_none},
      {rule_action::hold, "hold", "保持等级", rule_phase::limit, {}, {}, gate_kind::cap,
       "at most the previous grade", "不高于上期等级", apply_hold, gate_hold},
  };
}

std::string fill(std::string text, const char* key, const std::string& value) {
  for (std::size_t pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + value.size()))
    text.replace(pos, std::char_traits<char>::length(key), value);
  return text;
}

std::string number(double v) {
  std::ostringstream os;
  os.precision(15);
  os << v;
  return os.str();
}

}  // namespace

const std::vector<rule_action_info>& rule_actions() noexcept {
  static const std::vector<rule_action_info> table = make_table();
  return table;
}

const rule_action_info& action_info(rule_action a) noexcept { return rule_actions()[static_cast<std::size_t>(a)]; }

const rule_action_info* find_action(std::string_view name) noexcept {
  for (const auto& a : rule_actions())
    if (name == a.name) return &a;
  return nullptr;
}

const char* to_string(rule_action a) noexcept {
  const auto i = static_cast<std::size_t>(a);
  return i < rule_actions().size() ? rule_actions()[i].name : "?";
}

const char* to_string(rule_phase p) noexcept {
  switch (p) {
    case rule_phase::before_scoring: return "before_scoring";
    case rule_phase::on_scores: return "on_scores";
    case rule_phase::grade_gate: return "grade_gate";
    case rule_phase::limit: return "limit";
    case rule_phase::report: return "report";
  }
  return "?";
}

const char* to_string(gate_kind k) noexcept {
  switch (k) {
    case gate_kind::status: return "status";
    case gate_kind::veto: return "veto";
    case gate_kind::total: return "total";
    case gate_kind::dimension_ratio: return "dimension_ratio";
    case gate_kind::dimension_minimum: return "dimension_minimum";
    case gate_kind::prerequisite: return "prerequisite";
    case gate_kind::cap: return "cap";
    case gate_kind::history: return "history";
    case gate_kind::downgrade: return "downgrade";
  }
  return "?";
}

const char* toml_key(rule_param p) noexcept {
  switch (p) {
    case rule_param::ceiling:
    case rule_param::gated_grade: return "grade";
    case rule_param::levels: return "levels";
    case rule_param::terminate: return "terminate";
    case rule_param::target: return "target";
    case rule_param::score: return "score";
    case rule_param::message: return "message";
    case rule_param::message_zh: return "message_zh";
  }
  return "?";
}

bool is_meaning(rule_param p) noexcept { return p != rule_param::message && p != rule_param::message_zh; }

std::string describe_effect(const rule& r, bool zh) {
  const rule_action_info& a = action_info(r.action);
  std::string t = zh ? a.effect_zh : a.effect_en;
  t = fill(t, "{grade}", std::string(zh ? to_string_zh(r.cap) : to_string(r.cap)));
  t = fill(t, "{levels}", std::to_string(r.levels));
  t = fill(t, "{target}", r.target);
  t = fill(t, "{score}", number(r.score));
  for (rule_param p : a.params)
    if (p == rule_param::terminate && r.terminate) t += zh ? "，终止运营协议（第十六条）" : "; terminate the contract (Art. 16)";
  return t;
}

std::string action_tag(const rule& r, bool zh) {
  const rule_action_info& a = action_info(r.action);
  std::string t = a.name;
  for (rule_param p : a.params) {
    if (p == rule_param::ceiling || p == rule_param::gated_grade)
      t += " " + std::string(zh ? to_string_zh(r.cap) : to_string(r.cap));
    else if (p == rule_param::levels)
      t += " -" + std::to_string(r.levels);
  }
  return t;
}

}  // namespace embedrating
