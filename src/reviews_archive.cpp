// The review aggregator's archive (docs/review-archive.md, docs/archives.md): our header (magic,
// format version, payload size, SHA-256; src/archive/container.cpp), then the state through
// Boost.Serialization — format 2 with the portable archive (serialize.hpp), format 1 (read only)
// with Boost's native binary archive of earlier releases. The state's serialize code is the one
// `archived_state` below, for both formats. Every
// count read is checked against the bytes left before anything is allocated, Boost's own header
// is checked before Boost reads it, the memory the state will take is projected and bounded
// before it is allocated, and every setting is validated as a model's would be.
//
// Build switch EMBEDRATING_FUZZING_SKIP_CHECKSUM (CMake option EMBEDRATING_FUZZ, never in a
// release): the checksum is not compared, so a fuzzer reaches the payload.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <sstream>
#include <streambuf>

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/serialization/binary_object.hpp>
#include <boost/serialization/split_member.hpp>
#include <boost/serialization/version.hpp>

#include "embedrating/detail/atomic_file.hpp"
#include "embedrating/detail/sha256.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/reviews.hpp"
#include "embedrating/review_settings_serialize.hpp"
#include "embedrating/serialize.hpp"
#include "review_settings.hpp"
#include "reviews_state.hpp"

namespace embedrating {

namespace {

/// Boost's binary archive header starts with the length-prefixed signature; it is checked here,
/// before Boost reads (and allocates) a string of whatever length the bytes claim.
constexpr char boost_signature[] = "serialization::archive";
constexpr std::size_t boost_signature_size = sizeof boost_signature - 1;

/// Days a count-mode state can hold: review dates lie from 2000-01-01 (day 10957) to the last
/// representable review time (2136-02-07, day 60668); one day of margin either side.
constexpr std::int32_t first_state_day = 10956;
constexpr std::int32_t last_state_day = 60669;

/// The memory a loaded state may take: 256 MiB plus 64 times the payload (docs/review-archive.md).
std::uint64_t state_memory_budget(std::size_t payload_bytes) {
  return (std::uint64_t{256} << 20) + 64 * static_cast<std::uint64_t>(payload_bytes);
}

/// A read-only stream buffer over bytes in memory that can say how many bytes are left.
class span_buf : public std::streambuf {
 public:
  span_buf(const char* p, std::size_t n) { setg(const_cast<char*>(p), const_cast<char*>(p), const_cast<char*>(p) + n); }
  std::size_t left() const { return static_cast<std::size_t>(egptr() - gptr()); }
};

[[noreturn]] void bad(const std::string& source, const std::string& what) {
  error_location w;
  w.file = source;
  throw archive_error(w, what);
}

/// The serialized form of a state; Boost.Serialization class-versioned.
struct archived_state {
  review_aggregator::state* s = nullptr;
  std::function<std::size_t()> left;  ///< when loading: the bytes left, for the count checks
  std::string source;
  std::uint64_t budget = 0;     ///< when loading: bytes the state may take (state_memory_budget)
  std::uint64_t projected = 0;  ///< when loading: bytes the state takes so far

  template <class Archive>
  void save(Archive& ar, const unsigned int /*version*/) const {
    const auto& st = *s;
    std::uint64_t n_ops = st.ids.size();
    ar << n_ops;
    for (const auto& id : st.ids) save_string(ar, id);
    save_settings(ar, st.settings);
    std::uint64_t events = st.events;
    ar << events;
    for (std::size_t k = 0; k < reject_kind_count; ++k) {
      std::uint64_t c = st.rejects.counts[k], m = st.rejects.examples[k].size();
      ar << c << m;
      for (const auto& e : st.rejects.examples[k]) save_string(ar, e);
    }
    // records sorted by key: the same state always gives the same bytes
    std::vector<detail::review_record> recs;
    const detail::record_table& table = st.kept();  // the records with the ingest log flushed
    recs.reserve(table.size());
    table.for_each([&](const detail::review_record& r) { recs.push_back(r); });
    std::sort(recs.begin(), recs.end(), [](const auto& a, const auto& b) { return a.review < b.review; });
    std::uint64_t n_rec = recs.size();
    ar << n_rec;
    save_records(ar, recs);
    // count-mode days: sparse (index, value) pairs per non-empty day
    std::int32_t base = st.base_day;
    std::uint64_t n_days = 0;
    for (const auto& d : st.days) n_days += d.empty() ? 0u : 1u;
    ar << base << n_days;
    for (std::size_t k = 0; k < st.days.size(); ++k) {
      if (st.days[k].empty()) continue;
      std::uint32_t offset = static_cast<std::uint32_t>(k);
      std::vector<std::uint32_t> pairs;
      for (const auto& [code, count] : st.days[k].sparse(st.width())) {
        pairs.push_back(code);
        pairs.push_back(count);
      }
      std::uint64_t n_pairs = pairs.size() / 2;
      ar << offset << n_pairs;
      if (n_pairs) save_u32s(ar, pairs);
    }
  }

  template <class Archive>
  void load(Archive& ar, const unsigned int version) {
    if (version > 1)
      bad(source, "the review state has class version " + std::to_string(version) +
                      ", written by a newer embedrating (this one reads version 1)");
    auto& st = *s;
    const std::uint64_t n_ops = count(ar, 8, "operator count");
    take(n_ops * 128, "operator list");  // a string, a vector slot and an index entry each
    std::vector<std::string> ids(static_cast<std::size_t>(n_ops));
    for (auto& id : ids) id = load_string(ar);
    st.settings = load_settings(ar);
    st.dedup = st.settings.dedup;
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids[i].empty() || !st.index.emplace(ids[i], static_cast<std::uint32_t>(i)).second)
        bad(source, "the operator list has an empty or repeated id at position " + std::to_string(i));
    st.ids = std::move(ids);
    ar >> st.events;
    for (std::size_t k = 0; k < reject_kind_count; ++k) {
      ar >> st.rejects.counts[k];
      const std::uint64_t m = count(ar, 8, "reject examples");
      if (m > reject_log::max_examples) bad(source, "more than " + std::to_string(reject_log::max_examples) + " reject examples of one kind");
      for (std::uint64_t j = 0; j < m; ++j) st.rejects.examples[k].push_back(load_string(ar));
    }
    const std::uint64_t n_rec = count(ar, sizeof(detail::review_record), "record count");
    take(n_rec * 3 * sizeof(detail::review_record), "review records");  // the list and a table at most 7/8 full
    if (n_rec) {
      std::vector<detail::review_record> recs(static_cast<std::size_t>(n_rec));
      load_records(ar, recs);
      st.records.reserve(recs.size());
      for (const auto& r : recs) {
        if (r.revision1 == 0 || r.op >= st.ids.size() || r.level < 1 || r.level > 5 || (r.flags & 3u) > 2)
          bad(source, "a review record is malformed (operator index, level, status or revision out of range)");
        st.records.append(r);
      }
      st.records.settle();  // one merge of the whole list, then the state at rest
      if (st.records.size() != recs.size()) bad(source, "the archive lists a review id twice");
    }
    std::int32_t base = 0;
    ar >> base;
    const std::uint64_t n_days = count(ar, 12, "day count");
    if (n_days > 0 && (base < first_state_day || base > last_state_day))
      bad(source, "the first day of the counters (" + std::to_string(base) + ") is outside 2000-01-01 .. 2136-02-08");
    const std::size_t width = st.ids.size() * detail::day_counters;
    if (n_days > 0) take(static_cast<std::uint64_t>(last_state_day - base + 1) * sizeof(detail::day_counts), "day list");
    for (std::uint64_t k = 0; k < n_days; ++k) {
      std::uint32_t offset = 0;
      ar >> offset;
      const std::uint64_t n_pairs = count(ar, 8, "day counter count");
      if (n_pairs > width) bad(source, "a day lists more counters than there are");
      if (offset > static_cast<std::uint32_t>(last_state_day - base) || n_pairs == 0)
        bad(source, "a day offset is out of range or a day is empty");
      std::vector<std::uint32_t> pairs(static_cast<std::size_t>(n_pairs * 2));
      if (n_pairs) load_u32s(ar, pairs);
      // the day's memory before it is allocated: a log of one code per event, or a dense block
      std::uint64_t events = 0;
      for (std::size_t j = 1; j < pairs.size(); j += 2) events += pairs[j];
      take(4 * std::min<std::uint64_t>(events, width), "day counters");
      detail::day_counts& dc = st.day(base + static_cast<std::int32_t>(offset));
      if (!dc.empty()) bad(source, "a day is listed twice");
      for (std::size_t j = 0; j < pairs.size(); j += 2) {
        if (pairs[j] >= width || pairs[j + 1] == 0 || (j > 0 && pairs[j] <= pairs[j - 2]))
          bad(source, "a day's counters are out of range, zero or out of order");
        dc.add(pairs[j], pairs[j + 1], width);
      }
    }
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()

 private:
  /// Adds `bytes` to the memory the state will take; refuses the archive past the budget.
  void take(std::uint64_t bytes, const char* what) {
    projected += bytes;
    if (bytes > budget || projected > budget)
      bad(source, std::string("the state would take more than ") + std::to_string(budget) + " bytes of memory (" + what +
                      "): refused as oversized for an archive of this size");
  }
  /// Reads a count and checks that `unit` bytes per item fit in what is left.
  template <class Archive>
  std::uint64_t count(Archive& ar, std::size_t unit, const char* what) const {
    std::uint64_t n = 0;
    ar >> n;
    if (n > left() / unit)
      bad(source, std::string("the archive claims ") + std::to_string(n) + " items (" + what + ") but only " +
                      std::to_string(left()) + " bytes are left");
    return n;
  }
  // Records and counters: field by field, little-endian, in the portable format; as raw memory
  // (the host's layout) in format 1.
  static void save_records(portable_oarchive& ar, const std::vector<detail::review_record>& recs) {
    for (const auto& r : recs) ar << r.review << r.reviewer << r.op << r.time << r.revision1 << r.rectified << r.followed << r.level << r.flags;
  }
  static void load_records(portable_iarchive& ar, std::vector<detail::review_record>& recs) {
    for (auto& r : recs) ar >> r.review >> r.reviewer >> r.op >> r.time >> r.revision1 >> r.rectified >> r.followed >> r.level >> r.flags;
  }
  template <class Archive>
  static void load_records(Archive& ar, std::vector<detail::review_record>& recs) {
    ar >> boost::serialization::make_binary_object(recs.data(), recs.size() * sizeof(detail::review_record));
  }
  static void save_u32s(portable_oarchive& ar, const std::vector<std::uint32_t>& v) { ar.save_array(v.data(), v.size()); }
  static void load_u32s(portable_iarchive& ar, std::vector<std::uint32_t>& v) { ar.load_array(v.data(), v.size()); }
  template <class Archive>
  static void load_u32s(Archive& ar, std::vector<std::uint32_t>& v) {
    ar >> boost::serialization::make_binary_object(v.data(), v.size() * sizeof(std::uint32_t));
  }
  /// The review settings (one function each way, to be driven by the settings' field visitor).
  static void save_string(portable_oarchive& ar, const std::string& x) { ar << x; }
  std::string load_string(portable_iarchive& ar) const {
    std::string x;
    ar >> x;
    return x;
  }
  template <class Archive>
  static void save_string(Archive& ar, const std::string& x) {
    std::uint64_t n = x.size();
    ar << n;
    if (n) ar << boost::serialization::make_binary_object(const_cast<char*>(x.data()), x.size());
  }
  template <class Archive>
  std::string load_string(Archive& ar) const {
    const std::uint64_t n = count(ar, 1, "string length");
    std::string x(static_cast<std::size_t>(n), '\0');
    if (n) ar >> boost::serialization::make_binary_object(x.data(), x.size());
    return x;
  }
  /// Format 2 writes the settings as the table of review settings (review_fields.hpp) describes
  /// them, through its one Boost `serialize()` (review_settings_serialize.hpp).
  static void save_settings(portable_oarchive& ar, const review_settings& r) {
    review_settings copy = r;
    embedrating::serialize(ar, copy, 0u);
  }
  review_settings load_settings(portable_iarchive& ar) const {
    review_settings r;
    try {
      embedrating::serialize(ar, r, 0u);
    } catch (const archive_error& e) {
      if (!e.where().file.empty()) throw;
      bad(source, e.message());
    }
    return r;
  }
  /// Format 1 (Boost's binary archive) wrote the settings field by field, choices as one byte.
  review_settings load_settings(boost::archive::binary_iarchive& ar) const {
    review_settings r;
    for (double& v : r.level_values) ar >> v;
    std::uint8_t period = 0, svc = 0, dedup = 0, eb = 0;
    std::int32_t period_days = 0, window = 0, deadline = 0;
    ar >> r.min_count >> r.prior_index >> r.prior_rate >> r.prior_closure >> period >> period_days >> window >>
        r.half_life_days >> deadline >> svc >> dedup >> r.wilson_z >> eb;
    if (period > 1 || svc > 1 || dedup > 1 || eb > 1) bad(source, "the review settings in the archive are malformed");
    r.period = static_cast<review_period>(period);
    r.period_days = period_days;
    r.window_months = window;
    r.deadline_working_days = deadline;
    r.service_record_only = svc != 0;
    r.dedup = dedup != 0;
    r.eb_method = static_cast<beta_fit_method>(eb);
    if (const auto problem = detail::review_settings_problem(r))
      bad(source, "the review settings in the archive are invalid: " + problem->first + " " + problem->second);
    return r;
  }
};

std::uint64_t get_u64(const char* p) {
  std::uint64_t v = 0;
  detail::get_le(p, &v, 1);
  return v;
}

}  // namespace
}  // namespace embedrating

BOOST_CLASS_VERSION(embedrating::archived_state, 1)

namespace embedrating {

std::string review_aggregator::serialize() const {
  std::string payload;
  {
    portable_oarchive ar(payload);
    archived_state a;
    a.s = s_.get();
    const archived_state& ca = a;
    ar << ca;
  }
  return seal_archive(archive_type::review_state, archive_format_version(archive_type::review_state), payload);
}

review_aggregator review_aggregator::deserialize(std::string_view bytes, const std::string& source) {
  const unsealed_archive sealed = unseal_archive(archive_type::review_state, bytes, source);
  const std::string_view payload = sealed.payload;
  review_aggregator out(std::vector<std::string>{}, review_settings{});
  archived_state a;
  a.s = out.s_.get();
  a.source = source;
  a.budget = state_memory_budget(payload.size());
  if (sealed.version >= 2) {
    portable_iarchive ar(payload, source);
    a.left = [&ar] { return ar.left(); };
    try {
      ar >> a;
    } catch (const std::bad_alloc&) {
      bad(source, "not enough memory to load the review state");
    }
    if (ar.left() != 0) bad(source, std::to_string(ar.left()) + " unread bytes at the end of the review state");
    return out;
  }
  // Format 1: Boost's binary archive. Its header is a length-prefixed signature, then
  // fixed-size fields; nothing else in it is allocated by length
  if (payload.size() < 8 + boost_signature_size || get_u64(payload.data()) != boost_signature_size ||
      std::memcmp(payload.data() + 8, boost_signature, boost_signature_size) != 0)
    bad(source, "unreadable review state: the Boost archive header is missing or damaged");
  span_buf buf(payload.data(), payload.size());
  try {
    boost::archive::binary_iarchive ar(buf);
    a.left = [&buf] { return buf.left(); };
    ar >> a;
  } catch (const boost::archive::archive_exception& e) {
    bad(source, std::string("unreadable review state: ") + e.what());
  } catch (const std::bad_alloc&) {
    bad(source, "not enough memory to load the review state");
  } catch (const std::length_error&) {
    bad(source, "unreadable review state: a length is out of range");
  }
  if (buf.left() != 0) bad(source, std::to_string(buf.left()) + " unread bytes at the end of the review state");
  return out;
}

void review_aggregator::save(const std::string& path) const { write_archive_file(path, serialize()); }

review_aggregator review_aggregator::load(const std::string& path) {
  return deserialize(read_archive_file(archive_type::review_state, path), path);
}

std::string to_bytes(const review_aggregator& r) { return r.serialize(); }

template <>
review_aggregator from_bytes<review_aggregator>(std::string_view bytes, const std::string& source) {
  return review_aggregator::deserialize(bytes, source);
}

}  // namespace embedrating
