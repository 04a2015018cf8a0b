#pragma once
// Test support: random datasets for the default model wuhan-2024 — every column it reads, with
// missing values, operators without meals (food safety not applicable), vetoes, caps, statuses,
// history with downgrades, review counts on both sides of the low-volume threshold, and
// optionally facilities (one to three sites per operator for some measures). Seeded: the same
// seed gives the same dataset.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "embedrating/dataset.hpp"
#include "embedrating/date.hpp"
#include "embedrating/model.hpp"
#include "perfect_operator.hpp"

namespace embedrating::test_support {

inline dataset random_dataset(const model& m, std::size_t n, std::uint64_t seed, bool facilities = false) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto chance = [&](double p) { return u(rng) < p; };
  std::vector<std::string> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = "R" + std::to_string(seed) + "-" + std::to_string(i);
  dataset d(ids, "random");
  std::vector<operator_status> st(n, operator_status::active);
  for (auto& s : st)
    if (chance(0.05)) s = static_cast<operator_status>(1 + static_cast<int>(u(rng) * 2.99));
  d.set_status(st);
  // per-site measures (when facilities are on): the fire and food ones
  const std::vector<std::string> site_measures = {"fire_inspection_score", "fire_open_hazards", "food_grade",
                                                  "food_inspection_score"};
  const auto on_sites = [&](const std::string& id) {
    return facilities && std::find(site_measures.begin(), site_measures.end(), id) != site_measures.end();
  };
  // operator quality: excellent (35 %), good (35 %) or anything (30 %), so every grade occurs
  std::vector<double> quality(n);
  for (auto& q : quality) q = chance(0.35) ? 0.97 : (chance(0.55) ? 0.85 : 0.0);
  std::size_t row = 0;  // the operator whose value is drawn (number_value and level_value read it)
  const auto number_value = [&](const measure& me) {
    const double lo = me.min.value_or(0.0), hi = me.max.value_or(me.min.value_or(0.0) + 100.0);
    const double q = quality[row];
    if (me.unit == "count") return q > 0.9 || chance(0.7) ? 0.0 : std::floor(u(rng) * 3.0);
    const double t = q + (1.0 - q) * u(rng);
    return lo + (hi - lo) * (me.dir == direction::benefit ? t : 1.0 - t);
  };
  const auto level_value = [&](const measure& me) {  // the best level (first) most often
    return quality[row] > 0.9 || chance(0.6) ? me.levels.front()
                                             : me.levels[static_cast<std::size_t>(u(rng) * 0.999 * static_cast<double>(me.levels.size()))];
  };
  for (const measure& me : m.spec().measures) {
    if (on_sites(me.id)) continue;
    if (me.kind == measure_kind::number) {
      std::vector<double> v(n);
      for (row = 0; row < n; ++row) v[row] = chance(0.03) ? std::nan("") : number_value(me);
      d.set_number(me.id, std::move(v), nan_policy::missing);
    } else {
      std::vector<std::string> v(n);
      for (row = 0; row < n; ++row) v[row] = chance(0.03) ? std::string() : level_value(me);
      d.set_category(me.id, v);
    }
  }
  if (facilities) {
    facility_table f;
    for (std::size_t i = 0; i < n; ++i) {
      row = i;
      const int sites = i > 0 && chance(0.1) ? 0 : 1 + static_cast<int>(u(rng) * 2.99);  // operator 0 has a site
      for (int k = 0; k < sites; ++k) {
        f.facility_ids.push_back(ids[i] + "-S" + std::to_string(k));
        f.operator_ids.push_back(ids[i]);
        f.volume.push_back(std::floor(100.0 + 1000.0 * u(rng)));
        for (const measure& me : m.spec().measures) {
          if (!on_sites(me.id)) continue;
          if (me.kind == measure_kind::number)
            f.numbers[me.id].push_back(chance(0.03) ? std::nan("") : number_value(me));
          else
            f.categories[me.id].push_back(chance(0.03) ? std::string() : level_value(me));
        }
      }
    }
    d.set_facilities(std::move(f));
  }
  const char* all_scenarios[] = {"elderly_care", "infant_care", "child_care", "meals", "housekeeping", "health_station", "retail"};
  std::vector<std::vector<std::string>> sc(n);
  for (auto& s : sc)
    for (const char* a : all_scenarios)
      if (chance(0.75)) s.emplace_back(a);
  d.set_scenarios(sc);
  std::vector<std::string> flag_names(std::begin(veto_flag_names), std::end(veto_flag_names));
  flag_names.push_back("fire_auto_fail");
  flag_names.push_back("special_equipment_overdue");
  for (const auto& name : flag_names) {
    std::vector<std::uint8_t> v(n);
    for (auto& x : v) x = chance(0.01) ? 1 : 0;
    d.set_flag(name, std::move(v));
  }
  const civil_date as_of = make_date(2025, 12, 31);
  for (const char* name : {"opened_on", "last_serious_accident_on", "last_food_incident_on", "last_penalty_on"}) {
    const bool opened = std::string(name) == "opened_on";
    std::vector<civil_date> v(n);
    for (auto& x : v)
      x = !opened && chance(0.9) ? civil_date::missing() : civil_date(as_of.days() - static_cast<std::int32_t>(u(rng) * 3000));
    d.set_date(name, std::move(v));
  }
  std::map<std::string, std::vector<double>> rv;
  for (const char* c : review_input_columns) rv[c].resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double total = std::floor(chance(0.15) ? 30.0 * u(rng) : 20.0 + 300.0 * u(rng));
    const double q = quality[i] > 0.9 ? 0.97 + 0.03 * u(rng) : (chance(0.6) ? 0.93 + 0.07 * u(rng) : 0.7 + 0.3 * u(rng));
    rv["stars_5"][i] = std::floor(total * q * 0.7);
    rv["stars_4"][i] = std::floor(total * q * 0.3);
    rv["stars_3"][i] = std::floor(total * (1 - q) * 0.5);
    rv["stars_2"][i] = std::floor(total * (1 - q) * 0.3);
    rv["stars_1"][i] = std::floor(total * (1 - q) * 0.2);
    const double bad = rv["stars_1"][i] + rv["stars_2"][i];
    rv["bad_overdue"][i] = chance(0.05) && bad > 0 ? 1.0 : 0.0;
    rv["bad_open"][i] = chance(0.05) ? 1.0 : 0.0;
    rv["bad_closed_in_time"][i] = std::max(0.0, bad - rv["bad_overdue"][i]);
    rv["bad_followed_up"][i] = std::floor(rv["bad_closed_in_time"][i] * u(rng));
  }
  for (auto& [k, v] : rv) d.set_review_column(k, std::move(v));
  std::vector<std::optional<grade>> prev(n);
  std::vector<civil_date> on(n, make_date(2024, 12, 31)), down(n, civil_date::missing());
  for (std::size_t i = 0; i < n; ++i) {
    if (chance(0.85)) prev[i] = grade_from_level(static_cast<int>(u(rng) * 5.99));
    if (chance(0.1)) down[i] = civil_date(as_of.days() - static_cast<std::int32_t>(u(rng) * 600));
  }
  d.set_history(prev, std::move(on), std::move(down));
  return d;
}

}  // namespace embedrating::test_support
