#pragma once
/// \file output_xlsx.hpp
/// Excel workbooks (--format xlsx) through libxlsxwriter: one worksheet per sheet, the header row
/// frozen and filterable, column widths from the display width of the text (CJK counts double),
/// numbers as numbers and everything else — grades included — as text.
#include <string>
#include <vector>

#include "sheet.hpp"

namespace embedrating::cli {

/// The .xlsx file's bytes (written to a private temporary file and read back, so the caller
/// writes the result atomically). Throws std::runtime_error naming libxlsxwriter's error.
std::string xlsx_workbook(const std::vector<const sheet*>& sheets, bool zh);

/// The width, in Excel's character units, that column `c` of `s` gets (header included).
double xlsx_column_width(const sheet& s, std::size_t c, bool zh);

}  // namespace embedrating::cli
