#pragma once
/// \file encoding.hpp
/// The text encoding of what the CLI writes (--output-encoding): Excel on Chinese Windows opens
/// a CSV file as UTF-8 only when it starts with a byte-order mark, else as GBK/GB18030.
#include <string>
#include <string_view>

namespace embedrating::cli {

enum class output_encoding : char {
  utf8,      ///< UTF-8 without BOM
  utf8_sig,  ///< UTF-8 with a byte-order mark (EF BB BF)
  gb18030,   ///< GB18030 (a superset of GBK: every Unicode character has a code)
};

/// The choices of --output-encoding: "auto" (UTF-8 with BOM for CSV written to a file, plain UTF-8
/// otherwise), "utf-8", "utf-8-sig", "gb18030" (aliases: utf8, utf8-sig, gbk, cp936).
/// `to_file_csv` says whether the text is a CSV file (not standard output, not JSON or a table).
output_encoding resolve_output_encoding(const std::string& option, bool to_file_csv);

/// UTF-8 text in the chosen encoding; throws std::runtime_error when iconv cannot convert it.
std::string encode_output(std::string_view utf8, output_encoding e);

}  // namespace embedrating::cli
