// `embedrating sensitivity [oat|near-line]` and `embedrating compare` run in-process (issue 13): JSON
// and CSV equal to the library's results on the shipped sample, the table's sections, progress on
// request only, and exit statuses with messages naming the option at fault.
#include <cmath>
#include <fstream>
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

namespace {

using embedrating::test_support::temp_dir;
using ::testing::HasSubstr;
using json = nlohmann::json;
namespace er = embedrating;
namespace es = embedrating::sensitivity;

struct result {
  int status;
  std::string out, err;
};

result run(std::vector<std::string> args) {
  args.insert(args.begin(), "embedrating");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int status = er::cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {status, out.str(), err.str()};
}

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
  const result r = run({"sensitivity", "--draws", "120", "--seed", "3", "--cutoff-jitter", "4", "--format", "json"});
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
  const result csv = run({"sensitivity", "--draws", "50", "--format", "csv", "--quantiles", "0.1,0.9"});
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
  const result table = run({"sensitivity", "--draws", "50", "--no-quantiles"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("Monte Carlo over weights · model wuhan-2024 · as of 2025-12-31 · 300 operators × 50 draws"));
  EXPECT_THAT(table.out, HasSubstr("95% interval"));
  EXPECT_THAT(table.out, HasSubstr("change grade in at least 10.0% of the draws"));
  const result zh = run({"sensitivity", "--draws", "20", "--lang", "zh"});
  EXPECT_THAT(zh.out, HasSubstr("权重蒙特卡洛分析"));
  EXPECT_THAT(zh.out, HasSubstr("不予评级"));
}

TEST(CliSensitivity, ProgressOnlyWhenAsked) {
  const result r = run({"sensitivity", "--draws", "40", "--progress", "always", "--format", "csv"});
  ASSERT_EQ(r.status, 0);
  EXPECT_THAT(r.err, HasSubstr("monte carlo: 40/40 draws (100%)"));
  EXPECT_EQ(run({"sensitivity", "--draws", "40", "--format", "csv"}).err, "");
}

TEST(CliSensitivity, OneAtATimeAndNearTheLineAreTheLibrarys) {
  const result oat = run({"sensitivity", "oat", "--delta", "0.2", "--format", "json"});
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
  EXPECT_THAT(run({"sensitivity", "oat"}).out, HasSubstr("One at a time · model wuhan-2024"));

  const result near = run({"sensitivity", "near-line", "--points", "1.5", "--format", "csv"});
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
  const result r = run({"compare", a, b, "--format", "json"});
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

  const result same = run({"compare", a, a});
  ASSERT_EQ(same.status, 0);
  EXPECT_THAT(same.out, HasSubstr("0 of 300 operators moved"));
  const result table = run({"compare", a, b, "--lang", "zh"});
  EXPECT_THAT(table.out, HasSubstr("模型比较"));
  const result csv = run({"compare", a, b, "--format", "csv", "--max-reasons", "1"});
  std::istringstream in(csv.out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "operator_id,grade_a,grade_b,total_a,total_b,rank,kind,id,action,gate,target,a,b,magnitude");
  std::size_t rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, lib.moved.size()) << "one reason each";
}

TEST(CliSensitivity, BadCommandLinesAndInputs) {
  const result method = run({"sensitivity", "--method", "gauss"});
  EXPECT_EQ(method.status, er::cli::usage);
  EXPECT_THAT(method.err, HasSubstr("--method"));
  EXPECT_EQ(run({"sensitivity", "--draws", "0"}).status, er::cli::usage);
  const result conc = run({"sensitivity", "--concentration", "0", "--draws", "5"});
  EXPECT_EQ(conc.status, er::cli::invalid_input);
  EXPECT_THAT(conc.err, HasSubstr("concentration: monte_carlo: the Dirichlet concentration must be finite and > 0, got 0"));
  const result q = run({"sensitivity", "--quantiles", "0.5,1.5", "--draws", "5"});
  EXPECT_EQ(q.status, er::cli::invalid_input);
  EXPECT_THAT(q.err, HasSubstr("quantiles: monte_carlo: every quantile must be a probability in [0, 1], got 1.5"));
  const result share = run({"sensitivity", "--fragile", "2", "--draws", "5"});
  EXPECT_EQ(share.status, er::cli::usage);
  EXPECT_THAT(share.err, HasSubstr("--fragile: a share in (0, 1], got 2"));
  temp_dir dir("cli-sens-bad");
  const result as_of = run({"sensitivity", "--data", dir.path().string()});
  EXPECT_EQ(as_of.status, er::cli::usage);
  EXPECT_THAT(as_of.err, HasSubstr("--as-of DATE is required"));
  const result missing = run({"compare", dir.file("nope.toml"), dir.file("nope2.toml")});
  EXPECT_EQ(missing.status, er::cli::io);
  EXPECT_THAT(missing.err, HasSubstr("cannot read model file"));
  const result delta = run({"sensitivity", "oat", "--delta", "1.5"});
  EXPECT_EQ(delta.status, er::cli::invalid_input);
  EXPECT_THAT(delta.err, HasSubstr("delta: one_at_a_time: delta must be in (0, 1)"));
  const result points = run({"sensitivity", "near-line", "--points", "-1"});
  EXPECT_EQ(points.status, er::cli::invalid_input);
  EXPECT_THAT(points.err, HasSubstr("points: near_the_line: points must be finite and >= 0"));
}

}  // namespace
