// Output encodings: UTF-8 with or without BOM, and GB18030 through glibc's iconv.
#include "encoding.hpp"

#include <iconv.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include <embedrating/io.hpp>

namespace embedrating::cli {

output_encoding resolve_output_encoding(const std::string& option, bool to_file_csv) {
  std::string o;
  for (char c : option) o += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (o == "utf-8" || o == "utf8") return output_encoding::utf8;
  if (o == "utf-8-sig" || o == "utf8-sig") return output_encoding::utf8_sig;
  if (o == "gb18030" || o == "gbk" || o == "cp936") return output_encoding::gb18030;
  return to_file_csv ? output_encoding::utf8_sig : output_encoding::utf8;  // auto
}

std::string encode_output(std::string_view utf8, output_encoding e) {
  if (e == output_encoding::utf8) return std::string(utf8);
  if (e == output_encoding::utf8_sig) return "\xEF\xBB\xBF" + std::string(utf8);
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error(std::string("iconv cannot convert UTF-8 to GB18030: ") + std::strerror(errno));
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  std::size_t in_left = utf8.size();
  char* dst = out.data();
  std::size_t out_left = out.size();
  while (in_left > 0) {
    if (iconv(cd, &in, &in_left, &dst, &out_left) == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) {  // GB18030 takes at most 4 bytes per character; grow and go on
        const std::size_t used = static_cast<std::size_t>(dst - out.data());
        out.resize(out.size() * 2);
        dst = out.data() + used;
        out_left = out.size() - used;
        continue;
      }
      const std::size_t at = static_cast<std::size_t>(in - utf8.data());
      iconv_close(cd);
      throw std::runtime_error("the output is not valid UTF-8 at byte " + std::to_string(at) + " and cannot be written as GB18030");
    }
  }
  out.resize(static_cast<std::size_t>(dst - out.data()));
  iconv_close(cd);
  return out;
}

void write_encoded(const std::string& path, std::string_view utf8, const std::string& option, bool csv, std::ostream& out) {
  const bool to_file = !path.empty() && path != "-";
  const std::string bytes = encode_output(utf8, resolve_output_encoding(option, csv && to_file));
  if (!to_file) {
    out << bytes;
    return;
  }
  const std::string why = embedrating::write_output_file(path, bytes);
  if (!why.empty()) throw std::runtime_error("cannot write \"" + path + "\": " + why);
}

void add_output_encoding_option(CLI::App& cmd, std::string& option) {
  cmd.add_option("--output-encoding", option,
                 "Encoding of what is written: auto (default: UTF-8 with a byte-order mark for CSV files, so Excel on Chinese "
                 "Windows opens them correctly; plain UTF-8 on standard output), utf-8, utf-8-sig, gb18030; the HTML page and xlsx are always UTF-8")
      ->check(CLI::IsMember({"auto", "utf-8", "utf8", "utf-8-sig", "utf8-sig", "gb18030", "gbk", "cp936"}, CLI::ignore_case));
}

}  // namespace embedrating::cli
