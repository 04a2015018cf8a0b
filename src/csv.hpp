#pragma once
/// \file csv.hpp
/// Private whole-table CSV reader (RFC 4180) for small files: the catalogue and the calendar.
/// Large tables are read as a stream (embedrating::open_csv, io.hpp). Not installed.
///
/// - Fields separated by ',', records by CRLF, LF or a lone CR; quoted fields may contain
///   commas, line breaks (kept as they are) and doubled quotes. A quote inside an unquoted field
///   is kept literally; anything but ',' or a line break after a closing quote is an error.
/// - The first record is the header: names must be non-empty and unique.
/// - Lines that are completely empty are skipped; every other record must have exactly as many
///   fields as the header.
/// - Encoding: "auto" (default) strips a UTF-8 BOM, takes the text as UTF-8 when it is valid
///   UTF-8 and otherwise converts it from GB18030 (a superset of GBK and GB2312) with iconv.
///   "utf-8" (aliases "utf8", "utf-8-sig") and "gb18030" (aliases "gbk", "gb2312", "cp936")
///   force one of them. Names are case-insensitive.
/// - Every error is an embedrating::data_error naming the source and, where it applies, the
///   physical line and the character column (both 1-based).
/// - Inputs larger than 1 GiB, fields over 1 MiB, records of more than 10 000 fields and files of
///   more than 2^23 cells averaging under 4 bytes a cell are rejected; so are NUL bytes, other
///   control characters (tab, CR and LF excepted), C1 controls and a byte-order mark after the start, each named by line, column and
///   a visible escape such as `\x00` (text_checks.hpp). Reading stops at the first NUL byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace embedrating::detail {

/// Largest CSV input accepted, in bytes (1 GiB).
inline constexpr std::size_t max_csv_bytes = std::size_t{1} << 30;
/// Largest field (1 MiB), most fields in one record (10 000) and most cells in one file (2^23;
/// more when they average at least 4 bytes each, see csv_options::max_cells): beyond them a file
/// is not a table we read, and memory stays bounded (docs/security.md).
inline constexpr std::size_t max_csv_field_bytes = std::size_t{1} << 20;
inline constexpr std::size_t max_csv_columns = 10000;
inline constexpr std::size_t max_csv_cells = std::size_t{1} << 23;

struct csv_table {
  std::string source;                           ///< file name used in error messages
  std::vector<std::string> header;              ///< column names, in file order
  std::vector<std::vector<std::string>> rows;   ///< data records, each header.size() fields
  std::vector<std::uint32_t> row_lines;         ///< physical line (1-based) where each row starts
  std::uint32_t header_line = 1;                ///< physical line of the header
};

/// Reads and parses a file; `path` is also the source name in error messages.
csv_table read_csv_file(const std::string& path, const std::string& encoding = "auto");

/// Parses bytes already in memory.
csv_table parse_csv(std::string_view bytes, const std::string& source_name,
                    const std::string& encoding = "auto");

/// `s` without leading and trailing spaces and tabs (how every reader trims a cell).
inline std::string_view trim(std::string_view s) noexcept {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
  return s.substr(a, b - a);
}

/// Index of the column called `name`, or std::string::npos when there is none.
std::size_t column_index(const csv_table& table, std::string_view name) noexcept;

}  // namespace embedrating::detail
