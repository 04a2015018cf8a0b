// CSV → dataset for a model (the edge where files meet the core).
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "csv.hpp"
#include "embedrating/catalogue.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/io.hpp"

namespace embedrating {

namespace {

constexpr const char* text_attributes[] = {"mode", "district", "street", "community", "name", "name_zh"};

void fields_of(const condition& c, std::vector<field_ref>& out) {
  if (c.kind == condition::node_kind::compare) out.push_back(c.field);
  for (const auto& ch : c.children) fields_of(ch, out);
}

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
  return s.substr(a, b - a);
}

}  // namespace

dataset read_operators_csv(const std::string& path, const model& m, const std::string& encoding) {
  const detail::csv_table t = detail::read_csv_file(path, encoding);
  const model_spec& s = m.spec();
  auto fail = [&](std::size_t row, std::size_t col, const std::string& op, const std::string& msg) {
    error_location w;
    w.file = path;
    w.line = row == static_cast<std::size_t>(-1) ? t.header_line : t.row_lines[row];
    w.column = static_cast<std::uint32_t>(col + 1);
    w.field = col < t.header.size() ? t.header[col] : std::string();
    w.operator_id = op;
    throw data_error(w, msg);
  };
  const std::size_t id_col = detail::column_index(t, "operator_id");
  if (id_col == std::string::npos) {
    error_location w;
    w.file = path;
    w.line = t.header_line;
    w.field = "operator_id";
    throw data_error(w, "missing required column");
  }
  if (t.rows.empty()) {
    error_location w;
    w.file = path;
    throw data_error(w, "the file has no operator rows");
  }
  const std::size_t n = t.rows.size();
  std::vector<std::string> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = trim(t.rows[i][id_col]);
  for (std::size_t i = 0; i < n; ++i)
    if (ids[i].empty()) fail(i, id_col, "", "empty operator id");
  {
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < n; ++i) {
      const auto [it, fresh] = seen.emplace(ids[i], i);
      if (!fresh)
        fail(i, id_col, ids[i], "duplicate operator id (first at line " + std::to_string(t.row_lines[it->second]) + ")");
    }
  }
  dataset d(ids, path);

  // what the model reads
  // Art. 16 veto flags from the catalogue (data, not code), and every flag the model reads
  const std::vector<std::string> veto = catalogue::load(data_directory() + "/catalogue").veto_flag_codes();
  std::set<std::string> flags(veto.begin(), veto.end());
  std::set<std::string> dates, attrs(std::begin(text_attributes), std::end(text_attributes));
  std::vector<field_ref> used;
  for (const auto& nd : s.nodes) {
    if (nd.input) used.push_back(*nd.input);
    if (nd.missing.kind == missing_policy::kind_t::fallback) used.push_back(nd.missing.fallback_input);
    if (nd.not_applicable_if) fields_of(*nd.not_applicable_if, used);
  }
  for (const auto& g : s.grades)
    for (const auto& p : g.prerequisites) fields_of(p.when, used);
  for (const auto& r : s.rules) {
    fields_of(r.when, used);
    if (r.lapse.active()) dates.insert(r.lapse.date_field);
  }
  for (const auto& f : used) {
    if (f.kind == field_kind::flag) flags.insert(f.name);
    if (f.kind == field_kind::months_since) dates.insert(f.name);
    if (f.kind == field_kind::attr) attrs.insert(f.name);
  }
  std::map<std::string, const measure*> measures;
  for (const auto& me : s.measures) measures.emplace(me.id, &me);
  std::set<std::string> reviews(std::begin(review_input_columns), std::end(review_input_columns));

  std::vector<std::optional<grade>> prev(n);
  std::vector<civil_date> prev_on(n, civil_date::missing()), down_on(n, civil_date::missing());
  bool has_history = false;

  auto parse_number = [&](std::size_t i, std::size_t c, const std::string& cell, bool& missing) {
    missing = cell.empty();
    if (missing) return std::nan("");
    const char* b = cell.c_str();
    char* e = nullptr;
    errno = 0;
    const double v = std::strtod(b, &e);
    if (e == b || *e != '\0' || errno == ERANGE || !std::isfinite(v))
      fail(i, c, ids[i], "\"" + cell + "\" is not a finite number");
    return v;
  };

  for (std::size_t c = 0; c < t.header.size(); ++c) {
    const std::string& name = t.header[c];
    if (c == id_col) continue;
    auto cell = [&](std::size_t i) { return trim(t.rows[i][c]); };
    if (name == "status") {
      std::vector<operator_status> st(n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto v = parse_status(cell(i));
        if (!v) fail(i, c, ids[i], "unknown status \"" + cell(i) + "\" (active, suspending, suspended, terminated)");
        st[i] = *v;
      }
      d.set_status(std::move(st));
    } else if (name == "scenarios") {
      std::vector<std::vector<std::string>> sc(n);
      for (std::size_t i = 0; i < n; ++i) {
        std::string cur;
        for (char ch : cell(i) + ";") {
          if (ch == ';' || ch == '|') {
            cur = trim(cur);
            if (!cur.empty()) {
              for (const auto& x : sc[i])
                if (x == cur) fail(i, c, ids[i], "scenario \"" + cur + "\" listed twice");
              sc[i].push_back(cur);
            }
            cur.clear();
          } else {
            cur += ch;
          }
        }
      }
      d.set_scenarios(sc);
    } else if (name == "previous_grade") {
      has_history = true;
      for (std::size_t i = 0; i < n; ++i) {
        if (cell(i).empty()) continue;
        const auto g = parse_grade(cell(i));
        if (!g) fail(i, c, ids[i], "\"" + cell(i) + "\" is not a grade (5A..1A, unrated, or empty)");
        prev[i] = *g;
      }
    } else if (name == "previous_rated_on" || name == "last_downgrade_on") {
      has_history = true;
      auto& out = name == "previous_rated_on" ? prev_on : down_on;
      for (std::size_t i = 0; i < n; ++i) {
        if (cell(i).empty()) continue;
        const auto v = parse_date(cell(i));
        if (!v) fail(i, c, ids[i], "\"" + cell(i) + "\" is not a date YYYY-MM-DD");
        out[i] = *v;
      }
    } else if (measures.count(name)) {
      const measure& me = *measures.at(name);
      if (me.kind == measure_kind::number) {
        std::vector<double> v(n);
        for (std::size_t i = 0; i < n; ++i) {
          bool missing = false;
          v[i] = parse_number(i, c, cell(i), missing);
        }
        d.set_number(name, std::move(v), nan_policy::missing);
      } else {
        std::vector<std::string> v(n);
        for (std::size_t i = 0; i < n; ++i) {
          v[i] = cell(i);
          if (!v[i].empty() && std::find(me.levels.begin(), me.levels.end(), v[i]) == me.levels.end()) {
            std::string allowed;
            for (const auto& l : me.levels) allowed += (allowed.empty() ? "" : ", ") + l;
            fail(i, c, ids[i], "\"" + v[i] + "\" is not a level of " + name + " (allowed: " + allowed + ")");
          }
        }
        d.set_category(name, v);
      }
    } else if (reviews.count(name)) {
      std::vector<double> v(n);
      for (std::size_t i = 0; i < n; ++i) {
        bool missing = false;
        v[i] = parse_number(i, c, cell(i), missing);
        if (missing) fail(i, c, ids[i], "a review count cannot be empty (write 0)");
        if (v[i] < 0 || v[i] != std::floor(v[i])) fail(i, c, ids[i], "a review count must be a whole number >= 0");
      }
      d.set_review_column(name, std::move(v));
    } else if (flags.count(name)) {
      std::vector<std::uint8_t> v(n);
      for (std::size_t i = 0; i < n; ++i) {
        const std::string x = cell(i);
        if (x == "1" || x == "true" || x == "TRUE" || x == "是") v[i] = 1;
        else if (x == "0" || x == "false" || x == "FALSE" || x == "否" || x.empty()) v[i] = 0;
        else fail(i, c, ids[i], "a flag is 0 or 1 (true/false), got \"" + x + "\"");
      }
      d.set_flag(name, std::move(v));
    } else if (dates.count(name) || (name.size() > 3 && name.compare(name.size() - 3, 3, "_on") == 0)) {
      std::vector<civil_date> v(n, civil_date::missing());
      for (std::size_t i = 0; i < n; ++i) {
        if (cell(i).empty()) continue;
        const auto x = parse_date(cell(i));
        if (!x) fail(i, c, ids[i], "\"" + cell(i) + "\" is not a date YYYY-MM-DD");
        v[i] = *x;
      }
      d.set_date(name, std::move(v));
    } else if (attrs.count(name)) {
      std::vector<std::string> v(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = cell(i);
      d.set_attribute(name, std::move(v));
    } else {
      fail(static_cast<std::size_t>(-1), c, "", "unknown column \"" + name + "\" (not a measure, flag, date, review column or attribute of model " + s.info.id + ")");
    }
  }
  if (has_history) d.set_history(prev, std::move(prev_on), std::move(down_on));
  return d;
}

}  // namespace embedrating
