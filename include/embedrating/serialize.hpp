#pragma once
/// \file serialize.hpp
/// One serialized form per persistent type (docs/archives.md), used for files, Python pickles and
/// transfer between processes.
///
/// An archive is our 64-byte header — magic naming the type, format version, payload size,
/// SHA-256 of the payload, all little-endian — followed by a payload written through
/// Boost.Serialization's `serialize()` with `portable_oarchive`: every integer little-endian in
/// its fixed width, doubles as their IEEE-754 bits (NaN payloads and -0.0 kept), bool one byte,
/// counts and lengths 64-bit. The same object gives the same bytes on every platform.
///
/// Reading checks the header, the checksum, and every count against the bytes left before
/// anything is allocated; anything wrong is an `archive_error` naming the source.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/mpl/bool.hpp>
#include <boost/serialization/nvp.hpp>
#include <boost/serialization/serialization.hpp>
#include <boost/serialization/version.hpp>

#include "errors.hpp"

namespace embedrating {

class model;
class dataset;
class ratings;
class review_aggregator;
class scored;

// ---------------------------------------------------------------------------------------------
// The portable archive pair
// ---------------------------------------------------------------------------------------------

namespace detail {

/// True on a little-endian host (the byte copies below are then plain memcpy).
inline bool host_is_little_endian() noexcept {
  const std::uint16_t one = 1;
  unsigned char b = 0;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

template <class T>
inline constexpr bool is_fixed_width_v =
    std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::int16_t> ||
    std::is_same_v<T, std::uint16_t> || std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::uint32_t> ||
    std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t> || std::is_same_v<T, char>;

/// The unsigned integer a primitive is stored as (its bit pattern).
template <class T>
using wire_uint_t = std::conditional_t<
    sizeof(T) == 1, std::uint8_t,
    std::conditional_t<sizeof(T) == 2, std::uint16_t, std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;

/// Appends `n` values of T, each as sizeof(T) little-endian bytes.
template <class T>
void put_le(std::string& out, const T* p, std::size_t n) {
  static_assert(std::is_trivially_copyable_v<T>);
  const std::size_t at = out.size();
  out.resize(at + n * sizeof(T));
  char* dst = out.data() + at;
  if (n == 0) return;
  if (sizeof(T) == 1 || host_is_little_endian()) {
    std::memcpy(dst, p, n * sizeof(T));
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    wire_uint_t<T> u;
    std::memcpy(&u, p + i, sizeof(T));
    for (std::size_t b = 0; b < sizeof(T); ++b) dst[i * sizeof(T) + b] = static_cast<char>(static_cast<unsigned char>(u >> (8 * b)));
  }
}

/// Reads `n` values of T from little-endian bytes.
template <class T>
void get_le(const char* src, T* p, std::size_t n) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (n == 0) return;
  if (sizeof(T) == 1 || host_is_little_endian()) {
    std::memcpy(p, src, n * sizeof(T));
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    wire_uint_t<T> u = 0;
    for (std::size_t b = 0; b < sizeof(T); ++b)
      u = static_cast<wire_uint_t<T>>(u | (static_cast<wire_uint_t<T>>(static_cast<unsigned char>(src[i * sizeof(T) + b])) << (8 * b)));
    std::memcpy(p + i, &u, sizeof(T));
  }
}

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

/// A Boost name-value pair: the portable archives store its value alone (names are for text
/// archives), with no class version of its own.
template <class T>
struct is_nvp : std::false_type {};
template <class T>
struct is_nvp<boost::serialization::nvp<T>> : std::true_type {};

/// Primitives the archives store directly: fixed-width integers, bool, float, double, and enums
/// over fixed-width integers. `long`, `size_t` and `wchar_t` are refused at compile time where they
/// are distinct types (their width differs between platforms); counts go as uint64.
template <class T>
constexpr bool is_wire_primitive() {
  if constexpr (std::is_enum_v<T>)
    return is_fixed_width_v<std::underlying_type_t<T>> || std::is_same_v<std::underlying_type_t<T>, unsigned char> ||
           std::is_same_v<std::underlying_type_t<T>, signed char>;
  else
    return std::is_same_v<T, bool> || std::is_same_v<T, double> || std::is_same_v<T, float> || is_fixed_width_v<T> ||
           std::is_same_v<T, unsigned char> || std::is_same_v<T, signed char>;
}

}  // namespace detail

/// A Boost.Serialization saving archive (the archive concept of Boost's "trivial archive") that
/// writes the portable encoding into a string. Class types are saved through their `serialize()`
/// (member, free function or split save/load), preceded by their class version (uint32).
class portable_oarchive {
 public:
  using is_loading = boost::mpl::bool_<false>;
  using is_saving = boost::mpl::bool_<true>;

  explicit portable_oarchive(std::string& out) : out_(out) {}

  template <class T>
  void register_type(const T* = nullptr) {}
  unsigned int get_library_version() const { return 0; }
  void save_binary(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }

  template <class T>
  portable_oarchive& operator&(const T& t) {
    return *this << t;
  }

  template <class T>
  portable_oarchive& operator<<(const T& t) {
    if constexpr (std::is_same_v<T, bool>) {
      const std::uint8_t b = t ? 1 : 0;
      detail::put_le(out_, &b, 1);
    } else if constexpr (std::is_enum_v<T>) {
      static_assert(detail::is_wire_primitive<T>(), "an enum in an archive needs a fixed-width underlying type");
      const auto u = static_cast<std::underlying_type_t<T>>(t);
      detail::put_le(out_, &u, 1);
    } else if constexpr (std::is_arithmetic_v<T>) {
      static_assert(detail::is_wire_primitive<T>(), "archives store fixed-width integers only (no long/size_t)");
      detail::put_le(out_, &t, 1);
    } else if constexpr (std::is_same_v<T, std::string>) {
      *this << static_cast<std::uint64_t>(t.size());
      out_.append(t);
    } else if constexpr (detail::is_vector<T>::value) {
      using E = typename T::value_type;
      *this << static_cast<std::uint64_t>(t.size());
      if constexpr (std::is_same_v<E, bool>) {
        for (bool b : t) *this << b;
      } else if constexpr (detail::is_wire_primitive<E>() && !std::is_same_v<E, bool>) {
        detail::put_le(out_, t.data(), t.size());
      } else {
        for (const auto& e : t) *this << e;
      }
    } else if constexpr (detail::is_nvp<T>::value) {
      *this << t.const_value();
    } else {
      const std::uint32_t v = boost::serialization::version<T>::value;
      *this << v;
      boost::serialization::serialize_adl(*this, const_cast<T&>(t), v);
    }
    return *this;
  }

  /// Raw little-endian block of n primitives (a column) without a count.
  template <class T>
  void save_array(const T* p, std::size_t n) {
    static_assert(detail::is_wire_primitive<T>());
    detail::put_le(out_, p, n);
  }

 private:
  std::string& out_;
};

/// The loading counterpart of `portable_oarchive`, over bytes in memory. Every read is bounds
/// checked; `count()` reads a count and checks it against the bytes left before the caller
/// allocates; failures are `archive_error`s naming the source.
class portable_iarchive {
 public:
  using is_loading = boost::mpl::bool_<true>;
  using is_saving = boost::mpl::bool_<false>;

  portable_iarchive(std::string_view bytes, std::string source) : p_(bytes.data()), end_(bytes.data() + bytes.size()), source_(std::move(source)) {}

  template <class T>
  void register_type(const T* = nullptr) {}
  unsigned int get_library_version() const { return 0; }
  std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  const std::string& source() const noexcept { return source_; }

  [[noreturn]] void fail(const std::string& what) const {
    error_location w;
    w.file = source_;
    throw archive_error(w, what);
  }

  void load_binary(void* p, std::size_t n) {
    need(n, "bytes");
    std::memcpy(p, p_, n);
    p_ += n;
  }

  /// Reads a uint64 count of items of at least `unit` bytes each and checks they fit in what is left.
  std::uint64_t count(std::size_t unit, const char* what) {
    std::uint64_t n = 0;
    *this >> n;
    if (unit == 0) unit = 1;
    if (n > left() / unit)
      fail(std::string("the archive claims ") + std::to_string(n) + " items (" + what + ") but only " + std::to_string(left()) +
           " bytes are left");
    return n;
  }

  template <class T>
  portable_iarchive& operator&(T& t) {
    return *this >> t;
  }

  template <class T>
  portable_iarchive& operator>>(T& t) {
    if constexpr (std::is_same_v<T, bool>) {
      std::uint8_t b = 0;
      *this >> b;
      if (b > 1) fail("a boolean is stored as " + std::to_string(b) + " (0 or 1 expected)");
      t = b != 0;
    } else if constexpr (std::is_enum_v<T>) {
      static_assert(detail::is_wire_primitive<T>(), "an enum in an archive needs a fixed-width underlying type");
      std::underlying_type_t<T> u{};
      load_array(&u, 1);
      t = static_cast<T>(u);
    } else if constexpr (std::is_arithmetic_v<T>) {
      static_assert(detail::is_wire_primitive<T>(), "archives store fixed-width integers only (no long/size_t)");
      load_array(&t, 1);
    } else if constexpr (std::is_same_v<T, std::string>) {
      const std::uint64_t n = count(1, "string length");
      t.assign(p_, static_cast<std::size_t>(n));
      p_ += n;
    } else if constexpr (detail::is_vector<T>::value) {
      using E = typename T::value_type;
      if constexpr (std::is_same_v<E, bool>) {
        const std::uint64_t n = count(1, "booleans");
        t.assign(static_cast<std::size_t>(n), false);
        for (std::size_t i = 0; i < t.size(); ++i) {
          bool b = false;
          *this >> b;
          t[i] = b;
        }
      } else if constexpr (detail::is_wire_primitive<E>()) {
        const std::uint64_t n = count(sizeof(E), "array length");
        t.resize(static_cast<std::size_t>(n));
        load_array(t.data(), t.size());
      } else {
        // every element takes at least one byte
        const std::uint64_t n = count(1, "list length");
        t.clear();
        t.resize(static_cast<std::size_t>(n));
        for (auto& e : t) *this >> e;
      }
    } else if constexpr (detail::is_nvp<std::remove_const_t<T>>::value) {
      *this >> t.value();
    } else {
      std::uint32_t v = 0;
      *this >> v;
      const unsigned current = boost::serialization::version<T>::value;
      if (v > current)
        fail("a part of the archive has class version " + std::to_string(v) + ", written by a newer embedrating (this one reads " +
             std::to_string(current) + ")");
      boost::serialization::serialize_adl(*this, t, v);
    }
    return *this;
  }

  /// Reads n little-endian primitives (no count).
  template <class T>
  void load_array(T* p, std::size_t n) {
    static_assert(detail::is_wire_primitive<T>());
    if (n > left() / sizeof(T)) need(n * sizeof(T), "values");
    detail::get_le(p_, p, n);
    p_ += n * sizeof(T);
  }

 private:
  void need(std::size_t n, const char* what) const {
    if (n > left())
      fail("the archive is truncated: " + std::to_string(n) + " more " + what + " needed, " + std::to_string(left()) + " left");
  }
  const char* p_;
  const char* end_;
  std::string source_;
};

// ---------------------------------------------------------------------------------------------
// The container: header + payload
// ---------------------------------------------------------------------------------------------

/// The persistent types and their magic bytes (the first 8 bytes of an archive).
enum class archive_type : std::uint8_t { model, dataset, ratings, review_state, scored };

/// "model", "dataset", "ratings", "review state", "scored".
const char* to_string(archive_type t) noexcept;

/// Format version each type is written with today (every earlier version keeps loading).
std::uint32_t archive_format_version(archive_type t) noexcept;

/// Size of the header in front of every payload.
inline constexpr std::size_t archive_header_size = 64;
/// Largest archive accepted (4 GiB).
inline constexpr std::uint64_t max_archive_bytes = std::uint64_t{1} << 32;

/// The header and checksummed payload of an archive.
std::string seal_archive(archive_type t, std::uint32_t version, std::string_view payload);

/// An archive's checked payload and format version.
struct unsealed_archive {
  std::uint32_t version = 0;
  std::string_view payload;
};

/// Checks the header (magic of type `t`, version known, payload size), then the SHA-256; an
/// `archive_error` naming `source` for anything wrong — also when the bytes are an archive of
/// another type ("a ratings archive, not a model archive").
unsealed_archive unseal_archive(archive_type t, std::string_view bytes, const std::string& source);

/// Reads an archive file of type `t` header first: a file that is not one is refused after 64
/// bytes; the payload size is checked against max_archive_bytes before it is read.
std::string read_archive_file(archive_type t, const std::string& path);

/// Writes bytes to `path` atomically; archive_error naming the path if it fails.
void write_archive_file(const std::string& path, std::string_view bytes);

// ---------------------------------------------------------------------------------------------
// Per type
// ---------------------------------------------------------------------------------------------

/// The archive type of T (model, dataset, ratings, review_aggregator, scored).
template <class T>
struct archive_traits;

template <>
struct archive_traits<model> {
  static constexpr archive_type type = archive_type::model;
};
template <>
struct archive_traits<dataset> {
  static constexpr archive_type type = archive_type::dataset;
};
template <>
struct archive_traits<ratings> {
  static constexpr archive_type type = archive_type::ratings;
};
template <>
struct archive_traits<review_aggregator> {
  static constexpr archive_type type = archive_type::review_state;
};
template <>
struct archive_traits<scored> {
  static constexpr archive_type type = archive_type::scored;
};

/// The archive of an object (header + portable payload).
std::string to_bytes(const model& m);
std::string to_bytes(const dataset& d);
std::string to_bytes(const ratings& r);
std::string to_bytes(const review_aggregator& r);
/// The scored archive: the scoring model and everything re-grading and explaining read
/// (docs/archives.md "scored"); std::logic_error for an empty `scored`.
std::string to_bytes(const scored& s);

/// Reads `to_bytes`'s archive of a T; `archive_error` naming `source` for anything wrong.
template <class T>
T from_bytes(std::string_view bytes, const std::string& source = "<bytes>");
template <>
model from_bytes<model>(std::string_view bytes, const std::string& source);
template <>
dataset from_bytes<dataset>(std::string_view bytes, const std::string& source);
template <>
ratings from_bytes<ratings>(std::string_view bytes, const std::string& source);
template <>
review_aggregator from_bytes<review_aggregator>(std::string_view bytes, const std::string& source);
template <>
scored from_bytes<scored>(std::string_view bytes, const std::string& source);

/// Writes the archive of `x` to `path` atomically.
template <class T>
void save_archive(const T& x, const std::string& path) {
  write_archive_file(path, to_bytes(x));
}

/// Reads an archive file of a T.
template <class T>
T load_archive(const std::string& path) {
  return from_bytes<T>(read_archive_file(archive_traits<T>::type, path), path);
}

}  // namespace embedrating
