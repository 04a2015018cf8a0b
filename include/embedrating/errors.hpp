#pragma once
/// \file errors.hpp
/// Error types. Every error carries where it happened (file, line, column, field, operator) and
/// its what() is the full, human-readable message with that location in front.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace embedrating {

/// Where an error happened. Empty strings and zero numbers mean "not known / not applicable".
struct error_location {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string row;          ///< the row label of a DataFrame row (tables without lines)
  std::string field;        ///< TOML key path, column name, indicator id or field name
  std::string operator_id;  ///< the operator at fault, if any

  /// "file:line:column: row R: field: operator X: " — only the parts that are known.
  std::string prefix() const {
    std::string out;
    if (!file.empty()) {
      out += file;
      if (line != 0) {
        out += ':' + std::to_string(line);
        if (column != 0) out += ':' + std::to_string(column);
      }
      out += ": ";
    } else if (line != 0) {
      out += "line " + std::to_string(line);
      if (column != 0) out += ", column " + std::to_string(column);
      out += ": ";
    }
    if (!row.empty()) out += "row " + row + ": ";
    if (!field.empty()) out += field + ": ";
    if (!operator_id.empty()) out += "operator " + operator_id + ": ";
    return out;
  }
};

/// Base of every embedrating error.
class error : public std::runtime_error {
 public:
  error(const error_location& where, const std::string& message)
      : std::runtime_error(where.prefix() + message), where_(where), message_(message) {}
  explicit error(const std::string& message) : error(error_location{}, message) {}

  const error_location& where() const noexcept { return where_; }
  /// The message without the location prefix.
  const std::string& message() const noexcept { return message_; }

 private:
  error_location where_;
  std::string message_;
};

/// A model file or model object is invalid (TOML syntax, unknown key, bad value, inconsistent tree).
class model_error : public error {
 public:
  using error::error;
};

/// Input data is invalid (missing or unknown column, NaN, out of range, duplicate id, bad CSV).
class data_error : public error {
 public:
  using error::error;
};

/// A saved state or archive is unreadable (truncated, corrupted, oversized, newer format).
class archive_error : public error {
 public:
  using error::error;
};

}  // namespace embedrating
