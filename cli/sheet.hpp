#pragma once
/// \file sheet.hpp
/// A table of results as the CLI publishes it (CSV, Excel, HTML): columns with an English key, a
/// Chinese title and a kind, rows of text cells. The builders (report_sheets.cpp) fill it from a
/// rating or a review summary; the writers (output_csv/xlsx/html.cpp) only format it.
#include <string>
#include <vector>

namespace embedrating::cli {

struct sheet_column {
  enum class kind : char { text, number, integer };
  std::string key;       ///< English header (the machine-readable CSV header)
  std::string title_zh;  ///< Chinese header (--lang zh)
  kind type = kind::text;
};

struct sheet {
  std::string name_en, name_zh;  ///< worksheet names
  std::vector<sheet_column> columns;
  std::vector<std::vector<std::string>> rows;  ///< as many cells as columns; "" is an empty cell

  void column(std::string key, std::string title_zh, sheet_column::kind type = sheet_column::kind::text) {
    columns.push_back({std::move(key), std::move(title_zh), type});
  }
  const std::string& title(std::size_t c, bool zh) const { return zh ? columns[c].title_zh : columns[c].key; }
  const std::string& name(bool zh) const { return zh ? name_zh : name_en; }
};

/// RFC 4180 CSV of a sheet (UTF-8, "\n" line ends), headers in English keys or Chinese titles.
std::string sheet_csv(const sheet& s, bool zh);

}  // namespace embedrating::cli
