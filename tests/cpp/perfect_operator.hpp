#pragma once
// Test support shared by the rating tests: a "perfect" operator for the default model wuhan-2024
// (every measure at its best value, seven scenarios (six of the Art. 3 scenes), 200 reviews all ★5, no flags, opened long ago,
// previous grade 4A: 1000.00 points, 5A) and a dataset builder; each test overrides a few inputs.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "embedrating/dataset.hpp"
#include "embedrating/date.hpp"
#include "embedrating/grade.hpp"
#include "embedrating/model.hpp"

namespace embedrating::test_support {

using namespace embedrating;

inline const char* const veto_flag_names[] = {"unauthorised_change_of_use", "unauthorised_demolition", "services_not_provided",
                                       "maintenance_failure",        "major_safety_accident",   "refused_supervision",
                                       "credit_blacklist",           "mass_complaints",         "subsidy_fraud",
                                       "other_illegal_act"};

/// One operator's inputs; defaults are the perfect operator.
struct op_inputs {
  std::string id = "OP";
  operator_status status = operator_status::active;
  std::map<std::string, double> numbers = {
      {"fire_inspection_score", 100.0},   {"fire_open_hazards", 0.0},        {"fire_open_major_hazards", 0.0},
      {"fire_rectified_on_time", 1.0},    {"food_inspection_score", 95.0},   {"medical_inspection_score", 100.0},
      {"special_equipment_on_time", 1.0}, {"service_volume_ratio", 1.0},     {"staff_qualified_share", 1.0},
      {"inclusive_price_compliance", 1.0}, {"service_days_share", 1.0},      {"maintenance_completion", 1.0},
      {"disclosure_completeness", 1.0},   {"complaints_handled_on_time", 1.0}};
  std::map<std::string, std::string> categories = {
      {"food_grade", "A"}, {"funds_audit", "clean"}, {"supervision_cooperation", "good"}};
  std::map<std::string, std::uint8_t> flags;  // every other flag of the model is 0
  std::map<std::string, civil_date> dates = {{"opened_on", make_date(2018, 1, 1)}};  // others missing
  std::map<std::string, double> reviews = {{"stars_5", 200.0}};                      // others 0
  std::vector<std::string> scenarios = {"elderly_care", "infant_care", "child_care", "meals", "housekeeping", "health_services", "children_play"};
  std::optional<grade> previous_grade = grade::a4;
  civil_date previous_rated_on = make_date(2024, 6, 15);
  civil_date last_downgrade_on = civil_date::missing();
};

/// A dataset with every column the default model reads, one row per operator, except the
/// columns named in `drop` (to test missing-column errors).
inline dataset make_dataset(const std::vector<op_inputs>& ops, const std::set<std::string>& drop = {}) {
  std::vector<std::string> ids;
  for (const auto& o : ops) ids.push_back(o.id);
  dataset d(ids, "test");
  const std::size_t n = ops.size();
  std::vector<operator_status> st;
  for (const auto& o : ops) st.push_back(o.status);
  d.set_status(st);
  for (const auto& kv : ops[0].numbers) {
    if (drop.count(kv.first)) continue;
    std::vector<double> col;
    for (const auto& o : ops) col.push_back(o.numbers.at(kv.first));
    d.set_number(kv.first, col, nan_policy::missing);
  }
  for (const auto& kv : ops[0].categories) {
    if (drop.count(kv.first)) continue;
    std::vector<std::string> col;
    for (const auto& o : ops) col.push_back(o.categories.at(kv.first));
    d.set_category(kv.first, col);
  }
  std::vector<std::string> flag_names(std::begin(veto_flag_names), std::end(veto_flag_names));
  flag_names.push_back("fire_auto_fail");
  flag_names.push_back("special_equipment_overdue");
  for (const auto& name : flag_names) {
    if (drop.count(name)) continue;
    std::vector<std::uint8_t> col(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto it = ops[i].flags.find(name);
      if (it != ops[i].flags.end()) col[i] = it->second;
    }
    d.set_flag(name, col);
  }
  for (const char* name : {"opened_on", "last_serious_accident_on", "last_food_incident_on", "last_penalty_on"}) {
    if (drop.count(name)) continue;
    std::vector<civil_date> col(n, civil_date::missing());
    for (std::size_t i = 0; i < n; ++i) {
      const auto it = ops[i].dates.find(name);
      if (it != ops[i].dates.end()) col[i] = it->second;
    }
    d.set_date(name, col);
  }
  for (const char* name : review_input_columns) {
    if (drop.count(name)) continue;
    std::vector<double> col(n, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto it = ops[i].reviews.find(name);
      if (it != ops[i].reviews.end()) col[i] = it->second;
    }
    d.set_review_column(name, col);
  }
  if (!drop.count("scenarios")) {
    std::vector<std::vector<std::string>> sc;
    for (const auto& o : ops) sc.push_back(o.scenarios);
    d.set_scenarios(sc);
  }
  if (!drop.count("history")) {
    std::vector<std::optional<grade>> pg;
    std::vector<civil_date> rated, down;
    for (const auto& o : ops) {
      pg.push_back(o.previous_grade);
      rated.push_back(o.previous_rated_on);
      down.push_back(o.last_downgrade_on);
    }
    d.set_history(pg, rated, down);
  }
  return d;
}

inline const model& default_model() {
  static const model m = model::default_model();
  return m;
}

}  // namespace embedrating::test_support
