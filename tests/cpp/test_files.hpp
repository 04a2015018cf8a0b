#pragma once
// Whole-file reads and writes for tests: bytes in, bytes out, no newline translation. A file that
// cannot be read or written throws, so a test never compares against an empty string by mistake.
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace embedrating::test_support {

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("test: cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

/// The file's bytes, or "" when there is no file (for a reader racing the file's first writer).
inline std::string read_text_if_present(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return f ? std::string(std::istreambuf_iterator<char>(f), {}) : std::string();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.flush();
  if (!f) throw std::runtime_error("test: cannot write " + path);
}

}  // namespace embedrating::test_support
