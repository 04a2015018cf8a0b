// Tests of the private CSV reader (src/csv.hpp): RFC 4180 quoting, line endings, BOM,
// UTF-8 / GB18030 decoding and the error messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../../src/csv.hpp"
#include "embedrating/errors.hpp"
#include "temp_dir.hpp"

namespace {

using embedrating::data_error;
using embedrating::detail::csv_table;
using embedrating::detail::parse_csv;

/// The what() of the data_error thrown by parse_csv, or "" if none is thrown.
std::string parse_error(const std::string& bytes, const std::string& encoding = "auto") {
  try {
    parse_csv(bytes, "t.csv", encoding);
  } catch (const data_error& e) {
    return e.what();
  }
  return {};
}

using embedrating::test_support::temp_dir;

}  // namespace

TEST(csv, parses_header_and_rows) {
  const csv_table t = parse_csv("a,b,c\n1,2,3\n4,,6\n", "t.csv");
  EXPECT_EQ(t.source, "t.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"4", "", "6"}));
  EXPECT_EQ(t.row_lines, (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(t.header_line, 1u);
}

TEST(csv, last_line_without_newline_and_trailing_empty_field) {
  const csv_table t = parse_csv("a,b\n1,", "t.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", ""}));
}

TEST(csv, quoted_fields_with_commas_newlines_and_doubled_quotes) {
  const std::string text =
      "id,text,n\n"
      "1,\"a, b\",2\n"
      "2,\"line one\nline two\",3\n"
      "3,\"say \"\"hi\"\"\",4\n"
      "4,\"\",5\n";
  const csv_table t = parse_csv(text, "t.csv");
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[0][1], "a, b");
  EXPECT_EQ(t.rows[1][1], "line one\nline two");
  EXPECT_EQ(t.rows[2][1], "say \"hi\"");
  EXPECT_EQ(t.rows[3][1], "");
  EXPECT_EQ(t.rows[3][2], "5");
  // Physical lines: the quoted line break pushes the later rows down by one.
  EXPECT_EQ(t.row_lines, (std::vector<std::uint32_t>{2, 3, 5, 6}));
}

TEST(csv, quote_inside_unquoted_field_is_literal) {
  const csv_table t = parse_csv("a,b\n5\" screen,x\n", "t.csv");
  EXPECT_EQ(t.rows[0][0], "5\" screen");
}

TEST(csv, crlf_and_lone_cr_line_endings) {
  const csv_table crlf = parse_csv("a,b\r\n1,2\r\n\"x\r\ny\",3\r\n", "t.csv");
  ASSERT_EQ(crlf.rows.size(), 2u);
  EXPECT_EQ(crlf.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(crlf.rows[0], (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(crlf.rows[1][0], "x\r\ny");  // a quoted line break is kept as it is
  EXPECT_EQ(crlf.row_lines, (std::vector<std::uint32_t>{2, 3}));

  const csv_table cr = parse_csv("a,b\r1,2\r3,4", "t.csv");
  ASSERT_EQ(cr.rows.size(), 2u);
  EXPECT_EQ(cr.rows[1], (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(cr.row_lines, (std::vector<std::uint32_t>{2, 3}));
}

TEST(csv, empty_lines_are_skipped) {
  const csv_table t = parse_csv("\na,b\n\n1,2\r\n\r\n3,4\n\n", "t.csv");
  EXPECT_EQ(t.header_line, 2u);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.row_lines, (std::vector<std::uint32_t>{4, 6}));
}

TEST(csv, utf8_bom_is_stripped) {
  const csv_table t = parse_csv("\xEF\xBB\xBF" "code,名称\nmeals,社区助餐\n", "t.csv");
  EXPECT_EQ(t.header[0], "code");
  EXPECT_EQ(t.header[1], "名称");
  EXPECT_EQ(t.rows[0][1], "社区助餐");
  EXPECT_EQ(embedrating::detail::column_index(t, "code"), 0u);
  // The BOM is stripped with an explicit encoding too.
  EXPECT_EQ(parse_csv("\xEF\xBB\xBF" "code\nx\n", "t.csv", "utf-8").header[0], "code");
}

TEST(csv, gb18030_is_detected_and_converted) {
  // "运营商" in GB18030/GBK, and U+1F600 as a four-byte GB18030 sequence.
  const std::string bytes = "name,emoji\n\xD4\xCB\xD3\xAA\xC9\xCC,\x94\x39\xFC\x36\n";
  const csv_table t = parse_csv(bytes, "t.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][0], "运营商");
  EXPECT_EQ(t.rows[0][1], "\xF0\x9F\x98\x80");
  // Explicit encodings.
  EXPECT_EQ(parse_csv(bytes, "t.csv", "GB18030").rows[0][0], "运营商");
  EXPECT_EQ(parse_csv("n\n\xD4\xCB\xD3\xAA\xC9\xCC\n", "t.csv", "gbk").rows[0][0], "运营商");
  // The GB18030 byte-order mark is stripped.
  EXPECT_EQ(parse_csv("\x84\x31\x95\x33" "name\nx\n", "t.csv").header[0], "name");
}

TEST(csv, explicit_encoding_overrides_detection) {
  const std::string gb = "n\n\xD4\xCB\xD3\xAA\xC9\xCC\n";
  const std::string msg = parse_error(gb, "utf-8");
  EXPECT_NE(msg.find("t.csv:2:1: undecodable byte 0xD4 (not valid UTF-8)"), std::string::npos)
      << msg;
  // Valid UTF-8 read as GB18030 is mojibake, not an error: the caller asked for it.
  const csv_table t = parse_csv("n\n\xE4\xB8\xAD\xE6\x96\x87\n", "t.csv", "gb18030");
  EXPECT_NE(t.rows[0][0], "中文");
  EXPECT_NE(parse_error("a\n1\n", "latin-1").find("unknown encoding 'latin-1'"),
            std::string::npos);
}

TEST(csv, undecodable_byte_names_line_and_column) {
  // 0xFF is neither UTF-8 nor GB18030.
  std::string msg = parse_error("a,b\nxy,z\xFF\xFF\n");
  EXPECT_NE(msg.find("t.csv:2:5: undecodable byte 0xFF (neither valid UTF-8 nor valid GB18030)"),
            std::string::npos)
      << msg;
  // A UTF-8 file with one stray byte: the column counts characters, not bytes.
  msg = parse_error("名称,值\n运营商,\xFF\n");
  EXPECT_NE(msg.find("t.csv:2:5: undecodable byte 0xFF"), std::string::npos) << msg;
  // A GB18030 file with one stray byte.
  msg = parse_error("n,m\n\xD4\xCB\xD3\xAA\xC9\xCC,\xFF\n");
  EXPECT_NE(msg.find("t.csv:2:5: undecodable byte 0xFF"), std::string::npos) << msg;
  // Forced encodings report the same place.
  msg = parse_error("a\n\xFF\n", "gb18030");
  EXPECT_NE(msg.find("t.csv:2:1: undecodable byte 0xFF (not valid GB18030)"), std::string::npos)
      << msg;
  // Ill-formed UTF-8 (overlong, surrogate) is rejected when UTF-8 is forced.
  EXPECT_NE(parse_error("a\n\xC0\xAF\n", "utf-8").find("t.csv:2:1: undecodable byte 0xC0"),
            std::string::npos);
  EXPECT_NE(parse_error("a\nx\xED\xA0\x80\n", "utf-8").find("t.csv:2:2: undecodable byte 0xED"),
            std::string::npos);
  // A UTF-8 BOM means UTF-8: no GB18030 fallback.
  msg = parse_error("\xEF\xBB\xBF" "a\n\xD4\xCB\n");
  EXPECT_NE(msg.find("t.csv:2:1: undecodable byte 0xD4"), std::string::npos) << msg;
}

TEST(csv, wrong_field_count_names_line) {
  std::string msg = parse_error("a,b,c\n1,2,3\n4,5\n");
  EXPECT_NE(msg.find("t.csv:3: expected 3 fields, got 2"), std::string::npos) << msg;
  msg = parse_error("a,b\n1,2,3\n");
  EXPECT_NE(msg.find("t.csv:2: expected 2 fields, got 3"), std::string::npos) << msg;
}

TEST(csv, unterminated_quote_names_where_it_opened) {
  const std::string msg = parse_error("a,b\n1,\"open\n2,3\n4,5\n");
  EXPECT_NE(msg.find("t.csv:2:3: unterminated quoted field"), std::string::npos) << msg;
}

TEST(csv, text_after_closing_quote_is_an_error) {
  const std::string msg = parse_error("a,b\n\"x\"y,1\n");
  EXPECT_NE(msg.find("t.csv:2:4: unexpected character after the closing quote"),
            std::string::npos)
      << msg;
}

TEST(csv, header_errors) {
  std::string msg = parse_error("a,b,a\n1,2,3\n");
  EXPECT_NE(msg.find("t.csv:1: duplicate column name \"a\" in the header (columns 1 and 3)"),
            std::string::npos)
      << msg;
  msg = parse_error("a,,c\n1,2,3\n");
  EXPECT_NE(msg.find("t.csv:1: empty column name in the header (column 2)"), std::string::npos)
      << msg;
  msg = parse_error("");
  EXPECT_NE(msg.find("t.csv: empty CSV: no header row"), std::string::npos) << msg;
  msg = parse_error("\xEF\xBB\xBF\r\n\n");
  EXPECT_NE(msg.find("empty CSV"), std::string::npos) << msg;
}

TEST(csv, header_only_gives_no_rows) {
  const csv_table t = parse_csv("a,b\n", "t.csv");
  EXPECT_EQ(t.header.size(), 2u);
  EXPECT_TRUE(t.rows.empty());
}

TEST(csv, column_index) {
  const csv_table t = parse_csv("x,y,z\n", "t.csv");
  EXPECT_EQ(embedrating::detail::column_index(t, "y"), 1u);
  EXPECT_EQ(embedrating::detail::column_index(t, "w"), std::string::npos);
}

TEST(csv, read_file) {
  const temp_dir dir;
  const std::string path = (dir.path() / "gb.csv").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,name\r\nop1,\xD4\xCB\xD3\xAA\xC9\xCC\r\n";
  }
  const csv_table t = embedrating::detail::read_csv_file(path);
  EXPECT_EQ(t.source, path);
  EXPECT_EQ(t.rows[0][1], "运营商");

  try {
    embedrating::detail::read_csv_file((dir.path() / "missing.csv").string());
    FAIL() << "no error";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.csv: cannot open file"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.where().file, (dir.path() / "missing.csv").string());
  }
}

TEST(csv, file_over_one_gib_is_rejected) {
  const temp_dir dir;
  const std::filesystem::path path = dir.path() / "big.csv";
  { std::ofstream out(path, std::ios::binary); }
  std::filesystem::resize_file(path, (std::uintmax_t{1} << 30) + 1);  // sparse: no disk used
  try {
    embedrating::detail::read_csv_file(path.string());
    FAIL() << "no error";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("big.csv: input is larger than 1 GiB"),
              std::string::npos)
        << e.what();
  }
}
