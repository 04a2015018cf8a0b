// `embedrating weights …` run in-process (issue 11): AHP of a pairwise CSV (table golden, JSON and
// CSV equal to the library's result, fractions, every bad file with file:line:column), objective
// weights of the shipped sample's leaf scores (equal to the library on the same matrix), exit
// statuses. Regenerate the golden file with
//   EMBEDRATING_UPDATE_GOLDEN=1 ./build/tests/embedrating_tests --gtest_filter='CliWeights*'
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <embedrating/embedrating.hpp>
#include <embedrating/weights.hpp>

#include "cli.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"
#include "run_cli.hpp"

namespace {

using embedrating::test_support::read_text;
using embedrating::test_support::write_text;
using embedrating::test_support::cli_result;
using embedrating::test_support::run_cli;

using embedrating::test_support::temp_dir;
using ::testing::HasSubstr;
namespace ew = embedrating::weights;

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Saaty (1990), EJOR 48:9–26, the house example (as in weights_test.cpp), written with fractions.
const char* house_csv =
    ",size,transport,neighbourhood,age,yard,facilities,condition,finance\n"
    "size,1,5,3,7,6,6,1/3,1/4\n"
    "transport,1/5,1,1/3,5,3,3,1/5,1/7\n"
    "neighbourhood,1/3,3,1,6,3,4,6,1/5\n"
    "age,1/7,1/5,1/6,1,1/3,1/4,1/7,1/8\n"
    "yard,1/6,1/3,1/3,3,1,1/2,1/5,1/6\n"
    "facilities,1/6,1/3,1/4,4,2,1,1/5,1/6\n"
    "condition,3,5,1/6,7,5,5,1,1/2\n"
    "finance,4,7,5,8,6,6,2,1\n";

Eigen::MatrixXd house_matrix() {
  Eigen::MatrixXd a(8, 8);
  a << 1, 5, 3, 7, 6, 6, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1, 1.0 / 3, 5, 3, 3, 1.0 / 5, 1.0 / 7, 1.0 / 3, 3, 1, 6, 3, 4, 6, 1.0 / 5,
      1.0 / 7, 1.0 / 5, 1.0 / 6, 1, 1.0 / 3, 1.0 / 4, 1.0 / 7, 1.0 / 8, 1.0 / 6, 1.0 / 3, 1.0 / 3, 3, 1, 1.0 / 2, 1.0 / 5,
      1.0 / 6, 1.0 / 6, 1.0 / 3, 1.0 / 4, 4, 2, 1, 1.0 / 5, 1.0 / 6, 3, 5, 1.0 / 6, 7, 5, 5, 1, 1.0 / 2, 4, 7, 5, 8, 6, 6, 2, 1;
  return a;
}

TEST(CliWeights, AhpTableGolden) {
  temp_dir dir("weights");
  const std::string f = dir.file("house.csv");
  write(f, std::string("\xEF\xBB\xBF") + house_csv);  // a BOM, as Excel writes it
  const cli_result r = run_cli({"weights", "ahp", f});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string shown = r.out;
  shown.replace(shown.find(f), f.size(), "house.csv");
  const std::string golden = std::string(EMBEDRATING_SOURCE_DIR) + "/tests/golden/weights_ahp_house.txt";
  const char* update = std::getenv("EMBEDRATING_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") write(golden, shown);
  ASSERT_TRUE(std::ifstream(golden).good()) << golden << " is missing: create it with EMBEDRATING_UPDATE_GOLDEN=1";
  EXPECT_EQ(read_text(golden), shown) << "regenerate with EMBEDRATING_UPDATE_GOLDEN=1 if the change is intended";
  EXPECT_THAT(r.out, HasSubstr("CR 0.1691 · NOT consistent"));
  EXPECT_THAT(r.out, HasSubstr("worst judgement: (neighbourhood, condition) = 6"));
}

TEST(CliWeights, AhpJsonAndCsvAreTheLibrarysResult) {
  temp_dir dir("weights");
  const std::string f = dir.file("house.csv");
  write(f, house_csv);
  for (const std::string method : {"eigen", "rgmm", "colmean"}) {
    const cli_result r = run_cli({"weights", "ahp", f, "--format", "json", "--method", method, "--ri", "alonso_lamata2006"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    ew::ahp_options o;
    o.method = ew::parse_ahp_method(method);
    o.ri = "alonso_lamata2006";
    const ew::ahp_result lib = ew::ahp(house_matrix(), o);
    EXPECT_EQ(doc["cr"].get<double>(), lib.cr);
    EXPECT_EQ(doc["ri"].get<double>(), 1.4056);
    EXPECT_EQ(doc["weights"]["finance"].get<double>(), lib.weights[7]);
    EXPECT_EQ(doc["weights"]["size"].get<double>(), lib.weights[0]);
    EXPECT_EQ(doc["worst"]["row"], "neighbourhood");
  }
  const std::string out = dir.file("w.csv");
  const cli_result c = run_cli({"weights", "ahp", f, "--format", "csv", "-o", out, "--ri", "0,0,0.5,0.9,1.1,1.2,1.3,1.4"});
  ASSERT_EQ(c.status, 0) << c.err;
  const std::string csv = read_text(out);
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBFid,weight,rank,", 0), 0u) << "a CSV file: BOM by default, as every command writes it";
  EXPECT_THAT(csv, HasSubstr("id,weight,rank,method,lambda_max,ci,ri,ri_table,cr,consistent\n"));
  EXPECT_THAT(csv, HasSubstr("finance,"));
  EXPECT_THAT(csv, HasSubstr(",1.4,custom,"));
}

TEST(CliWeights, AhpBadFilesNameFileLineAndColumn) {
  temp_dir dir("weights");
  const std::string f = dir.file("m.csv");
  auto check = [&](const std::string& text, int status, const std::string& message) {
    write(f, text);
    const cli_result r = run_cli({"weights", "ahp", f});
    EXPECT_EQ(r.status, status) << text;
    EXPECT_EQ(r.err, "embedrating: " + f + message + "\n") << text;
    EXPECT_EQ(r.out, "");
  };
  check(",a,b\na,1,2\nb,1/2\n", 1, ":3:1: 2 fields, expected 3 (the id and 2 judgements)");
  check(",a,b\na,1,2\n", 1, ":2:1: 1 row(s) of judgements for 2 ids in the header: the matrix must be square");
  check(",a,b\na,1,x\nb,1/2,1\n", 1, ":2:3: (a, b): \"x\" is not a number or a fraction like 1/3");
  check(",a,b\na,1,2\nb,1/0,1\n", 1, ":3:2: (b, a): \"1/0\" is not a number or a fraction like 1/3");
  check(",a,b\nb,1,2\na,1/2,1\n", 1,
        ":2:1: row id \"b\" differs from the header's id \"a\" at the same position (rows follow the columns' order)");
  check(",a,a\na,1,2\na,1/2,1\n", 1, ":1:3: id \"a\" appears twice in the header row");
  check("# judgements of expert 1\n,a,b,c\na,1,2,4\n\nb,1/2,1,3\nc,1/4,1/2,1\n", 1,
        ":5:4: judgements (b, c) = 3 and (c, b) = 0.5 are not reciprocal (product 1.5, tolerance 0.01): write one as "
        "the reciprocal of the other, e.g. 3 and 1/3");
  check(",a,b\na,1,-2\nb,1/2,1\n", 1, ":2:3: judgement (a, b) = -2 must be a finite number > 0");
  check("", 1, ": no header row: the file is empty");
  const cli_result missing = run_cli({"weights", "ahp", dir.file("nope.csv")});
  EXPECT_EQ(missing.status, 3);
  EXPECT_THAT(missing.err, HasSubstr("cannot read pairwise matrix"));
  write(f, house_csv);
  EXPECT_EQ(run_cli({"weights", "ahp", f, "--method", "power"}).status, 2);
  const cli_result ri = run_cli({"weights", "ahp", f, "--ri", "saaty1999"});
  EXPECT_EQ(ri.status, 2);
  EXPECT_THAT(ri.err, HasSubstr("--ri: ahp: unknown random index table \"saaty1999\""));
  EXPECT_EQ(run_cli({"weights", "ahp", f, "--ri", "0,0,x"}).status, 2);
  EXPECT_EQ(run_cli({"weights"}).status, 2);
  EXPECT_EQ(run_cli({"weights", "ahp", f, "-o", dir.file("no/such/dir/out.txt")}).status, 3);
}

/// The sample's leaf-score matrix as the issue defines it, built here from the library: active
/// operators, rows with a not-applicable score dropped.
Eigen::MatrixXd sample_matrix(embedrating::civil_date as_of = embedrating::make_date(2025, 12, 31)) {
  namespace er = embedrating;
  const er::model m = er::model::default_model();
  er::dataset d = er::read_operators_csv(er::data_directory() + "/sample/operators.csv", m);
  d.set_facilities(er::read_facilities_csv(er::data_directory() + "/sample/facilities.csv", m, d));
  const er::ratings r = er::rate(m, d, as_of);
  const er::leaf_score_matrix scores = r.leaf_scores();
  std::vector<Eigen::Index> keep;
  for (Eigen::Index i = 0; i < scores.rows(); ++i)
    if (r.status[static_cast<std::size_t>(i)] == er::operator_status::active && !scores.row(i).hasNaN())
      keep.push_back(i);
  Eigen::MatrixXd x(static_cast<Eigen::Index>(keep.size()), scores.cols());
  for (std::size_t k = 0; k < keep.size(); ++k) x.row(static_cast<Eigen::Index>(k)) = scores.row(keep[k]);
  return x;
}

TEST(CliWeights, ObjectiveWeightsOfTheSampleAreTheLibrarys) {
  const Eigen::MatrixXd x = sample_matrix();
  const std::vector<std::string> leaves = embedrating::model::default_model().leaf_ids();
  for (const std::string method : {"entropy", "critic", "std-dev", "cv"}) {
    const cli_result r = run_cli({"weights", method, "--format", "json"});
    ASSERT_EQ(r.status, 0) << method << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    const Eigen::VectorXd lib = method == "entropy" ? ew::entropy(x)
                                : method == "critic" ? ew::critic(x)
                                : method == "std-dev" ? ew::std_dev(x)
                                                      : ew::cv(x);
    EXPECT_EQ(doc["operators_used"].get<long>(), x.rows());
    for (std::size_t k = 0; k < leaves.size(); ++k)
      EXPECT_EQ(doc["weights"][leaves[k]].get<double>(), lib[static_cast<Eigen::Index>(k)]) << method << " " << leaves[k];
  }
  const cli_result t = run_cli({"weights", "entropy"});
  ASSERT_EQ(t.status, 0);
  EXPECT_THAT(t.out, HasSubstr("entropy weights of the leaf scores · model wuhan-2024 · as of 2025-12-31 · "));
  EXPECT_THAT(t.out, HasSubstr("food_safety"));
  const cli_result cost = run_cli({"weights", "critic", "--types", "fire_hazards=-1", "--format", "csv"});
  ASSERT_EQ(cost.status, 0) << cost.err;
  EXPECT_THAT(cost.out, HasSubstr("indicator,weight,rank,model_weight\n"));
}

TEST(CliWeights, ObjectiveWeightsOfADataDirectoryAtADateAreTheLibrarys) {
  // `--data DIR --as-of DATE`: the sample's two files copied into a directory of one's own (the
  // facilities file is picked up from DIR), rated at the date given. (The sample's leaf scores are
  // the same at both dates; the second date checks that the date given is the one used and shown.)
  temp_dir dir("weights");
  const std::string sample = embedrating::data_directory() + "/sample";
  const std::string data = dir.file("data");
  std::filesystem::create_directory(data);
  std::filesystem::copy_file(sample + "/operators.csv", data + "/operators.csv");
  std::filesystem::copy_file(sample + "/facilities.csv", data + "/facilities.csv");
  const std::vector<std::string> leaves = embedrating::model::default_model().leaf_ids();
  for (const std::string method : {"entropy", "critic"}) {
    for (const auto& [when, date] : {std::pair{"2025-12-31", embedrating::make_date(2025, 12, 31)},
                                     std::pair{"2025-06-30", embedrating::make_date(2025, 6, 30)}}) {
      const Eigen::MatrixXd x = sample_matrix(date);
      const Eigen::VectorXd lib = method == "entropy" ? ew::entropy(x) : ew::critic(x);
      const cli_result r = run_cli({"weights", method, "--data", data, "--as-of", when, "--format", "json"});
      ASSERT_EQ(r.status, 0) << method << " " << when << ": " << r.err;
      const auto doc = nlohmann::json::parse(r.out);
      EXPECT_EQ(doc["method"], method);
      EXPECT_EQ(doc["as_of"], when);
      EXPECT_EQ(doc["model"]["id"], "wuhan-2024");
      EXPECT_EQ(doc["operators_used"].get<long>(), x.rows()) << method << " " << when;
      for (std::size_t k = 0; k < leaves.size(); ++k)
        EXPECT_EQ(doc["weights"][leaves[k]].get<double>(), lib[static_cast<Eigen::Index>(k)])
            << method << " " << when << " " << leaves[k];
      // the same files as the shipped sample: the same output as the sample run at that date
      EXPECT_EQ(r.out, run_cli({"weights", method, "--as-of", when, "--format", "json"}).out) << method << " " << when;
    }
  }
}

TEST(CliWeights, ObjectiveWeightsBadCommandLinesAndData) {
  temp_dir dir("weights");
  const cli_result types = run_cli({"weights", "critic", "--types", "nosuch=-1"});
  EXPECT_EQ(types.status, 2);
  EXPECT_THAT(types.err, HasSubstr("--types: \"nosuch=-1\" is not INDICATOR=1 or INDICATOR=-1"));
  const std::string sample = embedrating::data_directory() + "/sample";
  const cli_result asof = run_cli({"weights", "entropy", "--data", sample});
  EXPECT_EQ(asof.status, 2);
  EXPECT_THAT(asof.err, HasSubstr("--as-of DATE is required with your own data"));
  const cli_result na = run_cli({"weights", "entropy", "--na", "error"});
  EXPECT_EQ(na.status, 1);
  EXPECT_THAT(na.err, HasSubstr("no score (not applicable) and --na error"));
  EXPECT_EQ(run_cli({"weights", "entropy", "--na", "columnwise"}).status, 2);
  EXPECT_EQ(run_cli({"weights", "entropy", "--data", dir.file("none"), "--as-of", "2025-12-31"}).status, 3);
}

}  // namespace
