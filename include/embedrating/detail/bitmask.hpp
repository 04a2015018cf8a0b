#pragma once
/// \file detail/bitmask.hpp
/// One bit per operator: conditions evaluate to bit masks over columns (64 operators per word), so
/// all/any/not and the rule bookkeeping touch a word where a byte mask touched a byte per operator.
/// Up to 64 operators (rate_one rates one) the word lives inside the object: no allocation.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace embedrating::detail {

class bitmask {
 public:
  bitmask() = default;
  explicit bitmask(std::size_t n, bool value = false) { assign(n, value); }

  void assign(std::size_t n, bool value) {
    n_ = n;
    count_ = (n + 63) / 64;
    const std::uint64_t fill = value ? ~std::uint64_t{0} : 0;
    if (count_ <= 1) {
      heap_.clear();
      local_ = fill;
    } else {
      heap_.assign(count_, fill);
    }
    clear_tail();
  }

  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return count_ == 0; }
  std::size_t word_count() const noexcept { return count_; }
  std::uint64_t* words() noexcept { return count_ <= 1 ? &local_ : heap_.data(); }
  const std::uint64_t* words() const noexcept { return count_ <= 1 ? &local_ : heap_.data(); }

  bool test(std::size_t i) const noexcept { return (words()[i >> 6] >> (i & 63)) & 1u; }
  void set(std::size_t i) noexcept { words()[i >> 6] |= std::uint64_t{1} << (i & 63); }
  void reset(std::size_t i) noexcept { words()[i >> 6] &= ~(std::uint64_t{1} << (i & 63)); }
  void set(std::size_t i, bool v) noexcept { v ? set(i) : reset(i); }

  bitmask& operator&=(const bitmask& o) noexcept {
    std::uint64_t* w = words();
    const std::uint64_t* x = o.words();
    for (std::size_t k = 0; k < count_; ++k) w[k] &= x[k];
    return *this;
  }
  bitmask& operator|=(const bitmask& o) noexcept {
    std::uint64_t* w = words();
    const std::uint64_t* x = o.words();
    for (std::size_t k = 0; k < count_; ++k) w[k] |= x[k];
    return *this;
  }
  /// this &= ~o
  bitmask& and_not(const bitmask& o) noexcept {
    std::uint64_t* w = words();
    const std::uint64_t* x = o.words();
    for (std::size_t k = 0; k < count_; ++k) w[k] &= ~x[k];
    return *this;
  }
  void flip() noexcept {
    std::uint64_t* w = words();
    for (std::size_t k = 0; k < count_; ++k) w[k] = ~w[k];
    clear_tail();
  }
  bool any() const noexcept {
    const std::uint64_t* w = words();
    for (std::size_t k = 0; k < count_; ++k)
      if (w[k]) return true;
    return false;
  }
  std::size_t count() const noexcept {
    const std::uint64_t* w = words();
    std::size_t c = 0;
    for (std::size_t k = 0; k < count_; ++k) c += static_cast<std::size_t>(__builtin_popcountll(w[k]));
    return c;
  }
  /// Calls f(i) for every set bit, in increasing order.
  template <class F>
  void for_each(F&& f) const {
    const std::uint64_t* w = words();
    for (std::size_t k = 0; k < count_; ++k)
      for (std::uint64_t x = w[k]; x != 0; x &= x - 1) f(k * 64 + static_cast<std::size_t>(__builtin_ctzll(x)));
  }
  /// Packs 64 predicate results at a time: bit i = pred(i).
  template <class Pred>
  void fill(Pred&& pred) {
    std::uint64_t* w = words();
    for (std::size_t k = 0; k < count_; ++k) {
      const std::size_t base = k * 64;
      const std::size_t end = base + 64 < n_ ? 64 : n_ - base;
      std::uint64_t x = 0;
      for (std::size_t b = 0; b < end; ++b) x |= static_cast<std::uint64_t>(pred(base + b) ? 1u : 0u) << b;
      w[k] = x;
    }
  }
  bool operator==(const bitmask& o) const noexcept {
    if (n_ != o.n_) return false;
    const std::uint64_t *a = words(), *b = o.words();
    for (std::size_t k = 0; k < count_; ++k)
      if (a[k] != b[k]) return false;
    return true;
  }

 private:
  void clear_tail() noexcept {
    if (n_ % 64 != 0 && count_ != 0) words()[count_ - 1] &= (std::uint64_t{1} << (n_ % 64)) - 1;
  }
  std::size_t n_ = 0, count_ = 0;
  std::uint64_t local_ = 0;             ///< the word when there is at most one
  std::vector<std::uint64_t> heap_;     ///< the words when there are more
};

}  // namespace embedrating::detail
