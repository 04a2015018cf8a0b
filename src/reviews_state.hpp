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

/// Open-addressing table of records keyed by review key (linear probing, power-of-two capacity,
/// at most 7/8 full), fed through a log. Records live in the table itself: 32 bytes per slot.
/// Slots come from calloc, so a fresh table costs no clearing pass (the kernel hands out zeroed
/// pages).
///
/// Log-and-compact: `append` only queues a record (a sequential write); `flush` moves the queue
/// into the table in slot order (one counting-sort pass by the slot's high bits, then inserts that
/// sweep the table front to back), so the table sees a stream of nearby writes instead of one
/// random cache-and-TLB miss per event. The slot of a key is the top bits of its hash, so an order
/// by hash is an order by slot at every capacity. `upsert`'s rule is commutative and associative,
/// so the state after a flush does not depend on when flushes happen. Readers see only flushed
/// tables (`slots()` and `size()` require an empty log; the aggregator settles before reading).
class record_table {
 public:
  record_table() = default;
  record_table(const record_table& o) { *this = o; }
  record_table& operator=(const record_table& o) {
    if (this == &o) return *this;
    clear();
    if (o.cap_ != 0) {
      slots_.reset(allocate(o.cap_));
      std::memcpy(slots_.get(), o.slots_.get(), o.cap_ * sizeof(review_record));
      cap_ = o.cap_;
      shift_ = o.shift_;
      size_ = o.size_;
    }
    log_ = o.log_;
    return *this;
  }
  record_table(record_table&&) noexcept = default;
  record_table& operator=(record_table&&) noexcept = default;

  /// Kept records (the log must be empty: flush first).
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return cap_; }
  /// Records queued by `append`, not yet in the table.
  std::size_t pending() const noexcept { return log_.size(); }
  /// Bytes held: the table and the log's buffer.
  std::size_t bytes() const noexcept { return cap_ * sizeof(review_record) + log_.capacity() * sizeof(review_record); }

  struct range {
    const review_record* b;
    const review_record* e;
    const review_record* begin() const noexcept { return b; }
    const review_record* end() const noexcept { return e; }
  };
  /// Every slot (empty ones have revision1 == 0). The log must be empty (flush first).
  range slots() const noexcept { return {slots_.get(), slots_.get() + cap_}; }

  void reserve(std::size_t n) {
    std::size_t cap = 16;
    while (cap * 7 / 8 < n) cap *= 2;
    if (cap > cap_) rehash(cap);
  }

  static std::uint64_t hash(std::uint64_t key) noexcept {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return key;
  }
  std::size_t slot_of(std::uint64_t key) const noexcept { return static_cast<std::size_t>(hash(key) >> shift_); }

  /// Inserts or replaces by the revision rule, now (the room kept for the log stays kept).
  void upsert(const review_record& r) {
    if ((size_ + log_.size() + 1) * 8 > cap_ * 7) rehash(cap_ == 0 ? 16 : cap_ * 2);
    insert(r);
  }

  /// Queues `r` for the next flush. Keeps the table large enough for the table and the whole log
  /// (so `flush` never needs to grow it), and flushes when the log reaches its limit.
  void append(const review_record& r) {
    if (log_.size() >= log_limit()) flush();
    if ((size_ + log_.size() + 1) * 8 > cap_ * 7) rehash(cap_ == 0 ? 16 : cap_ * 2);
    log_.push_back(r);
  }

  /// Moves the log into the table in slot order. Never throws: the table already has room (see
  /// `append`); without memory for the sort's scratch it inserts in log order instead.
  void flush() noexcept {
    const std::size_t n = log_.size();
    if (n == 0) return;
    unsigned log2cap = 0;
    while ((std::size_t{1} << log2cap) < cap_) ++log2cap;
    // buckets of about 512 slots (16 KiB of table), and no more buckets than records
    unsigned bits = log2cap > 9 ? log2cap - 9 : 0;
    while (bits > 0 && (std::size_t{1} << bits) > n) --bits;
    if (bits > 20) bits = 20;
    std::unique_ptr<review_record[], free_deleter> sorted;
    std::unique_ptr<std::uint32_t[], free_deleter_u32> start;
    if (bits >= 4 && n >= 1024) {
      sorted.reset(static_cast<review_record*>(std::malloc(n * sizeof(review_record))));
      start.reset(static_cast<std::uint32_t*>(std::calloc((std::size_t{1} << bits) + 1, sizeof(std::uint32_t))));
    }
    if (!sorted || !start) {
      for (const review_record& r : log_) insert(r);
    } else {
      const unsigned down = 64u - bits;
      std::uint32_t* c = start.get();
      for (const review_record& r : log_) ++c[(hash(r.review) >> down) + 1];
      for (std::size_t b = 1; b <= (std::size_t{1} << bits); ++b) c[b] += c[b - 1];
      for (const review_record& r : log_) sorted[c[hash(r.review) >> down]++] = r;
      constexpr std::size_t ahead = 8;
      review_record* t = slots_.get();
      for (std::size_t i = 0; i < n; ++i) {
        if (i + ahead < n) __builtin_prefetch(t + slot_of(sorted[i + ahead].review), 1, 1);
        insert(sorted[i]);
      }
    }
    log_.clear();
  }

  void clear() {
    slots_.reset();
    cap_ = 0;
    shift_ = 64;
    size_ = 0;
    std::vector<review_record>().swap(log_);
  }

 private:
  struct free_deleter {
    void operator()(review_record* p) const noexcept { std::free(p); }
  };
  struct free_deleter_u32 {
    void operator()(std::uint32_t* p) const noexcept { std::free(p); }
  };
  static review_record* allocate(std::size_t n) {
    void* p = std::calloc(n, sizeof(review_record));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<review_record*>(p);
  }
  /// The log holds at most 1/32 of the table's slots (at least 2^14 records): a flush then writes
  /// about every 32nd slot of the table, a near-sequential sweep.
  std::size_t log_limit() const noexcept { return std::max<std::size_t>(std::size_t{1} << 14, cap_ / 32); }

  /// The insert itself; the table has room.
  void insert(const review_record& r) noexcept {
    const std::size_t mask = cap_ - 1;
    review_record* t = slots_.get();
    for (std::size_t i = slot_of(r.review);; i = (i + 1) & mask) {
      review_record& s = t[i];
      if (s.revision1 == 0) {
        s = r;
        ++size_;
        return;
      }
      if (s.review == r.review) {
        if (replaces(r, s)) s = r;
        return;
      }
    }
  }
  void rehash(std::size_t cap) {
    std::unique_ptr<review_record[], free_deleter> fresh(allocate(cap));
    unsigned log2cap = 0;
    while ((std::size_t{1} << log2cap) < cap) ++log2cap;
    const unsigned shift = 64u - log2cap;
    const std::size_t mask = cap - 1;
    for (std::size_t k = 0; k < cap_; ++k) {  // old slots are in hash order: the new table fills front to back
      const review_record& r = slots_[k];
      if (r.revision1 == 0) continue;
      std::size_t i = static_cast<std::size_t>(hash(r.review) >> shift);
      while (fresh[i].revision1 != 0) i = (i + 1) & mask;
      fresh[i] = r;
    }
    slots_ = std::move(fresh);
    cap_ = cap;
    shift_ = shift;
  }

  std::unique_ptr<review_record[], free_deleter> slots_;
  std::size_t cap_ = 0;
  unsigned shift_ = 64;  ///< slot = hash >> shift_ (64 - log2(capacity))
  std::size_t size_ = 0;
  std::vector<review_record> log_;
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
