#pragma once
/// \file rules.hpp
/// Rules as data: an action and the condition that fires it (SPEC §3).
///
/// Evaluation order: status → veto → not_applicable → scoring → set_score → points → grade by score
/// (with prerequisites) → cap and history limits → downgrade → warn.
#include <cstdint>
#include <string>

#include "condition.hpp"
#include "grade.hpp"

namespace embedrating {

enum class rule_action : unsigned char { veto, cap, downgrade, prerequisite, set_score, not_applicable, warn };

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
  std::string label, label_zh, source;
  std::uint32_t line = 0;  ///< line in the model file (0 if built in code)
};

}  // namespace embedrating
