// Reading a cycle's ratings and a history table from CSV, and writing the history for the next
// cycle (`embedrating roll-forward`, Python `roll_forward`).
#include <map>
#include <string>

#include "csv.hpp"
#include "embedrating/catalogue.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/history.hpp"
#include "embedrating/model.hpp"

namespace embedrating {

namespace {

/// The column named by any of `names` (English key or Chinese header), or npos.
std::size_t column_of(const detail::csv_table& t, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    const std::size_t c = detail::column_index(t, n);
    if (c != std::string::npos) return c;
  }
  return std::string::npos;
}

[[noreturn]] void fail(const detail::csv_table& t, std::size_t row, std::size_t col, const std::string& field,
                       const std::string& id, const std::string& message) {
  error_location w;
  w.file = t.source;
  w.line = row == std::string::npos ? t.header_line : t.row_lines[row];
  w.column = col == std::string::npos ? 0 : static_cast<std::uint32_t>(col + 1);
  w.field = field;
  w.operator_id = id;
  throw data_error(w, message);
}

std::string cell(const detail::csv_table& t, std::size_t row, std::size_t col) {
  return col == std::string::npos ? std::string() : std::string(detail::trim(t.rows[row][col]));
}

civil_date date_cell(const detail::csv_table& t, std::size_t row, std::size_t col, const char* field, const std::string& id) {
  const std::string x = cell(t, row, col);
  if (x.empty()) return civil_date::missing();
  const auto d = parse_date(x);
  if (!d) fail(t, row, col, field, id, "\"" + x + "\" is not a date YYYY-MM-DD");
  return *d;
}

}  // namespace

cycle_results read_cycle_results_csv(const std::string& path, civil_date as_of, const std::string& encoding) {
  const detail::csv_table t = detail::read_csv_file(path, encoding);
  const std::size_t id = column_of(t, {"operator_id", "运营商编号"});
  const std::size_t status = column_of(t, {"status", "状态"});
  const std::size_t grade_col = column_of(t, {"grade", "评定等级", "等级"});
  const std::size_t date = column_of(t, {"as_of", "评定日期"});
  if (id == std::string::npos) fail(t, std::string::npos, id, "operator_id", "", "missing required column (operator_id or 运营商编号)");
  if (grade_col == std::string::npos)
    fail(t, std::string::npos, grade_col, "grade", "", "missing required column (grade or 评定等级): is this a ratings CSV of `embedrating rate --format csv`?");
  if (t.rows.empty()) fail(t, std::string::npos, std::string::npos, "", "", "the file has no rows");
  const catalogue cat = catalogue::load(data_directory() + "/catalogue");
  cycle_results out;
  out.as_of = as_of;
  std::map<std::string, std::size_t> seen;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string op = cell(t, r, id);
    if (op.empty()) fail(t, r, id, "operator_id", "", "empty operator id");
    if (!seen.emplace(op, r).second) fail(t, r, id, "operator_id", op, "operator listed twice");
    operator_status st = operator_status::active;
    if (status != std::string::npos) {
      const std::string s = cell(t, r, status);
      const status_info* info = s.empty() ? nullptr : cat.lookup_status(s);
      const auto parsed = info ? parse_status(info->code) : std::nullopt;
      if (!s.empty() && !parsed) fail(t, r, status, "status", op, "unknown status \"" + s + "\" (active, suspending, suspended, terminated or their Chinese names)");
      if (parsed) st = *parsed;
    }
    const std::string g = cell(t, r, grade_col);
    grade fg = grade::unrated;
    if (st == operator_status::active) {
      const auto pg = parse_grade(g);
      if (!pg) fail(t, r, grade_col, "grade", op, "\"" + g + "\" is not a grade (5A..1A, unrated/不予评级) for an active operator");
      fg = *pg;
    }
    if (date != std::string::npos) {
      const civil_date d = date_cell(t, r, date, "as_of", op);
      if (!d.is_missing() && d != as_of)
        fail(t, r, date, "as_of", op, "these ratings are as of " + to_string(d) + ", not " + to_string(as_of) + " (--as-of)");
    }
    out.operator_ids.push_back(op);
    out.status.push_back(st);
    out.final_grade.push_back(fg);
  }
  return out;
}

history_table read_history_csv(const std::string& path, const std::string& encoding) {
  const detail::csv_table t = detail::read_csv_file(path, encoding);
  const std::size_t id = column_of(t, {"operator_id", "运营商编号"});
  if (id == std::string::npos) fail(t, std::string::npos, id, "operator_id", "", "missing required column");
  const std::size_t pg = column_of(t, {"previous_grade", "上期等级"});
  const std::size_t rated = column_of(t, {"previous_rated_on", "上期评定日期"});
  const std::size_t down = column_of(t, {"last_downgrade_on", "最近降级日期"});
  history_table h;
  std::map<std::string, std::size_t> seen;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string op = cell(t, r, id);
    if (op.empty()) fail(t, r, id, "operator_id", "", "empty operator id");
    if (!seen.emplace(op, r).second) fail(t, r, id, "operator_id", op, "operator listed twice");
    std::optional<grade> g;
    const std::string gs = cell(t, r, pg);
    if (!gs.empty()) {
      g = parse_grade(gs);
      if (!g) fail(t, r, pg, "previous_grade", op, "\"" + gs + "\" is not a grade (5A..1A, unrated, or empty)");
    }
    h.operator_ids.push_back(op);
    h.previous_grade.push_back(g);
    h.previous_rated_on.push_back(date_cell(t, r, rated, "previous_rated_on", op));
    h.last_downgrade_on.push_back(date_cell(t, r, down, "last_downgrade_on", op));
  }
  return h;
}

std::string history_csv(const history_table& h) {
  std::string out = "operator_id,previous_grade,previous_rated_on,last_downgrade_on\n";
  for (std::size_t k = 0; k < h.operator_ids.size(); ++k) {
    const std::string& id = h.operator_ids[k];
    const bool quote = id.find_first_of(",\"\r\n") != std::string::npos;
    std::string q = id;
    if (quote) {
      q = "\"";
      for (char c : id) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      q += "\"";
    }
    out += q + "," + (h.previous_grade[k] ? std::string(to_string(*h.previous_grade[k])) : std::string()) + "," +
           (h.previous_rated_on[k].is_missing() ? std::string() : to_string(h.previous_rated_on[k])) + "," +
           (h.last_downgrade_on[k].is_missing() ? std::string() : to_string(h.last_downgrade_on[k])) + "\n";
  }
  return out;
}

}  // namespace embedrating
