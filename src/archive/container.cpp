// The archive container (docs/archives.md): a 64-byte little-endian header — magic naming the
// type, format version, reserved, payload size, SHA-256 of the payload, reserved — then the
// payload. Shared by every persistent type.
//
// Build switch EMBEDRATING_FUZZING_SKIP_CHECKSUM (CMake option EMBEDRATING_FUZZ, never in a
// release): the checksum is not compared, so a fuzzer reaches the payload.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "embedrating/detail/atomic_file.hpp"
#include "embedrating/detail/sha256.hpp"
#include "embedrating/serialize.hpp"

namespace embedrating {

namespace {

struct type_info {
  archive_type type;
  char magic[8];
  const char* name;
  std::uint32_t version;  ///< written today
};

// The review state keeps the magic of its first format (docs/review-archive.md); version 1 is the
// Boost binary archive of 2024 releases, version 2 the portable encoding.
constexpr type_info types[] = {
    {archive_type::model, {'E', 'R', 'M', 'O', 'D', 'E', 'L', '_'}, "model", 1},
    {archive_type::dataset, {'E', 'R', 'D', 'A', 'T', 'S', 'E', 'T'}, "dataset", 1},
    {archive_type::ratings, {'E', 'R', 'R', 'A', 'T', 'I', 'N', 'G'}, "ratings", 2},
    {archive_type::review_state, {'E', 'R', 'R', 'E', 'V', 'A', 'G', 'G'}, "review", 2},
    {archive_type::scored, {'E', 'R', 'S', 'C', 'O', 'R', 'E', 'D'}, "scored", 1},
};

const type_info& info(archive_type t) {
  for (const auto& i : types)
    if (i.type == t) return i;
  return types[0];
}

[[noreturn]] void bad(const std::string& source, const std::string& what) {
  error_location w;
  w.file = source;
  throw archive_error(w, what);
}

std::uint32_t u32_at(const char* p) {
  std::uint32_t v = 0;
  detail::get_le(p, &v, 1);
  return v;
}
std::uint64_t u64_at(const char* p) {
  std::uint64_t v = 0;
  detail::get_le(p, &v, 1);
  return v;
}

std::string raw_sha256(std::string_view bytes) {
  const std::string hex = detail::sha256_hex(bytes);
  std::string raw(32, '\0');
  for (std::size_t i = 0; i < 32; ++i) raw[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return raw;
}

/// The header's problem, or "" (only the first 64 bytes are looked at).
void check_header(archive_type t, std::string_view bytes, const std::string& source) {
  const type_info& want = info(t);
  const std::string what = std::string(want.name) + " archive";
  if (bytes.size() < archive_header_size)
    bad(source, "not a " + what + ": " + std::to_string(bytes.size()) + " bytes, shorter than the 64-byte header");
  if (std::memcmp(bytes.data(), want.magic, 8) != 0) {
    for (const auto& other : types)
      if (std::memcmp(bytes.data(), other.magic, 8) == 0)
        bad(source, std::string("a ") + other.name + " archive, not a " + what);
    bad(source, "not a " + what + " (wrong magic bytes)");
  }
  const std::uint32_t version = u32_at(bytes.data() + 8);
  if (version == 0) bad(source, what + " format version 0 does not exist (a damaged header)");
  if (version > want.version)
    bad(source, what + " format version " + std::to_string(version) + " is newer than this embedrating reads (" +
                    std::to_string(want.version) + ")");
}

}  // namespace

const char* to_string(archive_type t) noexcept { return info(t).name; }

std::uint32_t archive_format_version(archive_type t) noexcept { return info(t).version; }

std::string seal_archive(archive_type t, std::uint32_t version, std::string_view payload) {
  std::string out(info(t).magic, 8);
  const std::uint32_t head[2] = {version, 0};
  detail::put_le(out, head, 2);
  const std::uint64_t size = payload.size();
  detail::put_le(out, &size, 1);
  out += raw_sha256(payload);
  const std::uint64_t reserved = 0;
  detail::put_le(out, &reserved, 1);
  out.append(payload);
  return out;
}

unsealed_archive unseal_archive(archive_type t, std::string_view bytes, const std::string& source) {
  check_header(t, bytes, source);
  unsealed_archive out;
  out.version = u32_at(bytes.data() + 8);
  const std::uint64_t size = u64_at(bytes.data() + 16);
  if (size != bytes.size() - archive_header_size)
    bad(source, "the archive is truncated or has trailing bytes: the header says " + std::to_string(size) +
                    " payload bytes, the file has " + std::to_string(bytes.size() - archive_header_size));
  out.payload = bytes.substr(archive_header_size);
#ifndef EMBEDRATING_FUZZING_SKIP_CHECKSUM
  if (raw_sha256(out.payload) != bytes.substr(24, 32)) bad(source, "checksum mismatch: the archive is corrupted");
#endif
  return out;
}

std::string read_archive_file(archive_type t, const std::string& path) {
  error_location w;
  w.file = path;
  {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw archive_error(w, "is a directory, not a file");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw archive_error(w, std::string("cannot open: ") + std::strerror(errno));
  std::string bytes(archive_header_size, '\0');
  f.read(bytes.data(), static_cast<std::streamsize>(archive_header_size));
  bytes.resize(static_cast<std::size_t>(f.gcount()));
  check_header(t, bytes, path);
  const std::uint64_t size = u64_at(bytes.data() + 16);
  if (size > max_archive_bytes - archive_header_size)
    throw archive_error(w, "larger than the " + std::to_string(max_archive_bytes) + "-byte limit for archives (the header claims " +
                               std::to_string(size) + " payload bytes)");
  bytes.resize(archive_header_size + static_cast<std::size_t>(size));
  f.read(bytes.data() + archive_header_size, static_cast<std::streamsize>(size));
  const auto got = static_cast<std::size_t>(f.gcount());
  if (got == size) {
    char extra = 0;
    if (f.read(&extra, 1)) bytes += extra;  // reported as trailing bytes
  } else {
    bytes.resize(archive_header_size + got);  // reported as truncated
  }
  if (f.bad()) throw archive_error(w, std::string("cannot read: ") + std::strerror(errno));
  return bytes;
}

void write_archive_file(const std::string& path, std::string_view bytes) {
  const std::string why = detail::write_file_atomically(path, bytes);
  if (!why.empty()) {
    error_location w;
    w.file = path;
    throw archive_error(w, why);
  }
}

}  // namespace embedrating
