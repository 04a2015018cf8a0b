#pragma once
// The review aggregator's state (private to src/): records table and day counters.
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <memory>
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
/// at most 7/8 full). Records live in the table itself: 32 bytes per slot. Slots come from
/// calloc, so a fresh table costs no clearing pass (the kernel hands out zeroed pages).
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
      size_ = o.size_;
    }
    return *this;
  }
  record_table(record_table&&) noexcept = default;
  record_table& operator=(record_table&&) noexcept = default;

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return cap_; }

  struct range {
    const review_record* b;
    const review_record* e;
    const review_record* begin() const noexcept { return b; }
    const review_record* end() const noexcept { return e; }
  };
  /// Every slot (empty ones have revision1 == 0).
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
  std::size_t slot_of(std::uint64_t key) const noexcept { return static_cast<std::size_t>(hash(key)) & (cap_ - 1); }
  /// Address of the first slot probed for `key` (for prefetching); null while the table is empty.
  const review_record* probe_start(std::uint64_t key) const noexcept { return cap_ ? slots_.get() + slot_of(key) : nullptr; }

  /// Inserts or replaces by the revision rule.
  void upsert(const review_record& r) {
    if ((size_ + 1) * 8 > cap_ * 7) rehash(cap_ == 0 ? 16 : cap_ * 2);
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

  void clear() {
    slots_.reset();
    cap_ = 0;
    size_ = 0;
  }

 private:
  struct free_deleter {
    void operator()(review_record* p) const noexcept { std::free(p); }
  };
  static review_record* allocate(std::size_t n) {
    void* p = std::calloc(n, sizeof(review_record));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<review_record*>(p);
  }
  void rehash(std::size_t cap) {
    std::unique_ptr<review_record[], free_deleter> fresh(allocate(cap));
    const std::size_t mask = cap - 1;
    for (std::size_t k = 0; k < cap_; ++k) {
      const review_record& r = slots_[k];
      if (r.revision1 == 0) continue;
      std::size_t i = static_cast<std::size_t>(hash(r.review)) & mask;
      while (fresh[i].revision1 != 0) i = (i + 1) & mask;
      fresh[i] = r;
    }
    slots_ = std::move(fresh);
    cap_ = cap;
  }

  std::unique_ptr<review_record[], free_deleter> slots_;
  std::size_t cap_ = 0;
  std::size_t size_ = 0;
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
  detail::record_table records;
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
