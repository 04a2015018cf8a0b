#pragma once
// The operator-id hash index shared by the dataset (dataset::find) and the readers
// (detail::id_index, src/ingest/ingest.hpp): open addressing with linear probing over a power-of-two
// table of 64-bit slots, each the high 32 bits of the id's std::hash<std::string_view> and row + 1
// (0 = empty). One probe loop for both, so that an index a reader builds is the dataset's.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace embedrating::detail {

/// The table size for n ids: the smallest power of two ≥ max(16, 2n) (at most half full).
inline std::size_t id_slots_capacity(std::size_t n) noexcept {
  std::size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  return cap;
}

/// Fills `slots` (sized id_slots_capacity(ids.size())) with `ids` in row order, hashes computed a
/// block ahead and their slots prefetched (the table is larger than the caches). `check(i)` is
/// called before row i goes in; an id equal to that of an earlier row j is not added, and
/// `duplicate(i, j)` is called.
template <class Check, class Duplicate>
void fill_id_slots(std::vector<std::uint64_t>& slots, const std::vector<std::string>& ids, Check&& check, Duplicate&& duplicate) {
  slots.assign(id_slots_capacity(ids.size()), 0);
  const std::size_t mask = slots.size() - 1;
  constexpr std::size_t ahead = 16;
  std::size_t hashes[ahead];
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i % ahead == 0)
      for (std::size_t k = 0; k < ahead && i + k < ids.size(); ++k) {
        hashes[k] = std::hash<std::string_view>()(ids[i + k]);
        __builtin_prefetch(&slots[hashes[k] & mask], 1, 1);
      }
    check(i);
    const std::size_t h = hashes[i % ahead];
    const std::uint64_t tag = static_cast<std::uint64_t>(h >> 32) << 32;
    for (std::size_t k = h & mask;; k = (k + 1) & mask) {
      const std::uint64_t s = slots[k];
      if (s == 0) {
        slots[k] = tag | static_cast<std::uint64_t>(i + 1);
        break;
      }
      if ((s & ~std::uint64_t{0xFFFFFFFF}) != tag) continue;
      const std::size_t j = static_cast<std::size_t>(s & 0xFFFFFFFF) - 1;
      if (ids[j] == ids[i]) {
        duplicate(i, j);
        break;
      }
    }
  }
}

/// Row of `id` (whose hash is `h`) among `ids`, indexed by `slots` (`mask` + 1 of them), or -1.
inline std::int64_t probe_id_slots(const std::uint64_t* slots, std::size_t mask, const std::vector<std::string>& ids,
                                   std::string_view id, std::size_t h) noexcept {
  const std::uint64_t tag = static_cast<std::uint64_t>(h >> 32) << 32;
  for (std::size_t k = h & mask;; k = (k + 1) & mask) {
    const std::uint64_t s = slots[k];
    if (s == 0) return -1;
    if ((s & ~std::uint64_t{0xFFFFFFFF}) != tag) continue;
    const std::size_t j = static_cast<std::size_t>(s & 0xFFFFFFFF) - 1;
    if (ids[j] == id) return static_cast<std::int64_t>(j);
  }
}

}  // namespace embedrating::detail
