#pragma once
/// \file encoding.hpp
/// The text encoding of what the CLI writes (--output-encoding): Excel on Chinese Windows opens
/// a CSV file as UTF-8 only when it starts with a byte-order mark, else as GBK/GB18030.
#include <iosfwd>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

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

/// What every command that writes text does with it: encodes `utf8` as `option` (--output-encoding)
/// says — a CSV file (`csv` and a real `path`) gets a byte-order mark under "auto" — and writes it to
/// the file `path` atomically, or to `out` when `path` is empty or "-". Throws std::runtime_error
/// (the message names the file and the reason) when it cannot encode or write; callers map it to
/// exit status 3.
void write_encoded(const std::string& path, std::string_view utf8, const std::string& option, bool csv, std::ostream& out);

/// Adds `--output-encoding` (auto, utf-8, utf-8-sig, gb18030 and aliases) to `cmd`, stored in `option`.
void add_output_encoding_option(CLI::App& cmd, std::string& option);

}  // namespace embedrating::cli
