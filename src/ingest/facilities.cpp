// Facility (site) tables → facility_table (io.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "../csv.hpp"
#include "../text_checks.hpp"
#include "cells.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/io.hpp"
#include "ingest.hpp"

namespace embedrating {

namespace {

constexpr const char* facility_text[] = {"name", "name_zh", "street", "community", "address"};
/// Largest facility volume (docs/errors.md, "Numbers").
constexpr double max_volume = 1e12;
/// At most this many unknown columns are reported one by one; the rest in one problem.
constexpr std::size_t unknown_columns_listed = 20;

struct facility_column {
  std::size_t column;
  const measure* me;  ///< nullptr: volume
  std::vector<double> numbers;
  std::vector<std::int32_t> codes;
};

}  // namespace

facility_table read_facilities(table_source& src, const model& m, const dataset& operators, const read_options& options) {
  problem_sink* sink = options.problems;
  const detail::cell_reporter fail(src, sink);
  const auto& header = src.header();
  const auto col_of = [&](const char* name) {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? table_source::npos : static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t fid_col = col_of("facility_id"), op_col = col_of("operator_id");
  if (fid_col == table_source::npos) fail.fatal(table_source::npos, table_source::npos, "facility_id", "missing required column");
  if (op_col == table_source::npos) fail.fatal(table_source::npos, table_source::npos, "operator_id", "missing required column");

  const model_spec& s = m.spec();
  const std::set<std::string> text(std::begin(facility_text), std::end(facility_text));
  std::vector<facility_column> cols;
  bool has_volume = false;
  std::size_t unknown_columns = 0;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string& name = header[c];
    if (c == fid_col || c == op_col || text.count(name)) continue;
    if (name == "volume") {
      cols.push_back({c, nullptr, {}, {}});
      has_volume = true;
      continue;
    }
    const measure* me = nullptr;
    for (const auto& x : s.measures)
      if (x.id == name) me = &x;
    if (me == nullptr) {
      if (++unknown_columns <= unknown_columns_listed)
        fail(table_source::npos, c, "",
             "unknown column " + detail::quote_cell(name) + " (a facility table has facility_id, operator_id, volume, descriptive text "
             "name/name_zh/street/community/address, and measures of model " + s.info.id + ")");
      continue;
    }
    if (operators.number(name) != nullptr || operators.category(name) != nullptr) {
      fail(table_source::npos, c, "",
           "measure " + detail::quote_cell(name) + " is given both per operator (in " + operators.source_name() +
               ") and per facility; give it in one table");
      continue;
    }
    cols.push_back({c, me, {}, {}});
  }
  if (unknown_columns > unknown_columns_listed)
    fail(table_source::npos, table_source::npos, "",
         std::to_string(unknown_columns - unknown_columns_listed) + " more unknown columns (" + std::to_string(unknown_columns) +
             " in all; the first " + std::to_string(unknown_columns_listed) + " are listed)");

  // facility ids kept per row (the table keeps them); owners resolved to operator rows at once
  // (4 bytes a row, not a std::string), their text only for the chunk's messages
  std::vector<std::string> fids, owners;
  std::vector<std::uint32_t> owner_rows;
  std::vector<std::uint8_t> keep;
  detail::for_each_chunk(
      src,
      [&] {
        fids.clear(), owner_rows.clear(), keep.clear();
        for (auto& fc : cols) fc.numbers.clear(), fc.codes.clear();
      },
      [&](const table_chunk& ch) {
        const std::size_t n0 = ch.first_row, rows = ch.rows, hint = src.size_hint();
        detail::reserve_rows(fids, n0 + rows, hint);
        detail::reserve_rows(owner_rows, n0 + rows, hint);
        detail::reserve_rows(keep, n0 + rows, hint);
        fids.resize(n0 + rows);
        owners.resize(rows);
        owner_rows.resize(n0 + rows, 0);
        keep.resize(n0 + rows, 1);
        detail::read_texts(ch.columns[fid_col], rows, fids.data() + n0);
        detail::read_texts(ch.columns[op_col], rows, owners.data());
        for (std::size_t i = 0; i < rows; ++i) {
          std::string& f = fids[n0 + i];
          if (f.empty()) {
            fail(n0 + i, fid_col, "", "empty facility id");
            f = detail::renamed_id(src, n0 + i, "");
          }
          const std::string& o = owners[i];
          const std::int64_t row = o.empty() ? -1 : operators.find(o);
          if (o.empty()) {
            fail(n0 + i, op_col, "", "facility " + detail::quote_cell(f) + ": empty operator id");
            keep[n0 + i] = 0;
          } else if (row < 0) {
            fail(n0 + i, op_col, o,
                 "facility " + detail::quote_cell(f) + " belongs to an operator that is not in " +
                     (operators.source_name().empty() ? std::string("the operator table") : operators.source_name()));
            keep[n0 + i] = 0;
          } else {
            owner_rows[n0 + i] = static_cast<std::uint32_t>(row);
          }
        }
        for (auto& fc : cols) {
          const detail::cell_scope at{fail, fc.column, n0, owners.data(), fids.data() + n0};
          const column_view& v = ch.columns[fc.column];
          if (fc.me == nullptr) {  // volume: a number 0 .. 1e12, never empty
            detail::reserve_rows(fc.numbers, n0 + rows, hint);
            fc.numbers.resize(n0 + rows);
            double* out = fc.numbers.data() + n0;
            detail::read_numbers(at, v, rows, out, nullptr);
            for (std::size_t i = 0; i < rows; ++i) {
              if (std::isnan(out[i])) {
                if (detail::cell_missing(v, i)) at(i, "volume cannot be empty (write 1 for equal weights)");
                out[i] = 1.0;
              } else if (out[i] < 0 || out[i] > max_volume) {
                at(i, "volume " + detail::quote_cell(detail::cell_text(v, i)) + " is outside the allowed range [0, 1000000000000]");
                out[i] = 1.0;
              }
            }
          } else if (fc.me->kind == measure_kind::number) {
            detail::reserve_rows(fc.numbers, n0 + rows, hint);
            fc.numbers.resize(n0 + rows);
            detail::read_numbers(at, v, rows, fc.numbers.data() + n0, fc.me);
          } else {
            detail::reserve_rows(fc.codes, n0 + rows, hint);
            fc.codes.resize(n0 + rows);
            detail::read_levels(at, v, rows, fc.codes.data() + n0, *fc.me);
          }
        }
      });
  owners = std::vector<std::string>();
  if (fids.empty()) fail.fatal(table_source::npos, table_source::npos, "", "the file has no facility rows");
  detail::check_unique_ids(src, fid_col, fids, sink, "facility id", false);

  facility_table out;
  const std::size_t n = fids.size();
  const bool all = std::find(keep.begin(), keep.end(), 0) == keep.end();
  auto kept = [&](auto& col) {
    if (all) return std::move(col);
    std::decay_t<decltype(col)> v;
    for (std::size_t i = 0; i < n; ++i)
      if (keep[i]) v.push_back(std::move(col[i]));
    return v;
  };
  out.facility_ids = kept(fids);
  // each kept row's owner as the dataset spells it (the same text: found by it)
  const std::vector<std::string>& op_ids = operators.operator_ids();
  out.operator_ids.reserve(out.facility_ids.size());
  for (std::size_t i = 0; i < n; ++i)
    if (keep[i]) out.operator_ids.push_back(op_ids[owner_rows[i]]);
  for (auto& fc : cols) {
    if (fc.me == nullptr) {
      out.volume = kept(fc.numbers);
    } else if (fc.me->kind == measure_kind::number) {
      out.numbers.emplace(header[fc.column], kept(fc.numbers));
    } else {
      std::vector<std::string> texts(n);
      for (std::size_t i = 0; i < n; ++i)
        if (fc.codes[i] >= 0) texts[i] = fc.me->levels[static_cast<std::size_t>(fc.codes[i])];
      out.categories.emplace(header[fc.column], kept(texts));
    }
  }
  (void)has_volume;
  return out;
}

facility_table read_facilities_csv(const std::string& path, const model& m, const dataset& operators,
                                   const std::string& encoding, problem_sink* problems) {
  csv_options o;
  o.encoding = encoding;
  o.max_bytes = detail::max_csv_bytes;  // the table is kept whole: bounded input (src/csv.hpp)
  o.max_cells = detail::max_csv_cells;
  const auto src = open_csv(path, o);
  read_options r;
  r.problems = problems;
  return read_facilities(*src, m, operators, r);
}

}  // namespace embedrating
