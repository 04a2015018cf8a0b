// Problem messages in Chinese: a table of message templates matched by plain string matching
// (include/embedrating/messages.hpp).
#include "embedrating/messages.hpp"

#include <array>
#include <optional>
#include <stdexcept>

namespace embedrating {

namespace {

// The readers' messages (src/ingest/*.cpp, src/csv.cpp), most specific first: a template whose
// English form is a longer prefix of another's comes before it.
const std::vector<message_template> templates = {
    // columns and tables
    {"missing required column", "缺少必需的列"},
    {"unknown column \"{1}\" (not a measure, flag, date, review column or attribute of model {2})",
     "未知的列“{1}”（不是模型 {2} 的指标、标志、日期、好差评列或属性）"},
    {"unknown columns {1} and {2} more unknown columns ({3} in all; the first {4} are listed) (not a measure, flag, "
     "date, review column or attribute of model {5})",
     "未知的列 {1}，另有 {2} 个未知的列（共 {3} 个，仅列出前 {4} 个）（不是模型 {5} 的指标、标志、日期、好差评列或属性）"},
    {"unknown columns {1} (not a measure, flag, date, review column or attribute of model {2})",
     "未知的列 {1}（不是模型 {2} 的指标、标志、日期、好差评列或属性）"},
    {"unknown column \"{1}\" (a facility table has facility_id, operator_id, volume, descriptive text "
     "name/name_zh/street/community/address, and measures of model {2})",
     "未知的列“{1}”（设施表的列为 facility_id、operator_id、volume、描述文字 name/name_zh/street/community/address 以及模型 {2} "
     "的指标）"},
    {"{1} more unknown columns ({2} in all; the first {3} are listed)", "另有 {1} 个未知的列（共 {2} 个，仅列出前 {3} 个）"},
    {"measure \"{1}\" is given both per operator (in {2}) and per facility; give it in one table",
     "指标“{1}”同时按运营商（{2}）和按设施填写；请只在一张表中填写"},
    {"the file has no operator rows", "文件中没有运营商数据行"},
    {"empty CSV: no header row", "CSV 文件为空：没有表头行"},
    {"empty column name in the header (column {1})", "表头中有空的列名（第 {1} 列）"},
    {"duplicate column name \"{1}\" in the header (columns {2} and {3})", "表头中列名“{1}”重复（第 {2} 列和第 {3} 列）"},
    // ids
    {"empty operator id", "运营商编号为空"},
    {"duplicate operator id \"{1}\" (first at line {2})", "运营商编号“{1}”重复（首次出现在第 {2} 行）"},
    {"duplicate operator id \"{1}\" (first at row {2})", "运营商编号“{1}”重复（首次出现在行 {2}）"},
    {"operator is not in {1}", "运营商不在 {1} 中"},
    {"empty facility id", "设施编号为空"},
    {"duplicate facility id \"{1}\" (first at line {2})", "设施编号“{1}”重复（首次出现在第 {2} 行）"},
    {"duplicate facility id \"{1}\" (first at row {2})", "设施编号“{1}”重复（首次出现在行 {2}）"},
    {"facility \"{1}\": empty operator id", "设施“{1}”：运营商编号为空"},
    {"facility \"{1}\" belongs to an operator that is not in the operator table", "设施“{1}”所属的运营商不在运营商表中"},
    {"facility \"{1}\" belongs to an operator that is not in {2}", "设施“{1}”所属的运营商不在 {2} 中"},
    {"volume cannot be empty (write 1 for equal weights)", "服务量权重不能为空（权重相同请填 1）"},
    {"volume \"{1}\" is outside the allowed range [{2}, {3}]", "服务量权重“{1}”超出允许范围 [{2}, {3}]"},
    // a facility's cell: the cell's own message after the facility
    {"facility \"{1}\": {m}", "设施“{1}”：{m}"},
    // cells
    {"value {1} is outside the allowed range [{2}, {3}] ({4})", "数值 {1} 超出允许范围 [{2}, {3}]（单位：{4}）"},
    {"value {1} is outside the allowed range [{2}, {3}]", "数值 {1} 超出允许范围 [{2}, {3}]"},
    {"\"{1}\" is outside the allowed range [{2}, {3}]", "“{1}”超出允许范围 [{2}, {3}]"},
    {"\"{1}\" is not a level of {2} (allowed: {3})", "“{1}”不是 {2} 的可选值（可选：{3}）"},
    {"\"{1}\" is not a decimal number", "“{1}”不是十进制数字"},
    {"\"{1}\" is not a whole number", "“{1}”不是整数"},
    {"a review count cannot be empty (write 0)", "评价数不能为空（没有请填 0）"},
    {"a flag is 0 or 1 (true/false), got \"{1}\"", "标志列只能填 0 或 1（是/否），实际为“{1}”"},
    {"\"{1}\" is not a date YYYY-MM-DD", "“{1}”不是日期（应为 YYYY-MM-DD）"},
    {"\"{1}\" is outside the dates a data file may hold (1900-01-01 .. 2199-12-31)",
     "“{1}”超出数据文件允许的日期范围（1900-01-01 至 2199-12-31）"},
    {"unknown status \"{1}\" (active, suspending, suspended, terminated)",
     "未知的运营状态“{1}”（可选：active 正常运营、suspending 暂停中、suspended 已暂停、terminated 已终止）"},
    {"\"{1}\" is not a grade (5A..1A, unrated, or empty)", "“{1}”不是等级（5A–1A、unrated 不予评级或留空）"},
    {"unknown operating mode \"{1}\" (allowed: {2})", "未知的运营模式“{1}”（可选：{2}，或其中文名称）"},
    {"unknown scenario \"{1}\" (not in the scenario catalogue, catalogue/scenarios.csv)",
     "未知的服务场景“{1}”（不在场景目录 catalogue/scenarios.csv 中）"},
    {"scenario \"{1}\" listed twice", "服务场景“{1}”重复填写"},
    {"scenarios are 'code;code' text, got \"{1}\"", "服务场景应写为“代码;代码”形式的文字，实际为“{1}”"},
    // the CSV file itself
    {"expected {1} fields, got {2}", "应有 {1} 个字段，实际为 {2} 个"},
    {"unterminated quoted field: the quote opened here is never closed", "引号未闭合：此处开始的引号没有结束"},
    {"unexpected character after the closing quote of a field (a quote inside a quoted field must be doubled)",
     "字段的结束引号后有多余字符（带引号的字段内的引号须写成两个）"},
    {"undecodable byte {1} (neither valid UTF-8 nor valid GB18030)", "无法解码的字节 {1}（既不是有效的 UTF-8，也不是有效的 GB18030）"},
    {"undecodable byte {1} (not valid UTF-8, although the file starts with a UTF-8 BOM)",
     "无法解码的字节 {1}（文件以 UTF-8 BOM 开头，但内容不是有效的 UTF-8）"},
    {"undecodable byte {1} (not valid UTF-8)", "无法解码的字节 {1}（不是有效的 UTF-8）"},
    {"undecodable byte {1} (not valid GB18030)", "无法解码的字节 {1}（不是有效的 GB18030）"},
    {"is a directory, not a file", "是目录，不是文件"},
    {"cannot open file ({1})", "无法打开文件（{1}）"},
    {"read error ({1})", "读取错误（{1}）"},
};

// A template cut into literal pieces and placeholders.
struct piece {
  std::string_view text;  // literal, when slot < 0
  int slot = -1;          // 0 = {m}, 1..9 = {1}..{9}
};

std::vector<piece> pieces_of(std::string_view t) {
  std::vector<piece> out;
  std::size_t from = 0;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (t[k] != '{' || k + 2 >= t.size() || t[k + 2] != '}') continue;
    const char c = t[k + 1];
    int slot = -1;
    if (c == 'm') slot = 0;
    if (c >= '1' && c <= '9') slot = c - '0';
    if (slot < 0) continue;
    if (k > from) out.push_back({t.substr(from, k - from), -1});
    out.push_back({{}, slot});
    from = k + 3;
    k += 2;
  }
  if (from < t.size()) out.push_back({t.substr(from), -1});
  return out;
}

using captures = std::array<std::optional<std::string_view>, 10>;

// Backtracking match of pieces[i..] against s[pos..]; placeholders take the shortest text that
// lets the rest match (at least one character, except {m}'s nested message).
bool match(const std::vector<piece>& p, std::size_t i, std::string_view s, std::size_t pos, captures& caps) {
  if (i == p.size()) return pos == s.size();
  if (p[i].slot < 0) {
    if (s.substr(pos, p[i].text.size()) != p[i].text) return false;
    return match(p, i + 1, s, pos + p[i].text.size(), caps);
  }
  const int slot = p[i].slot;
  if (i + 1 == p.size()) {  // the rest of the message
    caps[static_cast<std::size_t>(slot)] = s.substr(pos);
    return true;
  }
  // the next piece is a literal (templates never put two placeholders side by side)
  const std::string_view next = p[i + 1].text;
  for (std::size_t at = s.find(next, pos); at != std::string_view::npos; at = s.find(next, at + 1)) {
    caps[static_cast<std::size_t>(slot)] = s.substr(pos, at - pos);
    if (match(p, i + 1, s, at, caps)) return true;
  }
  caps[static_cast<std::size_t>(slot)].reset();
  return false;
}

struct compiled_template {
  const message_template* t;
  std::vector<piece> en, zh;
};

const std::vector<compiled_template>& compiled() {
  static const std::vector<compiled_template> c = [] {
    std::vector<compiled_template> out;
    out.reserve(templates.size());
    for (const auto& t : templates) out.push_back({&t, pieces_of(t.en), pieces_of(t.zh)});
    return out;
  }();
  return c;
}

std::string zh_of(std::string_view message, int depth) {
  for (const auto& c : compiled()) {
    captures caps;
    if (!match(c.en, 0, message, 0, caps)) continue;
    std::string out;
    for (const auto& p : c.zh) {
      if (p.slot < 0) {
        out += p.text;
      } else if (p.slot == 0) {
        const std::string_view nested = caps[0].value_or(std::string_view());
        out += depth < 4 ? zh_of(nested, depth + 1) : std::string(nested);
      } else {
        out += caps[static_cast<std::size_t>(p.slot)].value_or(std::string_view());
      }
    }
    return out;
  }
  return std::string(message);
}

}  // namespace

const std::vector<message_template>& message_templates() { return templates; }

const message_template* match_message_template(std::string_view message) {
  for (const auto& c : compiled()) {
    captures caps;
    if (match(c.en, 0, message, 0, caps)) return c.t;
  }
  return nullptr;
}

std::string translate_message(std::string_view message, language lang) {
  return lang == language::zh ? zh_of(message, 0) : std::string(message);
}

std::string location_text(const error_location& w, language lang) {
  if (lang == language::en) return w.prefix();
  std::string out;
  auto sep = [&out]() -> const char* { return out.empty() ? "" : "，"; };
  if (!w.file.empty()) out += "文件 " + w.file;
  if (w.line != 0) out += (out.empty() ? "" : " ") + std::string("第 ") + std::to_string(w.line) + " 行";
  if (w.column != 0) out += "第 " + std::to_string(w.column) + " 列";
  if (!w.row.empty()) out += sep() + std::string("行 ") + w.row;
  if (!w.field.empty()) out += sep() + std::string("字段 ") + w.field;
  if (!w.operator_id.empty()) out += sep() + std::string("运营商 ") + w.operator_id;
  if (!out.empty()) out += "：";
  return out;
}

std::string problem_text(const error& e, language lang) {
  if (lang == language::en) return e.what();
  return location_text(e.where(), lang) + translate_message(e.message(), lang);
}

language parse_language(std::string_view lang) {
  if (lang == "en") return language::en;
  if (lang == "zh") return language::zh;
  throw std::invalid_argument("lang must be \"en\" or \"zh\", got \"" + std::string(lang) + "\"");
}

}  // namespace embedrating
