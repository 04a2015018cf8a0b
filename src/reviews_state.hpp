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

/// The kept records: a packed run sorted by key hash (28 bytes per record, no empty slots), fed
/// through a log (log-and-compact, issue 14 item 4).
///
/// `append` only writes the packed record to the log (a sequential write; no per-event probe).
/// When the log reaches half the run (at least 2^14 records), or a reader needs the records,
/// `flush` sorts the log by key hash (two counting-sort passes, 10 + up to 12 bits, then an
/// insertion sort of the small buckets) and merges it into the run from the back, in place
/// (the run's buffer has room for the whole log), keeping one record per review key by the
/// revision rule. The run thus doubles every few flushes and each record is rewritten a bounded
/// number of times (amortised O(1) moves per event). `replaces` is commutative and associative,
/// so the state never depends on when flushes happen.
///
/// Every buffer a flush uses is allocated by `append` (the log, the sort's scratch, the run's
/// room for the log), so `flush` never allocates and never throws. `settle` (readers that report
/// memory) gives the ingest buffers back: at rest the state is the run (28 B per record) and the
/// side table of rare records.
class record_table {
 public:
  record_table() = default;
  record_table(const record_table& o) { *this = o; }
  record_table& operator=(const record_table& o) {
    if (this == &o) return *this;
    clear();
    buffer<packed_record> run(o.run_n_ + o.log_n_), log(o.log_n_), scratch(o.log_n_);
    if (o.run_n_) std::memcpy(run.p, o.run_.p + o.off_, o.run_n_ * sizeof(packed_record));
    if (o.log_n_) std::memcpy(log.p, o.log_.p, o.log_n_ * sizeof(packed_record));
    side_ = o.side_;
    run_ = std::move(run);
    log_ = std::move(log);
    scratch_ = std::move(scratch);
    run_n_ = o.run_n_;
    log_n_ = o.log_n_;
    side_dirty_ = o.side_dirty_;
    std::memcpy(hist_, o.hist_, sizeof hist_);
    return *this;
  }
  record_table(record_table&& o) noexcept { *this = std::move(o); }
  record_table& operator=(record_table&& o) noexcept {
    if (this == &o) return *this;
    run_ = std::move(o.run_);
    log_ = std::move(o.log_);
    scratch_ = std::move(o.scratch_);
    side_.swap(o.side_);
    o.side_.clear();
    run_n_ = std::exchange(o.run_n_, 0);
    off_ = std::exchange(o.off_, 0);
    log_n_ = std::exchange(o.log_n_, 0);
    side_dirty_ = std::exchange(o.side_dirty_, false);
    std::memcpy(hist_, o.hist_, sizeof hist_);
    std::memset(o.hist_, 0, sizeof o.hist_);
    return *this;
  }

  /// Kept records (flush first).
  std::size_t size() const noexcept { return run_n_ + side_.size(); }
  /// Records in the run's buffer (capacity).
  std::size_t capacity() const noexcept { return run_.n; }
  /// Records queued by `append`, not yet merged.
  std::size_t pending() const noexcept { return log_n_; }
  /// Bytes held: the run's buffer, the log and the sort's scratch, the side table (its nodes
  /// and bucket array, estimated).
  std::size_t bytes() const noexcept {
    return (run_.n + log_.n + scratch_.n) * sizeof(packed_record) +
           side_.size() * (sizeof(review_record) + 32) + side_.bucket_count() * sizeof(void*);
  }

  /// Calls f(const review_record&) for every kept record: the run in key-hash order, then the
  /// side table (flush first).
  template <class F>
  void for_each(F&& f) const {
    const packed_record* run = run_.p + off_;
    for (std::size_t i = 0; i < run_n_; ++i) f(run[i].unpack());
    for (const auto& kv : side_) f(kv.second);
  }

  /// Room in the run for `n` records (a service that knows its volume: no regrowth).
  void reserve(std::size_t n) {
    run_to_front();
    if (n > run_.n) run_.resize(n, run_n_);
  }

  /// Queues `r` for the next flush (a record with rare field values goes to the side table now).
  void append(const review_record& r) {
    if (!packed_record::packable(r)) return side_upsert(r);
    if (log_n_ == log_.n || off_ + run_n_ + log_.n > run_.n) make_room();
    const packed_record p = packed_record::pack(r);
    ++hist_[p.h() >> (64 - top_bits)];
    log_.p[log_n_++] = p;
  }

  /// Inserts or replaces by the revision rule (append, then flush).
  void upsert(const review_record& r) {
    append(r);
    flush();
  }

  /// Merges the log into the run. Never allocates, never throws (see `append`).
  void flush() noexcept {
    if (log_n_ == 0 && !side_dirty_) return;
    if (!side_.empty()) resolve_log_against_side();
    merge_log();
    if (side_dirty_) resolve_run_against_side();
    side_dirty_ = false;
  }

  /// Flushes, then gives back the ingest buffers (the log, the scratch, the run's spare room).
  void settle() noexcept {
    flush();
    log_.release();
    scratch_.release();
    run_to_front();
    run_.shrink(run_n_);
  }

  void clear() {
    run_.release();
    log_.release();
    scratch_.release();
    side_.clear();
    run_n_ = log_n_ = off_ = 0;
    side_dirty_ = false;
    std::memset(hist_, 0, sizeof hist_);
  }

 private:
  /// A malloc'd array (realloc grows it; big blocks grow by remapping, without a copy).
  template <class T>
  struct buffer {
    T* p = nullptr;
    std::size_t n = 0;
    buffer() = default;
    explicit buffer(std::size_t count) {
      if (count) resize(count, 0);
    }
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
    /// Grows (or shrinks) to `count` elements keeping the first `keep`; throws bad_alloc.
    void resize(std::size_t count, std::size_t /*keep*/) {
      if (count > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
      void* q = std::realloc(p, count * sizeof(T));
      if (q == nullptr) throw std::bad_alloc();
      p = static_cast<T*>(q);
      n = count;
    }
    /// Shrinks to `count` elements (keeps the block when the allocator cannot).
    void shrink(std::size_t count) noexcept {
      if (count >= n) return;
      if (count == 0) return release();
      if (void* q = std::realloc(p, count * sizeof(T))) {
        p = static_cast<T*>(q);
        n = count;
      }
    }
    void release() noexcept {
      std::free(p);
      p = nullptr;
      n = 0;
    }
  };

  /// The log may hold half the run (at least 2^14 records) before a flush.
  std::size_t log_limit() const noexcept { return std::max<std::size_t>(std::size_t{1} << 14, run_n_ / 2); }

  /// The log is full, or the run lacks room for a whole log (earlier flushes grew it): flush a
  /// log that reached its limit, then make sure the log, the scratch and the run's spare room can
  /// take the log's next limit (allocations happen here, never in flush).
  void make_room() {
    if (log_n_ == log_.n && log_n_ >= log_limit()) flush();
    const std::size_t want = std::max(log_n_ + 1, log_limit());
    if (log_.n < want) {
      log_.resize(want, log_n_);
      scratch_.resize(want, 0);
    }
    if (off_ + run_n_ + log_.n > run_.n) run_to_front();
    if (run_.n < run_n_ + log_.n) run_.resize(std::max(run_n_ + log_.n, run_.n + run_.n / 4), run_n_);
  }

  /// Moves the run to the start of its buffer (merges leave it at an offset: see merge_log).
  void run_to_front() noexcept {
    if (off_ == 0) return;
    if (run_n_) std::memmove(run_.p, run_.p + off_, run_n_ * sizeof(packed_record));
    off_ = 0;
  }

  static bool wins(const packed_record& a, const packed_record& b) noexcept { return replaces(a.unpack(), b.unpack()); }

  void side_upsert(const review_record& r) {
    auto [it, fresh] = side_.emplace(r.review, r);
    if (!fresh && replaces(r, it->second)) it->second = r;
    side_dirty_ = true;
  }

  /// A log record whose key is in the side table: the winner stays, the loser goes (a dropped log
  /// record gets meta 0 and is left out by the sort).
  void resolve_log_against_side() noexcept {
    for (std::size_t i = 0; i < log_n_; ++i) {
      packed_record& p = log_.p[i];
      const auto it = side_.find(key_unhash(p.h()));
      if (it == side_.end()) continue;
      if (replaces(p.unpack(), it->second)) side_.erase(it);
      else p.w[6] = 0;  // dropped
    }
    std::size_t n = 0;
    for (std::size_t i = 0; i < log_n_; ++i) {
      const packed_record& p = log_.p[i];
      if (p.meta() != 0) log_.p[n++] = p;
      else --hist_[p.h() >> (64 - top_bits)];
    }
    log_n_ = n;
  }

  /// After new side records: a run record whose key is in the side table keeps only the winner.
  void resolve_run_against_side() noexcept {
    if (side_.empty()) return;
    std::size_t out = 0;
    packed_record* run = run_.p + off_;
    for (std::size_t i = 0; i < run_n_; ++i) {
      const packed_record p = run[i];
      const auto it = side_.find(key_unhash(p.h()));
      if (it != side_.end()) {
        if (!replaces(p.unpack(), it->second)) continue;  // the side record wins: drop this one
        side_.erase(it);
      }
      run[out++] = p;
    }
    run_n_ = out;
  }

  static constexpr unsigned top_bits = 10;  ///< the first counting sort's buckets: 2^10

  /// Sorts the log by key hash and merges it into the run from the back, in place (the run's
  /// buffer has room for the whole log), one record per key, the winner by the revision rule.
  /// The sort: a counting sort by the top 10 bits of the hash into the scratch (the counts were
  /// kept by `append`); then bucket by bucket from the last, while the bucket is in cache, a
  /// counting sort by up to 12 more bits back into the log, an insertion sort (records move only
  /// within their small final bucket) and the bucket's merge.
  void merge_log() noexcept {
    packed_record* a = log_.p;
    const std::size_t n = log_n_;
    merge_state m{run_.p + off_, run_n_, run_n_ + n, run_n_ + n};
    if (n < 2048) {
      std::sort(a, a + n, [](const packed_record& x, const packed_record& y) { return x.h() < y.h(); });
      merge_range(m, a, n);
    } else {
      packed_record* s = scratch_.p;
      std::uint32_t start[(1u << top_bits) + 1];
      start[0] = 0;
      for (std::size_t k = 0; k < (1u << top_bits); ++k) start[k + 1] = start[k] + hist_[k];
      {
        std::uint32_t pos[1u << top_bits];
        std::memcpy(pos, start, sizeof pos);
        for (std::size_t i = 0; i < n; ++i) s[pos[a[i].h() >> (64 - top_bits)]++] = a[i];
      }
      for (std::size_t k = (1u << top_bits); k-- > 0;) {
        const std::size_t lo = start[k], hi = start[k + 1];
        if (lo == hi) continue;
        sort_bucket(s + lo, a + lo, hi - lo);
        merge_range(m, a + lo, hi - lo);
      }
    }
    // run[0, i) is in place and the merged tail is run[out, end): close the gap (the duplicates)
    // by moving the smaller side; moving the head leaves the run at an offset in its buffer
    const std::size_t head = m.i, tail = m.end - m.out;
    if (m.out != m.i) {
      if (head <= tail) {
        if (head) std::memmove(m.run + (m.out - head), m.run, head * sizeof(packed_record));
        off_ += m.out - head;
      } else {
        std::memmove(m.run + head, m.run + m.out, tail * sizeof(packed_record));
      }
    }
    run_n_ = head + tail;
    log_n_ = 0;
    std::memset(hist_, 0, sizeof hist_);
  }

  /// Sorts the `n` records of one top bucket from `from` into `to` (same top bits).
  static void sort_bucket(const packed_record* from, packed_record* to, std::size_t n) noexcept {
    unsigned b2 = 0;
    while (b2 < 12 && (std::size_t{2} << b2) < n) ++b2;  // about 2 records per final bucket
    if (b2 == 0) {
      std::memcpy(to, from, n * sizeof(packed_record));
    } else {
      std::uint32_t c2[(1u << 12) + 1];
      const unsigned down = 64 - top_bits - b2;
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

  /// Merges the sorted records lg[0, n) (all above the log records still to come) into the run
  /// from the back.
  static void merge_range(merge_state& m, const packed_record* lg, std::size_t n) noexcept {
    packed_record* run = m.run;
    std::size_t i = m.i, out = m.out, j = n;
    auto above = [](std::uint64_t x, const packed_record& y) { return x < y.h(); };
    while (j > 0) {
      packed_record best = lg[--j];
      const std::uint64_t k = best.h();
      while (j > 0 && lg[j - 1].h() == k) {
        --j;
        if (wins(lg[j], best)) best = lg[j];
      }
      // the run's records above k move up: a few one by one, a long block by galloping and memmove
      for (int step = 0; step < 4 && i > 0 && run[i - 1].h() > k; ++step) run[--out] = run[--i];
      if (i > 0 && run[i - 1].h() > k) {
        std::size_t step = 1, bound = i - 1;  // run[bound] > k
        while (bound >= step && run[bound - step].h() > k) {
          bound -= step;
          step *= 2;
        }
        const std::size_t from = bound >= step ? bound - step + 1 : 0;
        const auto p = static_cast<std::size_t>(std::upper_bound(run + from, run + bound, k, above) - run);
        const std::size_t cnt = i - p;
        out -= cnt;
        std::memmove(run + out, run + p, cnt * sizeof(packed_record));
        i = p;
      }
      if (i > 0 && run[i - 1].h() == k) {
        --i;
        if (wins(run[i], best)) best = run[i];
      }
      run[--out] = best;
    }
    m.i = i;
    m.out = out;
  }

  buffer<packed_record> run_;      ///< sorted by key hash, one record per key: run_n_ used
  buffer<packed_record> log_;      ///< appended records: log_n_ used
  buffer<packed_record> scratch_;  ///< the sort's other half (as large as the log)
  std::size_t run_n_ = 0;
  std::size_t off_ = 0;  ///< the run is run_.p[off_, off_ + run_n_)
  std::size_t log_n_ = 0;
  /// Records that do not pack, by review key (rare); no key is in both the run and here after a flush.
  std::unordered_map<std::uint64_t, review_record> side_;
  bool side_dirty_ = false;  ///< side records added since the last flush
  std::uint32_t hist_[std::size_t{1} << top_bits] = {};  ///< log records per top bucket of the key hash
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
