// A CSV file as a table source: read, decoded and split into records a few MiB at a time.
//
// Decoding: UTF-8 is validated in place as blocks arrive; GB18030 goes through iconv with the
// bytes of a character cut at a block's end carried over. With encoding "auto", a file is UTF-8
// until a byte says otherwise; if that happens after the first chunk was handed out, next()
// throws encoding_changed and the reader restarts the source as GB18030. Undecodable bytes are
// located (line, character column) by reading the file again from its start — only on that error.
//
// Splitting: records are found with a 16-byte scan for the four bytes that matter (',', '"',
// CR, LF); cells are string_views into the decoded text (or into an arena when a quoted field
// holds doubled quotes), row-major, so column k of a chunk is cells[k], stride = width.
//
// Reliability (issue 15, docs/security.md): forbidden characters (NUL and the other C0 controls
// but tab/LF/CR, DEL, C1 controls, a byte-order mark after the start) are found by the same pass
// that validates UTF-8 (for GB18030, on iconv's output) and reported with line, column and a
// visible escape (`\x00`); reading stops at the first one, so /dev/zero costs one block. Fields
// over 1 MiB and records of more than 10 000 fields are refused as soon as the scan passes the
// limit; inputs over csv_options::max_bytes (1 GiB) and files of more than max_cells (2^23)
// cells averaging under 4 bytes a cell too, except review event streams (src/ingest/events.cpp), which take bounded memory.
#include <fcntl.h>
#include <iconv.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>

#include "../csv.hpp"
#include "../text_checks.hpp"
#include "csv_source.hpp"
#include "embedrating/errors.hpp"

namespace embedrating {

table_source::~table_source() = default;

void table_source::restart() {
  error_location w;
  w.file = name();
  throw data_error(w, "this table cannot be read twice");
}

const char* to_string(column_type t) noexcept {
  switch (t) {
    case column_type::text: return "text";
    case column_type::float64: return "float64";
    case column_type::int64: return "int64";
    case column_type::boolean: return "bool";
    case column_type::date: return "date";
    case column_type::timestamp: return "timestamp";
    case column_type::categorical: return "categorical";
  }
  return "?";
}

std::int64_t column_view::code(std::size_t i) const noexcept {
  switch (code_bytes) {
    case 1: return static_cast<const std::int8_t*>(data)[i];
    case 2: return static_cast<const std::int16_t*>(data)[i];
    case 4: return static_cast<const std::int32_t*>(data)[i];
    default: return static_cast<const std::int64_t*>(data)[i];
  }
}

namespace detail {
namespace {


std::uint32_t to_u32(std::size_t v) { return v > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(v); }

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

std::size_t count_code_points(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += !is_continuation(static_cast<unsigned char>(c));
  return n;
}

[[noreturn]] void too_large(const std::string& name, std::uint64_t limit, std::uint64_t size) {
  error_location w;
  w.file = name;
  throw data_error(w, "input is larger than " + (limit == (std::uint64_t{1} << 30) ? std::string("1 GiB") : std::to_string(limit) + " bytes") +
                          " (" + (size != 0 ? std::to_string(size) + " bytes" : std::string("more")) + "); split it into smaller files");
}

/// Bytes of a file or of memory, read front to back, from the start again on rewind().
class byte_reader {
 public:
  virtual ~byte_reader() = default;
  virtual std::size_t read(char* out, std::size_t n) = 0;  ///< 0 at the end
  virtual void rewind() = 0;
  /// The size of a regular file (0: unknown, e.g. a pipe or device).
  virtual std::uint64_t known_size() const noexcept { return 0; }
};

class file_reader final : public byte_reader {
 public:
  explicit file_reader(const std::string& path) : path_(path) { open(); }
  ~file_reader() override {
    if (fd_ >= 0) ::close(fd_);
  }
  std::size_t read(char* out, std::size_t n) override {
    for (;;) {
      const ssize_t got = ::read(fd_, out, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno == EINTR) continue;
      error_location w;
      w.file = path_;
      throw data_error(w, std::string("read error (") + std::strerror(errno) + ")");
    }
  }
  void rewind() override {
    if (::lseek(fd_, 0, SEEK_SET) != 0) {  // a pipe: cannot be read twice
      error_location w;
      w.file = path_;
      throw data_error(w, "cannot read the input twice (it is not a regular file); give its encoding with --encoding");
    }
  }

 private:
  void open() {
    error_location w;
    w.file = path_;
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw data_error(w, "is a directory, not a file");
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw data_error(w, "cannot open file (" + std::string(std::strerror(errno)) + ")");
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<std::uint64_t>(st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  }
  std::uint64_t known_size() const noexcept override { return size_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

class memory_reader final : public byte_reader {
 public:
  explicit memory_reader(std::string_view bytes) : bytes_(bytes) {}
  std::size_t read(char* out, std::size_t n) override {
    const std::size_t k = std::min(n, bytes_.size() - pos_);
    std::memcpy(out, bytes_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  void rewind() override { pos_ = 0; }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

/// Offset of the first byte that does not start a well-formed UTF-8 sequence, or that starts a
/// forbidden character (text_checks.hpp: a C0 control other than tab, LF and CR; DEL; a C1
/// control; U+FEFF), or n. `cut` is set when that sequence is only cut short by the end of the
/// text (it may go on in the next block); `forbidden` when it is a forbidden character.
std::size_t validate_utf8(const char* s, std::size_t n, bool& cut, bool& forbidden) {
  cut = false;
  forbidden = false;
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  std::size_t i = 0;
  while (i < n) {
    // a multi-byte character (Chinese text: runs of them) goes straight to the checks below
    if (static_cast<unsigned char>(s[i]) < 0x80) {
#if defined(__SSE2__)
    {  // ASCII, sixteen bytes at a time: a control byte other than tab, LF, CR, or DEL, is forbidden
      const __m128i space = _mm_set1_epi8(0x20), tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n'),
                    cr = _mm_set1_epi8('\r'), del = _mm_set1_epi8(0x7F);
      while (i + 16 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
        if (_mm_movemask_epi8(v) != 0) break;  // a byte >= 0x80: the sequence is checked below
        const __m128i allowed = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, lf)), _mm_cmpeq_epi8(v, cr));
        const __m128i control = _mm_andnot_si128(allowed, _mm_cmplt_epi8(v, space));
        const int bad = _mm_movemask_epi8(_mm_or_si128(control, _mm_cmpeq_epi8(v, del)));
        if (bad != 0) {
          forbidden = true;
          return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(bad)));
        }
        i += 16;
      }
    }
#endif
    while (i + 8 <= n) {  // ASCII without control bytes, eight bytes at a time
      std::uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & highs) break;
      const std::uint64_t del = w ^ (ones * 0x7F);
      // a byte below 0x20 or a DEL somewhere in the word (line breaks too): its bytes one by one
      if (((w - ones * 0x20) & ~w & highs) | ((del - ones) & ~del & highs)) {
        for (std::size_t k = i; k < i + 8; ++k) {
          const auto b = static_cast<unsigned char>(s[k]);
          if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F) {
            forbidden = true;
            return k;
          }
        }
      }
      i += 8;
    }
    }
    if (i >= n) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
        forbidden = true;
        return i;
      }
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return i;
    const std::size_t have = std::min(len, n - i);
    if (have >= 2) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if (c1 < lo || c1 > hi) return i;
    }
    for (std::size_t k = 2; k < have; ++k)
      if (!is_continuation(static_cast<unsigned char>(s[i + k]))) return i;
    if (have < len) {
      cut = true;
      return i;
    }
    // C1 controls (C2 80 .. C2 9F) and the byte-order mark (EF BB BF) are well-formed but forbidden
    if ((c == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F) ||
        (c == 0xEF && static_cast<unsigned char>(s[i + 1]) == 0xBB && static_cast<unsigned char>(s[i + 2]) == 0xBF)) {
      forbidden = true;
      return i;
    }
    i += len;
  }
  return n;
}

bool starts_with_utf8_bom(std::string_view s) {
  return s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF && static_cast<unsigned char>(s[1]) == 0xBB &&
         static_cast<unsigned char>(s[2]) == 0xBF;
}

class iconv_handle {
 public:
  iconv_handle() = default;
  ~iconv_handle() { close(); }
  iconv_handle(const iconv_handle&) = delete;
  iconv_handle& operator=(const iconv_handle&) = delete;
  void open(const std::string& source) {
    close();
    cd_ = iconv_open("UTF-8", "GB18030");
    if (!ok()) {
      error_location w;
      w.file = source;
      throw data_error(w, "cannot convert from GB18030: iconv_open failed (" + std::string(std::strerror(errno)) + ")");
    }
  }
  void close() {
    if (ok()) iconv_close(cd_);
    cd_ = bad();
  }
  bool ok() const noexcept { return cd_ != bad(); }
  iconv_t get() const noexcept { return cd_; }

 private:
  static iconv_t bad() noexcept { return reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1)); }
  iconv_t cd_ = bad();
};

/// A growable byte buffer that does not clear what it grows into (std::string would zero it).
class text_buffer {
 public:
  std::size_t size() const noexcept { return size_; }
  const char* data() const noexcept { return buf_.get(); }
  char* data() noexcept { return buf_.get(); }
  char operator[](std::size_t i) const noexcept { return buf_[i]; }
  operator std::string_view() const noexcept { return std::string_view(buf_.get(), size_); }
  void clear() noexcept { size_ = 0; }
  /// Room for n more bytes at the end; commit() what was written.
  char* prepare(std::size_t n) {
    if (size_ + n > cap_) {
      std::size_t cap = cap_ ? cap_ : 1;
      while (cap < size_ + n) cap *= 2;
      std::unique_ptr<char[]> b(new char[cap]);
      if (size_) std::memcpy(b.get(), buf_.get(), size_);
      buf_ = std::move(b);
      cap_ = cap;
    }
    return buf_.get() + size_;
  }
  void commit(std::size_t n) noexcept { size_ += n; }
  void shrink(std::size_t n) noexcept { size_ = n; }
  void erase(std::size_t pos, std::size_t n) noexcept {
    std::memmove(buf_.get() + pos, buf_.get() + pos + n, size_ - pos - n);
    size_ -= n;
  }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t size_ = 0, cap_ = 0;
};

/// The positions of ',', '"', CR and LF in a text, found 64 bytes at a time as a bit mask and
/// handed out one by one: a record of short cells is scanned once, not once per cell.
class special_scanner {
 public:
  /// Starts over on a text (after the buffer grew or moved).
  void reset(const char* s, std::size_t n) noexcept {
    s_ = s;
    n_ = n;
    base_ = static_cast<std::size_t>(-1);
  }
  /// Whether it scans this text (the text must be unchanged since reset: fill() and compact() reset it).
  bool over(const char* s, std::size_t n) const noexcept { return s == s_ && n == n_; }
  void invalidate() noexcept { reset(nullptr, 0); }
  /// Index of the next special byte at or after p (n when none).
  std::size_t find(std::size_t p) noexcept {
    std::size_t b = p & ~std::size_t{63};
    if (b != base_) load(b);
    std::uint64_t m = mask_ & (~std::uint64_t{0} << (p - b));
    while (m == 0) {
      b += 64;
      if (b >= n_) return n_;
      load(b);
      m = mask_;
    }
    return b + static_cast<std::size_t>(__builtin_ctzll(m));
  }

 private:
  void load(std::size_t b) noexcept {
    base_ = b;
    std::uint64_t m = 0;
#if defined(__SSE2__)
    if (b + 64 <= n_) {
      const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'), lf = _mm_set1_epi8('\n'),
                    cr = _mm_set1_epi8('\r');
      for (int k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s_ + b + 16 * k));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                                         _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        m |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(hit))) << (16 * k);
      }
      mask_ = m;
      return;
    }
#endif
    const std::size_t end = std::min(n_, b + 64);
    for (std::size_t i = b; i < end; ++i) {
      const char c = s_[i];
      if (c == ',' || c == '"' || c == '\n' || c == '\r') m |= std::uint64_t{1} << (i - b);
    }
    mask_ = m;
  }

  const char* s_ = nullptr;
  std::size_t n_ = 0, base_ = static_cast<std::size_t>(-1);
  std::uint64_t mask_ = 0;
};

bool is_blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t') return false;
  return true;
}

}  // namespace

text_encoding parse_encoding(const std::string& name, const std::string& source) {
  const std::string n = lower_ascii(name);
  if (n.empty() || n == "auto") return text_encoding::automatic;
  if (n == "utf-8" || n == "utf8" || n == "utf-8-sig" || n == "utf_8") return text_encoding::utf8;
  if (n == "gb18030" || n == "gbk" || n == "gb2312" || n == "cp936") return text_encoding::gb18030;
  error_location where;
  where.file = source;
  throw data_error(where, "unknown encoding '" + name + "' (expected auto, utf-8, gb18030 or gbk)");
}

std::string hex_byte(unsigned char b) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out = "0x";
  out += digits[b >> 4];
  out += digits[b & 0x0F];
  return out;
}

// ---------------------------------------------------------------------------------------------

class csv_source final : public table_source {
 public:
  csv_source(std::unique_ptr<byte_reader> in, std::string name, const csv_options& o)
      : in_(std::move(in)), name_(std::move(name)), opt_(o) {
    requested_ = parse_encoding(o.encoding, name_);
    if (opt_.chunk_rows == 0) opt_.chunk_rows = 1;
    if (opt_.block_bytes < 16) opt_.block_bytes = 16;
    block_bytes = opt_.block_bytes;
    if (opt_.max_bytes != 0 && in_->known_size() > opt_.max_bytes)
      too_large(name_, opt_.max_bytes, in_->known_size());  // refused before a byte is read
    start();
  }

  const std::string& name() const noexcept override { return name_; }
  const std::vector<std::string>& header() const noexcept override { return header_; }
  const char* row_noun() const noexcept override { return "line"; }
  bool may_restart() const noexcept override {
    return requested_ == text_encoding::automatic && !requested_bom_utf8_ && !switched_;
  }
  /// An estimate, from the share of the file handed out so far: rows so far × file size ÷ bytes
  /// of those rows (text decoded up to the next record; GB18030 text is counted as decoded, so its
  /// estimate runs high), 3 % high; 0 before the first chunk or for a stream of unknown size.
  /// Readers reserve their columns with it instead of doubling them chunk by chunk; nothing relies
  /// on it being exact.
  std::size_t size_hint() const noexcept override {
    const std::uint64_t total = in_->known_size();
    const std::uint64_t consumed = text_base_ + pos_ + bom_bytes_;
    if (total == 0 || consumed == 0 || lines_.empty()) return 0;
    const double read = static_cast<double>(std::min(consumed, total));
    double rows = static_cast<double>(lines_.size()) * static_cast<double>(total) / read;
    // a file the cell limit will refuse (more than max_cells cells averaging under
    // min_bytes_per_cell bytes) is never read past max_cells: no room beyond that
    const double width = static_cast<double>(std::max<std::size_t>(header_.size(), 1));
    if (opt_.max_cells != 0 && rows * width > static_cast<double>(opt_.max_cells) &&
        rows * width > static_cast<double>(total) / min_bytes_per_cell)
      rows = static_cast<double>(opt_.max_cells) / width;
    return rows > 4e9 ? 0 : static_cast<std::size_t>(rows * 1.03) + 16;
  }
  std::uint32_t header_line() const noexcept { return header_line_; }
  std::uint32_t line_of(std::size_t row) const noexcept { return row < lines_.size() ? lines_[row] : 0; }

  error_location where(std::size_t row, std::size_t column) const override {
    error_location w;
    w.file = name_;
    w.line = row == npos ? header_line_ : line_of(row);
    if (column != npos && column < header_.size()) {
      w.column = to_u32(column + 1);
      w.field = header_[column];
    }
    return w;
  }

  void restart() override {
    if (!switched_) {
      error_location w;
      w.file = name_;
      throw data_error(w, "internal error: restart without an encoding change");
    }
    in_->rewind();
    reset_state();
    read_header();
  }

  bool next(table_chunk& chunk) override {
    try {
      return next_chunk(chunk);
    } catch (const encoding_changed&) {
      if (handed_out_) throw;  // the reader must start again
      restart();               // nothing handed out yet: start again quietly
      return next_chunk(chunk);
    }
  }

 private:
  bool next_chunk(table_chunk& chunk) {
    chunk.columns.clear();
    chunk.first_row = lines_.size();
    chunk.rows = 0;
    if (done_) return false;
    const std::size_t width = header_.size();
    cells_.clear();
    cells_.reserve(opt_.chunk_rows * width);
    arena_.clear();
    arena_.reserve(text_.size() + block_bytes);
    std::size_t rows = 0;
    while (rows < opt_.chunk_rows) {
      skip_empty_lines(rows == 0);
      if (pos_ >= text_.size()) {
        if (eof_) break;
        if (rows > 0) break;  // hand out what we have; the next call refills
        fill();
        arena_.reserve(text_.size() + block_bytes);
        continue;
      }
      const std::size_t save_pos = pos_, save_line = line_, save_line_start = line_start_;
      const std::size_t save_cells = cells_.size(), save_arena = arena_.size();
      const auto r = read_record(width);
      if (r == record::incomplete) {
        pos_ = save_pos, line_ = save_line, line_start_ = save_line_start;
        cells_.resize(save_cells);
        arena_.resize(save_arena);
        if (rows > 0) break;
        if (text_.size() - pos_ > opt_.max_record_bytes) too_long(save_line);
        fill();
        arena_.clear();
        arena_.reserve(text_.size() + block_bytes);  // no views yet: the arena may move
        continue;
      }
      lines_.push_back(to_u32(save_line));
      ++rows;
    }
    if (rows == 0) {
      done_ = true;
      return false;
    }
    handed_out_ = true;
    chunk.rows = rows;
    chunk.columns.resize(width);
    for (std::size_t k = 0; k < width; ++k) {
      column_view& v = chunk.columns[k];
      v.type = column_type::text;
      v.data = cells_.data() + k;
      v.stride = width;
    }
    return true;
  }

  enum class record { complete, incomplete };

  void start() {
    reset_state();
    try {
      read_header();
    } catch (const encoding_changed&) {  // the first bytes are not UTF-8: GB18030 from the start
      in_->rewind();
      reset_state();
      read_header();
    }
  }

  void reset_state() {
    scan_.invalidate();
    text_.clear();
    raw_.clear();
    cells_.clear();
    arena_.clear();
    lines_.clear();
    pos_ = 0, line_ = 1, line_start_ = 0, validated_ = 0, cells_read_ = 0;
    raw_offset_ = 0, text_base_ = 0, bom_bytes_ = 0;
    eof_ = done_ = handed_out_ = false;
    at_start_ = true;
    if (switched_) {
      encoding_ = text_encoding::gb18030;
    } else if (requested_ == text_encoding::automatic) {
      encoding_ = text_encoding::utf8;  // until a byte says otherwise
    } else {
      encoding_ = requested_;
    }
    if (encoding_ == text_encoding::gb18030) gb_.open(name_);
  }

  void read_header() {
    skip_empty_lines(true);
    while (pos_ >= text_.size() && !eof_) {
      fill();
      skip_empty_lines(true);
    }
    error_location w;
    w.file = name_;
    if (pos_ >= text_.size()) throw data_error(w, "empty CSV: no header row");
    std::size_t save_pos = pos_, save_line = line_, save_start = line_start_;
    for (;;) {
      const auto r = read_record(static_cast<std::size_t>(-1));
      if (r == record::complete) break;
      pos_ = save_pos, line_ = save_line, line_start_ = save_start;
      cells_.clear();
      arena_.clear();
      if (text_.size() - pos_ > opt_.max_record_bytes) too_long(save_line);
      fill();
    }
    header_line_ = to_u32(save_line);
    header_.clear();
    for (const auto& c : cells_) header_.emplace_back(c);
    cells_.clear();
    arena_.clear();
    w.line = header_line_;
    std::unordered_map<std::string_view, std::size_t> seen;
    for (std::size_t i = 0; i < header_.size(); ++i) {
      const std::string& h = header_[i];
      if (is_blank(h)) throw data_error(w, "empty column name in the header (column " + std::to_string(i + 1) + ")");
      const auto [it, fresh] = seen.emplace(h, i);
      if (!fresh)
        throw data_error(w, "duplicate column name " + quote_cell(h) + " in the header (columns " +
                                std::to_string(it->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
  }

  [[noreturn]] void too_long(std::size_t line) const {
    error_location w;
    w.file = name_;
    w.line = to_u32(line);
    throw data_error(w, "a record longer than " + std::to_string(opt_.max_record_bytes >> 20) +
                            " MiB (an unterminated quote, or not a CSV file)");
  }

  /// Drops the text before pos_ (records already handed out).
  void compact() {
    if (pos_ == 0) return;
    scan_.invalidate();
    text_.erase(0, pos_);
    text_base_ += pos_;  // UTF-8: text_ holds the file's bytes (after the BOM) from text_base_
    validated_ -= std::min(validated_, pos_);
    line_start_ = line_start_ >= pos_ ? line_start_ - pos_ : 0;
    pos_ = 0;
  }

  /// Reads and decodes one more block (sets eof_ at the end). Drops the text before pos_ first:
  /// callers fill only when no views into the text are held.
  void fill() {
    if (eof_) return;
    compact();
    scan_.invalidate();
    if (encoding_ == text_encoding::utf8) {
      const std::size_t old = text_.size();
      const std::size_t got = in_->read(text_.prepare(block_bytes), block_bytes);
      text_.commit(got);
      raw_offset_ += got;
      if (opt_.max_bytes != 0 && raw_offset_ > opt_.max_bytes) too_large(name_, opt_.max_bytes, 0);  // a pipe that goes on
      if (got == 0) eof_ = true;
      if (at_start_) {
        if (text_.size() < 3 && !eof_) return;  // the BOM may be cut by a tiny first read
        at_start_ = false;
        bom_bytes_ = 0;
        if (starts_with_utf8_bom(text_)) {
          text_.erase(0, 3);
          bom_bytes_ = 3;
          if (requested_ == text_encoding::automatic) requested_bom_utf8_ = true;
        }
      }
      (void)old;
      bool cut = false, forbidden = false;
      const std::size_t bad =
          validated_ + validate_utf8(text_.data() + validated_, text_.size() - validated_, cut, forbidden);
      if (forbidden) {
        // in automatic mode the text may still turn out to be GB18030 (C2 85 is a GB18030
        // character too): only UTF-8 if what follows in this block is
        if (requested_ == text_encoding::automatic && !requested_bom_utf8_) {
          std::size_t at = bad;
          for (;;) {
            bool c2 = false, f2 = false;
            at += std::max<std::size_t>(1, std::min<std::size_t>(3, utf8_sequence_length(text_.data() + at)));
            if (at >= text_.size()) break;
            at += validate_utf8(text_.data() + at, text_.size() - at, c2, f2);
            if (at >= text_.size() || (c2 && !eof_)) break;
            if (!f2) {
              bad_utf8_offset_ = text_base_ + at + bom_bytes_;
              switched_ = true;
              throw encoding_changed{};
            }
          }
        }
        forbidden_character(bad);
      }
      if (bad < text_.size() && !(cut && !eof_)) {
        // raw offset of the bad byte: text_ holds the raw bytes after the BOM, from text_base_
        const std::uint64_t raw_bad = text_base_ + bad + bom_bytes_;
        if (requested_ == text_encoding::automatic && !requested_bom_utf8_) {
          bad_utf8_offset_ = raw_bad;
          switched_ = true;
          throw encoding_changed{};
        }
        undecodable(raw_bad, requested_bom_utf8_ ? "not valid UTF-8, although the file starts with a UTF-8 BOM"
                                                 : "not valid UTF-8");
      }
      validated_ = bad;
      return;
    }
    // GB18030: raw bytes (with a character cut by the last block's end) through iconv
    const std::size_t carried = raw_.size();
    raw_.resize(carried + block_bytes);
    const std::size_t got = in_->read(raw_.data() + carried, block_bytes);
    raw_.resize(carried + got);
    raw_offset_ += got;
    if (opt_.max_bytes != 0 && raw_offset_ > opt_.max_bytes) too_large(name_, opt_.max_bytes, 0);
    if (got == 0) eof_ = true;
    const std::size_t old = text_.size();
    char* in_ptr = raw_.data();
    std::size_t in_left = raw_.size();
    std::size_t room = raw_.size() * 2 + 16;
    char* out_ptr = text_.prepare(room);
    std::size_t out_left = room;
    while (in_left > 0) {
      const std::size_t r = iconv(gb_.get(), &in_ptr, &in_left, &out_ptr, &out_left);
      if (r != static_cast<std::size_t>(-1)) break;
      if (errno == E2BIG) {
        text_.commit(room - out_left);
        room = in_left * 2 + 16;
        out_ptr = text_.prepare(room);
        out_left = room;
        continue;
      }
      if (errno == EINVAL && !eof_) break;  // a character cut by the block's end: carried over
      const std::uint64_t raw_bad = raw_offset_ - raw_.size() + static_cast<std::uint64_t>(in_ptr - raw_.data());
      if (requested_ == text_encoding::automatic && bad_utf8_offset_ > raw_bad)
        undecodable(bad_utf8_offset_, "neither valid UTF-8 nor valid GB18030", text_encoding::utf8);
      undecodable(raw_bad, requested_ == text_encoding::automatic ? "neither valid UTF-8 nor valid GB18030"
                                                                  : "not valid GB18030");
    }
    text_.commit(room - out_left);
    raw_.erase(0, raw_.size() - in_left);
    if (at_start_ && text_.size() - old >= 3) {
      at_start_ = false;
      if (starts_with_utf8_bom(std::string_view(text_).substr(old))) text_.erase(old, 3);  // GB18030 BOM 84 31 95 33
    } else if (eof_) {
      at_start_ = false;
    }
    if (at_start_) return;  // a BOM may still be cut: checked with the next block
    const std::size_t bad = find_forbidden_character(std::string_view(text_).substr(validated_));
    if (bad != std::string_view::npos) forbidden_character(validated_ + bad);
    validated_ = text_.size();
  }

  /// Length of the UTF-8 sequence a lead byte starts (1 for ASCII and stray bytes).
  static std::size_t utf8_sequence_length(const char* p) noexcept {
    const auto c = static_cast<unsigned char>(*p);
    return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  }

  /// Throws "forbidden character \x00 (…)" at the line and character column of text_[at] (a
  /// position after pos_: lines are counted from the record being read).
  [[noreturn]] void forbidden_character(std::size_t at) const {
    std::size_t line = line_, line_start = line_start_;
    for (std::size_t i = pos_; i < at; ++i) {
      const char c = text_[i];
      if (c == '\n' || (c == '\r' && (i + 1 >= text_.size() || text_[i + 1] != '\n'))) {
        ++line;
        line_start = i + 1;
      }
    }
    const std::string_view text(text_);
    const bool bom = text.compare(at, 3, "\xEF\xBB\xBF") == 0;
    fail(line, to_u32(count_code_points(text.substr(line_start, at - line_start)) + 1),
         "forbidden character " + escape_character(text, at) +
             (bom ? " (a byte-order mark in the middle of the text: two files pasted together?)"
              : text[at] == '\0' ? " (NUL: text cells cannot hold NUL bytes; is this a binary or UTF-16 file?)"
                                 : " (a control character: text cells cannot hold control characters)"));
  }

  /// Throws "undecodable byte" at the line and character column of raw byte `offset`, found by
  /// reading the input again from its start.
  [[noreturn]] void undecodable(std::uint64_t offset, const char* what, text_encoding as = text_encoding::automatic) {
    if (as == text_encoding::automatic) as = encoding_;
    in_->rewind();
    std::string all;
    std::string block(block_bytes, '\0');
    while (all.size() <= offset) {
      const std::size_t got = in_->read(block.data(), block.size());
      if (got == 0) break;
      all.append(block.data(), got);
    }
    const unsigned char byte = offset < all.size() ? static_cast<unsigned char>(all[offset]) : 0;
    std::string_view prefix(all.data(), std::min<std::size_t>(offset, all.size()));
    // CR and LF never occur inside a UTF-8 or GB18030 character: lines are counted on the raw bytes
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      if (prefix[i] == '\n' || (prefix[i] == '\r' && (i + 1 >= prefix.size() || prefix[i + 1] != '\n'))) {
        ++line;
        line_start = i + 1;
      }
    }
    std::string_view tail = prefix.substr(line_start);
    if (line_start == 0 && starts_with_utf8_bom(tail)) tail.remove_prefix(3);
    std::size_t column = 1;
    if (as == text_encoding::gb18030) {
      iconv_handle cd;
      cd.open(name_);
      std::string out(tail.size() * 2 + 16, '\0');
      char* ip = const_cast<char*>(tail.data());
      std::size_t il = tail.size();
      char* op = out.data();
      std::size_t ol = out.size();
      iconv(cd.get(), &ip, &il, &op, &ol);
      std::string_view decoded(out.data(), static_cast<std::size_t>(op - out.data()));
      if (line_start == 0 && starts_with_utf8_bom(decoded)) decoded.remove_prefix(3);
      column = count_code_points(decoded) + 1;
    } else {
      column = count_code_points(tail) + 1;
    }
    error_location w;
    w.file = name_;
    w.line = to_u32(line);
    w.column = to_u32(column);
    throw data_error(w, "undecodable byte " + hex_byte(byte) + " (" + what + ")");
  }

  void consume_line_break() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
    line_start_ = pos_;
  }

  /// Skips completely empty lines; may refill when allowed (the start of a chunk).
  void skip_empty_lines(bool may_fill) {
    for (;;) {
      while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
        if (text_[pos_] == '\r' && pos_ + 1 >= text_.size() && !eof_) break;  // CR LF may be cut
        consume_line_break();
      }
      if (!may_fill) return;
      if (pos_ < text_.size() && !(text_[pos_] == '\r' && pos_ + 1 >= text_.size() && !eof_)) return;
      if (eof_) return;
      compact();
      fill();
    }
  }

  std::uint32_t column_at(std::size_t pos) const {
    return to_u32(count_code_points(std::string_view(text_).substr(line_start_, pos - line_start_)) + 1);
  }

  [[noreturn]] void fail(std::size_t line, std::uint32_t column, const std::string& msg) const {
    error_location w;
    w.file = name_;
    w.line = to_u32(line);
    w.column = column;
    throw data_error(w, msg);
  }

  /// One record into cells_ (exactly `width` cells; width = npos: any number, for the header).
  record read_record(std::size_t width) {
    const char* s = text_.data();
    const std::size_t n = text_.size();
    if (!scan_.over(s, n)) scan_.reset(s, n);
    const std::size_t record_line = line_;
    std::size_t fields = 0;
    for (;;) {
      std::string_view cell;
      if (pos_ < n && s[pos_] == '"') {
        const std::size_t open_line = line_;
        const std::uint32_t open_column = column_at(pos_);
        std::size_t p = pos_ + 1;
        const std::size_t begin = p;
        bool doubled = false, breaks = false;
        std::size_t cur_line = line_, cur_line_start = line_start_;
        for (;;) {
          p = scan_.find(p);
          if (p - begin > max_csv_field_bytes)
            fail(open_line, open_column,
                 "a quoted field of more than " + std::to_string(max_csv_field_bytes) + " bytes (" +
                     quote_cell(std::string_view(s + begin, max_csv_field_bytes + 1), 20) +
                     "): not a table cell; is a closing quote missing?");
          if (p >= n) {
            if (!eof_) return record::incomplete;
            fail(open_line, open_column, "unterminated quoted field: the quote opened here is never closed");
          }
          const char c = s[p];
          if (c == '"') {
            if (p + 1 >= n && !eof_) return record::incomplete;
            if (p + 1 < n && s[p + 1] == '"') {
              doubled = true;
              p += 2;
              continue;
            }
            break;
          }
          if (c == '\r' || c == '\n') {
            breaks = true;
            if (c == '\r' && p + 1 >= n && !eof_) return record::incomplete;
            if (c == '\r' && p + 1 < n && s[p + 1] == '\n') ++p;
            ++p;
            ++cur_line;
            cur_line_start = p;
            continue;
          }
          ++p;  // a comma inside the quotes
        }
        const std::size_t end = p;  // the closing quote
        if (doubled) {
          const std::size_t a = arena_.size();
          for (std::size_t k = begin; k < end; ++k) {
            arena_ += s[k];
            if (s[k] == '"') ++k;  // the second quote of a pair
          }
          cell = std::string_view(arena_.data() + a, arena_.size() - a);
        } else {
          cell = std::string_view(s + begin, end - begin);
        }
        if (breaks) {
          line_ = cur_line;
          line_start_ = cur_line_start;
        }
        pos_ = end + 1;
        if (pos_ < n && s[pos_] != ',' && s[pos_] != '\r' && s[pos_] != '\n')
          fail(line_, column_at(pos_),
               "unexpected character after the closing quote of a field (a quote inside a quoted field must be doubled)");
      } else {
        std::size_t p = pos_;
        for (;;) {
          p = scan_.find(p);
          if (p < n && s[p] == '"') {  // a quote inside an unquoted field is kept as it is
            ++p;
            continue;
          }
          break;
        }
        if (p - pos_ > max_csv_field_bytes)
          fail(line_, column_at(pos_),
               "a field of more than " + std::to_string(max_csv_field_bytes) + " bytes (" +
                   quote_cell(std::string_view(s + pos_, max_csv_field_bytes + 1), 20) + "): not a table cell; is this the right file?");
        if (p >= n && !eof_) return record::incomplete;
        cell = std::string_view(s + pos_, p - pos_);
        pos_ = p;
      }
      if (width == static_cast<std::size_t>(-1) || fields < width) cells_.push_back(cell);
      if (++fields > max_csv_columns) fail(record_line, 0, "more than " + std::to_string(max_csv_columns) + " fields in one record");
      if (pos_ < n && s[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < n) {
        if (s[pos_] == '\r' && pos_ + 1 >= n && !eof_) return record::incomplete;
        consume_line_break();
      }
      break;
    }
    if (width != static_cast<std::size_t>(-1) && fields != width) {
      error_location w;
      w.file = name_;
      w.line = to_u32(record_line);
      throw data_error(w, "expected " + std::to_string(width) + " fields, got " + std::to_string(fields));
    }
    cells_read_ += fields;
    // past max_cells, a file must average at least min_bytes_per_cell bytes of text a cell (the
    // text read so far, this record included): memory then stays proportional to the input
    if (opt_.max_cells != 0 && cells_read_ > opt_.max_cells &&
        cells_read_ > (text_base_ + pos_) / min_bytes_per_cell)
      fail(record_line, 0, "more than " + std::to_string(opt_.max_cells) + " cells in the file; split it into smaller files");
    return record::complete;
  }

  /// Average bytes a cell must have in a file of more than max_cells cells (a 2·10^6-operator
  /// table has about 7; a file of empty cells 1 to 2).
  static constexpr std::size_t min_bytes_per_cell = 4;

  std::unique_ptr<byte_reader> in_;
  std::string name_;
  csv_options opt_;
  std::size_t block_bytes = std::size_t{4} << 20;
  text_encoding requested_ = text_encoding::automatic;
  text_encoding encoding_ = text_encoding::utf8;
  bool requested_bom_utf8_ = false;  ///< auto mode saw a UTF-8 BOM: UTF-8, no fallback
  bool switched_ = false;            ///< auto mode turned to GB18030
  std::uint64_t bad_utf8_offset_ = 0;
  iconv_handle gb_;

  text_buffer text_;   ///< decoded text from the first record not yet handed out
  std::string raw_;    ///< GB18030 bytes not yet decoded (a character cut by a block's end)
  std::uint64_t raw_offset_ = 0;  ///< raw bytes read so far
  std::uint64_t text_base_ = 0;   ///< UTF-8: raw offset (after the BOM) of text_[0]
  std::size_t bom_bytes_ = 0;
  std::size_t validated_ = 0;     ///< text_[0, validated_) is known good (decoded, no forbidden character)
  std::size_t cells_read_ = 0;    ///< cells of the complete records so far (header included)
  std::size_t pos_ = 0, line_ = 1, line_start_ = 0;
  bool eof_ = false, done_ = false, handed_out_ = false, at_start_ = true;

  std::vector<std::string> header_;
  std::uint32_t header_line_ = 1;
  std::vector<std::string_view> cells_;
  special_scanner scan_;  ///< over text_ as read_record last saw it
  std::string arena_;
  std::vector<std::uint32_t> lines_;

};

std::unique_ptr<table_source> open_csv_bytes(std::string_view bytes, const std::string& name, const csv_options& o) {
  return std::make_unique<csv_source>(std::make_unique<memory_reader>(bytes), name, o);
}

}  // namespace detail

std::unique_ptr<table_source> open_csv(const std::string& path, const csv_options& options) {
  return std::make_unique<detail::csv_source>(std::make_unique<detail::file_reader>(path), path, options);
}

}  // namespace embedrating
