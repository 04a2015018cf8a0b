#pragma once
/// \file detail/bitmask.hpp
/// One bit per operator: conditions evaluate to bit masks over columns (64 operators per word), so
/// all/any/not and the rule bookkeeping touch a word where a byte mask touched a byte per operator.
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
    words_.assign((n + 63) / 64, value ? ~std::uint64_t{0} : 0);
    clear_tail();
  }

  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0 && words_.empty(); }
  std::size_t word_count() const noexcept { return words_.size(); }
  std::uint64_t* words() noexcept { return words_.data(); }
  const std::uint64_t* words() const noexcept { return words_.data(); }

  bool test(std::size_t i) const noexcept { return (words_[i >> 6] >> (i & 63)) & 1u; }
  void set(std::size_t i) noexcept { words_[i >> 6] |= std::uint64_t{1} << (i & 63); }
  void reset(std::size_t i) noexcept { words_[i >> 6] &= ~(std::uint64_t{1} << (i & 63)); }
  void set(std::size_t i, bool v) noexcept { v ? set(i) : reset(i); }

  bitmask& operator&=(const bitmask& o) noexcept {
    for (std::size_t w = 0; w < words_.size(); ++w) words_[w] &= o.words_[w];
    return *this;
  }
  bitmask& operator|=(const bitmask& o) noexcept {
    for (std::size_t w = 0; w < words_.size(); ++w) words_[w] |= o.words_[w];
    return *this;
  }
  /// this &= ~o
  bitmask& and_not(const bitmask& o) noexcept {
    for (std::size_t w = 0; w < words_.size(); ++w) words_[w] &= ~o.words_[w];
    return *this;
  }
  void flip() noexcept {
    for (auto& w : words_) w = ~w;
    clear_tail();
  }
  bool any() const noexcept {
    for (auto w : words_)
      if (w) return true;
    return false;
  }
  std::size_t count() const noexcept {
    std::size_t c = 0;
    for (auto w : words_) c += static_cast<std::size_t>(__builtin_popcountll(w));
    return c;
  }
  /// Calls f(i) for every set bit, in increasing order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t w = 0; w < words_.size(); ++w)
      for (std::uint64_t x = words_[w]; x != 0; x &= x - 1)
        f(w * 64 + static_cast<std::size_t>(__builtin_ctzll(x)));
  }
  /// Packs 64 predicate results at a time: bit i = pred(i).
  template <class Pred>
  void fill(Pred&& pred) {
    for (std::size_t w = 0; w < words_.size(); ++w) {
      const std::size_t base = w * 64;
      const std::size_t end = base + 64 < n_ ? 64 : n_ - base;
      std::uint64_t x = 0;
      for (std::size_t b = 0; b < end; ++b) x |= static_cast<std::uint64_t>(pred(base + b) ? 1u : 0u) << b;
      words_[w] = x;
    }
  }
  bool operator==(const bitmask& o) const noexcept { return n_ == o.n_ && words_ == o.words_; }

 private:
  void clear_tail() noexcept {
    if (n_ % 64 != 0 && !words_.empty()) words_.back() &= (std::uint64_t{1} << (n_ % 64)) - 1;
  }
  std::size_t n_ = 0;
  std::vector<std::uint64_t> words_;
};

}  // namespace embedrating::detail
