// Tests of include/embedrating/model.hpp and the TOML loader (src/model_toml.cpp, src/model.cpp):
// the default model, weights and cut-offs, the fingerprint (golden value, invariance under
// reformatting, sensitivity to every change of meaning), rules written only in TOML, and the
// errors for bad model files (each naming file:line).
#include <gtest/gtest.h>

#include "embedrating/catalogue.hpp"
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "embedrating/errors.hpp"
#include "embedrating/io.hpp"
#include "embedrating/model.hpp"
#include "embedrating/rate.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"

namespace {

using embedrating::test_support::read_text;
using embedrating::test_support::write_text;

using embedrating::grade;
using embedrating::model;
using embedrating::model_error;

const std::string model_path = std::string(EMBEDRATING_SOURCE_DIR) + "/data/models/wuhan-2024.toml";
const std::string operators_csv = std::string(EMBEDRATING_SOURCE_DIR) + "/data/examples/operators.csv";

// Golden fingerprint of data/models/wuhan-2024.toml. docs/fingerprint.md defines the encoding
// (SHA-256 over the canonical encoding of the model's meaning; see canonical_encoding_of in
// src/model.cpp). Computed once with this library; it must only change when the meaning of the
// shipped model or the canonical encoding changes on purpose (then bump the model version).
constexpr const char* wuhan_2024_fingerprint = "b500350de244de496186e4e237c019574697bbc646ac537f354fbe896b200956";

const std::string& base_text() {
  static const std::string text = read_text(model_path);
  return text;
}

/// Replaces the first occurrence of `from` (which must exist) by `to`.
std::string replace_first(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  if (pos == std::string::npos) throw std::runtime_error("test setup: \"" + from + "\" not found in the model text");
  return text.replace(pos, from.size(), to);
}

/// Replaces every occurrence of `from` (at least one must exist) by `to`.
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  std::size_t pos = text.find(from);
  if (pos == std::string::npos) throw std::runtime_error("test setup: \"" + from + "\" not found in the model text");
  while (pos != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos = text.find(from, pos + to.size());
  }
  return text;
}

/// 1-based line of the first occurrence of `needle` in `text`.
std::uint32_t line_of(const std::string& text, const std::string& needle) {
  const auto pos = text.find(needle);
  if (pos == std::string::npos) throw std::runtime_error("test setup: \"" + needle + "\" not found");
  std::uint32_t line = 1;
  for (std::size_t i = 0; i < pos; ++i) line += text[i] == '\n' ? 1u : 0u;
  return line;
}

/// what() of the model_error thrown while loading `text`, or "" if it loads.
std::string load_error(const std::string& text, const std::string& name = "m.toml") {
  try {
    model::from_toml(text, name);
  } catch (const model_error& e) {
    return e.what();
  }
  return {};
}

std::string fingerprint_of(const std::string& text) { return model::from_toml(text, "variant.toml").fingerprint(); }

using embedrating::test_support::temp_dir;

/// A small valid model with a chain of `groups` groups between the dimension and the leaf, and
/// an extra [[rules]] text.
std::string chain_model(int groups, const std::string& rules = {}) {
  std::string t =
      "[model]\nid = \"chain\"\n\n"
      "[[measures]]\nid = \"x\"\nmin = 0\nmax = 100\n\n"
      "[[dimensions]]\nid = \"d\"\npoints = 100\n\n";
  std::string parent = "d";
  for (int k = 1; k <= groups; ++k) {
    const std::string id = "g" + std::to_string(k);
    t += "[[indicators]]\nid = \"" + id + "\"\nparent = \"" + parent + "\"\npoints = 100\n\n";
    parent = id;
  }
  t += "[[indicators]]\nid = \"leaf\"\nparent = \"" + parent +
       "\"\npoints = 100\ninput = \"raw.x\"\nscoring = { kind = \"linear\", lower = 0, upper = 100 }\n\n";
  const char* grades[] = {"1A", "2A", "3A", "4A", "5A"};
  for (int g = 0; g < 5; ++g)
    t += "[[grades]]\ngrade = \"" + std::string(grades[g]) + "\"\nmin_total = " + std::to_string(10 * (g + 1)) + "\n\n";
  return t + rules;
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The default model

TEST(model, default_model_loads_with_expected_shape) {
  const model m = model::load(model_path);
  const auto& s = m.spec();
  EXPECT_EQ(s.info.id, "wuhan-2024");
  EXPECT_EQ(s.info.version, "1.1.0");
  EXPECT_EQ(s.info.effective_from, embedrating::make_date(2024, 8, 23));
  EXPECT_EQ(s.info.effective_to, embedrating::make_date(2026, 8, 22));
  std::vector<std::string> dims;
  for (const auto& nd : s.nodes)
    if (nd.parent.empty()) dims.push_back(nd.id);
  EXPECT_EQ(dims, (std::vector<std::string>{"safety", "service", "operations", "residents"}));
  EXPECT_EQ(m.total_points(), 1000.0);
  // 6 safety + 5 service + 5 operations + 3 residents leaves (the group "fire" is not a leaf).
  ASSERT_EQ(m.leaf_ids().size(), 19u);
  EXPECT_EQ(m.leaf_ids().front(), "fire_inspection");
  EXPECT_EQ(m.leaf_ids().back(), "bad_review_closure");
  EXPECT_EQ(std::count(m.leaf_ids().begin(), m.leaf_ids().end(), "fire"), 0);
  EXPECT_EQ(s.measures.size(), 17u);
  EXPECT_EQ(s.grades.size(), 5u);
  EXPECT_EQ(s.rules.size(), 25u);
  EXPECT_EQ(s.history.max_rise, 1);
  EXPECT_EQ(s.history.first_rating_max, grade::a3);
  EXPECT_EQ(s.reviews.min_count, 30.0);
  // Dimension points: 300 + 300 + 150 + 250.
  std::map<std::string, double> points;
  for (const auto& nd : s.nodes) points[nd.id] = nd.points;
  EXPECT_EQ(points["safety"], 300.0);
  EXPECT_EQ(points["service"], 300.0);
  EXPECT_EQ(points["operations"], 150.0);
  EXPECT_EQ(points["residents"], 250.0);
  EXPECT_EQ(points["fire"], 120.0);
  EXPECT_EQ(m.info().file, model_path);
}

TEST(model, default_model_is_the_shipped_file) {
  EXPECT_EQ(model::default_model().fingerprint(), model::load(model_path).fingerprint());
}

TEST(model, weights_sum_to_one_and_follow_points) {
  const model m = model::load(model_path);
  const auto w = m.weights();
  ASSERT_EQ(w.size(), m.leaf_ids().size());
  double sum = 0.0;
  for (double x : w) {
    EXPECT_GE(x, 0.0);
    sum += x;
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(w[0], 60.0 / 1000.0);   // fire_inspection
  EXPECT_DOUBLE_EQ(w.back(), 50.0 / 1000.0);  // bad_review_closure
}

TEST(model, with_weights_of_own_weights_keeps_fingerprint) {
  const model m = model::load(model_path);
  const auto w = m.weights();
  std::vector<std::pair<std::string, double>> pairs;
  for (std::size_t i = 0; i < w.size(); ++i) pairs.emplace_back(m.leaf_ids()[i], w[i]);
  const model again = m.with_weights(pairs);
  EXPECT_EQ(again.fingerprint(), m.fingerprint());
  EXPECT_EQ(again.total_points(), 1000.0);
  EXPECT_EQ(m.with_weights({}).fingerprint(), m.fingerprint());
}

TEST(model, with_weights_changing_one_leaf_changes_fingerprint_and_parents) {
  // issue 12: with_weights never changes the total silently — one leaf from 60 to 50 points alone
  // would make it 990, so that is refused; the explicit "rescale" gives the old result
  const model m = model::load(model_path);
  EXPECT_THROW(m.with_weights({{"fire_inspection", 0.05}}), model_error);
  const model changed = m.with_leaf_weights({{"fire_inspection", 0.05}}, embedrating::weight_total::rescale);  // 60 -> 50 points
  EXPECT_NE(changed.fingerprint(), m.fingerprint());
  std::map<std::string, double> points;
  for (const auto& nd : changed.spec().nodes) points[nd.id] = nd.points;
  EXPECT_EQ(points["fire_inspection"], 50.0);
  EXPECT_EQ(points["fire_hazards"], 30.0);  // not named: keeps its points
  EXPECT_EQ(points["fire"], 110.0);
  EXPECT_EQ(points["safety"], 290.0);
  EXPECT_EQ(changed.total_points(), 990.0);
  // moving 0.01 from one leaf to another keeps the total
  const model moved = m.with_weights({{"fire_inspection", 0.05}, {"fire_hazards", 0.04}});
  EXPECT_EQ(moved.total_points(), 1000.0);
  // The original is unchanged (models are immutable).
  EXPECT_EQ(m.total_points(), 1000.0);
  EXPECT_EQ(m.fingerprint(), wuhan_2024_fingerprint);
}

TEST(model, with_weights_rejects_bad_arguments) {
  const model m = model::load(model_path);
  EXPECT_THROW(m.with_weights({{"no_such_leaf", 0.1}}), model_error);
  EXPECT_THROW(m.with_weights({{"fire", 0.1}}), model_error);  // a group, not a leaf
  EXPECT_THROW(m.with_weights({{"fire_inspection", -0.01}}), model_error);
  EXPECT_THROW(m.with_weights({{"fire_inspection", std::nan("")}}), model_error);
  EXPECT_THROW(m.with_weights({{"fire_inspection", 0.1}, {"fire_inspection", 0.1}}), model_error);
  try {
    m.with_weights({{"fire", 0.1}});
  } catch (const model_error& e) {
    EXPECT_NE(std::string(e.what()).find("fire"), std::string::npos) << e.what();
  }
}

TEST(model, with_cutoffs_changes_fingerprint) {
  const model m = model::load(model_path);
  const model same = m.with_cutoffs({{grade::a5, 900.0}, {grade::a1, 500.0}});
  EXPECT_EQ(same.fingerprint(), m.fingerprint());
  const model changed = m.with_cutoffs({{grade::a5, 920.0}});
  EXPECT_NE(changed.fingerprint(), m.fingerprint());
  double min5 = -1.0;
  for (const auto& g : changed.spec().grades)
    if (g.level == grade::a5) min5 = g.min_total;
  EXPECT_EQ(min5, 920.0);
  // Cut-offs must not decrease with the grade: 4A above 5A is rejected.
  EXPECT_THROW(m.with_cutoffs({{grade::a4, 950.0}}), model_error);
}

// ---------------------------------------------------------------------------------------------
// Fingerprint

TEST(model, fingerprint_golden_value) {
  const model m = model::load(model_path);
  EXPECT_TRUE(is_hex64(m.fingerprint())) << m.fingerprint();
  EXPECT_EQ(m.fingerprint(), wuhan_2024_fingerprint);
  // The same text loaded under another name: the file name is not part of the meaning.
  EXPECT_EQ(fingerprint_of(base_text()), wuhan_2024_fingerprint);
  EXPECT_FALSE(m.canonical_encoding().empty());
}

TEST(model, fingerprint_unchanged_by_reformatting) {
  std::string t = base_text();
  // keys reordered within tables
  t = replace_first(t, "id = \"wuhan-2024\"\nversion = \"1.1.0\"\n", "version = \"1.1.0\"\nid = \"wuhan-2024\"\n");
  t = replace_first(t, "id = \"fire_open_hazards\"\nkind = \"number\"\nunit = \"count\"\n",
                    "unit = \"count\"\nkind = \"number\"\nid = \"fire_open_hazards\"\n");
  t = replace_first(t, "scoring = { kind = \"linear\", direction = \"benefit\", lower = 60, upper = 95 }",
                    "scoring = { upper = 95.0, lower = 60.0, direction = \"benefit\", kind = \"linear\" }");
  t = replace_first(t, "{ A = 1.0, B = 0.75, C = 0.4 }", "{ C = 0.40, A = 1, B = 0.750 }");
  t = replace_first(t, "id = \"veto_art16_01\"\naction = \"veto\"\nterminate = true\n",
                    "terminate = true\naction = \"veto\"\nid = \"veto_art16_01\"\n");
  t = replace_first(t, "{ field = \"months_since.opened_on\", op = \"<\", value = 3 }",
                    "{ value = 3.0, op = \"<\", field = \"months_since.opened_on\" }");
  // integers written as floats and vice versa
  t = replace_all(t, "points = 120\n", "points = 120.0\n");
  t = replace_all(t, "points = 300\n", "points = 3.0e2\n");
  t = replace_first(t, "prior_closure = 1.0", "prior_closure = 1");
  t = replace_first(t, "min_total = 900", "min_total = 900.000");
  // comments, blank lines, trailing comments, annotations
  t = replace_all(t, "[[indicators]]\n", "\n\n# an added comment\n[[indicators]] # trailing comment\n");
  t = replace_first(t, "[history]\n", "[history]\n\n\nx_note = \"free annotation\"\n");
  t = "# a new first line\n\n" + t + "\n# the end\n\n";
  // labels, Chinese labels, sources
  t = replace_all(t, "label = \"Fire safety\"", "label = \"Fire safety (relabelled)\"");
  t = replace_all(t, "label_zh = \"消防安全\"", "label_zh = \"消防安全（改）\"");
  t = replace_all(t, "source = \"Art. 2\"\n", "source = \"Art. 2 and a longer citation\"\n");
  t = replace_first(t, "label = \"Wuhan community-embedded", "label = \"WUHAN community-embedded");
  // a local date written as a string
  t = replace_first(t, "effective_from = 2024-08-23", "effective_from = \"2024-08-23\"");
  ASSERT_NE(t, base_text());
  EXPECT_EQ(fingerprint_of(t), wuhan_2024_fingerprint);
}

TEST(model, fingerprint_integer_and_float_points_are_the_same) {
  const std::string as_float = replace_all(base_text(), "points = 120\n", "points = 120.0\n");
  ASSERT_NE(as_float, base_text());
  EXPECT_EQ(fingerprint_of(as_float), wuhan_2024_fingerprint);
  const std::string bounds_float = replace_first(base_text(), "lower = 0.6, upper = 1.0", "lower = 0.60, upper = 1");
  EXPECT_EQ(fingerprint_of(bounds_float), wuhan_2024_fingerprint);
}

TEST(model, fingerprint_survives_to_toml_round_trip) {
  const model m = model::load(model_path);
  const std::string canonical = m.to_toml();
  const model again = model::from_toml(canonical, "canonical.toml");
  EXPECT_EQ(again.fingerprint(), m.fingerprint());
  EXPECT_EQ(again.canonical_encoding(), m.canonical_encoding());
  // The canonical text is a fixed point.
  EXPECT_EQ(again.to_toml(), canonical);
  // Labels survive too (not part of the fingerprint, but part of the file).
  EXPECT_EQ(again.spec().rules.front().label, m.spec().rules.front().label);
  EXPECT_EQ(again.spec().rules.front().source, m.spec().rules.front().source);
}

TEST(model, save_and_load_round_trip) {
  const temp_dir dir;
  const model m = model::load(model_path);
  const std::string path = dir.file("saved.toml");
  m.save(path);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  // no temporary file of any name is left beside it
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
  const model loaded = model::load(path);
  EXPECT_EQ(loaded.fingerprint(), m.fingerprint());
  EXPECT_EQ(loaded.info().file, path);
  // Saving over an existing file replaces it.
  m.with_cutoffs({{grade::a5, 950.0}}).save(path);
  EXPECT_NE(model::load(path).fingerprint(), m.fingerprint());
  // a save that cannot happen says why and leaves nothing behind
  try {
    m.save(dir.file("missing/saved.toml"));
    FAIL() << "expected a model_error";
  } catch (const model_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("missing/saved.toml") + ": cannot write model file: cannot create the temporary file " +
                                         dir.file("missing/saved.toml") + ".tmp: No such file or directory");
  }
}

TEST(model, fingerprint_changed_by_any_change_of_meaning) {
  const std::string& b = base_text();
  const std::vector<std::pair<std::string, std::string>> variants = {
      // weights (children still add up)
      {"weight", replace_first(replace_first(b, "id = \"fire_inspection\"\nparent = \"fire\"\npoints = 60",
                                             "id = \"fire_inspection\"\nparent = \"fire\"\npoints = 50"),
                               "id = \"fire_hazards\"\nparent = \"fire\"\npoints = 30",
                               "id = \"fire_hazards\"\nparent = \"fire\"\npoints = 40")},
      // scoring bounds and steps
      {"linear upper", replace_first(b, "lower = 60, upper = 95", "lower = 60, upper = 96")},
      {"linear lower", replace_first(b, "lower = 60, upper = 95", "lower = 59.5, upper = 95")},
      {"linear direction", replace_first(b, "direction = \"benefit\", lower = 0.8, upper = 1.0",
                                         "direction = \"cost\", lower = 0.8, upper = 1.0")},
      {"steps score", replace_first(b, "[[0, 1.0], [1, 0.6], [2, 0.3]]", "[[0, 1.0], [1, 0.5], [2, 0.3]]")},
      {"steps otherwise", replace_first(b, "[3, 0.6]], otherwise = 0", "[3, 0.6]], otherwise = 0.1")},
      {"categorical", replace_first(b, "{ A = 1.0, B = 0.75, C = 0.4 }", "{ A = 1.0, B = 0.8, C = 0.4 }")},
      {"missing policy", replace_first(b, "upper = 1.0 }\nmissing = \"zero\"", "upper = 1.0 }\nmissing = \"error\"")},
      {"measure range", replace_first(b, "unit = \"count\"\nmin = 0\nmax = 1000", "unit = \"count\"\nmin = 0\nmax = 999")},
      {"measure rollup", replace_first(b, "rollup = \"sum\"", "rollup = \"worst\"")},
      // cut-offs and gates
      {"cut-off", replace_first(b, "min_total = 900", "min_total = 901")},
      {"dimension ratio", replace_first(b, "min_dimension_ratio = 0.90", "min_dimension_ratio = 0.91")},
      {"dimension minimum", replace_first(b, "dimension_minimums = { residents = 0.90 }",
                                          "dimension_minimums = { residents = 0.85 }")},
      {"prerequisite", replace_first(b, "op = \">=\", value = 0.95", "op = \">=\", value = 0.9")},
      // rules
      {"rule value", replace_first(b, "{ field = \"scenarios\", op = \"<\", value = 3 }",
                                   "{ field = \"scenarios\", op = \"<\", value = 4 }")},
      {"rule op", replace_first(b, "{ field = \"scenarios\", op = \"<\", value = 3 }",
                                "{ field = \"scenarios\", op = \"<=\", value = 3 }")},
      {"cap grade", replace_first(b, "id = \"cap_food_grade_c\"\naction = \"cap\"\ngrade = \"3A\"",
                                  "id = \"cap_food_grade_c\"\naction = \"cap\"\ngrade = \"2A\"")},
      {"lapse months", replace_first(b, "lapse = { date = \"opened_on\", months = 12 }",
                                     "lapse = { date = \"opened_on\", months = 11 }")},
      {"downgrade levels", replace_first(b, "levels = 1\n", "levels = 2\n")},
      {"veto terminate", replace_first(b, "terminate = true\nwhen = { field = \"flag.unauthorised_change_of_use\"",
                                       "terminate = false\nwhen = { field = \"flag.unauthorised_change_of_use\"")},
      {"rule removed", [&b] {
         std::string t = b;
         const auto from = t.find("[[rules]]\nid = \"cap_low_review_volume\"");
         const auto to = t.find("# --- Applicability");
         if (from == std::string::npos || to == std::string::npos) throw std::runtime_error("test setup: rule not found");
         return t.erase(from, to - from);
       }()},
      {"rule id", replace_first(b, "id = \"cap_food_grade_c\"", "id = \"cap_food_grade_c2\"")},
      {"set_score", replace_first(b, "target = \"fire\"\nscore = 0\n", "target = \"fire\"\nscore = 0.5\n")},
      // settings and period
      {"reviews", replace_first(b, "min_count = 30", "min_count = 20")},
      {"review levels", replace_first(b, "level_values = [0, 30, 60, 80, 100]", "level_values = [0, 25, 60, 80, 100]")},
      {"history", replace_first(b, "max_rise = 1", "max_rise = 2")},
      {"first rating", replace_first(b, "first_rating_max = \"3A\"", "first_rating_max = \"4A\"")},
      {"period", replace_first(b, "effective_to = 2026-08-22", "effective_to = 2026-08-23")},
      // event-level review settings (issue 4)
      {"review period", replace_first(b, "period = \"month\"", "period = \"days\"\nperiod_days = 30")},
      {"review window", replace_first(b, "window_months = 12", "window_months = 6")},
      {"review half-life", replace_first(b, "half_life_days = 0", "half_life_days = 180")},
      {"review deadline", replace_first(b, "deadline_working_days = 15", "deadline_working_days = 10")},
      {"review service records", replace_first(b, "service_record_only = false", "service_record_only = true")},
      {"review dedup", replace_first(b, "dedup = true", "dedup = false")},
      {"review wilson z", replace_first(b, "wilson_z = 1.959963984540054", "wilson_z = 1.645")},
      {"review eb method", replace_first(b, "eb_method = \"method_of_moments\"", "eb_method = \"maximum_likelihood\"")},
  };
  std::set<std::string> seen = {wuhan_2024_fingerprint};
  for (const auto& [name, text] : variants) {
    ASSERT_NE(text, b) << name;
    std::string fp;
    try {
      fp = fingerprint_of(text);
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": variant does not load: " << e.what();
      continue;
    }
    EXPECT_TRUE(is_hex64(fp)) << name;
    EXPECT_NE(fp, wuhan_2024_fingerprint) << name;
    EXPECT_TRUE(seen.insert(fp).second) << name << ": same fingerprint as another variant";
  }
}

// ---------------------------------------------------------------------------------------------
// Rules are data

TEST(model, cap_rule_written_only_in_toml_fires) {
  const std::string extra =
      "\n[[rules]]\n"
      "id = \"test_cap_high_fire_score\"\n"
      "action = \"cap\"\n"
      "grade = \"2A\"\n"
      "when = { field = \"raw.fire_inspection_score\", op = \">=\", value = 97 }\n"
      "label = \"A rule that exists only in this test\"\n"
      "source = \"model_test.cpp\"\n";
  const model base = model::load(model_path);
  const model capped = model::from_toml(base_text() + extra, "capped.toml");
  ASSERT_EQ(capped.spec().rules.size(), base.spec().rules.size() + 1);
  const auto new_rule = static_cast<std::uint32_t>(capped.spec().rules.size() - 1);
  EXPECT_NE(capped.fingerprint(), base.fingerprint());

  const auto data = embedrating::read_operators_csv(operators_csv, base);
  const auto as_of = embedrating::make_date(2025, 6, 30);
  const auto before = embedrating::rate(base, data, as_of);
  const auto after = embedrating::rate(capped, data, as_of);

  // WH-001 scores 97 on the fire inspection and is 5A without the rule; WH-002 scores 88.
  const auto i1 = static_cast<std::size_t>(before.find("WH-001"));
  const auto i2 = static_cast<std::size_t>(before.find("WH-002"));
  ASSERT_GT(embedrating::level(before.final_grade[i1]), embedrating::level(grade::a2));
  EXPECT_EQ(after.final_grade[i1], grade::a2);
  EXPECT_EQ(after.grade_by_score[i1], before.grade_by_score[i1]);  // a cap does not change the score
  EXPECT_EQ(after.final_grade[i2], before.final_grade[i2]);

  auto fired = [&](const embedrating::ratings& r, std::size_t i) {
    for (std::uint32_t k = r.fired_offsets[i]; k < r.fired_offsets[i + 1]; ++k)
      if (r.fired[k].rule == new_rule) return true;
    return false;
  };
  EXPECT_TRUE(fired(after, i1));
  EXPECT_FALSE(fired(after, i2));
  // Every operator the rule fired for ends at 2A or below.
  for (std::size_t i = 0; i < after.size(); ++i)
    if (fired(after, i)) {
      EXPECT_LE(embedrating::level(after.final_grade[i]), 2) << after.operator_ids[i];
    }
}

// ---------------------------------------------------------------------------------------------
// Bad model files: every error names the file and the line

TEST(model, malformed_toml_reports_line) {
  const std::string t = replace_first(base_text(), "max_rise = 1\n", "max_rise = = 1\n");
  const std::string err = load_error(t);
  EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "max_rise = = 1"))), std::string::npos) << err;
  EXPECT_NE(err.find("TOML syntax error"), std::string::npos) << err;
  const std::string unterminated = load_error("[model]\nid = \"x\nversion = \"1\"\n");
  EXPECT_NE(unterminated.find("m.toml:2"), std::string::npos) << unterminated;
}

TEST(model, unknown_key_is_an_error) {
  const std::string t = replace_first(base_text(), "unit = \"count\"", "units = \"count\"");
  const std::string err = load_error(t);
  EXPECT_NE(err.find("unknown key \"units\""), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "units = \"count\""))), std::string::npos) << err;
  EXPECT_NE(err.find("measures[1].units"), std::string::npos) << err;
  // also at the top level and inside an inline scoring table
  EXPECT_NE(load_error(base_text() + "\n[extra]\na = 1\n").find("unknown key \"extra\""), std::string::npos);
  const std::string inline_err =
      load_error(replace_first(base_text(), "lower = 60, upper = 95 }", "lower = 60, upper = 95, uper = 3 }"));
  EXPECT_NE(inline_err.find("unknown key \"uper\""), std::string::npos) << inline_err;
}

TEST(model, unknown_indicator_in_score_field) {
  const std::string rule =
      "\n[[rules]]\nid = \"w\"\naction = \"warn\"\n"
      "when = { field = \"score.no_such_indicator\", op = \"<\", value = 0.5 }\nsource = \"t\"\n";
  const std::string t = base_text() + rule;
  const std::string err = load_error(t);
  EXPECT_NE(err.find("unknown indicator \"no_such_indicator\""), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "id = \"w\"") - 1)), std::string::npos) << err;
}

TEST(model, unknown_measure_in_raw_field) {
  const std::string as_input = replace_first(base_text(), "input = \"raw.fire_inspection_score\"",
                                             "input = \"raw.fire_inspection_scor\"");
  const std::string err = load_error(as_input);
  EXPECT_NE(err.find("unknown measure \"fire_inspection_scor\""), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:"), std::string::npos) << err;
  const std::string in_rule = replace_first(base_text(), "field = \"raw.food_grade\", op = \"==\", value = \"C\"",
                                            "field = \"raw.food_grad\", op = \"==\", value = \"C\"");
  const std::string err2 = load_error(in_rule);
  EXPECT_NE(err2.find("unknown measure \"food_grad\""), std::string::npos) << err2;
  EXPECT_NE(err2.find("rules.cap_food_grade_c.when"), std::string::npos) << err2;
}

TEST(model, negative_points_rejected) {
  const std::string t = replace_first(base_text(), "id = \"fire_inspection\"\nparent = \"fire\"\npoints = 60",
                                      "id = \"fire_inspection\"\nparent = \"fire\"\npoints = -60");
  const std::string err = load_error(t);
  EXPECT_NE(err.find("negative points"), std::string::npos) << err;
  EXPECT_NE(err.find("fire_inspection.points"), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "id = \"fire_inspection\"") - 1)), std::string::npos) << err;
}

TEST(model, children_points_must_add_up) {
  const std::string t = replace_first(base_text(), "id = \"fire_inspection\"\nparent = \"fire\"\npoints = 60",
                                      "id = \"fire_inspection\"\nparent = \"fire\"\npoints = 61");
  const std::string err = load_error(t);
  EXPECT_NE(err.find("add up to 121"), std::string::npos) << err;
  EXPECT_NE(err.find("not 120"), std::string::npos) << err;
  EXPECT_NE(err.find("fire.points"), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "id = \"fire\"") - 1)), std::string::npos) << err;
  // Within 0.01 is fine only when the centi-points agree: 60.004 rounds to 60.00.
  const std::string tiny = replace_first(base_text(), "id = \"fire_inspection\"\nparent = \"fire\"\npoints = 60",
                                         "id = \"fire_inspection\"\nparent = \"fire\"\npoints = 60.004");
  EXPECT_EQ(load_error(tiny), "");
}

TEST(model, unknown_parent_rejected) {
  const std::string t = replace_first(base_text(), "id = \"fire_hazards\"\nparent = \"fire\"",
                                      "id = \"fire_hazards\"\nparent = \"fires\"");
  const std::string err = load_error(t);
  EXPECT_NE(err.find("unknown parent \"fires\""), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "id = \"fire_hazards\"") - 1)), std::string::npos) << err;
}

TEST(model, too_deep_indicator_tree_rejected) {
  EXPECT_EQ(load_error(chain_model(3)), "");
  const std::string t = chain_model(10);
  const std::string err = load_error(t);
  EXPECT_NE(err.find("deeper than 8 levels"), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:"), std::string::npos) << err;
}

TEST(model, too_deep_condition_rejected) {
  auto not_chain = [](int depth) {
    std::string when = "{ field = \"raw.x\", op = \"<\", value = 1 }";
    for (int k = 0; k < depth; ++k) when = "{ not = " + when + " }";
    return "[[rules]]\nid = \"deep\"\naction = \"warn\"\nwhen = " + when + "\nsource = \"t\"\n";
  };
  EXPECT_EQ(load_error(chain_model(1, not_chain(10))), "");
  const std::string t = chain_model(1, not_chain(40));
  const std::string err = load_error(t);
  EXPECT_NE(err.find("nested deeper than 32 levels"), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "when = { not"))), std::string::npos) << err;
}

TEST(model, rule_without_source_rejected) {
  const std::string t = replace_first(base_text(), "label_zh = \"服务场景少于3项\"\nsource = \"Art. 2\"\n",
                                      "label_zh = \"服务场景少于3项\"\n");
  const std::string err = load_error(t);
  EXPECT_NE(err.find("rules.elig_min_scenarios.source"), std::string::npos) << err;
  EXPECT_NE(err.find("cite its source"), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "id = \"elig_min_scenarios\"") - 1)), std::string::npos)
      << err;
}

TEST(model, steps_thresholds_out_of_order_rejected) {
  const std::string cost = replace_first(base_text(), "[[0, 1.0], [1, 0.6], [2, 0.3]]", "[[0, 1.0], [2, 0.6], [1, 0.3]]");
  const std::string err = load_error(cost);
  EXPECT_NE(err.find("cost thresholds must be strictly ascending"), std::string::npos) << err;
  EXPECT_NE(err.find("fire_hazards.scoring"), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:"), std::string::npos) << err;
  const std::string benefit = replace_first(base_text(), "[[6, 1.0], [5, 0.9], [4, 0.8], [3, 0.6]]",
                                            "[[6, 1.0], [4, 0.9], [5, 0.8], [3, 0.6]]");
  const std::string err2 = load_error(benefit);
  EXPECT_NE(err2.find("benefit thresholds must be strictly descending"), std::string::npos) << err2;
  // equal thresholds are not strictly monotone either
  const std::string equal = replace_first(base_text(), "[[0, 1.0], [1, 0.6], [2, 0.3]]", "[[0, 1.0], [1, 0.6], [1, 0.3]]");
  EXPECT_NE(load_error(equal).find("strictly ascending"), std::string::npos);
}

TEST(model, categorical_map_missing_a_level_rejected) {
  const std::string t = replace_first(base_text(), "{ A = 1.0, B = 0.75, C = 0.4 }", "{ A = 1.0, B = 0.75 }");
  const std::string err = load_error(t);
  EXPECT_NE(err.find("level \"C\" of measure food_grade is not mapped"), std::string::npos) << err;
  EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "id = \"food_safety\"") - 1)), std::string::npos) << err;
  const std::string extra = replace_first(base_text(), "{ A = 1.0, B = 0.75, C = 0.4 }", "{ A = 1.0, B = 0.75, C = 0.4, D = 0 }");
  EXPECT_NE(load_error(extra).find("\"D\" is not a level of measure food_grade"), std::string::npos);
}

TEST(model, file_larger_than_4_mib_rejected) {
  std::string big = base_text();
  const std::string filler = "# " + std::string(1000, 'x') + "\n";
  while (big.size() <= (4u << 20)) big += filler;
  const std::string err = load_error(big);
  EXPECT_NE(err.find("larger than 4 MiB"), std::string::npos) << err;
  const temp_dir dir;
  const std::string path = dir.file("big.toml");
  {
    std::ofstream out(path, std::ios::binary);
    out << big;
  }
  try {
    model::load(path);
    ADD_FAILURE() << "a model file larger than 4 MiB loaded";
  } catch (const model_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("larger than 4 MiB"), std::string::npos) << what;
    EXPECT_NE(what.find(path), std::string::npos) << what;
  }
  // Just under the limit is fine (comments only).
  std::string under = base_text();
  while (under.size() + filler.size() < (4u << 20)) under += filler;
  EXPECT_EQ(load_error(under), "");
}

TEST(model, veto_rule_reading_scores_rejected) {
  for (const char* field : {"score.fire", "dim.safety", "total"}) {
    const std::string rule = std::string("\n[[rules]]\nid = \"bad_veto\"\naction = \"veto\"\nwhen = { field = \"") +
                             field + "\", op = \"<\", value = 0.5 }\nsource = \"t\"\n";
    const std::string t = base_text() + rule;
    const std::string err = load_error(t);
    EXPECT_NE(err.find("cannot read score.*, dim.* or total"), std::string::npos) << field << ": " << err;
    EXPECT_NE(err.find("rules.bad_veto.when"), std::string::npos) << err;
    EXPECT_NE(err.find("m.toml:" + std::to_string(line_of(t, "id = \"bad_veto\"") - 1)), std::string::npos) << err;
  }
  // The same condition on a cap rule (evaluated after scoring) is fine.
  const std::string cap =
      "\n[[rules]]\nid = \"ok_cap\"\naction = \"cap\"\ngrade = \"3A\"\nwhen = { field = \"score.fire\", op = \"<\", value = 0.5 }\nsource = \"t\"\n";
  EXPECT_EQ(load_error(base_text() + cap), "");
  // set_score and not_applicable rules are checked too, also inside all/any/not.
  const std::string set_score =
      "\n[[rules]]\nid = \"bad_set\"\naction = \"set_score\"\ntarget = \"fire\"\nscore = 0\n"
      "when = { any = [ { field = \"flag.fire_auto_fail\", op = \"==\", value = true }, { not = { field = \"total\", op = \">\", value = 1 } } ] }\nsource = \"t\"\n";
  EXPECT_NE(load_error(base_text() + set_score).find("cannot read score.*"), std::string::npos);
}

TEST(model, duplicate_rule_ids_rejected) {
  const std::string rule =
      "\n[[rules]]\nid = \"veto_art16_01\"\naction = \"warn\"\nwhen = { field = \"flag.x\", op = \"==\", value = true }\nsource = \"t\"\n";
  const std::string t = base_text() + rule;
  const std::string err = load_error(t);
  EXPECT_NE(err.find("duplicate rule \"veto_art16_01\""), std::string::npos) << err;
  const auto second = t.find("id = \"veto_art16_01\"", t.find("id = \"veto_art16_01\"") + 1);
  std::uint32_t line = 1;
  for (std::size_t i = 0; i < second; ++i) line += t[i] == '\n' ? 1u : 0u;
  EXPECT_NE(err.find("m.toml:" + std::to_string(line - 1)), std::string::npos) << err;
}

TEST(model, error_what_starts_with_file_and_line) {
  const std::string t = replace_first(base_text(), "unit = \"count\"", "units = \"count\"");
  try {
    model::from_toml(t, "named.toml");
    FAIL() << "no error";
  } catch (const model_error& e) {
    EXPECT_EQ(e.where().file, "named.toml");
    EXPECT_EQ(e.where().line, line_of(t, "units = \"count\""));
    EXPECT_EQ(std::string(e.what()).rfind("named.toml:" + std::to_string(e.where().line) + ":", 0), 0u) << e.what();
    EXPECT_EQ(std::string(e.what()).find(e.message()) + e.message().size(), std::string(e.what()).size());
  }
}

TEST(model, missing_file_is_a_model_error) {
  EXPECT_THROW(model::load(std::string(EMBEDRATING_SOURCE_DIR) + "/data/models/no-such-model.toml"), model_error);
}

namespace {
using namespace embedrating;
// Issue 17 item 4: every item of the shipped model says which article it implements (source) and
// where its numbers come from (basis) — measures, indicators, grade prerequisites, rules, the
// settings tables and [model] itself. Removing one basis line from the TOML makes this fail.
TEST(model, shipped_model_cites_source_and_basis_for_every_item) {
  const model m = model::default_model();
  const model_spec& s = m.spec();
  for (const auto& me : s.measures) {
    EXPECT_FALSE(me.source.empty()) << "measure " << me.id;
    EXPECT_FALSE(me.basis.empty()) << "measure " << me.id;
  }
  for (const auto& nd : s.nodes) {
    EXPECT_FALSE(nd.source.empty()) << "indicator " << nd.id;
    EXPECT_FALSE(nd.basis.empty()) << "indicator " << nd.id;
  }
  for (const auto& g : s.grades)
    for (const auto& p : g.prerequisites) {
      EXPECT_FALSE(p.source.empty()) << "prerequisite " << p.id;
      EXPECT_FALSE(p.basis.empty()) << "prerequisite " << p.id;
    }
  for (const auto& r : s.rules) {
    EXPECT_FALSE(r.source.empty()) << "rule " << r.id;
    EXPECT_FALSE(r.basis.empty()) << "rule " << r.id;
  }
  for (const auto& set : s.scenario_sets) {
    EXPECT_FALSE(set.source.empty()) << "scenario set " << set.id;
    EXPECT_FALSE(set.basis.empty()) << "scenario set " << set.id;
  }
  EXPECT_FALSE(s.info.source.empty()) << "[model]";
  ASSERT_TRUE(s.citations.count("model")) << "[model] has no basis";
  EXPECT_FALSE(s.citations.at("model").basis.empty()) << "[model]";
  for (const char* key : {"reviews", "history"}) {
    ASSERT_TRUE(s.citations.count(key)) << key;
    EXPECT_FALSE(s.citations.at(key).source.empty()) << key;
    EXPECT_FALSE(s.citations.at(key).basis.empty()) << key;
  }
  // the measures' bases survive to_toml (documentation: the fingerprint does not change)
  const model again = model::from_toml(m.to_toml());
  EXPECT_EQ(again.fingerprint(), m.fingerprint());
  for (std::size_t k = 0; k < s.measures.size(); ++k) EXPECT_EQ(again.spec().measures[k].basis, s.measures[k].basis);
  EXPECT_EQ(again.spec().citations.at("model").basis, s.citations.at("model").basis);
}

// Issue 17: source and basis apart, scenario sets counted by scenarios.<set>.
TEST(model, basis_and_scenario_sets_round_trip_and_are_validated) {
  const model m = model::default_model();
  const model_spec& s = m.spec();
  ASSERT_EQ(s.scenario_sets.size(), 1u);
  EXPECT_EQ(s.scenario_sets[0].id, "art3");
  for (const auto& nd : s.nodes) {
    EXPECT_FALSE(nd.source.empty()) << nd.id;
    EXPECT_FALSE(nd.basis.empty()) << nd.id;
  }
  for (const auto& r : s.rules) EXPECT_FALSE(r.basis.empty()) << r.id;
  for (const auto& g : s.grades) EXPECT_TRUE(s.citations.count("grades." + std::string(to_string(g.level)))) << to_string(g.level);
  EXPECT_TRUE(s.citations.count("reviews"));
  EXPECT_TRUE(s.citations.count("history"));
  // to_toml keeps them; the fingerprint ignores basis (documentation) but not the sets
  const model again = model::from_toml(m.to_toml());
  EXPECT_EQ(again.fingerprint(), m.fingerprint());
  EXPECT_EQ(again.spec().rules[0].basis, s.rules[0].basis);
  EXPECT_EQ(again.spec().citations.at("grades.5A").basis, s.citations.at("grades.5A").basis);
  std::string t = m.to_toml();
  const std::string basis = "basis = \"" + s.rules[0].basis + "\"";
  ASSERT_NE(t.find(basis), std::string::npos);
  EXPECT_EQ(model::from_toml(replace_first(t, basis, "basis = \"something else\"")).fingerprint(), m.fingerprint());
  EXPECT_NE(model::from_toml(replace_first(t, "\"children_play\"", "\"parking\"")).fingerprint(), m.fingerprint());
  // an unknown set is an error naming the field
  const std::string bad = replace_first(t, "input = \"scenarios.art3\"", "input = \"scenarios.art7\"");
  try {
    (void)model::from_toml(bad, "m.toml");
    FAIL() << "no error";
  } catch (const model_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown scenario set \"art7\""), std::string::npos) << e.what();
  }
}

// The set in the model is the one marked in the catalogue.
TEST(model, art3_set_equals_the_catalogue) {
  const model m = model::default_model();
  const catalogue c = catalogue::load(data_directory() + "/catalogue");
  EXPECT_EQ(m.spec().scenario_sets.at(0).codes, c.art3_scenarios());
}
}  // namespace

namespace {

std::string model_error_of(const std::string& text) {
  try {
    embedrating::model::from_toml(text, "m.toml");
  } catch (const embedrating::model_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(model, non_ascii_outside_strings_is_refused_before_the_toml_parser_sees_it) {
  // toml++ 3.3 reaches an unreachable branch (undefined behaviour) on U+00A1..U+049A where
  // whitespace may stand; the fuzzer's input (tests/data/fuzz/) and a hand-made one are refused
  // with their line and column, while non-ASCII text in strings and comments stays fine.
  EXPECT_NE(model_error_of("a = 1\xC2\xA1\n").find("m.toml:1:6: TOML syntax error: a non-ASCII character outside a string"),
            std::string::npos);
  EXPECT_NE(model_error_of("# 注释 ok\n[model]\nid = \"x\" \xD0\x96\n").find("m.toml:3:10:"), std::string::npos);
  std::ifstream in(std::string(EMBEDRATING_SOURCE_DIR) + "/tests/data/fuzz/model_toml-tomlpp-unreachable.toml", std::ios::binary);
  ASSERT_TRUE(in) << "the fuzzer's input is in tests/data/fuzz/";
  const std::string crash((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(model_error_of(crash).find("TOML syntax error"), std::string::npos);
  // text in strings (basic, literal, multi-line, with escaped quotes) and comments is not touched
  const std::string ok = embedrating::model::default_model().to_toml();
  EXPECT_EQ(model_error_of(ok), "");
  EXPECT_EQ(model_error_of(ok + "# \xC2\xA1 \"\n"), "");
}
