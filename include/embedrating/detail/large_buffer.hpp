#pragma once
/// \file detail/large_buffer.hpp
/// Memory for the large per-rating arrays (the n × leaves score matrix): aligned to 2 MiB with
/// transparent huge pages advised, and kept in a small process-wide cache when released, so the
/// next rating of a similar size reuses pages that are already mapped instead of faulting in
/// fresh ones (on the machines measured, first touch of fresh 4 KiB pages costs about twice a
/// pass over the data). The cache holds at most 4 buffers and 2 GiB
/// (EMBEDRATING_BUFFER_CACHE_MB overrides the size; 0 turns the cache off);
/// release_large_buffers() empties it.
#include <cstddef>

namespace embedrating::detail {

class large_buffer {
 public:
  large_buffer() = default;
  explicit large_buffer(std::size_t bytes);
  ~large_buffer();
  large_buffer(large_buffer&& o) noexcept : data_(o.data_), bytes_(o.bytes_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.bytes_ = o.capacity_ = 0;
  }
  large_buffer& operator=(large_buffer&& o) noexcept;
  large_buffer(const large_buffer&) = delete;
  large_buffer& operator=(const large_buffer&) = delete;

  void* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return bytes_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0, capacity_ = 0;
};

/// Frees every cached buffer.
void release_large_buffers() noexcept;

}  // namespace embedrating::detail
