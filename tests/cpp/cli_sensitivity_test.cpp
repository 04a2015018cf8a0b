// `embedrating sensitivity [oat|near-line]` and `embedrating compare` run in-process (issue 13): JSON
// and CSV equal to the library's results on the shipped sample, the table's sections, progress on
// request only, and exit statuses with messages naming the option at fault.
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <embedrating/embedrating.hpp>
#include <embedrating/sensitivity.hpp>

#include "cli.hpp"
#include "temp_dir.hpp"
#include "run_cli.hpp"
#include "test_files.hpp"

namespace {

using embedrating::test_support::cli_result;
using embedrating::test_support::read_text;
using embedrating::test_support::run_cli;

using embedrating::test_support::temp_dir;
using ::testing::HasSubstr;
using json = nlohmann::json;
namespace er = embedrating;
namespace es = embedrating::sensitivity;

const er::model& model() {
  static const er::model m = er::model::default_model();
  return m;
}

const er::scored& sample() {
  static const er::scored s = [] {
    er::dataset d = er::read_operators_csv(er::data_directory() + "/sample/operators.csv", model());
    d.set_facilities(er::read_facilities_csv(er::data_directory() + "/sample/facilities.csv", model(), d));
    return er::score(model(), d, er::make_date(2025, 12, 31));
  }();
  return s;
}

const char* const grades[] = {"unrated", "1A", "2A", "3A", "4A", "5A"};

TEST(CliSensitivity, MonteCarloJsonIsTheLibrarysResult) {
  const cli_result r = run_cli({"sensitivity", "--draws", "120", "--seed", "3", "--cutoff-jitter", "4", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "") << "no progress when stderr is not a terminal";
  const json doc = json::parse(r.out);
  es::monte_carlo_options o;
  o.draws = 120;
  o.seed = 3;
  o.cutoff_jitter = 4;
  const es::monte_carlo_result lib = es::monte_carlo(sample(), o);
  ASSERT_EQ(doc["operators"].size(), lib.size());
  for (std::size_t i = 0; i < lib.size(); ++i) {
    const json& op = doc["operators"][i];
    EXPECT_EQ(op["operator_id"], lib.operator_ids[i]);
    EXPECT_EQ(op["stability"].get<double>(), lib.stability(i));
    for (int l = 0; l < er::grade_count; ++l) EXPECT_EQ(op[std::string("p_") + grades[l]].get<double>(), lib.probability(i, l));
    EXPECT_EQ(op["total_q50"].get<double>(), lib.total_quantiles(static_cast<Eigen::Index>(i), 2));
    EXPECT_EQ(op["total_sd"].get<double>(), lib.total_sd[i]);
  }
  EXPECT_EQ(doc["distribution"][0]["grade"], "5A");
  EXPECT_EQ(doc["distribution"][0]["expected"].get<double>(), lib.population[5].expected);
  EXPECT_EQ(doc["memory"]["total"].get<std::size_t>(), lib.memory.total());
  const auto fragile = es::fragile(er::regrade(sample(), model()), lib, 0.1);
  EXPECT_EQ(doc["fragile"]["operators"].size(), fragile.size());
}

TEST(CliSensitivity, MonteCarloCsvAndTable) {
  const cli_result csv = run_cli({"sensitivity", "--draws", "50", "--format", "csv", "--quantiles", "0.1,0.9"});
  ASSERT_EQ(csv.status, 0) << csv.err;
  std::istringstream in(csv.out);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header,
            "operator_id,status,grade,modal_grade,stability,p_down,p_up,p_unrated,p_1A,p_2A,p_3A,p_4A,p_5A,total,total_mean,"
            "total_sd,total_min,total_q10,total_q90,total_max,resolution,clipped");
  std::size_t rows = 0;
  for (std::string line; std::getline(in, line);) ++rows;
  EXPECT_EQ(rows, sample().size());
  const cli_result table = run_cli({"sensitivity", "--draws", "50", "--no-quantiles"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("Monte Carlo over weights · model wuhan-2024 · as of 2025-12-31 · 300 operators × 50 draws"));
  EXPECT_THAT(table.out, HasSubstr("95% interval"));
  EXPECT_THAT(table.out, HasSubstr("change grade in at least 10.0% of the draws"));
  const cli_result zh = run_cli({"sensitivity", "--draws", "20", "--lang", "zh"});
  EXPECT_THAT(zh.out, HasSubstr("权重蒙特卡洛分析"));
  EXPECT_THAT(zh.out, HasSubstr("不予评级"));
}

TEST(CliSensitivity, ProgressOnlyWhenAsked) {
  const cli_result r = run_cli({"sensitivity", "--draws", "40", "--progress", "always", "--format", "csv"});
  ASSERT_EQ(r.status, 0);
  EXPECT_THAT(r.err, HasSubstr("monte carlo: 40/40 draws (100%)"));
  EXPECT_EQ(run_cli({"sensitivity", "--draws", "40", "--format", "csv"}).err, "");
}

TEST(CliSensitivity, OneAtATimeAndNearTheLineAreTheLibrarys) {
  const cli_result oat = run_cli({"sensitivity", "oat", "--delta", "0.2", "--format", "json"});
  ASSERT_EQ(oat.status, 0) << oat.err;
  es::oat_options oo;
  oo.delta = 0.2;
  const es::oat_result lib = es::one_at_a_time(sample(), oo);
  const json doc = json::parse(oat.out);
  ASSERT_EQ(doc["variants"].size(), lib.variants.size());
  for (std::size_t k = 0; k < lib.variants.size(); ++k) {
    EXPECT_EQ(doc["variants"][k]["id"], lib.variants[k].id);
    EXPECT_EQ(doc["variants"][k]["moved_up"].get<std::uint64_t>(), lib.variants[k].moved_up);
    EXPECT_EQ(doc["variants"][k]["mean_abs_change"].get<double>(), lib.variants[k].mean_abs_change);
  }
  EXPECT_THAT(run_cli({"sensitivity", "oat"}).out, HasSubstr("One at a time · model wuhan-2024"));

  const cli_result near = run_cli({"sensitivity", "near-line", "--points", "1.5", "--format", "csv"});
  ASSERT_EQ(near.status, 0) << near.err;
  const auto gates = es::near_the_line(er::regrade(sample(), model()), 1.5);
  std::istringstream in(near.out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "operator_id,grade,direction,to,gate,id,level,required,actual,distance");
  for (const auto& g : gates) {
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_THAT(line, HasSubstr(sample().operator_ids()[g.row] + "," + grades[er::level(g.from)] + "," + es::to_string(g.direction)));
  }
  EXPECT_FALSE(std::getline(in, line)) << "no more rows than the library finds";
}

TEST(CliSensitivity, CompareFindsTheLibrarysMoves) {
  temp_dir dir("cli-compare");
  const std::string a = dir.file("a.toml"), b = dir.file("b.toml");
  model().save(a);
  const er::model raised = model().with_cutoffs({{er::grade::a3, 720}, {er::grade::a4, 830}});
  raised.save(b);
  const cli_result r = run_cli({"compare", a, b, "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json doc = json::parse(r.out);
  const es::comparison lib = es::compare(er::regrade(sample(), model()), er::regrade(sample(), raised));
  ASSERT_EQ(doc["moved"].size(), lib.moved.size());
  ASSERT_FALSE(lib.moved.empty());
  for (std::size_t k = 0; k < lib.moved.size(); ++k) {
    EXPECT_EQ(doc["moved"][k]["operator_id"], sample().operator_ids()[lib.moved[k].row]);
    EXPECT_EQ(doc["moved"][k]["reasons"].size(), lib.moved[k].reasons.size());
  }
  std::uint64_t sum = 0;
  for (const auto& [ga, row] : doc["transitions"].items())
    for (const auto& [gb, n] : row.items()) sum += n.get<std::uint64_t>();
  EXPECT_EQ(sum, sample().size());
  EXPECT_EQ(doc["summary"]["kappa"].get<double>(), lib.summary.kappa);
  EXPECT_TRUE(doc["summary"]["same_structure"].get<bool>());

  const cli_result same = run_cli({"compare", a, a});
  ASSERT_EQ(same.status, 0);
  EXPECT_THAT(same.out, HasSubstr("0 of 300 operators moved"));
  const cli_result table = run_cli({"compare", a, b, "--lang", "zh"});
  EXPECT_THAT(table.out, HasSubstr("模型比较"));
  const cli_result csv = run_cli({"compare", a, b, "--format", "csv", "--max-reasons", "1"});
  std::istringstream in(csv.out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "operator_id,grade_a,grade_b,total_a,total_b,rank,kind,id,action,gate,target,a,b,magnitude");
  std::size_t rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, lib.moved.size()) << "one reason each";
}

TEST(CliSensitivity, BadCommandLinesAndInputs) {
  const cli_result method = run_cli({"sensitivity", "--method", "gauss"});
  EXPECT_EQ(method.status, er::cli::usage);
  EXPECT_THAT(method.err, HasSubstr("--method"));
  EXPECT_EQ(run_cli({"sensitivity", "--draws", "0"}).status, er::cli::usage);
  const cli_result conc = run_cli({"sensitivity", "--concentration", "0", "--draws", "5"});
  EXPECT_EQ(conc.status, er::cli::invalid_input);
  EXPECT_THAT(conc.err, HasSubstr("concentration: monte_carlo: the Dirichlet concentration must be finite and > 0, got 0"));
  const cli_result q = run_cli({"sensitivity", "--quantiles", "0.5,1.5", "--draws", "5"});
  EXPECT_EQ(q.status, er::cli::invalid_input);
  EXPECT_THAT(q.err, HasSubstr("quantiles: monte_carlo: every quantile must be a probability in [0, 1], got 1.5"));
  const cli_result share = run_cli({"sensitivity", "--fragile", "2", "--draws", "5"});
  EXPECT_EQ(share.status, er::cli::usage);
  EXPECT_THAT(share.err, HasSubstr("--fragile: a share in (0, 1], got 2"));
  temp_dir dir("cli-sens-bad");
  const cli_result as_of = run_cli({"sensitivity", "--data", dir.path().string()});
  EXPECT_EQ(as_of.status, er::cli::usage);
  EXPECT_THAT(as_of.err, HasSubstr("--as-of DATE is required"));
  const cli_result missing = run_cli({"compare", dir.file("nope.toml"), dir.file("nope2.toml")});
  EXPECT_EQ(missing.status, er::cli::io);
  EXPECT_THAT(missing.err, HasSubstr("cannot read model file"));
  const cli_result delta = run_cli({"sensitivity", "oat", "--delta", "1.5"});
  EXPECT_EQ(delta.status, er::cli::invalid_input);
  EXPECT_THAT(delta.err, HasSubstr("delta: one_at_a_time: delta must be in (0, 1)"));
  const cli_result points = run_cli({"sensitivity", "near-line", "--points", "-1"});
  EXPECT_EQ(points.status, er::cli::invalid_input);
  EXPECT_THAT(points.err, HasSubstr("points: near_the_line: points must be finite and >= 0"));
}

TEST(CliSensitivity, CsvFilesCarryABomAndOutputEncodingAndLangZhApply) {
  temp_dir dir("cli-sens-enc");
  const std::vector<std::string> base{"sensitivity", "oat", "--format", "csv"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return run_cli(a);
  };
  const cli_result to_stdout = with({});
  ASSERT_EQ(to_stdout.status, 0) << to_stdout.err;
  const std::string plain = to_stdout.out;
  EXPECT_EQ(plain.rfind("kind,id,sign,base,value,moved_up,", 0), 0u) << "standard output: no BOM";
  ASSERT_EQ(with({"-o", dir.file("auto.csv")}).status, 0);
  EXPECT_EQ(read_text(dir.file("auto.csv")), "\xEF\xBB\xBF" + plain) << "a CSV file: BOM by default";
  ASSERT_EQ(with({"-o", dir.file("plain.csv"), "--output-encoding", "utf-8"}).status, 0);
  EXPECT_EQ(read_text(dir.file("plain.csv")), plain);
  // Chinese headers under --lang zh, and in GB18030 when asked (类型 = C0 E0 D0 CD, 编号 = B1 E0 BA C5)
  const cli_result zh = with({"--lang", "zh"});
  ASSERT_EQ(zh.status, 0) << zh.err;
  EXPECT_EQ(zh.out.rfind("类型,编号,方向,当前值,变动后值,升级数,降级数,", 0), 0u);
  EXPECT_EQ(zh.out.substr(zh.out.find('\n')), plain.substr(plain.find('\n'))) << "only the header is translated";
  ASSERT_EQ(with({"--lang", "zh", "-o", dir.file("gb.csv"), "--output-encoding", "gb18030"}).status, 0);
  const std::string gb = read_text(dir.file("gb.csv"));
  EXPECT_EQ(gb.rfind("\xC0\xE0\xD0\xCD,\xB1\xE0\xBA\xC5,", 0), 0u);
  EXPECT_EQ(gb.substr(gb.find('\n')), plain.substr(plain.find('\n')));
  // compare and near-line follow the same rule
  const std::string a = dir.file("a.toml"), b = dir.file("b.toml");
  model().save(a);
  model().with_cutoffs({{er::grade::a3, 720}}).save(b);
  ASSERT_EQ(run_cli({"compare", a, b, "--format", "csv", "--lang", "zh", "-o", dir.file("c.csv")}).status, 0);
  EXPECT_EQ(read_text(dir.file("c.csv")).rfind("\xEF\xBB\xBF运营商编号,模型A等级,模型B等级,", 0), 0u);
  ASSERT_EQ(run_cli({"sensitivity", "near-line", "--format", "csv", "-o", dir.file("n.csv")}).status, 0);
  EXPECT_EQ(read_text(dir.file("n.csv")).rfind("\xEF\xBB\xBFoperator_id,grade,direction,", 0), 0u);
  EXPECT_EQ(with({"--output-encoding", "latin1"}).status, er::cli::usage);
}

}  // namespace
