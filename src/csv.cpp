/// \file csv.cpp
/// Whole-table CSV reading for small files (catalogue, calendar): the streaming table source of
/// src/ingest/csv_source.cpp drained into a csv_table.
#include "csv.hpp"

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "embedrating/errors.hpp"
#include "ingest/csv_source.hpp"

namespace embedrating::detail {
namespace {

void check_size(std::uintmax_t size, const std::string& source) {
  if (size > max_csv_bytes) {
    error_location where;
    where.file = source;
    throw data_error(where, "input is larger than 1 GiB (" + std::to_string(size) + " bytes); split it into smaller files");
  }
}

csv_table drain(table_source& src) {
  csv_table t;
  t.source = src.name();
  t.header = src.header();
  t.header_line = src.where(table_source::npos, table_source::npos).line;
  table_chunk chunk;
  for (;;) {
    try {
      if (!src.next(chunk)) break;
    } catch (const encoding_changed&) {
      src.restart();
      t.rows.clear();
      t.row_lines.clear();
      continue;
    }
    for (std::size_t r = 0; r < chunk.rows; ++r) {
      std::vector<std::string> row(chunk.columns.size());
      for (std::size_t c = 0; c < row.size(); ++c) row[c] = std::string(chunk.columns[c].cell(r));
      t.rows.push_back(std::move(row));
      t.row_lines.push_back(src.where(chunk.first_row + r, table_source::npos).line);
    }
  }
  return t;
}

}  // namespace

csv_table parse_csv(std::string_view bytes, const std::string& source_name, const std::string& encoding) {
  check_size(bytes.size(), source_name);
  csv_options o;
  o.max_bytes = max_csv_bytes;  // read whole: bounded
  o.max_cells = max_csv_cells;
  o.encoding = encoding;
  const auto src = open_csv_bytes(bytes, source_name, o);
  return drain(*src);
}

csv_table read_csv_file(const std::string& path, const std::string& encoding) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) check_size(size, path);
  }
  csv_options o;
  o.max_bytes = max_csv_bytes;  // read whole: bounded
  o.max_cells = max_csv_cells;
  o.encoding = encoding;
  const auto src = open_csv(path, o);
  return drain(*src);
}

std::size_t column_index(const csv_table& table, std::string_view name) noexcept {
  for (std::size_t i = 0; i < table.header.size(); ++i)
    if (table.header[i] == name) return i;
  return std::string::npos;
}

}  // namespace embedrating::detail
