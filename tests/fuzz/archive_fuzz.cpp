// Fuzz target: the archive loaders on any bytes, with the checksum NOT compared (this build
// defines EMBEDRATING_FUZZING_SKIP_CHECKSUM), so mutations reach the payload. The first 8 bytes
// choose the loader: a scored archive (ERSCORED) or a ratings archive (ERRATING) goes through
// from_bytes, anything else through review_aggregator::deserialize. Every failure must be an
// archive_error; what loads must write bytes that load again to the same bytes, and must
// re-grade, explain and summarise without trouble. Seeds (scripts/fuzz.sh): the golden review
// archives and tests/fuzz/seeds/archive/ (scored and ratings of 25 sample operators, small enough
// for -max_len; the golden scored and ratings archives are not).
#include <cstdint>
#include <cstdlib>
#include <string>

#include <embedrating/embedrating.hpp>
#include <embedrating/reviews.hpp>
#include <embedrating/serialize.hpp>

namespace {

void explain_some(const embedrating::ratings& r) {
  if (r.size() == 0 || !r.scored_state_) return;
  (void)r.explain(0);
  (void)r.explain(r.size() - 1, embedrating::language::zh);
  (void)r.gates(r.size() / 2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    if (bytes.substr(0, 8) == "ERSCORED") {
      const embedrating::scored s = embedrating::from_bytes<embedrating::scored>(bytes, "fuzz.erscored");
      const std::string again = embedrating::to_bytes(s);
      if (embedrating::to_bytes(embedrating::from_bytes<embedrating::scored>(again, "again")) != again) std::abort();
      explain_some(embedrating::regrade(s, s.scoring_model()));
    } else if (bytes.substr(0, 8) == "ERRATING") {
      const embedrating::ratings r = embedrating::from_bytes<embedrating::ratings>(bytes, "fuzz.errating");
      const std::string again = embedrating::to_bytes(r);
      if (embedrating::to_bytes(embedrating::from_bytes<embedrating::ratings>(again, "again")) != again) std::abort();
      explain_some(r);
    } else {
      const embedrating::review_aggregator a = embedrating::review_aggregator::deserialize(bytes, "fuzz.eragg");
      const embedrating::review_aggregator b = embedrating::review_aggregator::deserialize(a.serialize(), "again.eragg");
      if (!(a == b)) std::abort();
      (void)a.summary(embedrating::make_date(2025, 12, 31), embedrating::holiday_calendar{});
    }
  } catch (const embedrating::archive_error&) {
  }
  return 0;
}
