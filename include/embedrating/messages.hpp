#pragma once
/// \file messages.hpp
/// Problem messages in Chinese (issue 17): the one translation used by `embedrating validate
/// --lang zh` and by Python's `Dataset.problems(model, lang="zh")` / `Dataset.validate(lang=...)`.
///
/// The readers' messages are English texts built from fixed words and the values at fault. Each
/// kind of message is one entry of a table of templates: the English form with placeholders and
/// its Chinese form. `{1}` … `{9}` stand for any text (a cell, a column name, a number) and are
/// carried into the Chinese form unchanged; `{m}` stands for a nested message (the part after
/// `facility "F1": `), translated in turn. Matching is plain string matching, first template
/// first (no regular expressions). A message that no template matches keeps its English text
/// after the Chinese location, so nothing is lost; `match_message_template` tells which.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <embedrating/errors.hpp>
#include <embedrating/ratings.hpp>  // language

namespace embedrating {

/// One kind of problem message: its English template and its Chinese form.
struct message_template {
  std::string_view en;
  std::string_view zh;
};

/// Every template, most specific first (the order of matching).
const std::vector<message_template>& message_templates();

/// The template `message` is an instance of, or nullptr when none matches.
const message_template* match_message_template(std::string_view message);

/// `message` (the part without the location) in `lang`: unchanged for language::en; for
/// language::zh the Chinese form of its template, or the English text when none matches.
std::string translate_message(std::string_view message, language lang);

/// The location "文件 F 第 L 行第 C 列，第 R 行（行标签），字段 X，运营商 Y：" (zh) or the usual
/// English prefix "F:L:C: row R: X: operator Y: " (en); empty when nothing is known.
std::string location_text(const error_location& where, language lang);

/// A whole problem as `validate` prints it: e.what() for language::en; location and message
/// translated for language::zh.
std::string problem_text(const error& e, language lang);

/// "en" → language::en, "zh" → language::zh; anything else is std::invalid_argument naming the
/// accepted values.
language parse_language(std::string_view lang);

}  // namespace embedrating
