// CSV → dataset for a model (the edge where files meet the core).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "csv.hpp"
#include "embedrating/catalogue.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/io.hpp"
#include "text_checks.hpp"

namespace embedrating {

namespace {

constexpr const char* text_attributes[] = {"mode", "district", "street", "community", "name", "name_zh", "address"};
constexpr const char* facility_text[] = {"name", "name_zh", "street", "community", "address"};
constexpr std::size_t header_row = static_cast<std::size_t>(-1);

void fields_of(const condition& c, std::vector<field_ref>& out) {
  if (c.kind == condition::node_kind::compare) out.push_back(c.field);
  for (const auto& ch : c.children) fields_of(ch, out);
}

std::string trim(const std::string& s) { return std::string(detail::trim(s)); }

std::string number_text(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

/// Reports cell problems of one table: throws, or records them in a sink and lets the caller go on.
class reporter {
 public:
  reporter(const detail::csv_table& t, problem_sink* sink) : t_(t), sink_(sink) {}

  void operator()(std::size_t row, std::size_t col, const std::string& op, const std::string& msg) const {
    error_location w;
    w.file = t_.source;
    w.line = row == header_row ? t_.header_line : t_.row_lines[row];
    w.column = col == header_row ? 0 : static_cast<std::uint32_t>(col + 1);
    w.field = col < t_.header.size() ? detail::abbreviate(t_.header[col]) : std::string();
    w.operator_id = op;
    if (sink_ == nullptr) throw data_error(w, msg);
    sink_->emplace_back(w, msg);
  }
  /// A problem that stops reading in any mode.
  [[noreturn]] void fatal(std::size_t row, const std::string& field, const std::string& msg) const {
    error_location w;
    w.file = t_.source;
    if (row != header_row || !t_.header.empty()) w.line = row == header_row ? t_.header_line : t_.row_lines[row];
    w.field = field;
    throw data_error(w, msg);
  }

 private:
  const detail::csv_table& t_;
  problem_sink* sink_;
};

/// A number cell: empty is missing (NaN); a bad one (not a strict decimal number, or outside
/// `range`) is reported and read as missing.
double number_cell(const reporter& fail, std::size_t i, std::size_t c, const std::string& op, const std::string& cell,
                   bool& missing, const detail::number_range& range = detail::any_number, const std::string& what = {}) {
  missing = cell.empty();
  if (missing) return std::nan("");
  std::string why;
  const auto v = detail::parse_decimal(cell, range, why);
  if (!v) {
    fail(i, c, op, what + detail::quote_cell(cell) + " is " + why);
    missing = true;
    return std::nan("");
  }
  return *v;
}

/// Dates in data files: 1900-01-01 .. 2199-12-31 (docs/errors.md), so month arithmetic and the
/// lapse dates derived from them stay in four-digit years.
constexpr civil_date first_input_date = make_date(1900, 1, 1);
constexpr civil_date last_input_date = make_date(2199, 12, 31);

/// At most this many unknown columns are reported one by one; the rest in one line.
constexpr std::size_t unknown_columns_listed = 20;

/// A measure's column (number within range, or a category level); bad cells are reported and read as missing.
void read_measure(const reporter& fail, const detail::csv_table& t, std::size_t c, const measure& me,
                  const std::vector<std::string>& row_owner, std::vector<double>* numbers,
                  std::vector<std::string>* categories) {
  const std::size_t n = t.rows.size();
  if (me.kind == measure_kind::number) {
    numbers->assign(n, std::nan(""));
    for (std::size_t i = 0; i < n; ++i) {
      bool missing = false;
      const double v = number_cell(fail, i, c, row_owner[i], trim(t.rows[i][c]), missing);
      if (missing) continue;
      if ((me.min && v < *me.min) || (me.max && v > *me.max)) {
        fail(i, c, row_owner[i],
             "value " + number_text(v) + " is outside the allowed range [" + (me.min ? number_text(*me.min) : "-inf") +
                 ", " + (me.max ? number_text(*me.max) : "inf") + "]" + (me.unit.empty() ? "" : " (" + me.unit + ")"));
        continue;
      }
      (*numbers)[i] = v;
    }
  } else {
    categories->assign(n, std::string());
    for (std::size_t i = 0; i < n; ++i) {
      std::string v = trim(t.rows[i][c]);
      if (!v.empty() && std::find(me.levels.begin(), me.levels.end(), v) == me.levels.end()) {
        std::string allowed;
        for (const auto& l : me.levels) allowed += (allowed.empty() ? "" : ", ") + l;
        fail(i, c, row_owner[i], detail::quote_cell(v) + " is not a level of " + me.id + " (allowed: " + allowed + ")");
        continue;
      }
      (*categories)[i] = std::move(v);
    }
  }
}

/// Ids of a required id column: empty and duplicated ids are reported; with a sink, a duplicate is
/// renamed "<id>@line<N>" so reading can go on.
std::vector<std::string> id_column(const reporter& fail, const detail::csv_table& t, std::size_t col,
                                   const char* what, bool operator_column) {
  const std::size_t n = t.rows.size();
  std::vector<std::string> ids(n);
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < n; ++i) {
    ids[i] = trim(t.rows[i][col]);
    if (ids[i].empty()) {
      fail(i, col, "", std::string("empty ") + what);
      ids[i] = "@line" + std::to_string(t.row_lines[i]);
      continue;
    }
    const auto [it, fresh] = seen.emplace(ids[i], i);
    if (!fresh) {
      fail(i, col, operator_column ? ids[i] : std::string(),
           std::string("duplicate ") + what + " " + detail::quote_cell(ids[i]) + " (first at line " + std::to_string(t.row_lines[it->second]) + ")");
      ids[i] += "@line" + std::to_string(t.row_lines[i]);
    }
  }
  return ids;
}

}  // namespace

operator_columns operator_input_columns(const model& m) {
  const model_spec& s = m.spec();
  operator_columns out;
  // Art. 16 veto flags from the catalogue (data, not code), and every flag the model reads
  const std::vector<std::string> veto = catalogue::load(data_directory() + "/catalogue").veto_flag_codes();
  out.flags.insert(veto.begin(), veto.end());
  out.attributes.insert(std::begin(text_attributes), std::end(text_attributes));
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
    if (r.lapse.active()) out.dates.insert(r.lapse.date_field);
  }
  for (const auto& f : used) {
    if (f.kind == field_kind::flag) out.flags.insert(f.name);
    if (f.kind == field_kind::months_since) out.dates.insert(f.name);
    if (f.kind == field_kind::attr) out.attributes.insert(f.name);
  }
  return out;
}

dataset read_operators_csv(const std::string& path, const model& m, const std::string& encoding, problem_sink* problems) {
  const detail::csv_table t = detail::read_csv_file(path, encoding);
  const model_spec& s = m.spec();
  const reporter fail(t, problems);
  const std::size_t id_col = detail::column_index(t, "operator_id");
  if (id_col == std::string::npos) fail.fatal(header_row, "operator_id", "missing required column");
  if (t.rows.empty()) fail.fatal(header_row, "", "the file has no operator rows");
  const std::size_t n = t.rows.size();
  const std::vector<std::string> ids = id_column(fail, t, id_col, "operator id", true);
  dataset d(ids, path);

  const catalogue cat = catalogue::load(data_directory() + "/catalogue");
  const operator_columns roles = operator_input_columns(m);
  const std::set<std::string>& flags = roles.flags;
  const std::set<std::string>& dates = roles.dates;
  const std::set<std::string>& attrs = roles.attributes;
  std::map<std::string, const measure*> measures;
  for (const auto& me : s.measures) measures.emplace(me.id, &me);
  std::set<std::string> reviews(std::begin(review_input_columns), std::end(review_input_columns));

  std::vector<std::optional<grade>> prev(n);
  std::vector<civil_date> prev_on(n, civil_date::missing()), down_on(n, civil_date::missing());
  bool has_history = false;

  auto date_cell = [&](std::size_t i, std::size_t c, const std::string& x) {
    if (x.empty()) return civil_date::missing();
    const auto v = parse_date(x);
    if (!v) {
      fail(i, c, ids[i], detail::quote_cell(x) + " is not a date YYYY-MM-DD");
      return civil_date::missing();
    }
    if (*v < first_input_date || *v > last_input_date) {
      fail(i, c, ids[i], detail::quote_cell(x) + " is outside the dates a data file may hold (1900-01-01 .. 2199-12-31)");
      return civil_date::missing();
    }
    return *v;
  };

  std::size_t unknown_columns = 0;
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    const std::string& name = t.header[c];
    if (c == id_col) continue;
    auto cell = [&](std::size_t i) { return trim(t.rows[i][c]); };
    if (name == "status") {
      std::vector<operator_status> st(n, operator_status::active);
      for (std::size_t i = 0; i < n; ++i) {
        const auto v = parse_status(cell(i));
        if (!v) fail(i, c, ids[i], "unknown status " + detail::quote_cell(cell(i)) + " (active, suspending, suspended, terminated)");
        else st[i] = *v;
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
              if (std::find(sc[i].begin(), sc[i].end(), cur) != sc[i].end())
                fail(i, c, ids[i], "scenario " + detail::quote_cell(cur) + " listed twice");
              else if (cat.find_scenario(cur) == nullptr)
                fail(i, c, ids[i], "unknown scenario " + detail::quote_cell(cur) + " (not in the scenario catalogue, catalogue/scenarios.csv)");
              else
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
        if (!g) fail(i, c, ids[i], detail::quote_cell(cell(i)) + " is not a grade (5A..1A, unrated, or empty)");
        else prev[i] = *g;
      }
    } else if (name == "previous_rated_on" || name == "last_downgrade_on") {
      has_history = true;
      auto& out = name == "previous_rated_on" ? prev_on : down_on;
      for (std::size_t i = 0; i < n; ++i) out[i] = date_cell(i, c, cell(i));
    } else if (measures.count(name)) {
      const measure& me = *measures.at(name);
      std::vector<double> numbers;
      std::vector<std::string> categories;
      read_measure(fail, t, c, me, ids, &numbers, &categories);
      if (me.kind == measure_kind::number) d.set_number(name, std::move(numbers), nan_policy::missing);
      else d.set_category(name, categories);
    } else if (reviews.count(name)) {
      std::vector<double> v(n, 0.0);
      for (std::size_t i = 0; i < n; ++i) {
        bool missing = false;
        const double x = number_cell(fail, i, c, ids[i], cell(i), missing, detail::review_count_range);
        if (missing && cell(i).empty()) fail(i, c, ids[i], "a review count cannot be empty (write 0)");
        else if (!missing) v[i] = x;
      }
      d.set_review_column(name, std::move(v));
    } else if (flags.count(name)) {
      std::vector<std::uint8_t> v(n, 0);
      for (std::size_t i = 0; i < n; ++i) {
        const std::string x = cell(i);
        if (x == "1" || x == "true" || x == "TRUE" || x == "是") v[i] = 1;
        else if (!(x == "0" || x == "false" || x == "FALSE" || x == "否" || x.empty()))
          fail(i, c, ids[i], "a flag is 0 or 1 (true/false), got " + detail::quote_cell(x));
      }
      d.set_flag(name, std::move(v));
    } else if (dates.count(name) || (name.size() > 3 && name.compare(name.size() - 3, 3, "_on") == 0)) {
      std::vector<civil_date> v(n, civil_date::missing());
      for (std::size_t i = 0; i < n; ++i) v[i] = date_cell(i, c, cell(i));
      d.set_date(name, std::move(v));
    } else if (attrs.count(name)) {
      std::vector<std::string> v(n);
      for (std::size_t i = 0; i < n; ++i) {
        v[i] = cell(i);
        if (name == "mode" && !v[i].empty() && cat.find_mode(v[i]) == nullptr) {
          std::string allowed;
          for (const auto& md : cat.modes()) allowed += (allowed.empty() ? "" : ", ") + md.code;
          fail(i, c, ids[i], "unknown operating mode " + detail::quote_cell(v[i]) + " (allowed: " + allowed + ")");
        }
      }
      d.set_attribute(name, std::move(v));
    } else if (++unknown_columns <= unknown_columns_listed) {
      fail(header_row, c, "",
           "unknown column " + detail::quote_cell(name) + " (not a measure, flag, date, review column or attribute of model " + s.info.id + ")");
    }
  }
  if (unknown_columns > unknown_columns_listed)
    fail(header_row, header_row, "",
         std::to_string(unknown_columns - unknown_columns_listed) + " more unknown columns (" +
             std::to_string(unknown_columns) + " in all; the first " + std::to_string(unknown_columns_listed) + " are listed)");
  if (has_history) d.set_history(prev, std::move(prev_on), std::move(down_on));
  return d;
}

facility_table read_facilities_csv(const std::string& path, const model& m, const dataset& operators,
                                   const std::string& encoding, problem_sink* problems) {
  const detail::csv_table t = detail::read_csv_file(path, encoding);
  const reporter fail(t, problems);
  const std::size_t fid_col = detail::column_index(t, "facility_id");
  const std::size_t op_col = detail::column_index(t, "operator_id");
  if (fid_col == std::string::npos) fail.fatal(header_row, "facility_id", "missing required column");
  if (op_col == std::string::npos) fail.fatal(header_row, "operator_id", "missing required column");
  if (t.rows.empty()) fail.fatal(header_row, "", "the file has no facility rows");
  const std::size_t n = t.rows.size();
  const std::vector<std::string> fids = id_column(fail, t, fid_col, "facility id", false);

  // owners: every facility belongs to an operator of the dataset; rows that don't are reported and left out
  std::vector<std::string> owners(n);
  std::vector<std::uint8_t> keep(n, 1);
  for (std::size_t i = 0; i < n; ++i) {
    owners[i] = trim(t.rows[i][op_col]);
    if (owners[i].empty()) {
      fail(i, op_col, "", "facility " + detail::quote_cell(fids[i]) + ": empty operator id");
      keep[i] = 0;
    } else if (operators.find(owners[i]) < 0) {
      fail(i, op_col, owners[i],
           "facility " + detail::quote_cell(fids[i]) + " belongs to an operator that is not in " +
               (operators.source_name().empty() ? std::string("the operator table") : operators.source_name()));
      keep[i] = 0;
    }
  }

  const model_spec& s = m.spec();
  std::map<std::string, const measure*> measures;
  for (const auto& me : s.measures) measures.emplace(me.id, &me);
  const std::set<std::string> text(std::begin(facility_text), std::end(facility_text));

  facility_table out;
  std::vector<double> volume;
  std::map<std::string, std::vector<double>> numbers;
  std::map<std::string, std::vector<std::string>> categories;
  std::size_t unknown_columns = 0;
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    const std::string& name = t.header[c];
    if (c == fid_col || c == op_col || text.count(name)) continue;
    if (name == "volume") {
      volume.assign(n, 1.0);
      for (std::size_t i = 0; i < n; ++i) {
        bool missing = false;
        const std::string x = trim(t.rows[i][c]);
        const double v = number_cell(fail, i, c, owners[i], x, missing, detail::volume_range,
                                     "facility " + detail::quote_cell(fids[i]) + ": volume ");
        if (missing && x.empty()) fail(i, c, owners[i], "facility " + detail::quote_cell(fids[i]) + ": volume cannot be empty (write 1 for equal weights)");
        else if (!missing) volume[i] = v;
      }
    } else if (measures.count(name)) {
      const measure& me = *measures.at(name);
      if (operators.number(name) != nullptr || operators.category(name) != nullptr) {
        fail(header_row, c, "",
             "measure \"" + name + "\" is given both per operator (in " + operators.source_name() +
                 ") and per facility; give it in one table");
        continue;
      }
      read_measure(fail, t, c, me, owners, &numbers[name], &categories[name]);
      if (me.kind == measure_kind::number) categories.erase(name);
      else numbers.erase(name);
    } else if (++unknown_columns <= unknown_columns_listed) {
      fail(header_row, c, "",
           "unknown column " + detail::quote_cell(name) + " (a facility table has facility_id, operator_id, volume, descriptive text "
           "name/name_zh/street/community/address, and measures of model " + s.info.id + ")");
    }
  }
  if (unknown_columns > unknown_columns_listed)
    fail(header_row, header_row, "",
         std::to_string(unknown_columns - unknown_columns_listed) + " more unknown columns (" +
             std::to_string(unknown_columns) + " in all; the first " + std::to_string(unknown_columns_listed) + " are listed)");
  for (std::size_t i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    out.facility_ids.push_back(fids[i]);
    out.operator_ids.push_back(owners[i]);
    if (!volume.empty()) out.volume.push_back(volume[i]);
  }
  auto kept = [&](const auto& col) {
    std::decay_t<decltype(col)> v;
    for (std::size_t i = 0; i < n; ++i)
      if (keep[i]) v.push_back(col[i]);
    return v;
  };
  for (auto& [name, col] : numbers) out.numbers.emplace(name, kept(col));
  for (auto& [name, col] : categories) out.categories.emplace(name, kept(col));
  return out;
}

}  // namespace embedrating
