#pragma once
// Internal: the CSV table source (src/ingest/csv_source.cpp) and its decoding helpers.
#include <memory>
#include <string>
#include <string_view>

#include "embedrating/io.hpp"

namespace embedrating::detail {

enum class text_encoding : unsigned char { automatic, utf8, gb18030 };

/// "auto", "utf-8" (utf8, utf-8-sig, utf_8), "gb18030" (gbk, gb2312, cp936), case-insensitive;
/// anything else is a data_error naming `source`.
text_encoding parse_encoding(const std::string& name, const std::string& source);

/// "0xAB".
std::string hex_byte(unsigned char b);

/// A CSV table source over bytes in memory (they must outlive it); `name` is used in messages.
std::unique_ptr<table_source> open_csv_bytes(std::string_view bytes, const std::string& name, const csv_options& o = {});

}  // namespace embedrating::detail
