#include "text_table.hpp"

#include <algorithm>
#include <ostream>
#include <stdexcept>

#include <uniwidth.h>

namespace embedrating::cli {

std::size_t display_width(std::string_view utf8) {
  const int w = u8_width(reinterpret_cast<const std::uint8_t*>(utf8.data()), utf8.size(), "UTF-8");
  return w < 0 ? utf8.size() : static_cast<std::size_t>(w);
}

void text_table::column(std::string title, align a) {
  titles_.push_back(std::move(title));
  align_.push_back(a);
}

void text_table::row(std::vector<std::string> cells) {
  if (cells.size() != titles_.size()) throw std::logic_error("text_table: row has the wrong number of cells");
  rows_.push_back(std::move(cells));
}

void text_table::rule() { rows_.emplace_back(); }

void text_table::print(std::ostream& out) const {
  std::vector<std::size_t> width(titles_.size());
  for (std::size_t c = 0; c < titles_.size(); ++c) width[c] = display_width(titles_[c]);
  for (const auto& r : rows_)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], display_width(r[c]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - display_width(cells[c]), ' ');
      if (c > 0) s += "  ";
      s += align_[c] == align::right ? pad + cells[c] : cells[c] + (c + 1 == cells.size() ? "" : pad);
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << s << '\n';
  };
  auto separator = [&] {
    std::size_t total = 0;
    for (std::size_t c = 0; c < width.size(); ++c) total += width[c] + (c > 0 ? 2 : 0);
    out << std::string(total, '-') << '\n';
  };
  line(titles_);
  separator();
  for (const auto& r : rows_) {
    if (r.empty()) separator();
    else line(r);
  }
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"') q += '"';
    q += ch;
  }
  return q + '"';
}

}  // namespace embedrating::cli
