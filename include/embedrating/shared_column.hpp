#pragma once
/// \file shared_column.hpp
/// An immutable column shared between results: `ratings` made from the same `scored` data share
/// the parts that do not depend on points (operator ids, statuses, fired rules …) instead of
/// copying them. Reads like a const std::vector.
#include <cstddef>
#include <memory>
#include <vector>

namespace embedrating {

template <class T>
class shared_column {
 public:
  using value_type = T;
  using const_iterator = typename std::vector<T>::const_iterator;

  shared_column() : data_(none()) {}
  shared_column(std::vector<T> v) : data_(std::make_shared<const std::vector<T>>(std::move(v))) {}  // NOLINT: implicit by design
  explicit shared_column(std::shared_ptr<const std::vector<T>> v) : data_(v ? std::move(v) : none()) {}

  const std::vector<T>& vector() const noexcept { return *data_; }
  operator const std::vector<T>&() const noexcept { return *data_; }  // NOLINT: implicit by design
  const std::shared_ptr<const std::vector<T>>& shared() const noexcept { return data_; }

  const T& operator[](std::size_t i) const noexcept { return (*data_)[i]; }
  const T& at(std::size_t i) const { return data_->at(i); }
  std::size_t size() const noexcept { return data_->size(); }
  bool empty() const noexcept { return data_->empty(); }
  const T* data() const noexcept { return data_->data(); }
  const_iterator begin() const noexcept { return data_->begin(); }
  const_iterator end() const noexcept { return data_->end(); }
  const T& front() const noexcept { return data_->front(); }
  const T& back() const noexcept { return data_->back(); }

  friend bool operator==(const shared_column& a, const shared_column& b) { return a.vector() == b.vector(); }
  friend bool operator==(const shared_column& a, const std::vector<T>& b) { return a.vector() == b; }

 private:
  static const std::shared_ptr<const std::vector<T>>& none() {
    static const std::shared_ptr<const std::vector<T>> e = std::make_shared<const std::vector<T>>();
    return e;
  }
  std::shared_ptr<const std::vector<T>> data_;
};

}  // namespace embedrating
