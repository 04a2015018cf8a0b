// Large buffers with a small reuse cache (include/embedrating/detail/large_buffer.hpp).
#include "embedrating/detail/large_buffer.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace embedrating::detail {

namespace {

constexpr std::size_t huge_page = std::size_t{2} << 20;
constexpr std::size_t max_entries = 4;

struct cache_t {
  std::mutex mu;
  struct entry {
    void* data;
    std::size_t capacity;
  };
  std::vector<entry> free;  // oldest first
  std::size_t cached = 0;
  std::size_t limit = [] {
    const char* env = std::getenv("EMBEDRATING_BUFFER_CACHE_MB");
    if (env == nullptr || *env == '\0') return std::size_t{2} << 30;
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    return end != env && *end == '\0' ? static_cast<std::size_t>(mb) << 20 : std::size_t{2} << 30;
  }();
};

cache_t& cache() {
  static cache_t* c = new cache_t;  // never destroyed: buffers may be released during static destruction
  return *c;
}

void* map(std::size_t capacity) {
  void* p = nullptr;
  if (posix_memalign(&p, huge_page, capacity) != 0 || p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  (void)madvise(p, capacity, MADV_HUGEPAGE);  // advice only: without it the pages are 4 KiB
#endif
  return p;
}

}  // namespace

constexpr std::size_t small = std::size_t{1} << 20;  // below this: plain aligned memory, no cache

large_buffer::large_buffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  if (bytes < small) {
    void* p = nullptr;
    if (posix_memalign(&p, 64, bytes) != 0 || p == nullptr) throw std::bad_alloc();
    data_ = p;
    capacity_ = 0;  // not cached
    return;
  }
  const std::size_t want = (bytes + huge_page - 1) / huge_page * huge_page;
  {
    cache_t& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    std::size_t best = c.free.size();
    for (std::size_t k = 0; k < c.free.size(); ++k)  // the smallest that fits, wasting at most half
      if (c.free[k].capacity >= want && c.free[k].capacity <= 2 * want &&
          (best == c.free.size() || c.free[k].capacity < c.free[best].capacity))
        best = k;
    if (best < c.free.size()) {
      data_ = c.free[best].data;
      capacity_ = c.free[best].capacity;
      c.cached -= capacity_;
      c.free.erase(c.free.begin() + static_cast<std::ptrdiff_t>(best));
      return;
    }
  }
  data_ = map(want);
  capacity_ = want;
}

large_buffer& large_buffer::operator=(large_buffer&& o) noexcept {
  if (this != &o) {
    large_buffer gone(std::move(*this));
    data_ = o.data_;
    bytes_ = o.bytes_;
    capacity_ = o.capacity_;
    o.data_ = nullptr;
    o.bytes_ = o.capacity_ = 0;
  }
  return *this;
}

large_buffer::~large_buffer() {
  if (data_ == nullptr) return;
  if (capacity_ == 0) {
    std::free(data_);
    return;
  }
  cache_t& c = cache();
  std::vector<void*> drop;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (capacity_ <= c.limit) {
      c.free.push_back({data_, capacity_});
      c.cached += capacity_;
      while (!c.free.empty() && (c.cached > c.limit || c.free.size() > max_entries)) {
        drop.push_back(c.free.front().data);
        c.cached -= c.free.front().capacity;
        c.free.erase(c.free.begin());
      }
    } else {
      drop.push_back(data_);
    }
  }
  for (void* p : drop) std::free(p);
}

void release_large_buffers() noexcept {
  cache_t& c = cache();
  std::vector<void*> drop;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    for (const auto& e : c.free) drop.push_back(e.data);
    c.free.clear();
    c.cached = 0;
  }
  for (void* p : drop) std::free(p);
}

}  // namespace embedrating::detail
