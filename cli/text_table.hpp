#pragma once
/// \file text_table.hpp
/// A plain-text table for terminals: columns aligned by display width (CJK characters count as
/// two cells), and CSV field quoting (RFC 4180).
#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace embedrating::cli {

/// Terminal cells taken by UTF-8 text (East Asian wide and full-width characters count 2).
std::size_t display_width(std::string_view utf8);

class text_table {
 public:
  enum class align : char { left, right };
  void column(std::string title, align a = align::left);
  void row(std::vector<std::string> cells);  ///< as many cells as columns
  void rule();                               ///< a separator line before the next row
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> titles_;
  std::vector<align> align_;
  std::vector<std::vector<std::string>> rows_;  ///< an empty row is a rule
};

/// A CSV field, quoted when it holds a comma, a quote or a line break.
std::string csv_field(std::string_view s);

}  // namespace embedrating::cli
