// A reviewable model (issue 12, item 4): with_weights keeps the total, refuses or rescales when
// asked; derived models record their parent and get a version of their own, outside the
// fingerprint; to_toml writes readable UTF-8 and keeps sources and rationales; model::diff lists
// every change.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include "embedrating/embedrating.hpp"

namespace {

using namespace embedrating;

std::vector<std::pair<std::string, double>> ones(const model& m) {
  std::vector<std::pair<std::string, double>> w;
  for (const auto& id : m.leaf_ids()) w.emplace_back(id, 1.0);
  return w;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(model_review, with_weights_refuses_to_change_the_total_silently) {
  const model m = model::default_model();
  EXPECT_EQ(error_of([&] { m.with_weights(ones(m)); }),
            "weights: with_weights: the weights sum to 19, not 1: the model's total of 1000 points would become 19000 while the "
            "cut-offs stay; normalise the weights (total=\"normalize\"), or change the total explicitly (total=\"rescale\")");
  const model normalized = m.with_leaf_weights(ones(m), weight_total::normalize);
  EXPECT_NEAR(normalized.total_points(), 1000.0, 0.1);  // 19 leaves × round(1000/19, 0.01): within the per-leaf rounding
  for (const auto& nd : normalized.spec().nodes)
    if (nd.input) {
      EXPECT_DOUBLE_EQ(nd.points, 52.63) << nd.id;
    }
  const model rescaled = m.with_leaf_weights(ones(m), weight_total::rescale);
  EXPECT_DOUBLE_EQ(rescaled.total_points(), 19000.0);
  EXPECT_NE(rescaled.info().provenance.note.find("total rescale: 1000 -> 19000 points"), std::string::npos);
  EXPECT_NE(error_of([&] { m.with_leaf_weights({{"fire_inspection", 0.0}}, weight_total::keep); }).find(
                "the weights (with the current weights of the leaves not named) sum to 0.94, not 1"),
            std::string::npos);
  std::vector<std::pair<std::string, double>> zero;
  for (const auto& id : m.leaf_ids()) zero.emplace_back(id, 0.0);
  EXPECT_NE(error_of([&] { m.with_leaf_weights(zero, weight_total::normalize); }).find("every weight is 0"), std::string::npos);
}

TEST(model_review, derived_models_record_their_parent_outside_the_fingerprint) {
  const model m = model::default_model();
  const model same = m.with_weights({{"fire_inspection", 0.06}});
  EXPECT_EQ(same.fingerprint(), m.fingerprint());
  EXPECT_EQ(same.info().version, m.info().version);  // nothing changed: the same model
  EXPECT_TRUE(same.info().provenance.empty());
  const model edited = m.with_cutoffs({{grade::a5, 880.0}});
  EXPECT_EQ(edited.info().id, "wuhan-2024");
  EXPECT_EQ(edited.info().version, m.info().version + "+" + edited.fingerprint().substr(0, 8));
  EXPECT_EQ(edited.info().provenance.parent_fingerprint, m.fingerprint());
  EXPECT_EQ(edited.info().provenance.parent_version, m.info().version);
  EXPECT_EQ(edited.info().provenance.method, "with_cutoffs");
  EXPECT_EQ(edited.info().provenance.note, "min_total 5A = 880");
  // a chain: the parent is the immediate one; the version keeps the base
  const model twice = edited.with_params({{"4A.min_total", 790.0}});
  EXPECT_EQ(twice.info().provenance.parent_fingerprint, edited.fingerprint());
  EXPECT_EQ(twice.info().version, m.info().version + "+" + twice.fingerprint().substr(0, 8));
  // provenance and version are metadata: the same meaning has the same fingerprint
  model_info info = edited.info();
  info.provenance = {};
  info.version = "9.9.9";
  EXPECT_EQ(edited.with_info(info).fingerprint(), edited.fingerprint());
  EXPECT_EQ(edited.with_info(info).canonical_encoding(), edited.canonical_encoding());
  // round trip through TOML
  const model back = model::from_toml(edited.to_toml(), "edited.toml");
  EXPECT_EQ(back.fingerprint(), edited.fingerprint());
  EXPECT_EQ(back.info().provenance.parent_fingerprint, m.fingerprint());
  EXPECT_EQ(back.info().provenance.method, "with_cutoffs");
  EXPECT_EQ(back.info().version, edited.info().version);
}

TEST(model_review, toml_is_readable_utf8_and_keeps_sources_and_rationales) {
  const model m = model::default_model();
  const std::string text = m.to_toml();
  EXPECT_EQ(text.find("\\u"), std::string::npos) << "no \\uXXXX escapes";
  EXPECT_NE(text.find("label_zh = \"消防安全检查得分\""), std::string::npos);
  EXPECT_NE(text.find("source = \"Art. 11, Art. 17\""), std::string::npos);
  // rationales of every kind of item survive a round trip and stay out of the fingerprint
  model_spec s = m.spec();
  s.info.rationale = "模型说明";
  s.nodes[0].rationale = "安全是底线";
  s.measures[0].rationale = "measured at every site";
  s.grades[0].rationale = "5A 须全面优秀";
  s.grades[0].prerequisites[0].rationale = "no open major hazard";
  s.rule_rationales.emplace_back(s.rules[0].id, "Art. 16 veto");
  const model annotated(s);
  EXPECT_EQ(annotated.fingerprint(), m.fingerprint());
  const model back = model::from_toml(annotated.to_toml(), "annotated.toml");
  EXPECT_EQ(back.info().rationale, "模型说明");
  EXPECT_EQ(back.spec().nodes[0].rationale, "安全是底线");
  EXPECT_EQ(back.spec().measures[0].rationale, "measured at every site");
  EXPECT_EQ(back.spec().grades[0].rationale, "5A 须全面优秀");
  EXPECT_EQ(back.spec().grades[0].prerequisites[0].rationale, "no open major hazard");
  ASSERT_EQ(back.spec().rule_rationales.size(), 1u);
  EXPECT_EQ(back.spec().rule_rationales[0].second, "Art. 16 veto");
  EXPECT_EQ(back.to_toml(), annotated.to_toml());
}

TEST(model_review, provenance_errors_name_the_key) {
  const std::string bad = "[model]\nid = \"x\"\n[model.provenance]\nparent_fingerprint = \"abc\"\n";
  EXPECT_NE(error_of([&] { model::from_toml(bad, "bad.toml"); }).find("bad.toml:4:22: model.provenance.parent_fingerprint: must be 64 lower-case hex digits"),
            std::string::npos);
  const std::string unknown = "[model]\nid = \"x\"\n[model.provenance]\nparent = \"abc\"\n";
  EXPECT_NE(error_of([&] { model::from_toml(unknown, "u.toml"); }).find("model.provenance.parent: unknown key \"parent\""), std::string::npos);
}

TEST(model_review, diff_lists_every_change) {
  const model m = model::default_model();
  EXPECT_TRUE(m.diff(m).empty());
  model_spec s = m.spec();
  for (auto& nd : s.nodes) {
    if (nd.id == "fire_inspection") nd.points = 70;
    if (nd.id == "fire_hazards") nd.points = 20;
    if (nd.id == "satisfaction_rate") nd.source = "new source";
  }
  for (auto& g : s.grades)
    if (g.level == grade::a4) {
      g.min_total = 810;
      g.min_dimension_ratio = 0.82;
    }
  s.rules.pop_back();
  s.reviews.min_count = 25;
  const model other(s);
  const auto changes = m.diff(other);
  auto has = [&](const std::string& section, const std::string& item, const std::string& field, const std::string& before,
                 const std::string& after) {
    for (const auto& c : changes)
      if (c.section == section && c.item == item && c.field == field && c.before == before && c.after == after) return true;
    return false;
  };
  EXPECT_TRUE(has("indicators", "fire_inspection", "points", "60", "70"));
  EXPECT_TRUE(has("indicators", "fire_inspection", "weight", "0.06", "0.07"));
  EXPECT_TRUE(has("indicators", "fire_hazards", "points", "30", "20"));
  EXPECT_TRUE(has("indicators", "satisfaction_rate", "source", m.spec().nodes[0].source.empty() ? "" : std::string(), "new source") ||
              std::any_of(changes.begin(), changes.end(), [](const model_change& c) { return c.item == "satisfaction_rate" && c.field == "source"; }));
  EXPECT_TRUE(has("grades", "4A", "min_total", "800", "810"));
  EXPECT_TRUE(has("grades", "4A", "min_dimension_ratio", "0.8", "0.82"));
  EXPECT_TRUE(has("rules", m.spec().rules.back().id, "", "present", ""));
  EXPECT_TRUE(has("reviews", "", "min_count", "30", "25"));
  // nothing else: fire's points and the total did not change
  for (const auto& c : changes) EXPECT_NE(c.item, "fire") << c.field;
}

}  // namespace
