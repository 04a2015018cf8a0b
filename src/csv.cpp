/// \file csv.cpp
/// RFC 4180 CSV reader with UTF-8 / GB18030 decoding (see csv.hpp).
#include "csv.hpp"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "embedrating/errors.hpp"
#include "text_checks.hpp"

namespace embedrating::detail {
namespace {

constexpr std::size_t not_found = std::string::npos;

enum class text_encoding : unsigned char { automatic, utf8, gb18030 };

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

text_encoding parse_encoding(const std::string& name, const std::string& source) {
  const std::string n = lower_ascii(name);
  if (n.empty() || n == "auto") return text_encoding::automatic;
  if (n == "utf-8" || n == "utf8" || n == "utf-8-sig" || n == "utf_8") return text_encoding::utf8;
  if (n == "gb18030" || n == "gbk" || n == "gb2312" || n == "cp936") return text_encoding::gb18030;
  error_location where;
  where.file = source;
  throw data_error(where, "unknown encoding '" + name +
                              "' (expected auto, utf-8, gb18030 or gbk)");
}

std::string hex_byte(unsigned char b) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out = "0x";
  out += digits[b >> 4];
  out += digits[b & 0x0F];
  return out;
}

bool starts_with_utf8_bom(std::string_view s) {
  return s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF &&
         static_cast<unsigned char>(s[1]) == 0xBB && static_cast<unsigned char>(s[2]) == 0xBF;
}

std::uint32_t to_u32(std::size_t v) {
  return v > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(v);
}

/// Number of code points in valid UTF-8 text.
std::size_t count_code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

/// Line and character column (1-based) of the position just after `prefix`, which is valid
/// UTF-8 text. Line breaks are LF, CRLF and a lone CR.
std::pair<std::uint32_t, std::uint32_t> position_after(std::string_view prefix) {
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = prefix[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if (c == '\r') {
      if (i + 1 < prefix.size() && prefix[i + 1] == '\n') continue;  // counted at the '\n'
      ++line;
      line_start = i + 1;
    }
  }
  return {to_u32(line), to_u32(count_code_points(prefix.substr(line_start)) + 1)};
}

/// Offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms,
/// surrogates and code points above U+10FFFF are ill-formed), or not_found.
std::size_t first_invalid_utf8(std::string_view s) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3;
      lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      len = 3;
    } else if (c == 0xED) {
      len = 3;
      hi = 0x9F;
    } else if (c == 0xF0) {
      len = 4;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else if (c == 0xF4) {
      len = 4;
      hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > n) return i;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return not_found;
}

/// Result of a GB18030 → UTF-8 conversion: all of it, or the part before the first bad byte.
struct gb_result {
  std::string text;
  std::size_t bad = not_found;  ///< input offset of the first undecodable byte
};

class iconv_handle {
 public:
  iconv_handle(const char* to, const char* from) : cd_(iconv_open(to, from)) {}
  ~iconv_handle() {
    if (ok()) iconv_close(cd_);
  }
  iconv_handle(const iconv_handle&) = delete;
  iconv_handle& operator=(const iconv_handle&) = delete;
  bool ok() const noexcept { return cd_ != reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1)); }
  iconv_t get() const noexcept { return cd_; }

 private:
  iconv_t cd_;
};

gb_result from_gb18030(std::string_view in, const std::string& source) {
  iconv_handle cd("UTF-8", "GB18030");
  if (!cd.ok()) {
    error_location where;
    where.file = source;
    throw data_error(where, "cannot convert from GB18030: iconv_open failed (" +
                                std::string(std::strerror(errno)) + ")");
  }
  gb_result result;
  std::string& out = result.text;
  // GB18030 → UTF-8 grows text by at most 3/2 (2-byte characters become 3 bytes).
  out.resize(in.size() + in.size() / 2 + 16);
  // POSIX iconv takes char** for its input although it never writes through it.
  char* in_ptr = const_cast<char*>(in.data());
  std::size_t in_left = in.size();
  char* out_ptr = out.data();
  std::size_t out_left = out.size();
  while (in_left > 0) {
    const std::size_t r = iconv(cd.get(), &in_ptr, &in_left, &out_ptr, &out_left);
    if (r != static_cast<std::size_t>(-1)) break;
    const int err = errno;
    const std::size_t used = out.size() - out_left;
    if (err == E2BIG) {
      out.resize(out.size() * 2);
      out_ptr = out.data() + used;
      out_left = out.size() - used;
      continue;
    }
    // EILSEQ (invalid sequence) or EINVAL (incomplete sequence at the end).
    result.bad = static_cast<std::size_t>(in_ptr - in.data());
    break;
  }
  out.resize(out.size() - out_left);
  return result;
}

std::string_view strip_utf8_bom(std::string_view s) {
  return starts_with_utf8_bom(s) ? s.substr(3) : s;
}

[[noreturn]] void throw_undecodable(const std::string& source, std::string_view decoded_prefix,
                                    unsigned char byte, const char* what) {
  const auto [line, column] = position_after(strip_utf8_bom(decoded_prefix));
  error_location where;
  where.file = source;
  where.line = line;
  where.column = column;
  throw data_error(where, "undecodable byte " + hex_byte(byte) + " (" + what + ")");
}

std::string decode_utf8(std::string_view bytes, const std::string& source, const char* what) {
  const std::string_view body = strip_utf8_bom(bytes);
  const std::size_t bad = first_invalid_utf8(body);
  if (bad != not_found) {
    throw_undecodable(source, body.substr(0, bad), static_cast<unsigned char>(body[bad]), what);
  }
  return std::string(body);
}

std::string decode_gb18030(std::string_view bytes, const std::string& source, const char* what) {
  gb_result gb = from_gb18030(bytes, source);
  if (gb.bad != not_found) {
    throw_undecodable(source, gb.text, static_cast<unsigned char>(bytes[gb.bad]), what);
  }
  // The GB18030 byte-order mark 84 31 95 33 decodes to U+FEFF.
  if (starts_with_utf8_bom(gb.text)) gb.text.erase(0, 3);
  return std::move(gb.text);
}

void check_size(std::size_t size, const std::string& source) {
  if (size > max_csv_bytes) {
    error_location where;
    where.file = source;
    throw data_error(where, "input is larger than 1 GiB (" + std::to_string(size) +
                                " bytes); split it into smaller files");
  }
}

/// Character column (1-based) of text[pos] on the line starting at line_start.
std::uint32_t column_at(std::string_view text, std::size_t line_start, std::size_t pos) {
  return to_u32(count_code_points(text.substr(line_start, pos - line_start)) + 1);
}

class parser {
 public:
  parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  /// Splits the whole text into records; records_[k] starts on line lines_[k].
  void run(std::vector<std::vector<std::string>>& records, std::vector<std::uint32_t>& lines) {
    const std::size_t n = text_.size();
    while (pos_ < n) {
      const char c = text_[pos_];
      if (c == '\n' || c == '\r') {  // a completely empty line
        consume_line_break();
        continue;
      }
      lines.push_back(to_u32(line_));
      records.push_back(read_record());
    }
  }

 private:
  void consume_line_break() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
    line_start_ = pos_;
  }

  [[noreturn]] void fail(std::size_t line, std::uint32_t column, const std::string& message) const {
    error_location where;
    where.file = source_;
    where.line = to_u32(line);
    where.column = column;
    throw data_error(where, message);
  }

  std::vector<std::string> read_record() {
    const std::size_t n = text_.size();
    std::vector<std::string> fields;
    for (;;) {
      std::string field;
      const std::size_t field_start = pos_;
      if (pos_ < n && text_[pos_] == '"') {
        read_quoted(field);
        if (pos_ < n && text_[pos_] != ',' && text_[pos_] != '\r' && text_[pos_] != '\n') {
          fail(line_, column_at(text_, line_start_, pos_),
               "unexpected character after the closing quote of a field "
               "(a quote inside a quoted field must be doubled)");
        }
      } else {
        std::size_t end = text_.find_first_of(",\r\n", pos_);
        if (end == std::string_view::npos) end = n;
        if (end - pos_ > max_csv_field_bytes) end = pos_ + max_csv_field_bytes + 1;  // reported below
        field.assign(text_.data() + pos_, end - pos_);
        pos_ = end;
      }
      if (field.size() > max_csv_field_bytes)
        fail(line_, column_at(text_, line_start_, field_start),
             "a field of more than " + std::to_string(max_csv_field_bytes) + " bytes (" + quote_cell(field, 20) +
                 "): not a table cell; is this the right file?");
      fields.push_back(std::move(field));
      if (fields.size() > max_csv_columns)
        fail(line_, 0, "more than " + std::to_string(max_csv_columns) + " fields in one record");
      if (++cells_ > max_csv_cells)
        fail(line_, 0, "more than " + std::to_string(max_csv_cells) + " cells in the file; split it into smaller files");
      if (pos_ < n && text_[pos_] == ',') {
        ++pos_;
        continue;  // a trailing comma at the end of the text still yields an empty last field
      }
      if (pos_ < n) consume_line_break();
      return fields;
    }
  }

  void read_quoted(std::string& field) {
    const std::size_t n = text_.size();
    const std::size_t open_line = line_;
    const std::uint32_t open_column = column_at(text_, line_start_, pos_);
    ++pos_;  // the opening quote
    for (;;) {
      const std::size_t stop = text_.find_first_of("\"\r\n", pos_);
      if (stop == std::string_view::npos) {
        fail(open_line, open_column,
             "unterminated quoted field: the quote opened here is never closed");
      }
      field.append(text_.data() + pos_, stop - pos_);
      pos_ = stop;
      if (field.size() > max_csv_field_bytes)
        fail(open_line, open_column,
             "a quoted field of more than " + std::to_string(max_csv_field_bytes) + " bytes (" + quote_cell(field, 20) +
                 "): not a table cell; is a closing quote missing?");
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < n && text_[pos_ + 1] == '"') {
          field += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;  // the closing quote
        return;
      }
      // A line break inside the quotes is part of the value, kept as it is.
      const std::size_t before = pos_;
      consume_line_break();
      field.append(text_.data() + before, pos_ - before);
    }
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t line_start_ = 0;
  std::size_t cells_ = 0;
};

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

}  // namespace

std::string decode_text(std::string_view bytes, const std::string& source_name,
                        const std::string& encoding) {
  check_size(bytes.size(), source_name);
  switch (parse_encoding(encoding, source_name)) {
    case text_encoding::utf8:
      return decode_utf8(bytes, source_name, "not valid UTF-8");
    case text_encoding::gb18030:
      return decode_gb18030(bytes, source_name, "not valid GB18030");
    case text_encoding::automatic:
      break;
  }
  // A UTF-8 byte-order mark settles it.
  if (starts_with_utf8_bom(bytes)) {
    return decode_utf8(bytes, source_name, "not valid UTF-8, although the file starts with a UTF-8 BOM");
  }
  const std::size_t bad_utf8 = first_invalid_utf8(bytes);
  if (bad_utf8 == not_found) return std::string(bytes);
  gb_result gb = from_gb18030(bytes, source_name);
  if (gb.bad == not_found) {
    if (starts_with_utf8_bom(gb.text)) gb.text.erase(0, 3);  // GB18030 BOM 84 31 95 33
    return std::move(gb.text);
  }
  // Neither decodes. Report the byte of whichever reading got further: a UTF-8 file with one
  // stray byte goes wrong early as GB18030, and a GB18030 file goes wrong early as UTF-8.
  const char* what = "neither valid UTF-8 nor valid GB18030";
  if (bad_utf8 > gb.bad) {
    throw_undecodable(source_name, bytes.substr(0, bad_utf8),
                      static_cast<unsigned char>(bytes[bad_utf8]), what);
  }
  throw_undecodable(source_name, gb.text, static_cast<unsigned char>(bytes[gb.bad]), what);
}

csv_table parse_csv(std::string_view bytes, const std::string& source_name,
                    const std::string& encoding) {
  const std::string text = decode_text(bytes, source_name, encoding);
  if (const std::size_t bad = find_forbidden_character(text); bad != not_found) {
    const auto [line, column] = position_after(std::string_view(text).substr(0, bad));
    error_location where;
    where.file = source_name;
    where.line = line;
    where.column = column;
    const bool bom = text.compare(bad, 3, "\xEF\xBB\xBF") == 0;
    throw data_error(where, "forbidden character " + escape_character(text, bad) +
                                (bom ? " (a byte-order mark in the middle of the text: two files pasted together?)"
                                 : text[bad] == '\0'
                                     ? " (NUL: text cells cannot hold NUL bytes; is this a binary or UTF-16 file?)"
                                     : " (a control character: text cells cannot hold control characters)"));
  }

  std::vector<std::vector<std::string>> records;
  std::vector<std::uint32_t> lines;
  {
    // one allocation of the record list (an upper bound: line breaks + 1), not doublings
    const std::size_t breaks = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    const std::size_t bound = std::min(breaks != 0 ? breaks + 1 : static_cast<std::size_t>(std::count(text.begin(), text.end(), '\r')) + 1,
                                       max_csv_cells);
    records.reserve(bound);
    lines.reserve(bound);
  }
  parser(text, source_name).run(records, lines);

  csv_table table;
  table.source = source_name;
  if (records.empty()) {
    error_location where;
    where.file = source_name;
    throw data_error(where, "empty CSV: no header row");
  }
  table.header = std::move(records.front());
  table.header_line = lines.front();

  error_location where;
  where.file = source_name;
  where.line = table.header_line;
  const std::size_t width = table.header.size();
  std::unordered_map<std::string_view, std::size_t> seen;  // linear in the header's width
  seen.reserve(width);
  for (std::size_t i = 0; i < width; ++i) {
    const std::string& name = table.header[i];
    if (is_blank(name)) {
      throw data_error(where, "empty column name in the header (column " +
                                  std::to_string(i + 1) + ")");
    }
    const auto [it, fresh] = seen.emplace(name, i);
    if (!fresh) {
      throw data_error(where, "duplicate column name " + quote_cell(name) + " in the header (columns " +
                                  std::to_string(it->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
  }

  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != width) {
      where.line = lines[r];
      throw data_error(where, "expected " + std::to_string(width) + " fields, got " +
                                  std::to_string(records[r].size()));
    }
  }
  // the rows are the records after the header: moved, not copied into a second list
  records.erase(records.begin());
  lines.erase(lines.begin());
  table.rows = std::move(records);
  table.row_lines = std::move(lines);
  return table;
}

csv_table read_csv_file(const std::string& path, const std::string& encoding) {
  error_location where;
  where.file = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw data_error(where, "is a directory, not a file");
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec) check_size(static_cast<std::size_t>(size), path);

  std::ifstream in(path, std::ios::binary);
  if (!in) throw data_error(where, "cannot open file (" + std::string(std::strerror(errno)) + ")");

  std::string bytes;
  if (!ec) bytes.reserve(static_cast<std::size_t>(size));
  // Read in chunks so that pipes and files that grow while being read stay bounded.
  std::string chunk(std::size_t{1} << 20, '\0');
  for (;;) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    // A NUL byte is never text: stop there, and parse_csv reports it with its line and column
    // (so /dev/zero or a binary file is refused after one chunk, not after 1 GiB).
    if (const void* nul = std::memchr(chunk.data(), 0, got)) {
      bytes.append(chunk.data(), static_cast<std::size_t>(static_cast<const char*>(nul) - chunk.data()) + 1);
      break;
    }
    bytes.append(chunk.data(), got);
    check_size(bytes.size(), path);
    if (!in) break;
  }
  if (in.bad()) throw data_error(where, "read error");
  return parse_csv(bytes, path, encoding);
}

std::size_t column_index(const csv_table& table, std::string_view name) noexcept {
  for (std::size_t i = 0; i < table.header.size(); ++i) {
    if (table.header[i] == name) return i;
  }
  return std::string::npos;
}

}  // namespace embedrating::detail
