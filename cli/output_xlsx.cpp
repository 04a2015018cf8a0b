// Excel output with libxlsxwriter (Debian's libxlsxwriter-dev).
#include "output_xlsx.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include <xlsxwriter.h>

#include "text_table.hpp"

namespace embedrating::cli {

namespace {

/// Removes the temporary file however the function returns.
struct temp_file {
  std::string path;
  temp_file() {
    std::string pattern = (std::filesystem::temp_directory_path() / "embedrating-XXXXXX").string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    const int fd = ::mkstemp(buf.data());
    if (fd < 0) throw std::runtime_error("cannot create a temporary file for the workbook");
    ::close(fd);
    path = buf.data();
  }
  ~temp_file() { std::remove(path.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
};

/// A worksheet name Excel accepts: at most 31 characters (counted as UTF-8 code points here),
/// none of []:*?/\ .
std::string sheet_name(const std::string& name) {
  std::string out;
  std::size_t points = 0;
  for (std::size_t i = 0; i < name.size();) {
    const auto c = static_cast<unsigned char>(name[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (points == 31) break;
    const std::string ch = name.substr(i, len);
    out += (ch.size() == 1 && std::string("[]:*?/\\").find(ch[0]) != std::string::npos) ? "_" : ch;
    ++points;
    i += len;
  }
  return out;
}

void check(lxw_error e, const char* what) {
  if (e != LXW_NO_ERROR) throw std::runtime_error(std::string("libxlsxwriter: ") + what + ": " + lxw_strerror(e));
}

}  // namespace

double xlsx_column_width(const sheet& s, std::size_t c, bool zh) {
  std::size_t w = display_width(s.title(c, zh));
  for (const auto& row : s.rows) w = std::max(w, display_width(row[c]));
  return std::min<double>(static_cast<double>(w) + 2.0, 70.0);
}

std::string xlsx_workbook(const std::vector<const sheet*>& sheets, bool zh) {
  temp_file tmp;
  lxw_workbook* wb = workbook_new(tmp.path.c_str());
  if (!wb) throw std::runtime_error("libxlsxwriter cannot create a workbook");
  lxw_format* header = workbook_add_format(wb);
  format_set_bold(header);
  format_set_bg_color(header, 0xDDE7F0);
  format_set_border(header, LXW_BORDER_THIN);
  format_set_text_wrap(header);
  lxw_format* text = workbook_add_format(wb);
  format_set_num_format(text, "@");  // text cells stay text when edited
  for (const sheet* s : sheets) {
    lxw_worksheet* ws = workbook_add_worksheet(wb, sheet_name(s->name(zh)).c_str());
    if (!ws) {
      workbook_close(wb);
      throw std::runtime_error("libxlsxwriter cannot add the worksheet \"" + s->name(zh) + "\"");
    }
    for (std::size_t c = 0; c < s->columns.size(); ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      worksheet_set_column(ws, col, col, xlsx_column_width(*s, c, zh),
                           s->columns[c].type == sheet_column::kind::text ? text : nullptr);
      worksheet_write_string(ws, 0, col, s->title(c, zh).c_str(), header);
    }
    for (std::size_t r = 0; r < s->rows.size(); ++r) {
      const auto row = static_cast<lxw_row_t>(r + 1);
      for (std::size_t c = 0; c < s->columns.size(); ++c) {
        const std::string& v = s->rows[r][c];
        const auto col = static_cast<lxw_col_t>(c);
        if (v.empty()) continue;
        if (s->columns[c].type != sheet_column::kind::text) {
          char* end = nullptr;
          const double x = std::strtod(v.c_str(), &end);
          if (end && *end == '\0') {
            worksheet_write_number(ws, row, col, x, nullptr);
            continue;
          }
        }
        worksheet_write_string(ws, row, col, v.c_str(), text);
      }
    }
    worksheet_freeze_panes(ws, 1, 0);
    if (!s->columns.empty())
      worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(s->rows.size()), static_cast<lxw_col_t>(s->columns.size() - 1));
  }
  check(workbook_close(wb), "writing the workbook");
  std::ifstream in(tmp.path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read back the workbook written to " + tmp.path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace embedrating::cli
