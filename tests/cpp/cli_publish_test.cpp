// Publishing from the CLI (issue 17): CSV encodings for Excel, Chinese headers, the grade
// directory page, JSON gates, Chinese validate messages, roll-forward, calendars, explaining a
// suspended operator. The workbook's cells and widths and the page rendered to PDF are checked
// from Python (tests/python/test_publish.py), which reads xlsx with openpyxl.
#include <iconv.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <embedrating/embedrating.hpp>
#include <embedrating/history.hpp>

#include "cli.hpp"
#include "encoding.hpp"
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
using ::testing::StartsWith;

std::string examples() { return embedrating::data_directory() + "/examples/operators.csv"; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string gb18030_to_utf8(const std::string& bytes) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size(), out_left = out.size();
  char* dst = out.data();
  const std::size_t rc = iconv(cd, &in, &in_left, &dst, &out_left);
  iconv_close(cd);
  EXPECT_NE(rc, static_cast<std::size_t>(-1));
  out.resize(static_cast<std::size_t>(dst - out.data()));
  return out;
}

}  // namespace

TEST(CliPublish, CsvFilesCarryABomForExcelAndEncodingsCanBeChosen) {
  temp_dir dir("publish");
  const std::vector<std::string> base{"rate", "--operators", examples(), "--as-of", "2025-12-31", "--format", "csv"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return run_cli(a);
  };
  ASSERT_EQ(with({"-o", dir.file("auto.csv")}).status, 0);
  ASSERT_EQ(with({"-o", dir.file("plain.csv"), "--output-encoding", "utf-8"}).status, 0);
  ASSERT_EQ(with({"-o", dir.file("gb.csv"), "--output-encoding", "gb18030"}).status, 0);
  const cli_result to_stdout = with({});
  const std::string bom = "\xEF\xBB\xBF";
  const std::string plain = read_text(dir.file("plain.csv"));
  EXPECT_EQ(read_text(dir.file("auto.csv")), bom + plain);  // a CSV file: BOM by default
  EXPECT_EQ(to_stdout.out, plain);                           // standard output: no BOM
  EXPECT_THAT(plain, Not(StartsWith(bom)));
  const std::string gb = read_text(dir.file("gb.csv"));
  EXPECT_NE(gb, plain);  // the names are Chinese, so the bytes differ
  EXPECT_EQ(gb18030_to_utf8(gb), plain);
  // the grade directory follows the same rule
  ASSERT_EQ(run_cli({"rate", "--operators", examples(), "--as-of", "2025-12-31", "--summary", "--directory", dir.file("d.csv")}).status, 0);
  EXPECT_THAT(read_text(dir.file("d.csv")), StartsWith(bom + "operator_id,name,district,mode,grade,valid_from"));
  EXPECT_EQ(with({"--output-encoding", "latin1"}).status, 2);
}

TEST(CliPublish, ChineseHeadersAndNamesUnderLangZh) {
  temp_dir dir("publish");
  ASSERT_EQ(run_cli({"rate", "--operators", examples(), "--as-of", "2025-12-31", "--format", "csv", "--lang", "zh", "-o",
                     dir.file("r.csv"), "--directory", dir.file("d.csv"), "--output-encoding", "utf-8"})
                .status,
            0);
  const std::string r = read_text(dir.file("r.csv"));
  EXPECT_THAT(first_line(r), StartsWith("运营商编号,名称,区,街道,社区,运营模式,状态,总分,按得分等级,评定等级,终止协议(1=是),安全管理得分"));
  EXPECT_THAT(r, HasSubstr(",公建民营模式,正常运营,"));
  EXPECT_THAT(r, HasSubstr(",已暂停,"));   // WH-007 is suspended
  EXPECT_THAT(r, HasSubstr(",未参评,未参评,"));
  EXPECT_THAT(r, Not(HasSubstr("public_built_private_run")));
  EXPECT_THAT(first_line(read_text(dir.file("d.csv"))), StartsWith("运营商编号,名称,区,运营模式,等级,有效期起,有效期止,模型"));
  // the English CSV keeps codes and English headers
  const cli_result en = run_cli({"rate", "--operators", examples(), "--as-of", "2025-12-31", "--format", "csv"});
  EXPECT_THAT(first_line(en.out), StartsWith("operator_id,name,district,street,community,mode,status,total"));
  EXPECT_THAT(en.out, HasSubstr(",public_built_private_run,active,"));
}

TEST(CliPublish, XlsxNeedsAFileAndIsAZipWorkbook) {
  temp_dir dir("publish");
  const cli_result no_file = run_cli({"rate", "--operators", examples(), "--as-of", "2025-12-31", "--format", "xlsx"});
  EXPECT_EQ(no_file.status, 2);
  EXPECT_THAT(no_file.err, HasSubstr("give --output FILE.xlsx"));
  ASSERT_EQ(run_cli({"rate", "--operators", examples(), "--as-of", "2025-12-31", "--format", "xlsx", "-o", dir.file("r.xlsx")}).status, 0);
  const std::string x = read_text(dir.file("r.xlsx"));
  EXPECT_THAT(x, StartsWith("PK"));  // an OOXML package
  EXPECT_THAT(x, HasSubstr("xl/worksheets/sheet3.xml"));  // ratings, directory, distribution
  const cli_result bad = run_cli({"rate", "--operators", examples(), "--as-of", "2025-12-31", "--format", "xlsx", "-o",
                                  dir.file("missing-dir/r.xlsx")});
  EXPECT_EQ(bad.status, 3);
}

TEST(CliPublish, DirectoryPageHasProvenanceGroupsAndAPrintStylesheet) {
  temp_dir dir("publish");
  ASSERT_EQ(run_cli({"rate", "--operators", examples(), "--as-of", "2025-12-31", "--format", "html", "--lang", "zh", "-o", dir.file("d.html")})
                .status,
            0);
  const std::string page = read_text(dir.file("d.html"));
  const auto m = embedrating::model::default_model();
  EXPECT_THAT(page, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(page, HasSubstr("社区嵌入式服务设施运营商等级评定目录"));
  EXPECT_THAT(page, HasSubstr(m.fingerprint()));
  EXPECT_THAT(page, HasSubstr("评定日期</dt><dd>2025-12-31"));
  EXPECT_THAT(page, HasSubstr("按区等级分布"));
  EXPECT_THAT(page, HasSubstr("按运营模式等级分布"));
  EXPECT_THAT(page, HasSubstr("江岸区百步亭社区综合体"));
  EXPECT_THAT(page, HasSubstr("@media print"));
  EXPECT_THAT(page, Not(HasSubstr("硚口区宝丰社区服务中心")));  // suspended: not in the directory
  // --directory FILE.html writes the same page
  ASSERT_EQ(run_cli({"rate", "--operators", examples(), "--as-of", "2025-12-31", "--summary", "--lang", "zh", "--directory",
                     dir.file("same.html")})
                .status,
            0);
  EXPECT_EQ(read_text(dir.file("same.html")), page);
}

TEST(CliPublish, JsonGatesCarryTheirKindAndNullWithoutANumber) {
  const cli_result r = run_cli({"rate", "--data", embedrating::data_directory() + "/sample", "--as-of", "2025-12-31", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  bool saw_prerequisite = false, saw_total = false;
  for (const auto& o : doc["operators"])
    for (const auto& g : o["gates_to_next_grade"]) {
      ASSERT_TRUE(g.contains("kind"));
      if (g["kind"] == "prerequisite") {
        saw_prerequisite = true;
        EXPECT_TRUE(g["required"].is_null());
        EXPECT_TRUE(g["shortfall"].is_null());
      }
      if (g["kind"] == "total") {
        saw_total = true;
        EXPECT_TRUE(g["shortfall"].is_number());
      }
    }
  EXPECT_TRUE(saw_prerequisite);
  EXPECT_TRUE(saw_total);
}

TEST(CliPublish, ExplainingASuspendedOperatorSaysNotGraded) {
  const cli_result en = run_cli({"explain", "WH-007", "--operators", examples(), "--as-of", "2025-12-31"});
  ASSERT_EQ(en.status, 0) << en.err;
  EXPECT_THAT(first_line(en.out), HasSubstr("WH-007 — not graded (status: suspended)"));
  EXPECT_THAT(en.out, Not(HasSubstr("final grade")));
  const cli_result zh = run_cli({"explain", "WH-007", "--operators", examples(), "--as-of", "2025-12-31", "--lang", "zh"});
  EXPECT_THAT(first_line(zh.out), HasSubstr("WH-007 — 未参评（状态：已暂停）"));
  EXPECT_THAT(zh.out, Not(HasSubstr("最终等级")));
  EXPECT_THAT(zh.out, HasSubstr("第十四条"));
}

TEST(CliPublish, ExplanationCitesArticlesInChineseWithSourceAndBasis) {
  const cli_result zh = run_cli({"explain", "WH-JA-0015", "--lang", "zh"});
  ASSERT_EQ(zh.status, 0) << zh.err;
  EXPECT_THAT(zh.out, HasSubstr("（依据：第十六条、第十七条；数值来源："));
  EXPECT_THAT(zh.out, Not(HasSubstr("Art. ")));
  const cli_result en = run_cli({"explain", "WH-JA-0015"});
  EXPECT_THAT(en.out, HasSubstr("(source: Art. 16, Art. 17; basis: "));
}

TEST(CliPublish, ValidateSpeaksChineseUnderLangZh) {
  temp_dir dir("publish");
  std::string text = read_text(examples());
  const auto pos = text.find("public_built_private_run");
  text.replace(pos, std::string("public_built_private_run").size(), "公私合营");
  write_text(dir.file("bad.csv"), text);
  const cli_result zh = run_cli({"validate", "--operators", dir.file("bad.csv"), "--lang", "zh"});
  EXPECT_EQ(zh.status, 1);
  EXPECT_THAT(zh.err, HasSubstr("文件 " + dir.file("bad.csv") + " 第 2 行第 4 列，字段 mode，运营商 WH-001：未知的运营模式“公私合营”"));
  EXPECT_THAT(zh.err, HasSubstr("发现 1 个问题"));
  const cli_result en = run_cli({"validate", "--operators", dir.file("bad.csv")});
  EXPECT_THAT(en.err, HasSubstr("unknown operating mode \"公私合营\""));
}

TEST(CliPublish, ChineseCodesOnInputMapToTheSameCodes) {
  temp_dir dir("publish");
  std::string text = read_text(examples());
  auto replace_all = [&](const std::string& a, const std::string& b) {
    for (std::size_t p = text.find(a); p != std::string::npos; p = text.find(a, p + b.size())) text.replace(p, a.size(), b);
  };
  replace_all(",public_built_private_run,", ",公建民营,");
  replace_all(",active,", ",运营中,");
  replace_all(",suspended,", ",已暂停,");
  replace_all("elderly_care;", "养老服务;");
  write_text(dir.file("zh.csv"), text);
  const cli_result a = run_cli({"rate", "--operators", examples(), "--as-of", "2025-12-31", "--format", "csv"});
  const cli_result b = run_cli({"rate", "--operators", dir.file("zh.csv"), "--as-of", "2025-12-31", "--format", "csv"});
  ASSERT_EQ(b.status, 0) << b.err;
  // same grades and codes; only the input hash column differs? No: the codes read are the same
  EXPECT_EQ(a.out, b.out);
}

TEST(CliPublish, RollForwardOverThreeCycles) {
  temp_dir dir("publish");
  // cycle 1: the examples as they are; then the history of each cycle feeds the next
  std::string ops = read_text(examples());
  write_text(dir.file("ops1.csv"), ops);
  const std::vector<std::string> dates{"2025-06-30", "2025-12-31", "2026-06-30"};
  std::string history_arg;
  for (std::size_t c = 0; c < dates.size(); ++c) {
    const std::string in = dir.file("ops" + std::to_string(c + 1) + ".csv");
    const std::string rated = dir.file("ratings" + std::to_string(c + 1) + ".csv");
    ASSERT_EQ(run_cli({"rate", "--operators", in, "--as-of", dates[c], "--format", "csv", "-o", rated}).status, 0);
    std::vector<std::string> args{"roll-forward", rated, "--as-of", dates[c], "-o", dir.file("history" + std::to_string(c + 1) + ".csv")};
    if (!history_arg.empty()) {
      args.push_back("--history");
      args.push_back(history_arg);
    }
    const cli_result rf = run_cli(args);
    ASSERT_EQ(rf.status, 0) << rf.err;
    history_arg = dir.file("history" + std::to_string(c + 1) + ".csv");
    // the history read back equals roll_forward over the library's own ratings
    const auto m = embedrating::model::default_model();
    embedrating::dataset d = embedrating::read_operators_csv(in, m);
    const embedrating::ratings r = embedrating::rate(m, d, *embedrating::parse_date(dates[c]));
    const embedrating::history_table expected =
        embedrating::roll_forward(c == 0 ? embedrating::read_history_csv(in) : embedrating::read_history_csv(dir.file("history" + std::to_string(c) + ".csv")), r);
    EXPECT_EQ(embedrating::history_csv(expected), read_text(history_arg).substr(3));  // after the BOM
    // the next cycle's operators: history columns replaced (previous_grade, previous_rated_on, last_downgrade_on)
    const embedrating::history_table h = embedrating::read_history_csv(history_arg);
    std::istringstream lines(ops);
    std::string header, line, next;
    std::getline(lines, header);
    next = header + "\n";
    std::vector<std::string> cols;
    {
      std::istringstream hs(header);
      for (std::string x; std::getline(hs, x, ',');) cols.push_back(x);
    }
    while (std::getline(lines, line)) {
      std::vector<std::string> cells;
      std::istringstream ls(line);
      for (std::string x; std::getline(ls, x, ',');) cells.push_back(x);
      cells.resize(cols.size());
      for (std::size_t k = 0; k < h.operator_ids.size(); ++k)
        if (h.operator_ids[k] == cells[0])
          for (std::size_t j = 0; j < cols.size(); ++j) {
            if (cols[j] == "previous_grade") cells[j] = h.previous_grade[k] ? std::string(embedrating::to_string(*h.previous_grade[k])) : "";
            if (cols[j] == "previous_rated_on") cells[j] = h.previous_rated_on[k].is_missing() ? "" : embedrating::to_string(h.previous_rated_on[k]);
            if (cols[j] == "last_downgrade_on") cells[j] = h.last_downgrade_on[k].is_missing() ? "" : embedrating::to_string(h.last_downgrade_on[k]);
          }
      for (std::size_t j = 0; j < cells.size(); ++j) next += (j ? "," : "") + cells[j];
      next += "\n";
    }
    ops = next;
    write_text(dir.file("ops" + std::to_string(c + 2) + ".csv"), ops);
    // the rules: graded operators carry this cycle's grade and date; WH-007 (suspended) keeps its history
    for (std::size_t k = 0; k < h.operator_ids.size(); ++k) {
      const std::int64_t i = r.find(h.operator_ids[k]);
      ASSERT_GE(i, 0);
      if (r.status[static_cast<std::size_t>(i)] == embedrating::operator_status::active) {
        ASSERT_TRUE(h.previous_grade[k].has_value());
        EXPECT_EQ(*h.previous_grade[k], r.final_grade[static_cast<std::size_t>(i)]);
        EXPECT_EQ(embedrating::to_string(h.previous_rated_on[k]), dates[c]);
      }
    }
  }
  // a wrong --as-of is refused, naming the file and line
  const cli_result wrong = run_cli({"roll-forward", dir.file("ratings1.csv"), "--as-of", "2025-07-01"});
  EXPECT_EQ(wrong.status, 1);
  EXPECT_THAT(wrong.err, HasSubstr(dir.file("ratings1.csv") + ":2:"));
  EXPECT_THAT(wrong.err, HasSubstr("these ratings are as of 2025-06-30, not 2025-07-01"));
}

TEST(CliPublish, CalendarFileAndWeekendsOnlyFallbackForDeadlinesPast2026) {
  temp_dir dir("publish");
  // a bad review on 2026-12-24 (Thu): its 15-working-day deadline falls in 2027
  write_text(dir.file("events.csv"),
             "review_id,revision,operator_id,reviewer_id,time,level,status\n"
             "1,1,WH-001,U1,2026-12-24T10:00:00+08:00,1,valid\n"
             "2,1,WH-001,U2,2026-11-02T10:00:00+08:00,5,valid\n");
  const std::vector<std::string> base{"reviews", "summarize", "--operators", examples(), "--events", dir.file("events.csv"),
                                      "--as-of", "2027-01-31", "--format", "csv"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return run_cli(a);
  };
  const cli_result none = with({});
  EXPECT_EQ(none.status, 1);
  EXPECT_THAT(none.err, HasSubstr("the holiday calendar covers 2024-01-01..2026-12-31"));
  EXPECT_THAT(none.err, HasSubstr("--calendar FILE"));
  EXPECT_THAT(none.err, HasSubstr("--weekends-only-calendar"));
  // a calendar for 2026–2027 (New Year's Day 2027 off): 15 working days after 2026-12-24 end on 2027-01-15
  write_text(dir.file("cal.csv"), "date,kind,name_zh\n2026-01-01,off,元旦\n2027-01-01,off,元旦\n");
  const cli_result cal = with({"--calendar", dir.file("cal.csv")});
  ASSERT_EQ(cal.status, 0) << cal.err;
  EXPECT_THAT(cal.out, HasSubstr("\nWH-001,1,0,0,0,1,2,2,"));  // one bad review, one good
  EXPECT_THAT(cal.out, HasSubstr(",0,0,1,0,1,2027-01-31\n"));  // overdue (never rectified), low volume
  const cli_result weekend = with({"--weekends-only-calendar"});
  ASSERT_EQ(weekend.status, 0) << weekend.err;
  EXPECT_THAT(weekend.err, HasSubstr("warning: --weekends-only-calendar"));
  EXPECT_EQ(with({"--weekends-only-calendar", "--calendar", dir.file("cal.csv")}).status, 2);
  // a bad calendar file names its line
  write_text(dir.file("bad-cal.csv"), "date,kind\n2027-01-01,holiday\n");
  const cli_result bad = with({"--calendar", dir.file("bad-cal.csv")});
  EXPECT_EQ(bad.status, 1);
  EXPECT_THAT(bad.err, HasSubstr(dir.file("bad-cal.csv") + ":2"));
}
