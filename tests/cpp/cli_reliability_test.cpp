// The command line under hostile or mistaken use (issue 15): write targets, exit statuses of every
// failure, --state with --model, validate without --as-of, bounded messages, directory validity.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
using ::testing::Not;
namespace cli = embedrating::cli;

std::string examples() { return embedrating::data_directory() + "/examples/operators.csv"; }
std::string sample(const std::string& f) { return embedrating::data_directory() + "/sample/" + f; }

/// The example operator table without one column.
std::string examples_without(const std::string& column) {
  std::istringstream in(read_text(examples()));
  std::string out;
  std::size_t drop = std::string::npos;
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    std::vector<std::string> cells(1);
    for (char c : l) {
      if (c == ',') cells.emplace_back();
      else cells.back() += c;
    }
    if (drop == std::string::npos)
      for (std::size_t k = 0; k < cells.size(); ++k)
        if (cells[k] == column) drop = k;
    std::string row;
    for (std::size_t k = 0; k < cells.size(); ++k)
      if (k != drop) row += (row.empty() ? "" : ",") + cells[k];
    out += row + "\n";
  }
  return out;
}

TEST(CliReliability, OutputOntoDevNullWritesThroughAndKeepsTheDevice) {
  const cli_result r = run_cli({"rate", "--format", "csv", "-o", "/dev/null"});
  EXPECT_EQ(r.status, cli::ok) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(CliReliability, OutputOntoADirectoryOrFifoStateIsRefusedWithExitThree) {
  const temp_dir dir("cli-targets");
  cli_result r = run_cli({"rate", "--format", "csv", "-o", dir.path().string()});
  EXPECT_EQ(r.status, cli::io);
  EXPECT_THAT(r.err, HasSubstr("is a directory, not a regular file"));
  r = run_cli({"rate", "--directory", dir.path().string()});
  EXPECT_EQ(r.status, cli::io);
  const std::string fifo = dir.file("state.eragg");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  r = run_cli({"reviews", "summarize", "--events", sample("reviews.csv"), "--save", fifo});
  EXPECT_EQ(r.status, cli::io) << r.err;  // regression: --save failures exited 1
  EXPECT_THAT(r.err, HasSubstr("cannot save the review state: " + fifo + ": is a FIFO, not a regular file"));
  r = run_cli({"reviews", "summarize", "--events", sample("reviews.csv"), "--save", dir.file("no/such/dir/s.eragg")});
  EXPECT_EQ(r.status, cli::io);
  EXPECT_THAT(r.err, HasSubstr("cannot create the temporary file"));
}

TEST(CliReliability, StateBuiltUnderOtherReviewSettingsIsRefused) {
  // regression: `--state S --model M` silently ignored M's [reviews] settings
  const temp_dir dir("cli-state");
  cli_result r = run_cli({"reviews", "summarize", "--events", sample("reviews.csv"), "--save", dir.file("s.eragg")});
  ASSERT_EQ(r.status, cli::ok) << r.err;
  std::string m = read_text(embedrating::data_directory() + "/models/wuhan-2024.toml");
  m.replace(m.find("window_months = 12"), 18, "window_months = 24");
  write_text(dir.file("m.toml"), m);
  r = run_cli({"reviews", "summarize", "--state", dir.file("s.eragg"), "--model", dir.file("m.toml")});
  EXPECT_EQ(r.status, cli::invalid_input);
  EXPECT_THAT(r.err, HasSubstr("was built with other review settings than model " + dir.file("m.toml") +
                               " (reviews.window_months: 12 vs 24 in the state vs the model)"));
  r = run_cli({"reviews", "summarize", "--state", dir.file("s.eragg")});  // the same model: fine
  EXPECT_EQ(r.status, cli::ok) << r.err;
  write_text(dir.file("bad.eragg"), "not an archive at all, but long enough to have a 64-byte header......");
  r = run_cli({"reviews", "summarize", "--state", dir.file("bad.eragg")});
  EXPECT_EQ(r.status, cli::invalid_input);
  EXPECT_THAT(r.err, HasSubstr("bad.eragg: not a review archive (wrong magic bytes)"));
  r = run_cli({"reviews", "summarize", "--state", dir.path().string()});
  EXPECT_EQ(r.status, cli::io);
}

TEST(CliReliability, ValidateWithoutAsOfChecksWhatRateChecks) {
  // regression: validate passed an operators file lacking the required scenarios column
  const temp_dir dir("cli-validate");
  write_text(dir.file("ops.csv"), examples_without("scenarios"));
  cli_result r = run_cli({"validate", "--operators", dir.file("ops.csv")});
  EXPECT_EQ(r.status, cli::invalid_input) << r.out;
  EXPECT_THAT(r.err, HasSubstr("missing required columns for model wuhan-2024: scenarios"));
  // a column only the model knows is not simply blamed on the data file: the message says the
  // model reads it and that a misspelt name in the model is the other fix
  EXPECT_THAT(r.err, HasSubstr("(read by the model"));
  EXPECT_THAT(r.err, HasSubstr("add them to the data, or correct the model if a name is misspelt)"));
  r = run_cli({"rate", "--operators", dir.file("ops.csv"), "--as-of", "2025-12-31"});
  EXPECT_EQ(r.status, cli::invalid_input);
  EXPECT_THAT(r.err, HasSubstr("scenarios"));
  r = run_cli({"validate", "--operators", examples()});
  EXPECT_EQ(r.status, cli::ok) << r.err;
}

TEST(CliReliability, DirectoryAfterTheModelsPeriodIsRefused) {
  // regression: a directory entry whose validity ended before it started
  const temp_dir dir("cli-directory");
  const cli_result r = run_cli({"rate", "--as-of", "2026-12-31", "-o", dir.file("out.txt"), "--directory", dir.file("dir.csv")});
  EXPECT_EQ(r.status, cli::invalid_input);
  EXPECT_THAT(r.err, HasSubstr("--directory: as of 2026-12-31 is after the effective period of model wuhan-2024 (ends 2026-08-22)"));
  EXPECT_FALSE(std::ifstream(dir.file("dir.csv")).good());
  EXPECT_FALSE(std::ifstream(dir.file("out.txt")).good());  // nothing written when the run fails
}

TEST(CliReliability, ModelThatIsADirectoryExitsThree) {
  const temp_dir dir("cli-model-dir");
  const cli_result r = run_cli({"rate", "--model", dir.path().string()});
  EXPECT_EQ(r.status, cli::io);
  EXPECT_THAT(r.err, HasSubstr("it is a directory, not a file"));
  EXPECT_THAT(r.err, Not(HasSubstr("9223372036854775807")));
}

TEST(CliReliability, LongCellsAndWideHeadersGiveShortMessages) {
  const temp_dir dir("cli-long");
  std::string ops = read_text(examples());
  const auto at = ops.find(",97,");  // WH-001's fire inspection score
  ASSERT_NE(at, std::string::npos);
  ops.replace(at + 1, 2, std::string(1000000, '9') + "x");
  write_text(dir.file("ops.csv"), ops);
  cli_result r = run_cli({"validate", "--operators", dir.file("ops.csv")});
  EXPECT_EQ(r.status, cli::invalid_input);
  EXPECT_THAT(r.err, HasSubstr("is not a decimal number"));
  EXPECT_THAT(r.err, HasSubstr("… (1000001 bytes)"));
  EXPECT_LT(r.err.size(), 2000u);  // regression: the 1 MB cell was echoed whole
  std::string wide = "operator_id";
  for (int k = 0; k < 100000; ++k) wide += ",c" + std::to_string(k);
  write_text(dir.file("wide.csv"), wide + "\n");
  r = run_cli({"validate", "--operators", dir.file("wide.csv")});
  EXPECT_EQ(r.status, cli::invalid_input);
  EXPECT_THAT(r.err, HasSubstr("more than 10000 fields in one record"));
  EXPECT_LT(r.err.size(), 2000u);  // regression: 17 MB of "unknown column" lines
}

TEST(CliReliability, FarFutureDatesAreRefusedNotPrintedAsYearZero) {
  // regression: 9999-12-31 gave "lapses on 0000-03-31"
  const temp_dir dir("cli-dates");
  std::string ops = read_text(examples());
  const std::string header = ops.substr(0, ops.find('\n'));
  ASSERT_NE(header.find("last_serious_accident_on"), std::string::npos);
  // WH-001's row ends with ",0,0,,,,0,..." — the three empty dates before the ten flags
  const auto row = ops.find("WH-001");
  const auto at = ops.find(",,,,", row);
  ASSERT_NE(at, std::string::npos);
  ops.replace(at, 4, ",,9999-12-31,,");
  write_text(dir.file("ops.csv"), ops);
  const cli_result r = run_cli({"rate", "--operators", dir.file("ops.csv"), "--as-of", "2025-12-31"});
  EXPECT_EQ(r.status, cli::invalid_input);
  EXPECT_THAT(r.err, HasSubstr("\"9999-12-31\" is outside the dates a data file may hold (1900-01-01 .. 2199-12-31)"));
  EXPECT_EQ(embedrating::to_string(embedrating::add_months(embedrating::make_date(9999, 12, 31), 3)), "+10000-03-31");
  EXPECT_EQ(embedrating::to_string(embedrating::make_date(-1, 12, 31)), "-0001-12-31");
}

}  // namespace
