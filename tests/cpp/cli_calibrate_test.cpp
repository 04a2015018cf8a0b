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

namespace {

using embedrating::test_support::temp_dir;
using ::testing::HasSubstr;
namespace er = embedrating;
namespace cal = embedrating::calibrate;

struct result {
  int status;
  std::string out, err;
};

result run(std::vector<std::string> args) {
  args.insert(args.begin(), "embedrating");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int status = embedrating::cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {status, out.str(), err.str()};
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

const std::string bench_csv = er::data_directory() + "/sample/benchmark.csv";

TEST(CliCalibrate, fits_writes_the_model_and_the_report_as_the_library_does) {
  temp_dir dir("cli-cal");
  const std::string fitted = dir.file("fitted.toml"), report = dir.file("report.html");
  const result r = run({"calibrate", "--benchmark", bench_csv, "--as-of", "2025-12-31", "--fit", "cutoffs", "--cutoff-penalty", "0",
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
  const std::string html = slurp(report);
  EXPECT_THAT(html, HasSubstr("<h2>Agreement 一致性</h2>"));
  EXPECT_THAT(html, HasSubstr("fitted, cross-validated"));
  EXPECT_THAT(html, HasSubstr("专家组认为服务量偏低系场地改造所致"));  // a panel note of a disagreement
  EXPECT_THAT(html, HasSubstr("leave-one-out"));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // JSON summary
  const result j = run({"calibrate", "--benchmark", bench_csv, "--fit", "floors", "--cv", "5", "--seed", "2", "--format", "json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["cross_validation"], "stratified 5-fold (seed 2)");
  EXPECT_EQ(doc["agreement"]["current"]["n"], 40);
  EXPECT_EQ(doc["method"], "fit_floors");
}

TEST(CliCalibrate, refusals_have_exit_statuses_and_messages) {
  temp_dir dir("cli-cal-bad");
  EXPECT_EQ(run({"calibrate"}).status, 2);  // --benchmark is required
  const result cv = run({"calibrate", "--benchmark", bench_csv, "--cv", "one"});
  EXPECT_EQ(cv.status, 2);
  EXPECT_THAT(cv.err, HasSubstr("--cv: \"one\" is not loo or a number of folds >= 2"));
  const result asof = run({"calibrate", "--benchmark", bench_csv, "--data", dir.path().string()});
  EXPECT_EQ(asof.status, 2);
  EXPECT_THAT(asof.err, HasSubstr("--as-of DATE is required"));
  const result missing = run({"calibrate", "--benchmark", dir.file("none.csv")});
  EXPECT_EQ(missing.status, 3);
  EXPECT_THAT(missing.err, HasSubstr("cannot read benchmark file"));
  const std::string bad = dir.file("bad.csv");
  std::ofstream(bad) << "operator_id,agreed_grade\nWH-JA-0008,6A\n";
  const result grade = run({"calibrate", "--benchmark", bad});
  EXPECT_EQ(grade.status, 1);
  EXPECT_THAT(grade.err, HasSubstr(bad + ":2:2: agreed_grade: operator WH-JA-0008: benchmark: \"6A\" is not a grade"));
  EXPECT_EQ(run({"model"}).status, 2);
  EXPECT_EQ(run({"model", "diff", dir.file("a.toml"), dir.file("b.toml")}).status, 3);
}

TEST(CliCalibrate, model_diff_lists_every_change) {
  temp_dir dir("cli-diff");
  const er::model m = er::model::default_model();
  const std::string a = dir.file("a.toml"), b = dir.file("b.toml");
  m.save(a);
  m.with_cutoffs({{er::grade::a5, 880.0}}).with_weights({{"fire_inspection", 0.07}, {"fire_hazards", 0.02}}).save(b);
  const result same = run({"model", "diff", a, a});
  ASSERT_EQ(same.status, 0) << same.err;
  EXPECT_THAT(same.out, HasSubstr("no differences"));
  const result r = run({"model", "diff", a, b});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("grades      5A               min_total"));
  EXPECT_THAT(r.out, HasSubstr("fire_inspection"));
  const result csv = run({"model", "diff", a, b, "--format", "csv"});
  EXPECT_THAT(csv.out, HasSubstr("grades,5A,min_total,900,880\n"));
  EXPECT_THAT(csv.out, HasSubstr("indicators,fire_inspection,points,60,70\n"));
  EXPECT_THAT(csv.out, HasSubstr("indicators,fire_hazards,points,30,20\n"));
  EXPECT_THAT(csv.out, HasSubstr("model,,provenance.method,,with_weights\n"));
  const auto doc = nlohmann::json::parse(run({"model", "diff", a, b, "--format", "json"}).out);
  EXPECT_EQ(doc["a"]["fingerprint"], m.fingerprint());
  EXPECT_GE(doc["changes"].size(), 5u);
}

}  // namespace
