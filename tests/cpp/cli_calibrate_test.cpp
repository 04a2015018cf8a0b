// `embedrating calibrate` and `embedrating model diff` run in-process (issue 12): the fitted model
// equals the library's fit and rates the sample as the library does; the report is a
// self-contained HTML page with the agreement tables and the panel's notes; the diff lists the
// fitted changes; bad command lines and files give their exit statuses and messages.
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <embedrating/calibrate.hpp>
#include <embedrating/embedrating.hpp>

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
namespace er = embedrating;
namespace cal = embedrating::calibrate;

const std::string bench_csv = er::data_directory() + "/sample/benchmark.csv";

TEST(CliCalibrate, fits_writes_the_model_and_the_report_as_the_library_does) {
  temp_dir dir("cli-cal");
  const std::string fitted = dir.file("fitted.toml"), report = dir.file("report.html");
  const cli_result r = run_cli({"calibrate", "--benchmark", bench_csv, "--as-of", "2025-12-31", "--fit", "cutoffs", "--cutoff-penalty", "0",
                        "-o", fitted, "--report", report});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("current model            40  0.800       1.000  0.958"));
  // the library's fit on the same inputs
  const er::model m = er::model::default_model();
  er::dataset d = er::read_operators_csv(er::data_directory() + "/sample/operators.csv", m);
  d.set_facilities(er::read_facilities_csv(er::data_directory() + "/sample/facilities.csv", m, d));
  const er::scored s = er::score(m, d, er::make_date(2025, 12, 31));
  cal::fit_options o;
  o.cutoff_penalty = 0;
  const cal::fit_result lib = cal::fit_cutoffs(s, cal::read_benchmark_csv(bench_csv), o);
  const er::model saved = er::model::load(fitted);
  EXPECT_EQ(saved.fingerprint(), lib.fitted.fingerprint());
  EXPECT_EQ(saved.info().provenance.parent_fingerprint, m.fingerprint());
  EXPECT_EQ(er::rate(saved, d, er::make_date(2025, 12, 31)).final_grade.vector(),
            er::rate(lib.fitted, d, er::make_date(2025, 12, 31)).final_grade.vector());
  const std::string html = read_text(report);
  EXPECT_THAT(html, HasSubstr("<h2>Agreement 一致性</h2>"));
  EXPECT_THAT(html, HasSubstr("fitted, cross-validated"));
  EXPECT_THAT(html, HasSubstr("专家组认为服务量偏低系场地改造所致"));  // a panel note of a disagreement
  EXPECT_THAT(html, HasSubstr("leave-one-out"));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // JSON summary
  const cli_result j = run_cli({"calibrate", "--benchmark", bench_csv, "--fit", "floors", "--cv", "5", "--seed", "2", "--format", "json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["cross_validation"], "stratified 5-fold (seed 2)");
  EXPECT_EQ(doc["agreement"]["current"]["n"], 40);
  EXPECT_EQ(doc["method"], "fit_floors");
}

TEST(CliCalibrate, refusals_have_exit_statuses_and_messages) {
  temp_dir dir("cli-cal-bad");
  EXPECT_EQ(run_cli({"calibrate"}).status, 2);  // --benchmark is required
  const cli_result cv = run_cli({"calibrate", "--benchmark", bench_csv, "--cv", "one"});
  EXPECT_EQ(cv.status, 2);
  EXPECT_THAT(cv.err, HasSubstr("--cv: \"one\" is not loo or a number of folds >= 2"));
  const cli_result asof = run_cli({"calibrate", "--benchmark", bench_csv, "--data", dir.path().string()});
  EXPECT_EQ(asof.status, 2);
  EXPECT_THAT(asof.err, HasSubstr("--as-of DATE is required"));
  const cli_result missing = run_cli({"calibrate", "--benchmark", dir.file("none.csv")});
  EXPECT_EQ(missing.status, 3);
  EXPECT_THAT(missing.err, HasSubstr("cannot read benchmark file"));
  const std::string bad = dir.file("bad.csv");
  std::ofstream(bad) << "operator_id,agreed_grade\nWH-JA-0008,6A\n";
  const cli_result grade = run_cli({"calibrate", "--benchmark", bad});
  EXPECT_EQ(grade.status, 1);
  EXPECT_THAT(grade.err, HasSubstr(bad + ":2:2: agreed_grade: operator WH-JA-0008: benchmark: \"6A\" is not a grade"));
  EXPECT_EQ(run_cli({"model"}).status, 2);
  EXPECT_EQ(run_cli({"model", "diff", dir.file("a.toml"), dir.file("b.toml")}).status, 3);
}

TEST(CliCalibrate, model_diff_lists_every_change) {
  temp_dir dir("cli-diff");
  const er::model m = er::model::default_model();
  const std::string a = dir.file("a.toml"), b = dir.file("b.toml");
  m.save(a);
  m.with_cutoffs({{er::grade::a5, 880.0}}).with_weights({{"fire_inspection", 0.07}, {"fire_hazards", 0.02}}).save(b);
  const cli_result same = run_cli({"model", "diff", a, a});
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_THAT(same.out, HasSubstr("no differences"));
  const cli_result r = run_cli({"model", "diff", a, b});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("grades      5A               min_total"));
  EXPECT_THAT(r.out, HasSubstr("fire_inspection"));
  const cli_result csv = run_cli({"model", "diff", a, b, "--format", "csv"});
  EXPECT_THAT(csv.out, HasSubstr("grades,5A,min_total,900,880\n"));
  EXPECT_THAT(csv.out, HasSubstr("indicators,fire_inspection,points,60,70\n"));
  EXPECT_THAT(csv.out, HasSubstr("indicators,fire_hazards,points,30,20\n"));
  EXPECT_THAT(csv.out, HasSubstr("model,,provenance.method,,with_weights\n"));
  const auto doc = nlohmann::json::parse(run_cli({"model", "diff", a, b, "--format", "json"}).out);
  EXPECT_EQ(doc["a"]["fingerprint"], m.fingerprint());
  EXPECT_GE(doc["changes"].size(), 5u);
}

TEST(CliCalibrate, model_diff_csv_file_has_a_bom_and_output_encoding_chooses) {
  temp_dir dir("cli-diff-enc");
  const er::model m = er::model::default_model();
  const std::string a = dir.file("a.toml"), b = dir.file("b.toml");
  m.save(a);
  std::string text = read_text(a);
  const std::string from = "label_zh = \"消防安全检查得分\"";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "label_zh = \"消防检查得分\"");
  {
    std::ofstream f(b, std::ios::binary);
    f << text;
  }
  const cli_result to_stdout = run_cli({"model", "diff", a, b, "--format", "csv"});
  ASSERT_EQ(to_stdout.status, 0) << to_stdout.err;
  const std::string plain = to_stdout.out;
  EXPECT_THAT(plain, HasSubstr("indicators,fire_inspection,label_zh,消防安全检查得分,消防检查得分\n"));
  EXPECT_NE(plain.rfind("section,item,field,before,after\n", 0), std::string::npos) << "standard output: no BOM";
  ASSERT_EQ(run_cli({"model", "diff", a, b, "--format", "csv", "-o", dir.file("auto.csv")}).status, 0);
  EXPECT_EQ(read_text(dir.file("auto.csv")), "\xEF\xBB\xBF" + plain) << "a CSV file: BOM by default";
  ASSERT_EQ(run_cli({"model", "diff", a, b, "--format", "csv", "-o", dir.file("plain.csv"), "--output-encoding", "utf-8"}).status, 0);
  EXPECT_EQ(read_text(dir.file("plain.csv")), plain);
  ASSERT_EQ(run_cli({"model", "diff", a, b, "--format", "csv", "-o", dir.file("gb.csv"), "--output-encoding", "gb18030"}).status, 0);
  const std::string gb = read_text(dir.file("gb.csv"));
  // 消防安全检查得分 and 消防检查得分 in GB18030
  EXPECT_THAT(gb, HasSubstr("indicators,fire_inspection,label_zh,"
                            "\xCF\xFB\xB7\xC0\xB0\xB2\xC8\xAB\xBC\xEC\xB2\xE9\xB5\xC3\xB7\xD6,"
                            "\xCF\xFB\xB7\xC0\xBC\xEC\xB2\xE9\xB5\xC3\xB7\xD6\n"));
  EXPECT_EQ(gb.find("\xEF\xBB\xBF"), std::string::npos);
  EXPECT_EQ(run_cli({"model", "diff", a, b, "--output-encoding", "latin1"}).status, 2);
}

}  // namespace
