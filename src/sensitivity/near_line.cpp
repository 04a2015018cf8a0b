// Near the line: the gate that decides whether an operator's grade moves by its points alone
// (include/embedrating/sensitivity.hpp; docs/sensitivity.md "Near the line").
//
// The final grade is max(0, min(score level, prerequisites, ceiling) − downgrades) (src/rate/grading.cpp).
// With F the final grade and `down` the levels of the downgrade rules that fired, the level that
// holds the grade is L* = F + down. Down: the operator keeps F as long as its points pass every
// score gate of L* (the minimum total and each dimension's floor and minimum, cumulative over the
// levels up to L*); the gate with the smallest margin decides. Up: it rises to F + 1 when its
// points pass the gates of L* + 1 and nothing else stands in the way (ratings::gates lists only
// total and dimension gates, and downgrades); the gate with the largest shortfall decides.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/sensitivity.hpp"

namespace embedrating::sensitivity {

namespace {

int downgrade_levels(const ratings& r, std::size_t i) {
  const model_spec& s = r.rating_model->spec();
  int down = 0;
  for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k) {
    const rule& ru = s.rules[r.fired[k].rule];
    if (ru.action == rule_action::downgrade) down = std::min(down + ru.levels, 5);
  }
  return down;
}

bool vetoed(const ratings& r, std::size_t i) {
  const model_spec& s = r.rating_model->spec();
  for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k)
    if (s.rules[r.fired[k].rule].action == rule_action::veto) return true;
  return false;
}

bool numeric(gate_kind k) {
  return k == gate_kind::total || k == gate_kind::dimension_ratio || k == gate_kind::dimension_minimum;
}

}  // namespace

const char* to_string(direction_t d) noexcept { return d == direction_t::up ? "up" : "down"; }

bool deciding_gate(const ratings& r, std::size_t i, direction_t d, line_gate& out) {
  if (!r.rating_model) throw std::logic_error("deciding_gate: ratings without a model");
  if (i >= r.size()) throw std::out_of_range("deciding_gate: row out of range");
  if (r.status[i] != operator_status::active || vetoed(r, i)) return false;
  const auto& cm = r.rating_model->compiled();
  const model_spec& s = cm.spec;
  const int F = level(r.final_grade[i]);
  const int down = downgrade_levels(r, i);
  // F = 0 with downgrades: the score level is at most `down` (or a limit holds it); rising needs
  // level down + 1, falling is impossible
  const int held = F + down;
  out = line_gate{};
  out.row = i;
  out.direction = d;
  out.from = r.final_grade[i];
  if (d == direction_t::up) {
    if (held >= 5) return false;
    const grade target = grade_from_level(held + 1);
    const std::vector<gate> gs = r.gates(i, target);
    const gate* worst = nullptr;
    for (const gate& g : gs) {
      if (g.kind == gate_kind::downgrade) continue;
      if (!numeric(g.kind)) return false;  // a rule, prerequisite or history limit holds it
      if (worst == nullptr || g.shortfall > worst->shortfall) worst = &g;
    }
    if (worst == nullptr) return false;  // cannot happen for a graded operator below its score level
    out.to = grade_from_level(F + 1);
    out.kind = worst->kind;
    out.id = worst->id;
    out.level = worst->target;
    out.required = worst->required;
    out.actual = worst->actual;
    out.distance = worst->shortfall;
    return true;
  }
  if (F == 0) return false;
  // down: the margins above the score gates of the holding level (cumulative over levels ≤ held)
  std::vector<std::int64_t> earned, available;
  r.node_points(i, earned, available);
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  auto consider = [&](std::int64_t margin, gate_kind kind, const std::string& id, int lvl, double required, double actual) {
    if (margin < best) {
      best = margin;
      out.kind = kind;
      out.id = id;
      out.level = grade_from_level(lvl);
      out.required = required;
      out.actual = actual;
    }
  };
  // the total: the largest minimum of the levels up to `held` (cut-offs are cumulative)
  std::int64_t need = std::numeric_limits<std::int64_t>::min();
  int need_level = 1;
  double need_points = 0;
  for (int l = 1; l <= held; ++l) {
    const grade_gate& gg = s.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])];
    const std::int64_t c = std::llround(gg.min_total * 100.0);
    if (c >= need) {
      need = c;
      need_level = l;
      need_points = gg.min_total;
    }
  }
  consider(r.total_centi[i] - need, gate_kind::total, "total", need_level, need_points, r.total(i));
  for (std::size_t dd = 0; dd < cm.dimensions.size(); ++dd) {
    const auto node = static_cast<std::size_t>(cm.dimensions[dd]);
    const std::int64_t av = available[node];
    if (av <= 0) continue;
    const std::int64_t have = earned[node];
    const std::string& id = s.nodes[node].id;
    std::int64_t req = std::numeric_limits<std::int64_t>::min();
    gate_kind kind = gate_kind::dimension_ratio;
    int lvl = 1;
    double ratio = 0;
    for (int l = 1; l <= held; ++l) {
      const grade_gate& gg = s.grades[static_cast<std::size_t>(cm.gate_index[static_cast<std::size_t>(l)])];
      const std::int64_t q = embedrating::detail::required_centi(gg.min_dimension_ratio, av);
      if (q >= req && gg.min_dimension_ratio > 0) {
        req = q;
        kind = gate_kind::dimension_ratio;
        lvl = l;
        ratio = gg.min_dimension_ratio;
      }
      for (const auto& [dim, x] : gg.dimension_minimums)
        if (dim == id) {
          const std::int64_t qm = embedrating::detail::required_centi(x, av);
          if (qm >= req) {
            req = qm;
            kind = gate_kind::dimension_minimum;
            lvl = l;
            ratio = x;
          }
        }
    }
    if (req == std::numeric_limits<std::int64_t>::min()) continue;  // no floor on this dimension
    consider(have - req, kind, id, lvl, ratio, static_cast<double>(have) / static_cast<double>(av));
  }
  out.to = grade_from_level(F - 1);
  out.distance = static_cast<double>(best) / 100.0;
  return true;
}

std::vector<line_gate> near_the_line(const ratings& r, double points) {
  if (!(points >= 0.0) || std::isinf(points)) {
    error_location w;
    w.field = "points";
    throw data_error(w, "near_the_line: points must be finite and >= 0, got " + std::to_string(points));
  }
  std::vector<line_gate> out;
  line_gate g;
  for (std::size_t i = 0; i < r.size(); ++i)
    for (direction_t d : {direction_t::down, direction_t::up})
      if (deciding_gate(r, i, d, g) && g.distance <= points + 1e-9) out.push_back(g);
  std::stable_sort(out.begin(), out.end(), [](const line_gate& a, const line_gate& b) { return a.distance < b.distance; });
  return out;
}

std::vector<line_gate> fragile(const ratings& r, const monte_carlo_result& mc, double share) {
  if (!(share > 0.0 && share <= 1.0)) {
    error_location w;
    w.field = "share";
    throw data_error(w, "fragile: share must be in (0, 1], got " + std::to_string(share));
  }
  if (mc.size() != r.size() || mc.operator_ids != r.operator_ids.vector()) {
    error_location w;
    w.field = "ratings";
    throw data_error(w, "fragile: the ratings are not of the operators of the Monte Carlo result (" +
                            std::to_string(r.size()) + " vs " + std::to_string(mc.size()) + " operators)");
  }
  std::vector<std::pair<double, line_gate>> found;
  line_gate g;
  for (std::size_t i = 0; i < r.size(); ++i) {
    // draws that gave another grade, against share × draws (counts: no rounding of 1 − stability)
    const auto moved = static_cast<double>(mc.draws() - mc.counts(static_cast<Eigen::Index>(i), mc.grade[i]));
    if (moved < share * static_cast<double>(mc.draws()) - 1e-9) continue;
    const direction_t d = mc.probability_up(i) > mc.probability_down(i) ? direction_t::up : direction_t::down;
    if (deciding_gate(r, i, d, g)) found.emplace_back(moved, g);
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<line_gate> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

}  // namespace embedrating::sensitivity
