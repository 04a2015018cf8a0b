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
    if (dates == nullptr) {
      const fired_rule fr{static_cast<std::uint32_t>(r), civil_date::missing()};
      fired[r]->for_each([&](std::size_t i) { out[pos[i]++] = fr; });
      continue;
    }
    // the lapse date of each fired operator; dates repeat, so a small direct-mapped cache of
    // add_months results saves most of the calendar arithmetic
    struct slot_t {
      std::int32_t day, lapse;
    };
    const bool cached = n >= 4096;
    std::vector<slot_t> cache(cached ? 1024 : 0, slot_t{civil_date::missing().days(), 0});  // missing days are never looked up
    fired[r]->for_each([&](std::size_t i) {
      fired_rule fr;
      fr.rule = static_cast<std::uint32_t>(r);
      const civil_date d = dates[i];
      if (!d.is_missing()) {
        if (cached) {
          slot_t& slot = cache[static_cast<std::size_t>(static_cast<std::uint32_t>(d.days())) & 1023u];
          if (slot.day != d.days()) slot = {d.days(), add_months(d, ru.lapse.months).days()};
          fr.lapses_on = civil_date(slot.lapse);
        } else {
          fr.lapses_on = add_months(d, ru.lapse.months);
        }
      }
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
