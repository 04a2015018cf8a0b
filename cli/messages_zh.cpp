// Chinese problem messages for `validate --lang zh`.
#include "messages_zh.hpp"

#include <regex>
#include <utility>
#include <vector>

namespace embedrating::cli {

std::string message_zh(const std::string& message) {
  // (pattern, replacement): the readers' messages, most specific first
  static const std::vector<std::pair<std::regex, std::string>> table = [] {
    std::vector<std::pair<std::regex, std::string>> t;
    auto add = [&](const char* re, const char* zh) { t.emplace_back(std::regex(re), zh); };
    add(R"re(^missing required column(.*)$)re", "缺少必需的列$1");
    add(R"re(^unknown column "([^"]*)".*$)re", "未知的列“$1”（不是模型的指标、标志、日期、好差评列或属性）");
    add(R"re(^"([^"]*)" is not a date YYYY-MM-DD$)re", "“$1”不是日期（应为 YYYY-MM-DD）");
    add(R"re(^"([^"]*)" is not a finite number$)re", "“$1”不是有效数字");
    add(R"re(^"([^"]*)" is not a grade.*$)re", "“$1”不是等级（5A–1A、不予评级或留空）");
    add(R"re(^"([^"]*)" is not a level of (.*)$)re", "“$1”不是 $2 的可选值");
    add(R"re(^a flag is 0 or 1 \(true/false\), got "([^"]*)"$)re", "标志列只能填 0 或 1（是/否），实际为“$1”");
    add(R"re(^a review count cannot be empty \(write 0\)$)re", "评价数不能为空（没有请填 0）");
    add(R"re(^a review count must be a whole number >= 0$)re", "评价数必须是不小于 0 的整数");
    add(R"re(^unknown status "([^"]*)".*$)re", "未知的运营状态“$1”（正常运营、暂停中、已暂停、已终止）");
    add(R"re(^unknown operating mode "([^"]*)" \(allowed: (.*)\)$)re", "未知的运营模式“$1”（可选：$2，或其中文名称）");
    add(R"re(^unknown scenario "([^"]*)".*$)re", "未知的服务场景“$1”（不在场景目录 catalogue/scenarios.csv 中）");
    add(R"re(^scenario "([^"]*)" listed twice$)re", "服务场景“$1”重复填写");
    add(R"re(^value (\S+) is outside the allowed range \[([^,]*), ([^\]]*)\] \((.*)\)$)re", "数值 $1 超出允许范围 [$2, $3]（$4）");
    add(R"re(^the file has no operator rows$)re", "文件中没有运营商数据行");
    add(R"re(^duplicate operator id.*$)re", "运营商编号重复");
    add(R"re(^empty operator id$)re", "运营商编号为空");
    add(R"re(^operator listed twice$)re", "运营商重复出现");
    add(R"re(^must be a number column.*$)re", "应为数值列（模型将其定义为数值）");
    add(R"re(^volume must be >= 0$)re", "服务量权重不能为负");
    return t;
  }();
  for (const auto& [re, zh] : table)
    if (std::regex_match(message, re)) return std::regex_replace(message, re, zh);
  return message;
}

std::string problem_zh(const error& e) {
  const error_location& w = e.where();
  std::string out;
  if (!w.file.empty()) out += "文件 " + w.file;
  if (w.line != 0) out += (out.empty() ? "" : " ") + std::string("第 ") + std::to_string(w.line) + " 行";
  if (w.column != 0) out += "第 " + std::to_string(w.column) + " 列";
  if (!w.field.empty()) out += (out.empty() ? "" : "，") + std::string("字段 ") + w.field;
  if (!w.operator_id.empty()) out += (out.empty() ? "" : "，") + std::string("运营商 ") + w.operator_id;
  if (!out.empty()) out += "：";
  return out + message_zh(e.message());
}

}  // namespace embedrating::cli
