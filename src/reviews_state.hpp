#pragma once
// The review aggregator's state (private to src/): records table and day counters.
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "embedrating/reviews.hpp"

namespace embedrating {

namespace detail {

/// Seconds from the Unix epoch to 2000-01-01T00:00:00Z: record times are offsets from it.
inline constexpr std::int64_t review_epoch = 946684800;
inline constexpr std::int64_t review_time_max = review_epoch + 0xFFFFFFFFLL;

/// One kept review: its latest revision (32 bytes).
struct review_record {
  std::uint64_t review;     ///< review key
  std::uint64_t reviewer;   ///< reviewer key
  std::uint32_t op;         ///< operator index
  std::uint32_t time;       ///< seconds since 2000-01-01T00:00:00Z
  std::uint16_t revision1;  ///< revision + 1; 0 marks an empty table slot
  std::uint16_t rectified;  ///< days after the review's date + 1; 0 = not rectified
  std::uint16_t followed;   ///< days after the review's date + 1; 0 = not followed up
  std::uint8_t level;       ///< 1..5
  std::uint8_t flags;       ///< bits 0–1 status, bit 2 tied to a service record

  review_status status() const noexcept { return static_cast<review_status>(flags & 3u); }
  bool service_record() const noexcept { return (flags & 4u) != 0; }
  std::int64_t unix_time() const noexcept { return review_epoch + static_cast<std::int64_t>(time); }
};
static_assert(sizeof(review_record) == 32, "a kept review record is 32 bytes");

/// True when `a` should replace `b` (same review key): higher revision, or at the same revision
/// the copy whose bytes compare smaller (so the result never depends on arrival order).
inline bool replaces(const review_record& a, const review_record& b) noexcept {
  if (a.revision1 != b.revision1) return a.revision1 > b.revision1;
  return std::memcmp(&a, &b, sizeof(review_record)) < 0;
}

/// Murmur3's 64-bit finaliser: a bijection on 64-bit values, so a record can keep the hash of its
/// review key instead of the key (`unhash` gives the key back).
inline constexpr std::uint64_t key_hash(std::uint64_t key) noexcept {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  key *= 0xc4ceb9fe1a85ec53ULL;
  key ^= key >> 33;
  return key;
}
/// The inverse of an odd number modulo 2^64 (Newton's iteration: each step doubles the bits).
inline constexpr std::uint64_t odd_inverse(std::uint64_t a) noexcept {
  std::uint64_t x = a;  // right to 3 bits for odd a
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}
/// The inverse of `key_hash` (x ^= x >> 33 is its own inverse for shifts of 32 or more).
inline constexpr std::uint64_t key_unhash(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= odd_inverse(0xc4ceb9fe1a85ec53ULL);
  h ^= h >> 33;
  h *= odd_inverse(0xff51afd7ed558ccdULL);
  h ^= h >> 33;
  return h;
}
static_assert(key_unhash(key_hash(0x0123456789abcdefULL)) == 0x0123456789abcdefULL, "key_unhash inverts key_hash");
static_assert(key_unhash(key_hash(~0ULL)) == ~0ULL, "key_unhash inverts key_hash");

/// A kept review as stored: 28 bytes, 4-byte aligned. The review key is stored as its hash (the
/// sort key of the run); `meta` packs level (bits 0–2), flags (3–5), revision1 (6–15),
/// rectified (16–23) and followed (24–31). Records whose fields do not fit (revision ≥ 1023,
/// rectified or followed-up 255 or more days after the review, or malformed flags from an
/// archive) live in the side table instead. meta == 0 marks a dropped record during a flush.
struct packed_record {
  std::uint32_t w[7];

  std::uint64_t h() const noexcept { return static_cast<std::uint64_t>(w[0]) | static_cast<std::uint64_t>(w[1]) << 32; }
  std::uint32_t meta() const noexcept { return w[6]; }

  static bool packable(const review_record& r) noexcept {
    return r.level <= 7 && r.flags <= 7 && r.revision1 >= 1 && r.revision1 <= 1023 && r.rectified <= 255 && r.followed <= 255;
  }
  static packed_record pack(const review_record& r) noexcept {
    packed_record p;
    const std::uint64_t h = key_hash(r.review);
    p.w[0] = static_cast<std::uint32_t>(h);
    p.w[1] = static_cast<std::uint32_t>(h >> 32);
    p.w[2] = static_cast<std::uint32_t>(r.reviewer);
    p.w[3] = static_cast<std::uint32_t>(r.reviewer >> 32);
    p.w[4] = r.op;
    p.w[5] = r.time;
    p.w[6] = static_cast<std::uint32_t>(r.level) | static_cast<std::uint32_t>(r.flags) << 3 |
             static_cast<std::uint32_t>(r.revision1) << 6 | static_cast<std::uint32_t>(r.rectified) << 16 |
             static_cast<std::uint32_t>(r.followed) << 24;
    return p;
  }
  review_record unpack() const noexcept {
    review_record r;
    r.review = key_unhash(h());
    r.reviewer = static_cast<std::uint64_t>(w[2]) | static_cast<std::uint64_t>(w[3]) << 32;
    r.op = w[4];
    r.time = w[5];
    const std::uint32_t m = w[6];
    r.level = static_cast<std::uint8_t>(m & 7u);
    r.flags = static_cast<std::uint8_t>((m >> 3) & 7u);
    r.revision1 = static_cast<std::uint16_t>((m >> 6) & 1023u);
    r.rectified = static_cast<std::uint16_t>((m >> 16) & 255u);
    r.followed = static_cast<std::uint16_t>(m >> 24);
    return r;
  }
};
static_assert(sizeof(packed_record) == 28 && alignof(packed_record) == 4, "a stored record is 28 bytes");

/// The kept records: packed runs sorted by key hash (28 bytes per record, no empty slots), one per
/// partition of the hash's top 8 bits, each fed by its own log (log-and-compact, issue 14 item 4).
///
/// `append` packs the record and writes it to the log of its partition, which sits in the
/// partition's buffer right after its run (one of 256 write streams; no per-event probe, no
/// global scatter pass). When a partition's log is as large as its run (at least `min_log`
/// records), that partition alone is merged while it is in cache: its log is sorted by the next
/// bits of the hash into the scratch (a counting sort of up to 14 bits, after a split by 8 bits
/// for a large log, then an insertion sort of the small buckets), reduced to one record per key
/// (the winner by the revision rule) and merged into the run from the back, in place (the buffer holds the run and its log), without a branch
/// on which side the next record comes from. Each run at least doubles between merges, so every
/// record is rewritten a bounded number of times (amortised O(1) moves per event). `replaces` is
/// commutative and associative, so the state never depends on when merges happen. `flush` merges
/// every partition; the runs in partition order are the whole set in key-hash order.
///
/// Every buffer a merge uses is allocated by `append` (a partition's room for its log, the
/// shared scratch as large as any log can get), so `flush` never allocates and never throws.
/// `settle` (readers that report memory) gives the ingest room back: at rest the state is the
/// runs (28 B per record), the partition table (8 KiB) and the side table of rare records.
class record_table {
 public:
  record_table() = default;
  record_table(const record_table& o) { *this = o; }
  record_table& operator=(const record_table& o) {
    if (this == &o) return *this;
    record_table t;
    t.side_ = o.side_;
    t.side_dirty_ = o.side_dirty_;
    if (o.parts_) {
      t.init_parts();
      t.scratch_.resize(o.scratch_.n);
      for (std::size_t k = 0; k < parts; ++k) {
        const part& a = o.parts_[k];
        part& b = t.parts_[k];
        const std::size_t n = a.w - a.off;  // the run and its pending log
        if (n == 0) continue;
        b.p = static_cast<packed_record*>(std::malloc(n * sizeof(packed_record)));
        if (b.p == nullptr) throw std::bad_alloc();
        std::memcpy(b.p, a.p + a.off, n * sizeof(packed_record));
        b.cap = b.w = b.stop = static_cast<std::uint32_t>(n);
        b.run_n = a.run_n;
      }
    }
    *this = std::move(t);
    return *this;
  }
  record_table(record_table&& o) noexcept { *this = std::move(o); }
  record_table& operator=(record_table&& o) noexcept {
    if (this == &o) return *this;
    clear();
    parts_ = std::move(o.parts_);
    scratch_ = std::move(o.scratch_);
    side_.swap(o.side_);
    side_dirty_ = std::exchange(o.side_dirty_, false);
    return *this;
  }
  ~record_table() { clear(); }

  /// Kept records (flush first).
  std::size_t size() const noexcept {
    std::size_t n = side_.size();
    if (parts_)
      for (std::size_t k = 0; k < parts; ++k) n += parts_[k].run_n;
    return n;
  }
  /// Records the runs' buffers can hold (runs, logs and room).
  std::size_t capacity() const noexcept {
    std::size_t n = 0;
    if (parts_)
      for (std::size_t k = 0; k < parts; ++k) n += parts_[k].cap;
    return n;
  }
  /// Records queued by `append`, not yet merged.
  std::size_t pending() const noexcept {
    std::size_t n = 0;
    if (parts_)
      for (std::size_t k = 0; k < parts; ++k) n += parts_[k].w - parts_[k].off - parts_[k].run_n;
    return n;
  }
  /// Bytes held: the partitions' buffers and table, the sort's scratch, the side table (its
  /// nodes and bucket array, estimated).
  std::size_t bytes() const noexcept {
    return (capacity() + scratch_.n) * sizeof(packed_record) + (parts_ ? parts * sizeof(part) : 0) +
           side_.size() * (sizeof(review_record) + 32) + side_.bucket_count() * sizeof(void*);
  }

  /// Calls f(const review_record&) for every kept record: the runs in key-hash order, then the
  /// side table (flush first).
  template <class F>
  void for_each(F&& f) const {
    if (parts_)
      for (std::size_t k = 0; k < parts; ++k) {
        const part& q = parts_[k];
        const packed_record* run = q.p + q.off;
        for (std::size_t i = 0; i < q.run_n; ++i) f(run[i].unpack());
      }
    for (const auto& kv : side_) f(kv.second);
  }

  /// Room for `n` records in all (a service that knows its volume: no regrowth of the runs).
  void reserve(std::size_t n) {
    init_parts();
    const std::size_t per = n / parts + n / parts / 16 + min_log;
    for (std::size_t k = 0; k < parts; ++k) {
      part& q = parts_[k];
      to_front(q);
      if (q.cap < (q.w - q.off) + per) grow(q, (q.w - q.off) + per);
      set_stop(q);
    }
  }

  /// Queues `r` for the next merge of its partition (a record with rare field values goes to the
  /// side table now).
  void append(const review_record& r) {
    if (!packed_record::packable(r)) return side_upsert(r);
    const packed_record pr = packed_record::pack(r);
    if (!parts_) init_parts();
    part& q = parts_[pr.w[1] >> (32 - part_bits)];
    if (q.w == q.stop) make_room(q);
    // the line a few appends ahead in this stream: 256 streams defeat the hardware prefetcher
    // (a prefetch past the buffer is harmless)
    __builtin_prefetch(q.p + q.w + 8, 1, 3);
    q.p[q.w++] = pr;
  }

  /// Inserts or replaces by the revision rule (append, then flush).
  void upsert(const review_record& r) {
    append(r);
    flush();
  }

  /// Merges every log into its run. Never allocates, never throws (see `append`).
  void flush() noexcept {
    if (!parts_) {
      side_dirty_ = false;
      return;
    }
    if (!side_.empty())
      for (std::size_t k = 0; k < parts; ++k) resolve_log_against_side(parts_[k]);
    for (std::size_t k = 0; k < parts; ++k) merge(parts_[k]);
    if (side_dirty_ && !side_.empty())
      for (std::size_t k = 0; k < parts; ++k) resolve_run_against_side(parts_[k]);
    side_dirty_ = false;
  }

  /// Flushes, then gives back the ingest room (the scratch, the runs' spare room).
  void settle() noexcept {
    flush();
    scratch_.release();
    if (!parts_) return;
    for (std::size_t k = 0; k < parts; ++k) {
      part& q = parts_[k];
      to_front(q);
      if (q.run_n == 0) {
        std::free(q.p);
        q = part{};
      } else if (q.run_n < q.cap) {
        if (void* p = std::realloc(q.p, q.run_n * sizeof(packed_record))) {
          q.p = static_cast<packed_record*>(p);
          q.cap = q.run_n;
        }
      }
      q.stop = q.w;  // scratch is gone: the next append makes room first
    }
  }

  void clear() noexcept {
    if (parts_)
      for (std::size_t k = 0; k < parts; ++k) std::free(parts_[k].p);
    parts_.reset();
    scratch_.release();
    side_.clear();
    side_dirty_ = false;
  }

 private:
  /// A malloc'd array of trivially copyable T.
  template <class T>
  struct buffer {
    T* p = nullptr;
    std::size_t n = 0;
    buffer() = default;
    buffer(const buffer&) = delete;
    buffer& operator=(const buffer&) = delete;
    buffer(buffer&& o) noexcept : p(o.p), n(o.n) { o.p = nullptr, o.n = 0; }
    buffer& operator=(buffer&& o) noexcept {
      if (this != &o) {
        release();
        p = o.p, n = o.n;
        o.p = nullptr, o.n = 0;
      }
      return *this;
    }
    ~buffer() { release(); }
    /// Sets the size to `count` elements (the contents are not kept); throws bad_alloc.
    void resize(std::size_t count) {
      if (count > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
      release();
      if (count == 0) return;
      p = static_cast<T*>(std::malloc(count * sizeof(T)));
      if (p == nullptr) throw std::bad_alloc();
      n = count;
    }
    void release() noexcept {
      std::free(p);
      p = nullptr;
      n = 0;
    }
  };

  static constexpr unsigned part_bits = 8;                  ///< partitions by the hash's top bits
  static constexpr std::size_t parts = std::size_t{1} << part_bits;
  static constexpr std::size_t min_log = 64;                ///< the smallest log merged
  static constexpr std::size_t max_part = 0xFFFFFFF0u;      ///< records one partition may hold

  /// One partition: p[off, off + run_n) is the sorted run, p[off + run_n, w) its log; an append
  /// at w == stop makes room first (stop ≤ cap, and stop − (off + run_n) ≤ half the scratch).
  struct part {
    packed_record* p = nullptr;
    std::uint32_t cap = 0, off = 0, run_n = 0, w = 0, stop = 0;
  };

  /// A partition's log is merged when it is as large as its run (measured faster than half).
  static std::size_t log_limit(std::size_t run_n) noexcept { return std::max(min_log, run_n); }

  void init_parts() {
    if (!parts_) parts_.reset(new part[parts]);
  }

  /// The stop of `q` after a merge or a change of room: its log may grow to its limit, within
  /// its buffer and the scratch.
  void set_stop(part& q) const noexcept {
    const std::size_t used = q.off + q.run_n;
    const std::size_t room = std::min<std::size_t>(q.cap - used, std::min(log_limit(q.run_n), scratch_.n / 2));
    q.stop = static_cast<std::uint32_t>(std::max<std::size_t>(q.w, used + room));
  }

  /// The log of `q` is at its stop: merge it when it reached its limit, then make sure the
  /// buffer and the scratch can take the log's next limit (allocations happen here, never in
  /// flush).
  void make_room(part& q) {
    std::size_t log_n = q.w - q.off - q.run_n;
    if (log_n >= log_limit(q.run_n)) {
      merge(q);
      log_n = 0;
    }
    const std::size_t want = std::max(log_n + 1, log_limit(q.run_n));
    if (scratch_.n / 2 < want) {
      scratch_.resize(std::max(2 * want, scratch_.n * 2));
      for (std::size_t k = 0; k < parts; ++k) set_stop(parts_[k]);  // every log may use the larger scratch
    }
    const std::size_t need = q.run_n + want;
    if (q.off + need > q.cap) to_front(q);
    if (need > q.cap) grow(q, std::max(need, std::size_t{q.cap} + q.cap / 4));
    set_stop(q);
  }

  /// Reallocates the buffer of `q` (run at the front) to `cap` records; throws bad_alloc.
  static void grow(part& q, std::size_t cap) {
    if (cap > max_part) {
      if (q.w + std::size_t{1} > max_part) throw std::bad_alloc();
      cap = max_part;
    }
    void* p = std::realloc(q.p, cap * sizeof(packed_record));
    if (p == nullptr) throw std::bad_alloc();
    q.p = static_cast<packed_record*>(p);
    q.cap = static_cast<std::uint32_t>(cap);
  }

  /// Moves the run and its log to the start of the buffer (merges leave the run at an offset).
  static void to_front(part& q) noexcept {
    if (q.off == 0) return;
    const std::size_t n = q.w - q.off;
    if (n) std::memmove(q.p, q.p + q.off, n * sizeof(packed_record));
    q.w -= q.off;
    q.stop -= q.off;
    q.off = 0;
  }

  static bool wins(const packed_record& a, const packed_record& b) noexcept { return replaces(a.unpack(), b.unpack()); }

  void side_upsert(const review_record& r) {
    auto [it, fresh] = side_.emplace(r.review, r);
    if (!fresh && replaces(r, it->second)) it->second = r;
    side_dirty_ = true;
  }

  /// A log record whose key is in the side table: the winner stays, the loser goes.
  void resolve_log_against_side(part& q) noexcept {
    packed_record* lg = q.p + q.off + q.run_n;
    const std::size_t n = q.w - q.off - q.run_n;
    std::size_t out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const packed_record p = lg[i];
      const auto it = side_.find(key_unhash(p.h()));
      if (it != side_.end()) {
        if (!replaces(p.unpack(), it->second)) continue;  // the side record wins: drop this one
        side_.erase(it);
      }
      lg[out++] = p;
    }
    q.w = static_cast<std::uint32_t>(q.off + q.run_n + out);
  }

  /// After new side records: a run record whose key is in the side table keeps only the winner
  /// (the log is empty: called after the merge).
  void resolve_run_against_side(part& q) noexcept {
    packed_record* run = q.p + q.off;
    std::size_t out = 0;
    for (std::size_t i = 0; i < q.run_n; ++i) {
      const packed_record p = run[i];
      const auto it = side_.find(key_unhash(p.h()));
      if (it != side_.end()) {
        if (!replaces(p.unpack(), it->second)) continue;
        side_.erase(it);
      }
      run[out++] = p;
    }
    q.run_n = static_cast<std::uint32_t>(out);
    q.w = q.off + q.run_n;
    set_stop(q);
  }

  /// Sorts the log of `q` by key hash into the scratch and merges it into the run from the back,
  /// in place (the log's place is the run's room), one record per key, the winner by the
  /// revision rule.
  void merge(part& q) noexcept {
    const std::size_t n = q.w - q.off - q.run_n;
    if (n == 0) return;
    const std::size_t sorted = sort_log(q.p + q.off + q.run_n, scratch_.p, scratch_.p + scratch_.n / 2, n);
    merge_state m{q.p + q.off, q.run_n, q.run_n + n, q.run_n + n};
    merge_range(m, scratch_.p, sorted);
    // run[0, i) is in place and the merged tail is run[out, end): close the gap (the duplicates)
    // by moving the smaller side; moving the head leaves the run at an offset in its buffer
    const std::size_t head = m.i, tail = m.end - m.out;
    if (m.out != m.i) {
      if (head <= tail) {
        if (head) std::memmove(m.run + (m.out - head), m.run, head * sizeof(packed_record));
        q.off += static_cast<std::uint32_t>(m.out - head);
      } else {
        std::memmove(m.run + head, m.run + m.out, tail * sizeof(packed_record));
      }
    }
    q.run_n = static_cast<std::uint32_t>(head + tail);
    q.w = q.off + q.run_n;
    set_stop(q);
  }

  /// Sorts `n` ≥ 1 records of one partition (same top bits) from `from` into `to` by key hash
  /// and keeps one record per key (the winner); returns the records kept. A large log is first
  /// split by the next 8 bits into `tmp` (as large as `to`), so that each piece is sorted in cache.
  static std::size_t sort_log(const packed_record* from, packed_record* to, packed_record* tmp, std::size_t n) noexcept {
    if (n <= (std::size_t{1} << 15)) {
      sort_small(from, to, n, part_bits);
    } else {
      constexpr unsigned b1 = 8;
      constexpr unsigned down = 64 - part_bits - b1;
      std::uint32_t c[(1u << b1) + 1] = {};
      for (std::size_t i = 0; i < n; ++i) ++c[((from[i].h() >> down) & ((1u << b1) - 1)) + 1];
      for (std::size_t k = 1; k <= (1u << b1); ++k) c[k] += c[k - 1];
      std::uint32_t pos[1u << b1];
      std::memcpy(pos, c, sizeof pos);
      for (std::size_t i = 0; i < n; ++i) tmp[pos[(from[i].h() >> down) & ((1u << b1) - 1)]++] = from[i];
      for (std::size_t k = 0; k < (1u << b1); ++k)
        if (c[k + 1] > c[k]) sort_small(tmp + c[k], to + c[k], c[k + 1] - c[k], part_bits + b1);
    }
    // one record per key: the winner by the revision rule
    std::size_t k = 1;
    for (std::size_t i = 1; i < n; ++i) {
      if (to[i].h() != to[k - 1].h()) to[k++] = to[i];
      else if (wins(to[i], to[k - 1])) to[k - 1] = to[i];
    }
    return k;
  }

  /// Sorts `n` ≥ 1 records whose top `used` bits are equal from `from` into `to`: a counting sort
  /// by up to 14 more bits (about 2 records per bucket), then an insertion sort (records move
  /// only within their small bucket).
  static void sort_small(const packed_record* from, packed_record* to, std::size_t n, unsigned used) noexcept {
    unsigned b2 = 0;
    while (b2 < 14 && (std::size_t{2} << b2) < n) ++b2;
    if (b2 == 0) {
      std::memcpy(to, from, n * sizeof(packed_record));
    } else {
      std::uint32_t c2[(1u << 14) + 1];
      const unsigned down = 64 - used - b2;
      const std::uint64_t mask = (std::uint64_t{1} << b2) - 1;
      std::memset(c2, 0, ((std::size_t{1} << b2) + 1) * sizeof(std::uint32_t));
      for (std::size_t i = 0; i < n; ++i) ++c2[((from[i].h() >> down) & mask) + 1];
      for (std::size_t k = 1; k <= (std::size_t{1} << b2); ++k) c2[k] += c2[k - 1];
      for (std::size_t i = 0; i < n; ++i) to[c2[(from[i].h() >> down) & mask]++] = from[i];
    }
    for (std::size_t i = 1; i < n; ++i) {
      if (to[i - 1].h() <= to[i].h()) continue;
      const packed_record x = to[i];
      std::size_t j = i;
      for (; j > 0 && to[j - 1].h() > x.h(); --j) to[j] = to[j - 1];
      to[j] = x;
    }
  }

  struct merge_state {
    packed_record* run;
    std::size_t i;    ///< run[0, i) not yet placed
    std::size_t out;  ///< run[out, end) merged
    std::size_t end;
  };

  /// Merges the sorted records lg[0, n) (one per key) into the run from the back. Keys are
  /// random, so which side the next record comes from is unpredictable: the loop selects it
  /// without a branch; equal keys (a revision meeting its review) take the rare branch.
  static void merge_range(merge_state& m, const packed_record* lg, std::size_t n) noexcept {
    packed_record* run = m.run;
    std::size_t i = m.i, out = m.out, j = n;
    while (j > 0 && i > 0) {
      const std::uint64_t a = run[i - 1].h(), b = lg[j - 1].h();
      if (a == b) {
        packed_record best = lg[j - 1];
        if (wins(run[i - 1], best)) best = run[i - 1];
        run[--out] = best;
        --i, --j;
        continue;
      }
      const bool from_run = a > b;
      const packed_record x = from_run ? run[i - 1] : lg[j - 1];
      run[--out] = x;  // out - 1 >= i: never the record just read
      i -= from_run ? 1 : 0;
      j -= from_run ? 0 : 1;
    }
    while (j > 0) run[--out] = lg[--j];
    m.i = i;
    m.out = out;
  }

  std::unique_ptr<part[]> parts_;  ///< `parts` partitions, allocated with the first record
  buffer<packed_record> scratch_;  ///< a sorted log and the sort's other half (each as large as any partition's log may get)
  /// Records that do not pack, by review key (rare); no key is in both a run and here after a flush.
  std::unordered_map<std::uint64_t, review_record> side_;
  bool side_dirty_ = false;  ///< side records added since the last flush
};

/// Count mode: ★3–★5 events of one day (UTC+8). Event code = operator × 6 + service record × 3 +
/// level − 3. A day keeps a log of 4-byte codes while that is smaller than a dense block of
/// counters (operators × 6), then switches to the dense block.
inline constexpr std::size_t day_counters = 6;

struct day_counts {
  std::vector<std::uint32_t> log;
  std::unique_ptr<std::uint32_t[]> dense;  ///< operators × 6 counters, or null

  bool empty() const noexcept { return log.empty() && !dense; }
  void densify(std::size_t width) {
    dense.reset(new std::uint32_t[width]());
    for (std::uint32_t c : log) ++dense[c];
    std::vector<std::uint32_t>().swap(log);
  }
  void add(std::uint32_t code, std::size_t width) {
    if (dense) {
      ++dense[code];
      return;
    }
    log.push_back(code);
    if (log.size() >= width) densify(width);
  }
  /// Counts `n` codes of this day (a run of one batch).
  void add_codes(const std::uint32_t* codes, std::size_t n, std::size_t width) {
    if (!dense) {
      log.insert(log.end(), codes, codes + n);
      if (log.size() >= width) densify(width);
      return;
    }
    std::uint32_t* c = dense.get();
    for (std::size_t k = 0; k < n; ++k) ++c[codes[k]];
  }
  void add(std::uint32_t code, std::uint32_t count, std::size_t width) {
    if (!dense && log.size() + count >= width) densify(width);
    if (dense) dense[code] += count;
    else log.insert(log.end(), count, code);
  }
  /// (code, count) pairs with count > 0, sorted by code.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> sparse(std::size_t width) const {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    if (dense) {
      for (std::size_t j = 0; j < width; ++j)
        if (dense[j] != 0) out.emplace_back(static_cast<std::uint32_t>(j), dense[j]);
      return out;
    }
    std::vector<std::uint32_t> v = log;
    std::sort(v.begin(), v.end());
    for (std::size_t i = 0; i < v.size();) {
      std::size_t j = i;
      while (j < v.size() && v[j] == v[i]) ++j;
      out.emplace_back(v[i], static_cast<std::uint32_t>(j - i));
      i = j;
    }
    return out;
  }
  std::size_t bytes(std::size_t width) const noexcept {
    return log.capacity() * sizeof(std::uint32_t) + (dense ? width * sizeof(std::uint32_t) : 0);
  }
};

}  // namespace detail

struct review_aggregator::state {
  std::vector<std::string> ids;
  std::unordered_map<std::string, std::uint32_t> index;
  review_settings settings;
  bool dedup = true;
  std::uint64_t events = 0;
  reject_log rejects;
  /// Kept records; `add` appends to its log. Mutable: a const reader flushes the log first
  /// (`kept()`), under `settle_lock`, so concurrent const calls stay safe.
  mutable detail::record_table records;
  mutable std::mutex settle_lock;
  /// The record table with its log flushed: what every reader (summary, merge, equality, archive) uses.
  const detail::record_table& kept() const noexcept {
    const std::lock_guard<std::mutex> hold(settle_lock);
    records.flush();
    return records;
  }
  /// As `kept()`, and gives the ingest buffers back (the state at rest; for memory reports).
  const detail::record_table& settled() const noexcept {
    const std::lock_guard<std::mutex> hold(settle_lock);
    records.settle();
    return records;
  }
  // count mode
  std::int32_t base_day = 0;  ///< day of days[0]
  std::vector<detail::day_counts> days;

  std::int32_t cached_day = INT32_MIN;  ///< the day `cached` points at (set by day())
  detail::day_counts* cached = nullptr;

  detail::day_counts& day(std::int32_t d);
  detail::day_counts& day_fast(std::int32_t d) { return d == cached_day ? *cached : day(d); }
  std::size_t width() const noexcept { return ids.size() * detail::day_counters; }
};

}  // namespace embedrating
