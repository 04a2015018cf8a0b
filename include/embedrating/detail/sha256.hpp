#pragma once
/// \file detail/sha256.hpp
/// SHA-256 (OpenSSL libcrypto, kept out of public headers).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace embedrating::detail {

/// Incremental SHA-256.
class sha256 {
 public:
  sha256();
  ~sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;
  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// Lower-case hex digest; the object cannot be updated afterwards.
  std::string hex_digest();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace embedrating::detail
