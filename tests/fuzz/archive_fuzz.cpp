// Fuzz target: review_aggregator::deserialize on any bytes, with the checksum NOT compared (this
// build defines EMBEDRATING_FUZZING_SKIP_CHECKSUM), so mutations reach Boost's header and our
// payload. Every failure must be an archive_error; a state that loads must serialize to bytes
// that load to an equal state, and summarise without trouble. The seed is the golden archive.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <embedrating/embedrating.hpp>
#include <embedrating/reviews.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const embedrating::review_aggregator a = embedrating::review_aggregator::deserialize(bytes, "fuzz.eragg");
    const embedrating::review_aggregator b = embedrating::review_aggregator::deserialize(a.serialize(), "again.eragg");
    if (!(a == b)) std::abort();
    (void)a.summary(embedrating::make_date(2025, 12, 31), embedrating::holiday_calendar{});
  } catch (const embedrating::archive_error&) {
  }
  return 0;
}
