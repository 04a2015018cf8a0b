// Tests of the catalogue (include/embedrating/catalogue.hpp): the shipped lists and validation.
#include "embedrating/catalogue.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "embedrating/errors.hpp"
#include "embedrating/model.hpp"

namespace {

using embedrating::catalogue;
using embedrating::data_error;

const std::filesystem::path shipped_dir =
    std::filesystem::path(EMBEDRATING_SOURCE_DIR) / "data" / "catalogue";

/// A temporary copy of the shipped catalogue, removed at the end of the scope.
class catalogue_copy {
 public:
  catalogue_copy() : dir_("catalogue") {
    for (const char* f : {"scenarios.csv", "modes.csv", "statuses.csv", "veto_flags.csv"}) {
      std::filesystem::copy_file(shipped_dir / f, dir_.path() / f);
    }
  }

  void write(const char* file, const std::string& bytes) const {
    std::ofstream out(dir_.path() / file, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  std::string dir() const { return dir_.path().string(); }
  std::string file(const char* name) const { return dir_.file(name); }

 private:
  embedrating::test_support::temp_dir dir_;
};

std::string load_error(const std::string& dir) {
  try {
    catalogue::load(dir);
  } catch (const data_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST(catalogue, shipped_catalogue_loads) {
  const catalogue c = catalogue::load(shipped_dir.string());
  EXPECT_EQ(c.scenarios().size(), 19u);
  EXPECT_EQ(c.core_scenarios(),
            (std::vector<std::string>{"elderly_care", "infant_care", "child_care", "meals"}));
  EXPECT_EQ(c.modes().size(), 4u);
  EXPECT_EQ(c.statuses().size(), 4u);
  EXPECT_EQ(c.veto_flags().size(), 10u);

  std::size_t per_category[3] = {0, 0, 0};
  for (const auto& s : c.scenarios()) {
    for (std::size_t i = 0; i < 3; ++i) {
      if (s.category == embedrating::scenario_categories[i]) ++per_category[i];
    }
  }
  EXPECT_EQ(per_category[0] + per_category[1] + per_category[2], 19u);
  EXPECT_EQ(per_category[0], 4u);  // the four public scenarios of Art. 2(1)
}

TEST(catalogue, shipped_scenarios) {
  const catalogue c = catalogue::load(shipped_dir.string());
  for (const char* code :
       {"party_service", "service_hall", "health_station", "culture_centre", "elderly_care",
        "infant_care", "child_care", "meals", "housekeeping", "parking", "retail", "catering",
        "fitness", "startup_space", "group_buying", "health_services", "sports",
        "culture_leisure", "children_play"}) {
    EXPECT_NE(c.find_scenario(code), nullptr) << code;
  }
  const embedrating::scenario* meals = c.find_scenario("meals");
  ASSERT_NE(meals, nullptr);
  EXPECT_EQ(meals->name_zh, "社区助餐");
  EXPECT_EQ(meals->category, "inclusive");
  EXPECT_TRUE(meals->core);
  EXPECT_EQ(c.find_scenario("culture_centre")->name_zh, "社区文化中心(书房)");
  EXPECT_EQ(c.find_scenario("party_service")->category, "public");
  EXPECT_EQ(c.find_scenario("group_buying")->category, "commercial");
  EXPECT_FALSE(c.find_scenario("housekeeping")->core);
  EXPECT_EQ(c.find_scenario("no_such_scenario"), nullptr);
}

TEST(catalogue, shipped_modes_statuses_and_veto_flags) {
  const catalogue c = catalogue::load(shipped_dir.string());
  const embedrating::operating_mode* m = c.find_mode("public_built_private_run");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->name_zh, "公建民营模式");
  EXPECT_EQ(m->name_en, "Publicly built, privately operated");  // a quoted field
  EXPECT_EQ(m->typical_category, "inclusive");
  EXPECT_EQ(c.find_mode("public_investment")->typical_category, "public");
  EXPECT_EQ(c.find_mode("public_private_cooperation")->article, "Art. 6(4)");
  EXPECT_NE(c.find_mode("private_run_public_aided"), nullptr);

  ASSERT_NE(c.find_status("active"), nullptr);
  EXPECT_TRUE(c.find_status("active")->graded);
  for (const char* s : {"suspending", "suspended", "terminated"}) {
    ASSERT_NE(c.find_status(s), nullptr) << s;
    EXPECT_FALSE(c.find_status(s)->graded) << s;
  }
  EXPECT_EQ(c.find_status("suspending")->name_zh, "暂停中(已报告)");

  const std::vector<std::string> expected = {
      "unauthorised_change_of_use", "unauthorised_demolition", "services_not_provided",
      "maintenance_failure",        "major_safety_accident",   "refused_supervision",
      "credit_blacklist",           "mass_complaints",         "subsidy_fraud",
      "other_illegal_act"};
  EXPECT_EQ(c.veto_flag_codes(), expected);
  for (std::size_t i = 0; i < c.veto_flags().size(); ++i) {
    EXPECT_EQ(c.veto_flags()[i].article, "Art. 16(" + std::to_string(i + 1) + ")");
    EXPECT_FALSE(c.veto_flags()[i].name_zh.empty());
    EXPECT_FALSE(c.veto_flags()[i].name_en.empty());
  }
  EXPECT_EQ(c.find_veto_flag("credit_blacklist"), &c.veto_flags()[6]);
  EXPECT_EQ(c.find_veto_flag("nope"), nullptr);
}

TEST(catalogue, extended_and_gb18030_catalogue_loads) {
  const catalogue_copy dir;
  // GB18030 bytes for 运营商 as a Chinese name; statuses without the optional article column.
  dir.write("scenarios.csv",
            "code,name_zh,name_en,category,core,article,x_note\r\n"
            "meals,\xD4\xCB\xD3\xAA\xC9\xCC,Community meals,inclusive,1,Art. 2(2),\r\n"
            "laundry,\xD4\xCB,Laundry,commercial,0,,extra columns are ignored\r\n");
  dir.write("statuses.csv", "code,name_zh,name_en,graded\nactive,正常运营,Active,1\n");
  const catalogue c = catalogue::load(dir.dir());
  ASSERT_EQ(c.scenarios().size(), 2u);
  EXPECT_EQ(c.find_scenario("meals")->name_zh, "运营商");
  EXPECT_EQ(c.find_scenario("laundry")->article, "");
  EXPECT_EQ(c.find_status("active")->article, "");
}

TEST(catalogue, duplicate_scenario_code_names_file_and_line) {
  const catalogue_copy dir;
  dir.write("scenarios.csv",
            "code,name_zh,name_en,category,core,article\n"
            "meals,社区助餐,Community meals,inclusive,1,Art. 2(2)\n"
            "\n"
            "meals,助餐,Meals again,inclusive,1,Art. 2(2)\n");
  const std::string msg = load_error(dir.dir());
  EXPECT_NE(msg.find(dir.file("scenarios.csv") +
                     ":4: code: duplicate code 'meals' (first defined at line 2)"),
            std::string::npos)
      << msg;
}

TEST(catalogue, missing_column_names_file_and_column) {
  const catalogue_copy dir;
  dir.write("modes.csv", "code,name_zh,name_en,article\nx,模式,Mode,Art. 6\n");
  const std::string msg = load_error(dir.dir());
  EXPECT_NE(msg.find(dir.file("modes.csv") + ":1: missing required column 'typical_category'"),
            std::string::npos)
      << msg;
}

TEST(catalogue, bad_values_are_rejected) {
  const std::string header = "code,name_zh,name_en,category,core,article\n";
  {
    const catalogue_copy dir;
    dir.write("scenarios.csv", header + "meals,社区助餐,Meals,welfare,1,Art. 2\n");
    const std::string msg = load_error(dir.dir());
    EXPECT_NE(msg.find("scenarios.csv:2: category: unknown category 'welfare' (expected one of "
                       "public, inclusive, commercial)"),
              std::string::npos)
        << msg;
  }
  {
    const catalogue_copy dir;
    dir.write("scenarios.csv", header + "meals,社区助餐,Meals,inclusive,yes,Art. 2\n");
    const std::string msg = load_error(dir.dir());
    EXPECT_NE(msg.find("scenarios.csv:2: core: expected 0 or 1, got 'yes'"), std::string::npos)
        << msg;
  }
  {
    const catalogue_copy dir;
    dir.write("statuses.csv", "code,name_zh,name_en,graded\nactive,正常运营,Active,2\n");
    const std::string msg = load_error(dir.dir());
    EXPECT_NE(msg.find("statuses.csv:2: graded: expected 0 or 1, got '2'"), std::string::npos)
        << msg;
  }
  {
    const catalogue_copy dir;
    dir.write("veto_flags.csv", "code,name_zh,name_en,article\nCredit Blacklist,黑名单,B,x\n");
    const std::string msg = load_error(dir.dir());
    EXPECT_NE(msg.find("veto_flags.csv:2: code: invalid code 'Credit Blacklist'"),
              std::string::npos)
        << msg;
  }
  {
    const catalogue_copy dir;
    dir.write("modes.csv", "code,name_zh,name_en,typical_category,article\nm,,Mode,public,x\n");
    const std::string msg = load_error(dir.dir());
    EXPECT_NE(msg.find("modes.csv:2: name_zh: must not be empty"), std::string::npos) << msg;
  }
  {
    const catalogue_copy dir;
    dir.write("veto_flags.csv", "code,name_zh,name_en,article\n");
    const std::string msg = load_error(dir.dir());
    EXPECT_NE(msg.find("veto_flags.csv: no entries"), std::string::npos) << msg;
  }
}

TEST(catalogue, missing_file_is_a_data_error) {
  const catalogue_copy dir;
  std::filesystem::remove(dir.file("statuses.csv"));
  const std::string msg = load_error(dir.dir());
  EXPECT_NE(msg.find(dir.file("statuses.csv") + ": cannot open file"), std::string::npos) << msg;
}

TEST(catalogue, built_in_code_is_validated) {
  std::vector<embedrating::scenario> scenarios = {
      {"meals", "社区助餐", "Community meals", "inclusive", true, "Art. 2(2)", "社区助餐", {}},
      {"meals", "社区助餐", "Community meals", "inclusive", true, "Art. 2(2)", "社区助餐", {}}};
  try {
    catalogue c(scenarios, {}, {}, {});
    FAIL() << "no error";
  } catch (const data_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "scenarios[1].code: duplicate code 'meals' (first defined at scenarios[0])");
  }
  scenarios.pop_back();
  const catalogue c(scenarios, {}, {}, {});
  EXPECT_EQ(c.core_scenarios(), std::vector<std::string>{"meals"});
}

// Chinese names on input (issue 17): codes, names and aliases map to the same entry.
TEST(catalogue, chinese_names_and_aliases_map_to_codes) {
  const catalogue c = catalogue::load(embedrating::data_directory() + "/catalogue");
  ASSERT_NE(c.lookup_mode("公建民营"), nullptr);
  EXPECT_EQ(c.lookup_mode("公建民营")->code, "public_built_private_run");
  EXPECT_EQ(c.lookup_mode("公建民营模式")->code, "public_built_private_run");
  EXPECT_EQ(c.lookup_mode(" public_built_private_run ")->code, "public_built_private_run");
  EXPECT_EQ(c.lookup_status("运营中")->code, "active");
  EXPECT_EQ(c.lookup_status("正常运营")->code, "active");
  EXPECT_EQ(c.lookup_status("已终止")->code, "terminated");
  EXPECT_EQ(c.lookup_scenario("养老服务")->code, "elderly_care");
  EXPECT_EQ(c.lookup_scenario("助餐")->code, "meals");
  EXPECT_EQ(c.lookup_mode("公建"), nullptr);
  EXPECT_EQ(c.lookup_status(""), nullptr);
}

// The seven scenes of Art. 3 (养老托育 covers elderly and infant care) are marked.
TEST(catalogue, art3_scenarios_are_marked) {
  const catalogue c = catalogue::load(embedrating::data_directory() + "/catalogue");
  EXPECT_EQ(c.art3_scenarios(), (std::vector<std::string>{"elderly_care", "infant_care", "meals", "housekeeping",
                                                          "health_services", "sports", "culture_leisure", "children_play"}));
  std::set<std::string> scenes;
  for (const auto& s : c.scenarios())
    if (!s.art3_scene.empty()) scenes.insert(s.art3_scene);
  EXPECT_EQ(scenes, (std::set<std::string>{"养老托育", "社区助餐", "家政便民", "健康服务", "体育健身", "文化休闲", "儿童游憩"}));
  EXPECT_TRUE(c.find_scenario("parking")->art3_scene.empty());
  EXPECT_TRUE(c.find_scenario("retail")->art3_scene.empty());
}

TEST(catalogue, articles_cited_in_chinese) {
  EXPECT_EQ(embedrating::cite_articles_zh("Art. 17"), "第十七条");
  EXPECT_EQ(embedrating::cite_articles_zh("Art. 16(5), Art. 2"), "第十六条第（五）项、第二条");
  EXPECT_EQ(embedrating::cite_articles_zh("Art. 2 (\"in principle\" 原则上)"), "第二条 (\"in principle\" 原则上)");
  EXPECT_EQ(embedrating::cite_articles_zh("Art. 10, Art. 20; GB/T 17775"), "第十条、第二十条; GB/T 17775");
  EXPECT_EQ(embedrating::cite_articles_zh("Art. 6(2)"), "第六条第（二）项");
  EXPECT_EQ(embedrating::cite_articles_zh("no article"), "no article");
}
