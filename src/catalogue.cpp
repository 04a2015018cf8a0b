/// \file catalogue.cpp
/// Loading and validating the scenario / mode / status / veto-flag catalogue (catalogue.hpp).
#include "embedrating/catalogue.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "csv.hpp"
#include "embedrating/errors.hpp"

namespace embedrating {
namespace {

/// Where the entries of one list came from, for error messages: a file with a line per entry,
/// or (when built in code) the list's name used as an index prefix.
struct origin {
  std::string file;                                ///< empty when built in code
  std::string list;                                ///< "scenarios", "modes", …
  const std::vector<std::uint32_t>* lines = nullptr;  ///< line of each entry, when from a file
};

error_location locate(const origin& from, std::size_t index, const std::string& field) {
  error_location where;
  where.file = from.file;
  if (from.lines != nullptr && index < from.lines->size()) {
    where.line = (*from.lines)[index];
    where.field = field;
  } else {
    where.field = from.list + "[" + std::to_string(index) + "]." + field;
  }
  return where;
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

bool is_code(std::string_view s) {
  if (s.empty() || s.front() < 'a' || s.front() > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string categories_text() {
  std::string out;
  for (const char* c : scenario_categories) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

/// Checks the fields every entry has (code, name_zh, name_en) and code uniqueness.
template <class Entry>
void check_common(const std::vector<Entry>& entries, const origin& from) {
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (!is_code(e.code)) {
      throw data_error(locate(from, i, "code"),
                       "invalid code '" + e.code +
                           "' (use lower-case ASCII letters, digits and '_', starting with a letter)");
    }
    const auto [it, inserted] = seen.emplace(e.code, i);
    if (!inserted) {
      std::string first = from.lines != nullptr && it->second < from.lines->size()
                              ? "line " + std::to_string((*from.lines)[it->second])
                              : from.list + "[" + std::to_string(it->second) + "]";
      throw data_error(locate(from, i, "code"),
                       "duplicate code '" + e.code + "' (first defined at " + first + ")");
    }
    if (is_blank(e.name_zh)) throw data_error(locate(from, i, "name_zh"), "must not be empty");
    if (is_blank(e.name_en)) throw data_error(locate(from, i, "name_en"), "must not be empty");
  }
}

void check_category(const std::string& value, const origin& from, std::size_t index,
                    const char* field) {
  if (!is_scenario_category(value)) {
    throw data_error(locate(from, index, field),
                     "unknown category '" + value + "' (expected one of " + categories_text() +
                         ")");
  }
}

void validate(const std::vector<scenario>& v, const origin& from) {
  check_common(v, from);
  for (std::size_t i = 0; i < v.size(); ++i) check_category(v[i].category, from, i, "category");
}

void validate(const std::vector<operating_mode>& v, const origin& from) {
  check_common(v, from);
  for (std::size_t i = 0; i < v.size(); ++i) {
    check_category(v[i].typical_category, from, i, "typical_category");
  }
}

void validate(const std::vector<status_info>& v, const origin& from) { check_common(v, from); }

void validate(const std::vector<veto_flag>& v, const origin& from) { check_common(v, from); }

/// One catalogue CSV file with its columns resolved.
class sheet {
 public:
  sheet(const std::filesystem::path& directory, const char* file_name)
      : table_(detail::read_csv_file((directory / file_name).string())) {
    if (table_.rows.empty()) {
      error_location where;
      where.file = table_.source;
      throw data_error(where, "no entries (the file has only a header)");
    }
  }

  /// Index of a required column; data_error naming the file and the column when absent.
  std::size_t require(const char* name) const {
    const std::size_t i = detail::column_index(table_, name);
    if (i == std::string::npos) {
      error_location where;
      where.file = table_.source;
      where.line = table_.header_line;
      throw data_error(where, std::string("missing required column '") + name + "'");
    }
    return i;
  }
  std::size_t optional(const char* name) const { return detail::column_index(table_, name); }

  std::size_t size() const noexcept { return table_.rows.size(); }
  const std::string& at(std::size_t row, std::size_t column) const {
    return table_.rows[row][column];
  }
  std::string get(std::size_t row, std::size_t column) const {
    return column == std::string::npos ? std::string() : table_.rows[row][column];
  }
  /// A 0/1 column.
  bool flag(std::size_t row, std::size_t column, const char* name) const {
    const std::string& v = at(row, column);
    if (v == "1") return true;
    if (v == "0") return false;
    error_location where;
    where.file = table_.source;
    where.line = table_.row_lines[row];
    where.field = name;
    throw data_error(where, "expected 0 or 1, got '" + v + "'");
  }
  origin where(const char* list) const { return origin{table_.source, list, &table_.row_lines}; }

 private:
  detail::csv_table table_;
};

std::vector<std::string> split_aliases(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ";") {
    if (c == ';' || c == '|') {
      const std::string_view t = detail::trim(cur);
      if (!t.empty()) out.emplace_back(t);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

template <class Entry>
const Entry* lookup(const std::vector<Entry>& entries, std::string_view text) noexcept {
  text = detail::trim(text);
  if (text.empty()) return nullptr;
  for (const Entry& e : entries)
    if (e.code == text) return &e;
  for (const Entry& e : entries) {
    if (e.name_zh == text || e.name_en == text) return &e;
    for (const auto& a : e.aliases)
      if (a == text) return &e;
  }
  return nullptr;
}

template <class Entry>
const Entry* find_by_code(const std::vector<Entry>& entries, std::string_view code) noexcept {
  for (const Entry& e : entries) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

bool is_scenario_category(std::string_view category) noexcept {
  return std::any_of(std::begin(scenario_categories), std::end(scenario_categories),
                     [&](const char* c) { return category == c; });
}

catalogue::catalogue(std::vector<scenario> scenarios, std::vector<operating_mode> modes,
                     std::vector<status_info> statuses, std::vector<veto_flag> veto_flags)
    : scenarios_(std::move(scenarios)),
      modes_(std::move(modes)),
      statuses_(std::move(statuses)),
      veto_flags_(std::move(veto_flags)) {
  validate(scenarios_, origin{{}, "scenarios", nullptr});
  validate(modes_, origin{{}, "modes", nullptr});
  validate(statuses_, origin{{}, "statuses", nullptr});
  validate(veto_flags_, origin{{}, "veto_flags", nullptr});
}

catalogue catalogue::load(const std::string& directory) {
  const std::filesystem::path dir(directory);
  catalogue out;

  {
    const sheet s(dir, "scenarios.csv");
    const std::size_t code = s.require("code"), zh = s.require("name_zh"),
                      en = s.require("name_en"), category = s.require("category"),
                      core = s.require("core"), article = s.require("article"),
                      scene = s.optional("art3_scene"), aliases = s.optional("aliases");
    for (std::size_t r = 0; r < s.size(); ++r) {
      out.scenarios_.push_back(scenario{s.at(r, code), s.at(r, zh), s.at(r, en),
                                        s.at(r, category), s.flag(r, core, "core"),
                                        s.at(r, article), std::string(detail::trim(s.get(r, scene))),
                                        split_aliases(s.get(r, aliases))});
    }
    validate(out.scenarios_, s.where("scenarios"));
  }
  {
    const sheet s(dir, "modes.csv");
    const std::size_t code = s.require("code"), zh = s.require("name_zh"),
                      en = s.require("name_en"), category = s.require("typical_category"),
                      article = s.require("article"), aliases = s.optional("aliases");
    for (std::size_t r = 0; r < s.size(); ++r) {
      out.modes_.push_back(operating_mode{s.at(r, code), s.at(r, zh), s.at(r, en),
                                          s.at(r, category), s.at(r, article), split_aliases(s.get(r, aliases))});
    }
    validate(out.modes_, s.where("modes"));
  }
  {
    const sheet s(dir, "statuses.csv");
    const std::size_t code = s.require("code"), zh = s.require("name_zh"),
                      en = s.require("name_en"), graded = s.require("graded"),
                      article = s.optional("article"), aliases = s.optional("aliases");
    for (std::size_t r = 0; r < s.size(); ++r) {
      out.statuses_.push_back(status_info{s.at(r, code), s.at(r, zh), s.at(r, en),
                                          s.flag(r, graded, "graded"), s.get(r, article), split_aliases(s.get(r, aliases))});
    }
    validate(out.statuses_, s.where("statuses"));
  }
  {
    const sheet s(dir, "veto_flags.csv");
    const std::size_t code = s.require("code"), zh = s.require("name_zh"),
                      en = s.require("name_en"), article = s.require("article");
    for (std::size_t r = 0; r < s.size(); ++r) {
      out.veto_flags_.push_back(
          veto_flag{s.at(r, code), s.at(r, zh), s.at(r, en), s.at(r, article)});
    }
    validate(out.veto_flags_, s.where("veto_flags"));
  }
  return out;
}

const scenario* catalogue::find_scenario(std::string_view code) const noexcept {
  return find_by_code(scenarios_, code);
}
const operating_mode* catalogue::find_mode(std::string_view code) const noexcept {
  return find_by_code(modes_, code);
}
const status_info* catalogue::find_status(std::string_view code) const noexcept {
  return find_by_code(statuses_, code);
}
const veto_flag* catalogue::find_veto_flag(std::string_view code) const noexcept {
  return find_by_code(veto_flags_, code);
}

const scenario* catalogue::lookup_scenario(std::string_view text) const noexcept { return lookup(scenarios_, text); }
const operating_mode* catalogue::lookup_mode(std::string_view text) const noexcept { return lookup(modes_, text); }
const status_info* catalogue::lookup_status(std::string_view text) const noexcept { return lookup(statuses_, text); }

std::vector<std::string> catalogue::art3_scenarios() const {
  std::vector<std::string> out;
  for (const scenario& s : scenarios_)
    if (!s.art3_scene.empty()) out.push_back(s.code);
  return out;
}

namespace {
/// 1..99 in Chinese numerals as used in article numbers: 二, 十, 十六, 二十, 二十三.
std::string chinese_number(int n) {
  static const char* digit[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
  if (n < 1 || n > 99) return std::to_string(n);
  if (n < 10) return digit[n];
  std::string out = n / 10 == 1 ? "" : digit[n / 10];
  out += "十";
  if (n % 10) out += digit[n % 10];
  return out;
}
}  // namespace

std::string cite_articles_zh(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  auto number_at = [&](std::size_t& k) {
    int n = 0, digits = 0;
    while (k < text.size() && text[k] >= '0' && text[k] <= '9' && digits < 3) {
      n = n * 10 + (text[k] - '0');
      ++k;
      ++digits;
    }
    return digits ? n : -1;
  };
  while (i < text.size()) {
    if (text.compare(i, 5, "Art. ") == 0 || text.compare(i, 4, "Art.") == 0) {
      std::size_t k = i + (text.compare(i, 5, "Art. ") == 0 ? 5 : 4);
      const int art = number_at(k);
      if (art > 0) {
        out += "第" + chinese_number(art) + "条";
        // an item: "(5)" right after the number
        if (k < text.size() && text[k] == '(') {
          std::size_t j = k + 1;
          const int item = number_at(j);
          if (item > 0 && j < text.size() && text[j] == ')') {
            out += "第（" + chinese_number(item) + "）项";
            k = j + 1;
          }
        }
        i = k;
        continue;
      }
    }
    out += text[i];
    ++i;
  }
  // a list of articles takes the Chinese enumeration comma: 第十六条、第十七条
  for (const char* joint : {"条, 第", "项, 第"}) {
    const std::string j(joint), k = std::string(j.substr(0, j.size() - 5)) + "、第";
    for (std::size_t p = out.find(j); p != std::string::npos; p = out.find(j, p + k.size())) out.replace(p, j.size(), k);
  }
  return out;
}

std::vector<std::string> catalogue::core_scenarios() const {
  std::vector<std::string> out;
  for (const scenario& s : scenarios_) {
    if (s.core) out.push_back(s.code);
  }
  return out;
}

std::vector<std::string> catalogue::veto_flag_codes() const {
  std::vector<std::string> out;
  out.reserve(veto_flags_.size());
  for (const veto_flag& v : veto_flags_) out.push_back(v.code);
  return out;
}

}  // namespace embedrating
