// Problem messages in Chinese (issue 17, include/embedrating/messages.hpp): every template has a
// Chinese form with no English words left, each template is the one its own instances match, and
// the values at fault are carried over.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "embedrating/errors.hpp"
#include "embedrating/messages.hpp"

namespace {
using namespace embedrating;

// Words a Chinese message keeps on purpose: what a user types in a file (column names, codes of
// statuses and grades, the catalogue file's name) and names of encodings and formats.
const std::set<std::string> kept_words = {"facility_id", "operator_id", "volume", "name", "name_zh", "street", "community",
                                          "address", "active", "suspending", "suspended", "terminated", "unrated",
                                          "catalogue", "scenarios", "csv", "CSV", "YYYY", "MM", "DD", "UTF", "GB", "BOM"};

// The runs of ASCII letters (with _ inside a word) of `text` that are not kept words.
std::vector<std::string> english_words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 2 && !kept_words.count(word)) out.push_back(word);
    word.clear();
  };
  for (char c : text) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c == '_' && !word.empty());
    if (letter) {
      word += c;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// A template's English form with {n} replaced by a value that has no letters and {m} by a nested
// message, and the values used.
std::string instance(std::string_view t, std::vector<std::string>& values) {
  std::string out;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (t[k] == '{' && k + 2 < t.size() && t[k + 2] == '}') {
      const char c = t[k + 1];
      if (c >= '1' && c <= '9') {
        values.push_back("值" + std::string(1, c) + "#" + std::to_string(values.size()));
        out += values.back();
        k += 2;
        continue;
      }
      if (c == 'm') {
        out += "a review count cannot be empty (write 0)";
        k += 2;
        continue;
      }
    }
    out += t[k];
  }
  return out;
}

TEST(messages, every_template_has_a_chinese_form_without_english_words) {
  const auto& all = message_templates();
  ASSERT_GE(all.size(), 40u);
  for (const auto& t : all) {
    std::vector<std::string> values;
    const std::string en = instance(t.en, values);
    SCOPED_TRACE(en);
    // its own instances match it, not an earlier, more general template
    EXPECT_EQ(match_message_template(en), &t);
    const std::string zh = translate_message(en, language::zh);
    EXPECT_NE(zh, en);
    EXPECT_EQ(english_words(zh), std::vector<std::string>{}) << zh;
    for (const auto& v : values) EXPECT_NE(zh.find(v), std::string::npos) << v << " lost in " << zh;
    // the Chinese form uses only placeholders the English one has
    for (std::size_t k = 0; k + 2 < t.zh.size(); ++k) {
      if (t.zh[k] == '{' && t.zh[k + 2] == '}') {
        EXPECT_NE(t.en.find(t.zh.substr(k, 3)), std::string_view::npos) << t.zh;
      }
    }
    // English stays as it is
    EXPECT_EQ(translate_message(en, language::en), en);
  }
}

TEST(messages, reader_messages_are_translated_with_their_values) {
  EXPECT_EQ(translate_message("\"abc\" is not a decimal number", language::zh), "“abc”不是十进制数字");
  EXPECT_EQ(translate_message("value 150 is outside the allowed range [0, 100] (points 0-100)", language::zh),
            "数值 150 超出允许范围 [0, 100]（单位：points 0-100）");
  EXPECT_EQ(translate_message("unknown status \"\" (active, suspending, suspended, terminated)", language::zh),
            "未知的运营状态“”（可选：active 正常运营、suspending 暂停中、suspended 已暂停、terminated 已终止）");
  // a facility's cell: the nested message is translated too
  EXPECT_EQ(translate_message("facility \"F4\": volume \"-1\" is outside the allowed range [0, 1000000000000]", language::zh),
            "设施“F4”：服务量权重“-1”超出允许范围 [0, 1000000000000]");
  EXPECT_EQ(translate_message("duplicate operator id \"WH-001\" (first at line 2)", language::zh),
            "运营商编号“WH-001”重复（首次出现在第 2 行）");
}

TEST(messages, a_message_without_a_template_keeps_its_english_text) {
  const std::string odd = "something no reader says";
  EXPECT_EQ(match_message_template(odd), nullptr);
  EXPECT_EQ(translate_message(odd, language::zh), odd);
  // a prefix of a template is not an instance of it
  EXPECT_EQ(match_message_template("\"abc\" is not a decimal"), nullptr);
  EXPECT_EQ(match_message_template("\"abc\" is not a decimal number!"), nullptr);
}

TEST(messages, problem_text_puts_the_chinese_location_first) {
  error_location w;
  w.file = "ops.csv";
  w.line = 3;
  w.column = 5;
  w.field = "status";
  w.operator_id = "WH-003";
  const data_error e(w, "unknown status \"closed\" (active, suspending, suspended, terminated)");
  EXPECT_EQ(problem_text(e, language::en), std::string(e.what()));
  EXPECT_EQ(problem_text(e, language::zh),
            "文件 ops.csv 第 3 行第 5 列，字段 status，运营商 WH-003：未知的运营状态“closed”（可选：active 正常运营、suspending "
            "暂停中、suspended 已暂停、terminated 已终止）");
  error_location r;
  r.file = "DataFrame";
  r.row = "7";
  r.field = "status";
  EXPECT_EQ(location_text(r, language::zh), "文件 DataFrame，行 7，字段 status：");
  EXPECT_EQ(location_text(r, language::en), r.prefix());
  EXPECT_EQ(location_text(error_location{}, language::zh), "");
}

TEST(messages, parse_language_names_the_accepted_values) {
  EXPECT_EQ(parse_language("en"), language::en);
  EXPECT_EQ(parse_language("zh"), language::zh);
  try {
    (void)parse_language("fr");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "lang must be \"en\" or \"zh\", got \"fr\"");
  }
}

}  // namespace
