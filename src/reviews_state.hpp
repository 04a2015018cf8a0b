#pragma once
// The review aggregator's state (private to src/): records table and day counters.
#include <cstdint>
#include <cstring>
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
/// at most 7/8 full). Records live in the table itself: 32 bytes per slot.
class record_table {
 public:
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return slots_.size(); }
  const std::vector<review_record>& slots() const noexcept { return slots_; }

  void reserve(std::size_t n) {
    std::size_t cap = 16;
    while (cap * 7 / 8 < n) cap *= 2;
    if (cap > slots_.size()) rehash(cap);
  }

  static std::uint64_t hash(std::uint64_t key) noexcept {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return key;
  }
  std::size_t slot_of(std::uint64_t key) const noexcept { return static_cast<std::size_t>(hash(key)) & (slots_.size() - 1); }
  void prefetch(std::uint64_t key) const noexcept {
    if (!slots_.empty()) __builtin_prefetch(&slots_[slot_of(key)], 1, 1);
  }

  /// Inserts or replaces by the revision rule.
  void upsert(const review_record& r) {
    if ((size_ + 1) * 8 > slots_.size() * 7) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = slot_of(r.review);; i = (i + 1) & mask) {
      review_record& s = slots_[i];
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
    slots_.clear();
    slots_.shrink_to_fit();
    size_ = 0;
  }

 private:
  void rehash(std::size_t cap) {
    std::vector<review_record> old(cap);
    old.swap(slots_);
    for (auto& s : slots_) s.revision1 = 0;
    size_ = 0;
    const std::size_t mask = slots_.size() - 1;
    for (const review_record& r : old) {
      if (r.revision1 == 0) continue;
      std::size_t i = slot_of(r.review);
      while (slots_[i].revision1 != 0) i = (i + 1) & mask;
      slots_[i] = r;
      ++size_;
    }
  }

  std::vector<review_record> slots_;
  std::size_t size_ = 0;
};

/// Count mode: per day (UTC+8) and operator, ★3..★5 counts with and without a service record.
/// Counter layout of one day: [operator][service record 0/1][level 3..5] → 6 counters.
inline constexpr std::size_t day_counters = 6;

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
  std::vector<std::unique_ptr<std::uint32_t[]>> days;  ///< null: no event that day

  std::uint32_t* day_block(std::int32_t day);
};

}  // namespace embedrating
