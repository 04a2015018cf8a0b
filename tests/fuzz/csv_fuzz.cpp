// Fuzz target: the CSV readers on any bytes — the RFC 4180 parser with encoding detection, the
// operator table of the default model, and review events (file read through a memfd, as from
// disk). Every failure must be a data_error; rejected events are counted, never dropped.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include <embedrating/embedrating.hpp>
#include <embedrating/reviews.hpp>

#include "csv.hpp"

namespace {

const embedrating::model& wuhan() {
  static const embedrating::model m = [] {
    setenv("EMBEDRATING_DATA_DIR", EMBEDRATING_SOURCE_DIR "/data", 0);
    return embedrating::model::default_model();
  }();
  return m;
}

const embedrating::dataset& examples() {
  static const embedrating::dataset d =
      embedrating::read_operators_csv(EMBEDRATING_SOURCE_DIR "/data/examples/operators.csv", wuhan());
  return d;
}

/// The bytes as a file: /proc/self/fd/N of a memfd.
struct mem_file {
  int fd;
  std::string path;
  mem_file(const std::uint8_t* data, std::size_t size) : fd(memfd_create("fuzz.csv", 0)) {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t k = write(fd, data + done, size - done);
      if (k <= 0) std::abort();
      done += static_cast<std::size_t>(k);
    }
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  ~mem_file() { close(fd); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)examples();
  try {
    const auto t = embedrating::detail::parse_csv(bytes, "fuzz.csv");
    for (const auto& row : t.rows)
      if (row.size() != t.header.size()) std::abort();
  } catch (const embedrating::data_error&) {
  }
  const mem_file f(data, size);
  try {
    embedrating::problem_sink sink;
    (void)embedrating::read_operators_csv(f.path, wuhan(), "auto", &sink);
  } catch (const embedrating::data_error&) {
  }
  try {
    embedrating::review_aggregator agg(wuhan(), examples());
    agg.add_csv(f.path);
    if (agg.events_seen() < agg.rejects().total()) std::abort();
    (void)agg.summary(embedrating::make_date(2025, 12, 31));
  } catch (const embedrating::data_error&) {
  }
  return 0;
}
