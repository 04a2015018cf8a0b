// Stage: which rules fired for each operator, and its warnings, as CSR arrays in rule order.
#include "stages.hpp"

namespace embedrating::detail {

void fired_rules(const model_spec& s, const std::vector<const bitmask*>& fired,
                 const std::vector<const civil_date*>& lapse_dates, std::size_t n,
                 std::vector<std::uint32_t>& offsets, std::vector<fired_rule>& out) {
  offsets.assign(n + 1, 0);
  for (std::size_t r = 0; r < s.rules.size(); ++r)
    if (fired[r] != nullptr && s.rules[r].action != rule_action::prerequisite)
      fired[r]->for_each([&](std::size_t i) { ++offsets[i + 1]; });
  for (std::size_t i = 0; i < n; ++i) offsets[i + 1] += offsets[i];
  out.resize(offsets[n]);
  std::vector<std::uint32_t> pos(offsets.begin(), offsets.end() - 1);
  for (std::size_t r = 0; r < s.rules.size(); ++r) {
    if (fired[r] == nullptr || s.rules[r].action == rule_action::prerequisite) continue;
    const rule& ru = s.rules[r];
    const civil_date* dates = ru.lapse.active() ? lapse_dates[r] : nullptr;
    fired[r]->for_each([&](std::size_t i) {
      fired_rule fr;
      fr.rule = static_cast<std::uint32_t>(r);
      if (dates != nullptr && !dates[i].is_missing()) fr.lapses_on = add_months(dates[i], ru.lapse.months);
      out[pos[i]++] = fr;
    });
  }
}

void operator_warnings(const model_spec& s, const std::vector<std::pair<std::uint32_t, operator_warning>>& missing,
                       const std::vector<const bitmask*>& fired, const bitmask* low_volume, std::size_t n,
                       std::vector<std::uint32_t>& offsets, std::vector<operator_warning>& out) {
  offsets.assign(n + 1, 0);
  for (const auto& w : missing) ++offsets[w.first + 1];
  for (std::size_t r = 0; r < s.rules.size(); ++r)
    if (fired[r] != nullptr && s.rules[r].action == rule_action::warn) fired[r]->for_each([&](std::size_t i) { ++offsets[i + 1]; });
  if (low_volume != nullptr) low_volume->for_each([&](std::size_t i) { ++offsets[i + 1]; });
  for (std::size_t i = 0; i < n; ++i) offsets[i + 1] += offsets[i];
  out.resize(offsets[n]);
  std::vector<std::uint32_t> pos(offsets.begin(), offsets.end() - 1);
  for (const auto& w : missing) out[pos[w.first]++] = w.second;  // leaf order within a row
  for (std::size_t r = 0; r < s.rules.size(); ++r)
    if (fired[r] != nullptr && s.rules[r].action == rule_action::warn)
      fired[r]->for_each([&](std::size_t i) {
        out[pos[i]++] = {operator_warning::kind_t::rule_warning, static_cast<std::uint32_t>(r)};
      });
  if (low_volume != nullptr)
    low_volume->for_each([&](std::size_t i) { out[pos[i]++] = {operator_warning::kind_t::low_review_volume, 0}; });
}

}  // namespace embedrating::detail
