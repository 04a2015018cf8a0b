#pragma once
/// \file rules.hpp
/// Rules as data: an action and the condition that fires it (SPEC §3).
///
/// Every action is declared once, in the table `rule_actions()` (src/rules.cpp): its name, the
/// phase it runs in, the parameters it takes (TOML keys, what they mean, whether the fingerprint
/// covers them), the gate it reports, the text that explains it and the function that applies it.
/// The TOML reader and writer, the fingerprint's canonical encoding, the explanation and the
/// Python views all read that table; docs/model-format.md shows how to add an action.
///
/// Evaluation order: status → veto → not_applicable → scoring → set_score → points → grade by score
/// (with prerequisites) → cap, hold and history limits → downgrade → warn.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "condition.hpp"
#include "date.hpp"
#include "grade.hpp"

namespace embedrating {

enum class rule_action : unsigned char { veto, cap, downgrade, prerequisite, set_score, not_applicable, warn, hold };

const char* to_string(rule_action a) noexcept;

/// A time-based rule lapses `months` calendar months after the date in `date_field`.
struct lapse_spec {
  std::string date_field;  ///< a date column, e.g. "opened_on" or "history.last_downgrade_on"
  int months = 0;
  bool active() const noexcept { return !date_field.empty(); }
};

struct rule {
  std::string id;
  rule_action action = rule_action::warn;
  condition when;             ///< fires the rule (for prerequisite: the requirement that must hold)
  grade cap = grade::unrated; ///< cap: the ceiling; prerequisite: the gated grade
  int levels = 1;             ///< downgrade: levels down
  bool terminate = false;     ///< veto: also flag the contract for termination (Art. 16)
  std::string target;         ///< set_score / not_applicable: indicator or group id
  double score = 0.0;         ///< set_score: the score
  lapse_spec lapse;
  std::string message, message_zh;  ///< warn
  std::string label, label_zh, source, basis;  ///< source: the article; basis: the standard or judgement
  std::uint32_t line = 0;  ///< line in the model file (0 if built in code)
};

/// One gate between an operator and a grade (reported by ratings::gates()).
enum class gate_kind : unsigned char {
  status,            ///< not active: not graded
  veto,              ///< an Art. 16 veto (id = rule)
  total,             ///< minimum total points
  dimension_ratio,   ///< every dimension's minimum ratio (id = dimension)
  dimension_minimum, ///< a per-dimension minimum (id = dimension)
  prerequisite,      ///< a prerequisite of the grade (id = prerequisite)
  cap,               ///< a cap rule below the grade (id = rule)
  history,           ///< a history limit (id = "max_rise" | "no_rise_after_downgrade" | "first_rating")
  downgrade,         ///< a downgrade rule (id = rule)
};

const char* to_string(gate_kind k) noexcept;

/// When a rule is evaluated, and so what its condition may read.
enum class rule_phase : unsigned char {
  before_scoring,  ///< veto, not_applicable: before scores exist (cannot read score.*, dim.*, total)
  on_scores,       ///< set_score: overrides leaf scores before points (cannot read score.*, dim.*, total)
  grade_gate,      ///< prerequisite: a requirement of one grade by score
  limit,           ///< cap, hold, downgrade: limits the final grade after the grade by score
  report,          ///< warn: a warning on the operator's result, no effect on the grade
};

const char* to_string(rule_phase p) noexcept;

/// The parameters an action can take. Each lives in one member of `rule` and has one TOML key.
enum class rule_param : unsigned char {
  ceiling,      ///< key "grade", member cap: a grade "unrated", "1A" … "5A"
  gated_grade,  ///< key "grade", member cap: a grade "1A" … "5A"
  levels,       ///< key "levels", member levels: 1 … 5 (default 1)
  terminate,    ///< key "terminate", member terminate: true / false (default false)
  target,       ///< key "target", member target: an indicator or group id (not a dimension)
  score,        ///< key "score", member score: a number in [0, 1]
  message,      ///< key "message", member message: text (a label: not in the fingerprint)
  message_zh,   ///< key "message_zh", member message_zh: text (a label)
};

/// The TOML key of a parameter.
const char* toml_key(rule_param p) noexcept;
/// True if the parameter changes what the rule does (it is in the fingerprint); messages are labels.
bool is_meaning(rule_param p) noexcept;

namespace detail {
class bitmask;
struct rule_effects;
}  // namespace detail
struct gate;

/// One entry of the action table.
struct rule_action_info {
  rule_action action;
  const char* name;                        ///< TOML value of `action`
  const char* name_zh;                     ///< Chinese name (explanations, Python views)
  rule_phase phase;
  std::vector<rule_param> params;          ///< in TOML, canonical-encoding and display order
  std::vector<bool> required;              ///< per parameter
  std::optional<gate_kind> reported_gate;  ///< the gate a fired rule reports (prerequisites: per grade)
  const char* effect_en;                   ///< what a fired rule does; {grade}/{levels}/{target}/{score} filled in
  const char* effect_zh;
  /// Applies the rule to the operators in `fired` (the effects it may write: src/rate/stages.hpp).
  void (*apply)(const rule& r, const detail::bitmask& fired, detail::rule_effects& effects);
  /// The gate a fired rule puts between an operator and grade `target`, if any (`previous`: the
  /// operator's previous grade level, -1 for a first rating).
  bool (*gate_of)(const rule& r, civil_date lapses_on, int previous, grade target, embedrating::gate& out);
};

/// Every action, in the order of `rule_action`.
const std::vector<rule_action_info>& rule_actions() noexcept;
const rule_action_info& action_info(rule_action a) noexcept;
/// The action named `name`, or nullptr.
const rule_action_info* find_action(std::string_view name) noexcept;
/// The action's effect with the rule's parameters filled in, e.g. "at most 3A" / "最高 3A".
std::string describe_effect(const rule& r, bool zh);
/// The short tag of a fired rule in explanations: the action's name and its grade or levels,
/// e.g. "cap 3A", "downgrade -1", "veto".
std::string action_tag(const rule& r, bool zh);

}  // namespace embedrating
