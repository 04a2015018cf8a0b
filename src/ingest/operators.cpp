// Operator tables → dataset (io.hpp): columns classified once for the model, every cell parsed
// and checked by src/ingest/cells.cpp, whatever the source.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "../csv.hpp"
#include "../text_checks.hpp"
#include "cells.hpp"
#include "filler.hpp"
#include "embedrating/catalogue.hpp"
#include "embedrating/detail/compiled_model.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/io.hpp"
#include "ingest.hpp"

namespace embedrating {

namespace detail {

namespace {

constexpr const char* text_attributes[] = {"mode", "district", "street", "community", "name", "name_zh", "address"};

void fields_of(const condition& c, std::vector<field_ref>& out) {
  if (c.kind == condition::node_kind::compare) out.push_back(c.field);
  for (const auto& ch : c.children) fields_of(ch, out);
}

}  // namespace

const catalogue& shipped_catalogue() {
  static const catalogue cat = catalogue::load(data_directory() + "/catalogue");
  return cat;
}

std::string row_name(const table_source& src, std::size_t row) {
  const error_location w = src.where(row, table_source::npos);
  if (w.line != 0) return "line " + std::to_string(w.line);
  if (!w.row.empty()) return "row " + w.row;
  return "row " + std::to_string(row + 1);
}

std::string renamed_id(const table_source& src, std::size_t row, const std::string& id) {
  const error_location w = src.where(row, table_source::npos);
  if (w.line != 0) return id + "@line" + std::to_string(w.line);
  return id + "@row" + (w.row.empty() ? std::to_string(row + 1) : w.row);
}

void id_index::build(const std::vector<std::string>& ids, std::vector<std::pair<std::size_t, std::size_t>>* dups) {
  fill_id_slots(
      slots_, ids, [](std::size_t) {},
      [&](std::size_t i, std::size_t j) {
        if (dups) dups->emplace_back(i, j);
      });
  mask_ = slots_.size() - 1;
}

void id_index::find_many(const std::vector<std::string>& ids, const std::string_view* keys, std::size_t n,
                         std::int64_t* rows, std::vector<std::size_t>& hashes) const {
  hashes.resize(n);
  for (std::size_t i = 0; i < n; ++i) hashes[i] = hash(keys[i]);
  // three stages ahead of the look-up of row i: the slot of row i + 3d, the id string (the first
  // slot whose tag matches) of row i + 2d, its bytes (a long id lives on the heap) of row i + d
  constexpr std::size_t d = 8;
  auto first_match = [&](std::size_t r) -> const std::string* {
    const std::size_t h = hashes[r];
    const std::uint64_t tag = static_cast<std::uint64_t>(h >> 32) << 32;
    for (std::size_t k = h & mask_;; k = (k + 1) & mask_) {
      const std::uint64_t s = slots_[k];
      if (s == 0) return nullptr;
      if ((s & ~std::uint64_t{0xFFFFFFFF}) == tag) return &ids[static_cast<std::size_t>(s & 0xFFFFFFFF) - 1];
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (i + 3 * d < n) __builtin_prefetch(&slots_[hashes[i + 3 * d] & mask_], 0, 1);
    if (i + 2 * d < n)
      if (const std::string* s = first_match(i + 2 * d)) __builtin_prefetch(s, 0, 1);
    if (i + d < n)
      if (const std::string* s = first_match(i + d)) __builtin_prefetch(s->data(), 0, 1);
    rows[i] = find(ids, keys[i], hashes[i]);
  }
}

void check_unique_ids(const table_source& src, std::size_t column, std::vector<std::string>& ids, problem_sink* sink,
                      const char* what, bool name_operator, std::vector<std::uint64_t>* index) {
  // duplicates are reported in row order
  std::vector<std::pair<std::size_t, std::size_t>> dups;  // (row, first row)
  id_index table;
  table.build(ids, &dups);
  if (index != nullptr) {
    if (dups.empty()) *index = table.release();  // the layout dataset::indexed_ids takes
    else index->clear();  // renamed ids: the dataset builds its index itself
  }
  const cell_reporter fail(src, sink);
  for (const auto& [i, first] : dups) {
    fail(i, column, name_operator ? std::string_view(ids[i]) : std::string_view(),
         std::string("duplicate ") + what + " " + quote_cell(ids[i]) + " (first at " + row_name(src, first) + ")");
    ids[i] = renamed_id(src, i, ids[i]);
  }
}

column_role classify_operator_column(const std::string& name, const model& m, const operator_columns& roles,
                                     const measure** me) {
  *me = nullptr;
  if (name == "operator_id") return column_role::id;
  if (name == "status") return column_role::status;
  if (name == "scenarios") return column_role::scenarios;
  if (name == "previous_grade") return column_role::previous_grade;
  if (name == "previous_rated_on") return column_role::previous_rated_on;
  if (name == "last_downgrade_on") return column_role::last_downgrade_on;
  for (const auto& x : m.spec().measures)
    if (x.id == name) {
      *me = &x;
      return x.kind == measure_kind::number ? column_role::number : column_role::category;
    }
  for (std::size_t k = 0; k < std::size(review_input_columns); ++k)
    if (name == review_input_columns[k]) return k < 5 ? column_role::stars : column_role::bad_count;
  if (roles.flags.count(name)) return column_role::flag;
  if (roles.dates.count(name) || (name.size() > 3 && name.compare(name.size() - 3, 3, "_on") == 0)) return column_role::date;
  if (name == "mode") return column_role::mode;
  if (roles.attributes.count(name)) return column_role::attribute;
  return column_role::unknown;
}

/// Reads every chunk of a source, starting again when a CSV source's encoding changes its mind.
void for_each_chunk(table_source& src, const std::function<void()>& reset, const std::function<void(const table_chunk&)>& use) {
  table_chunk chunk;
  for (;;) {
    try {
      while (src.next(chunk)) use(chunk);
      return;
    } catch (const encoding_changed&) {
      src.restart();
      reset();
    }
  }
}

}  // namespace detail

operator_columns operator_input_columns(const model& m, const catalogue& cat) {
  const model_spec& s = m.spec();
  operator_columns out;
  // Art. 16 veto flags from the catalogue (data, not code), and every flag the model reads
  const std::vector<std::string> veto = cat.veto_flag_codes();
  out.flags.insert(veto.begin(), veto.end());
  out.attributes.insert(std::begin(detail::text_attributes), std::end(detail::text_attributes));
  std::vector<field_ref> used;
  for (const auto& nd : s.nodes) {
    if (nd.input) used.push_back(*nd.input);
    if (nd.missing.kind == missing_policy::kind_t::fallback) used.push_back(nd.missing.fallback_input);
    if (nd.not_applicable_if) detail::fields_of(*nd.not_applicable_if, used);
  }
  for (const auto& g : s.grades)
    for (const auto& p : g.prerequisites) detail::fields_of(p.when, used);
  for (const auto& r : s.rules) {
    detail::fields_of(r.when, used);
    if (r.lapse.active()) out.dates.insert(r.lapse.date_field);
  }
  for (const auto& f : used) {
    if (f.kind == field_kind::flag) out.flags.insert(f.name);
    if (f.kind == field_kind::months_since) out.dates.insert(f.name);
    if (f.kind == field_kind::attr) out.attributes.insert(f.name);
  }
  return out;
}

operator_columns operator_input_columns(const model& m) { return operator_input_columns(m, detail::shipped_catalogue()); }

namespace {

using detail::cell_scope;
using detail::column_role;

/// One column's values for every operator row.
struct column_store {
  std::string name;
  column_role role = column_role::unknown;
  const measure* me = nullptr;
  std::vector<double> numbers;
  std::vector<std::int32_t> codes;
  std::vector<std::uint8_t> flags;
  std::vector<civil_date> dates;
  std::vector<operator_status> status;
  std::vector<std::int8_t> grades;
  std::vector<std::uint32_t> sets;
  std::vector<std::string> texts;

  /// Room for n rows (see detail::reserve_rows), then n rows.
  void grow(std::size_t n, std::size_t hint) {
    switch (role) {
      case column_role::number:
      case column_role::stars:
      case column_role::bad_count: detail::reserve_rows(numbers, n, hint); break;
      case column_role::category: detail::reserve_rows(codes, n, hint); break;
      case column_role::flag: detail::reserve_rows(flags, n, hint); break;
      case column_role::date:
      case column_role::previous_rated_on:
      case column_role::last_downgrade_on: detail::reserve_rows(dates, n, hint); break;
      case column_role::status: detail::reserve_rows(status, n, hint); break;
      case column_role::previous_grade: detail::reserve_rows(grades, n, hint); break;
      case column_role::scenarios: detail::reserve_rows(sets, n, hint); break;
      case column_role::attribute:
      case column_role::mode: detail::reserve_rows(texts, n, hint); break;
      default: break;
    }
    resize(n);
  }

  void resize(std::size_t n) {
    switch (role) {
      case column_role::number:
      case column_role::stars:
      case column_role::bad_count: numbers.resize(n, std::numeric_limits<double>::quiet_NaN()); break;
      case column_role::category: codes.resize(n, -1); break;
      case column_role::flag: flags.resize(n, 0); break;
      case column_role::date:
      case column_role::previous_rated_on:
      case column_role::last_downgrade_on: dates.resize(n, civil_date::missing()); break;
      case column_role::status: status.resize(n, operator_status::active); break;
      case column_role::previous_grade: grades.resize(n, -1); break;
      case column_role::scenarios: sets.resize(n, 0); break;
      case column_role::attribute:
      case column_role::mode: texts.resize(n); break;
      default: break;
    }
  }
};

class operator_reader {
 public:
  operator_reader(const model& m, const read_options& o)
      : m_(m), codes_(o.codes ? *o.codes : detail::shipped_catalogue()), sink_(o.problems),
        roles_(operator_input_columns(m, codes_)), scenarios_(codes_) {
    for (const auto& md : codes_.modes()) allowed_modes_ += (allowed_modes_.empty() ? "" : ", ") + md.code;
  }

  dataset run(const std::vector<table_source*>& tables) {
    if (tables.empty() || tables.front() == nullptr) throw data_error("read_operators: no operator table");
    plan(tables);
    table_source& first = *tables.front();
    detail::for_each_chunk(first, [&] { reset_rows(); }, [&](const table_chunk& c) { first_chunk(first, c); });
    if (ids_.empty()) {
      const detail::cell_reporter fail(first, nullptr);
      fail.fatal(table_source::npos, table_source::npos, "", "the file has no operator rows");
    }
    std::vector<std::uint64_t> index;
    detail::check_unique_ids(first, id_column_[0], ids_, sink_, "operator id", true, &index);
    dataset d(dataset::indexed_ids{std::move(ids_), std::move(index)}, first.name());
    ids_.clear();
    for (std::size_t t = 1; t < tables.size(); ++t) aligned_table(*tables[t], t, d);
    fill(d);
    return d;
  }

 private:
  struct planned {
    std::size_t table, column, store;
  };

  void plan(const std::vector<table_source*>& tables) {
    std::map<std::string, std::size_t> where;  // column name → table
    for (std::size_t t = 0; t < tables.size(); ++t) {
      table_source& src = *tables[t];
      const detail::cell_reporter fail(src, sink_);
      const auto& header = src.header();
      const auto id = std::find(header.begin(), header.end(), "operator_id");
      if (id == header.end()) fail.fatal(table_source::npos, table_source::npos, "operator_id", "missing required column");
      id_column_.push_back(static_cast<std::size_t>(id - header.begin()));
      std::vector<std::size_t> unknown;
      for (std::size_t c = 0; c < header.size(); ++c) {
        const std::string& name = header[c];
        if (name == "operator_id") continue;
        const measure* me = nullptr;
        const column_role r = detail::classify_operator_column(name, m_, roles_, &me);
        if (r == column_role::unknown) {
          unknown.push_back(c);
          continue;
        }
        const auto [it, fresh] = where.emplace(name, t);
        if (!fresh) {
          fail(table_source::npos, c, "",
               "column " + detail::quote_cell(name) + " is given twice (also in " + tables[it->second]->name() + "); give it once");
          continue;
        }
        column_store s;
        s.name = name;
        s.role = r;
        s.me = me;
        stores_.push_back(std::move(s));
        plan_.push_back({t, c, stores_.size() - 1});
      }
      if (!unknown.empty()) {
        // at most 20 named (10^4 unknown columns must not make megabytes of messages)
        constexpr std::size_t listed = 20;
        const std::string tail = " (not a measure, flag, date, review column or attribute of model " + m_.spec().info.id + ")";
        const std::string rest = std::to_string(unknown.size() - std::min(unknown.size(), listed)) + " more unknown columns (" +
                                 std::to_string(unknown.size()) + " in all; the first " + std::to_string(listed) + " are listed)";
        if (sink_ != nullptr) {
          for (std::size_t k = 0; k < unknown.size() && k < listed; ++k)
            fail(table_source::npos, unknown[k], "", "unknown column " + detail::quote_cell(header[unknown[k]]) + tail);
          if (unknown.size() > listed) fail(table_source::npos, table_source::npos, "", rest);
        } else {
          std::string names;
          for (std::size_t k = 0; k < unknown.size() && k < listed; ++k)
            names += (k == 0 ? "" : ", ") + detail::quote_cell(header[unknown[k]]);
          if (unknown.size() > listed) names += " and " + rest;
          fail(table_source::npos, unknown.front(), "", (unknown.size() > 1 ? "unknown columns " : "unknown column ") + names + tail);
        }
      }
    }
  }

  void reset_rows() {
    ids_.clear();
    for (auto& s : stores_) s.resize(0);
  }

  void first_chunk(table_source& src, const table_chunk& c) {
    const detail::cell_reporter fail(src, sink_);
    const std::size_t n0 = c.first_row, rows = c.rows;
    const std::size_t hint = src.size_hint();
    detail::reserve_rows(ids_, n0 + rows, hint);
    ids_.resize(n0 + rows);
    detail::read_texts(c.columns[id_column_[0]], rows, ids_.data() + n0);
    for (std::size_t i = 0; i < rows; ++i) {
      std::string& id = ids_[n0 + i];
      if (id.empty()) {
        fail(n0 + i, id_column_[0], "", "empty operator id");
        id = detail::renamed_id(src, n0 + i, "");
        continue;
      }
    }
    for (const planned& p : plan_) {
      if (p.table != 0) continue;
      column_store& s = stores_[p.store];
      s.grow(n0 + rows, hint);
      const cell_scope at{fail, p.column, n0, ids_.data() + n0};
      read_column(at, c.columns[p.column], rows, s, n0, nullptr);
    }
  }

  void aligned_table(table_source& src, std::size_t t, const dataset& d) {
    const detail::cell_reporter fail(src, sink_);
    const std::size_t n = d.size();
    std::vector<std::size_t> first_seen(n, table_source::npos);
    std::vector<std::string> ids;
    std::vector<std::uint32_t> place;
    detail::for_each_chunk(
        src, [&] { std::fill(first_seen.begin(), first_seen.end(), table_source::npos); },
        [&](const table_chunk& c) {
          ids.assign(c.rows, std::string());
          detail::read_texts(c.columns[id_column_[t]], c.rows, ids.data());
          place.assign(c.rows, UINT32_MAX);
          for (std::size_t i = 0; i < c.rows; ++i) {
            const std::string& id = ids[i];
            if (id.empty()) {
              fail(c.first_row + i, id_column_[t], "", "empty operator id");
              continue;
            }
            const std::int64_t row = d.find(id);
            if (row < 0) {
              fail(c.first_row + i, id_column_[t], id, "operator is not in " + d.source_name());
              continue;
            }
            auto& seen = first_seen[static_cast<std::size_t>(row)];
            if (seen != table_source::npos) {
              fail(c.first_row + i, id_column_[t], id,
                   "duplicate operator id " + detail::quote_cell(id) + " (first at " + detail::row_name(src, seen) + ")");
              continue;
            }
            seen = c.first_row + i;
            place[i] = static_cast<std::uint32_t>(row);
          }
          for (const planned& p : plan_) {
            if (p.table != t) continue;
            column_store& s = stores_[p.store];
            s.resize(n);
            const cell_scope at{fail, p.column, c.first_row, ids.data()};
            read_column(at, c.columns[p.column], c.rows, s, 0, place.data());
          }
        });
    std::vector<std::string> absent;
    std::size_t absent_count = 0;
    for (std::size_t r = 0; r < n; ++r)
      if (first_seen[r] == table_source::npos) {
        ++absent_count;
        if (absent.size() < 10) absent.push_back(d.operator_ids()[r]);
      }
    if (absent_count > 0) {
      std::string list;
      for (const auto& a : absent) list += (list.empty() ? "" : ", ") + a;
      if (absent_count > absent.size()) list += ", … (" + std::to_string(absent_count) + " in all)";
      fail(table_source::npos, id_column_[t], "", "operators of " + d.source_name() + " without a row in " + src.name() + ": " + list);
    }
  }

  /// Converts one chunk column into the store: at rows base + i, or at place[i] (UINT32_MAX: skip).
  void read_column(const cell_scope& at, const column_view& v, std::size_t rows, column_store& s, std::size_t base,
                   const std::uint32_t* place) {
    auto put = [&](auto& col, auto&& convert) {
      using T = typename std::decay_t<decltype(col)>::value_type;
      if (place == nullptr) {
        convert(col.data() + base);
        return;
      }
      std::vector<T> tmp(rows);
      convert(tmp.data());
      for (std::size_t i = 0; i < rows; ++i)
        if (place[i] != UINT32_MAX) col[place[i]] = std::move(tmp[i]);
    };
    switch (s.role) {
      case column_role::number: put(s.numbers, [&](double* out) { detail::read_numbers(at, v, rows, out, s.me); }); break;
      case column_role::stars: put(s.numbers, [&](double* out) { detail::read_counts(at, v, rows, out, false); }); break;
      case column_role::bad_count: put(s.numbers, [&](double* out) { detail::read_counts(at, v, rows, out, true); }); break;
      case column_role::category:
        put(s.codes, [&](std::int32_t* out) { detail::read_levels(at, v, rows, out, *s.me); });
        break;
      case column_role::flag: put(s.flags, [&](std::uint8_t* out) { detail::read_flags(at, v, rows, out); }); break;
      case column_role::date:
      case column_role::previous_rated_on:
      case column_role::last_downgrade_on:
        put(s.dates, [&](civil_date* out) { detail::read_dates(at, v, rows, out); });
        break;
      case column_role::status: put(s.status, [&](operator_status* out) { detail::read_status(at, v, rows, out, codes_); }); break;
      case column_role::previous_grade: put(s.grades, [&](std::int8_t* out) { detail::read_grades(at, v, rows, out); }); break;
      case column_role::scenarios: put(s.sets, [&](std::uint32_t* out) { scenarios_.read(at, v, rows, out); }); break;
      case column_role::attribute: put(s.texts, [&](std::string* out) { detail::read_texts(v, rows, out); }); break;
      case column_role::mode:
        put(s.texts, [&](std::string* out) {
          detail::read_texts(v, rows, out);
          for (std::size_t i = 0; i < rows; ++i) {
            if (out[i].empty() || codes_.find_mode(out[i]) != nullptr) continue;
            if (const operating_mode* known = codes_.lookup_mode(out[i])) out[i] = known->code;  // 公建民营 → its code
            else at(i, "unknown operating mode " + detail::quote_cell(out[i]) + " (allowed: " + allowed_modes_ + ")");
          }
        });
        break;
      default: break;
    }
  }

  void fill(dataset& d) {
    const std::size_t n = d.size();
    bool history = false;
    std::vector<std::optional<grade>> prev(n);
    std::vector<civil_date> prev_on(n, civil_date::missing()), down_on(n, civil_date::missing());
    for (column_store& s : stores_) {
      s.resize(n);
      switch (s.role) {
        case column_role::number: detail::dataset_filler::number(d, s.name, std::move(s.numbers)); break;
        case column_role::stars:
        case column_role::bad_count: detail::dataset_filler::review_column(d, s.name, std::move(s.numbers)); break;
        case column_role::category: {
          category_column c;
          c.codes = std::move(s.codes);
          c.levels = s.me->levels;
          detail::dataset_filler::category(d, s.name, std::move(c));
          break;
        }
        case column_role::flag: detail::dataset_filler::flag(d, s.name, std::move(s.flags)); break;
        case column_role::date: detail::dataset_filler::date(d, s.name, std::move(s.dates)); break;
        case column_role::status: detail::dataset_filler::status(d, std::move(s.status)); break;
        case column_role::scenarios: {
          std::vector<std::uint32_t> offsets;
          std::vector<std::int32_t> codes;
          std::vector<std::string> levels;
          scenarios_.finish(s.sets, offsets, codes, levels);
          detail::dataset_filler::scenarios(d, std::move(offsets), std::move(codes), std::move(levels));
          break;
        }
        case column_role::previous_grade:
          history = true;
          for (std::size_t i = 0; i < n; ++i)
            if (s.grades[i] >= 0) prev[i] = static_cast<grade>(s.grades[i]);
          break;
        case column_role::previous_rated_on:
          history = true;
          prev_on = std::move(s.dates);
          break;
        case column_role::last_downgrade_on:
          history = true;
          down_on = std::move(s.dates);
          break;
        case column_role::attribute:
        case column_role::mode: detail::dataset_filler::attribute(d, s.name, std::move(s.texts)); break;
        default: break;
      }
    }
    if (history) d.set_history(prev, std::move(prev_on), std::move(down_on));
  }

  const model& m_;
  const catalogue& codes_;
  problem_sink* sink_;
  operator_columns roles_;
  detail::scenario_builder scenarios_;
  std::string allowed_modes_;
  std::vector<column_store> stores_;
  std::vector<planned> plan_;
  std::vector<std::size_t> id_column_;
  std::vector<std::string> ids_;
};

}  // namespace

dataset read_operators(const std::vector<table_source*>& tables, const model& m, const read_options& options) {
  return operator_reader(m, options).run(tables);
}

dataset read_operators_csv(const std::string& path, const model& m, const std::string& encoding, problem_sink* problems) {
  csv_options o;
  o.encoding = encoding;
  o.max_bytes = detail::max_csv_bytes;  // the table is kept whole: bounded input (src/csv.hpp)
  o.max_cells = detail::max_csv_cells;
  const auto src = open_csv(path, o);
  read_options r;
  r.problems = problems;
  return read_operators({src.get()}, m, r);
}

}  // namespace embedrating
