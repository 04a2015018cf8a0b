// One serialize() per persistent type (include/embedrating/serialize.hpp, docs/archives.md): the
// portable byte encoding, round trips, the golden archives of this release in
// tests/data/archives/ (they must load in every later release), the review state's format 1, and
// one test per kind of bad archive.
//
// EMBEDRATING_WRITE_GOLDEN=1 rewrites the golden archives (only when the format changes, with a
// new format version: the old files stay and keep loading).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <embedrating/embedrating.hpp>
#include <embedrating/serialize.hpp>

#include "temp_dir.hpp"

using namespace embedrating;
using embedrating::test_support::temp_dir;

namespace {

const std::string golden_dir = std::string(EMBEDRATING_TEST_DATA_DIR) + "/archives/";
std::string sample(const std::string& name) { return std::string(EMBEDRATING_SOURCE_DIR) + "/data/sample/" + name; }

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f) << path;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (!out.empty()) out += ' ';
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

template <class T>
std::string encode(const T& v) {
  std::string out;
  portable_oarchive ar(out);
  ar << v;
  return out;
}

struct sample_objects {
  model m = model::default_model();
  dataset data;
  review_aggregator reviews;
  sample_objects() : data(read_operators_csv(sample("operators.csv"), m)), reviews(m, data) {
    data.set_facilities(read_facilities_csv(sample("facilities.csv"), m, data));
    // the first 2000 review events of the sample (the golden review archives stay small)
    std::ifstream in(sample("reviews.csv"), std::ios::binary);
    temp_dir dir("serialize-reviews");
    const std::string path = (dir.path() / "reviews.csv").string();
    {
      std::ofstream out(path, std::ios::binary);
      std::string line;
      for (int k = 0; k <= 2000 && std::getline(in, line); ++k) out << line << '\n';
    }
    reviews.add_csv(path);
  }
};
const sample_objects& fresh() {
  static const sample_objects s;
  return s;
}

const civil_date sample_as_of = make_date(2025, 12, 31);
/// The sample rated at its as_of (the golden ratings archive holds these).
const ratings& sample_ratings() {
  static const ratings r = rate(fresh().m, fresh().data, sample_as_of);
  return r;
}

/// Every stored field of two ratings is equal (the library version only when `same_release`).
void expect_same_ratings(const ratings& a, const ratings& b, bool same_release = true) {
  ASSERT_EQ(a.rating_model.has_value(), b.rating_model.has_value());
  if (a.rating_model) {
    EXPECT_EQ(a.rating_model->fingerprint(), b.rating_model->fingerprint());
    EXPECT_EQ(a.rating_model->to_toml(), b.rating_model->to_toml());
  }
  EXPECT_EQ(a.as_of, b.as_of);
  EXPECT_EQ(a.input_hash, b.input_hash);
  if (same_release) {
    EXPECT_EQ(a.library_version, b.library_version);
  }
  EXPECT_EQ(a.run_warnings, b.run_warnings);
  EXPECT_EQ(a.operator_ids, b.operator_ids.vector());
  EXPECT_EQ(a.status, b.status.vector());
  EXPECT_EQ(a.grade_by_score, b.grade_by_score.vector());
  EXPECT_EQ(a.final_grade, b.final_grade.vector());
  EXPECT_EQ(a.terminate, b.terminate.vector());
  EXPECT_EQ(a.total_centi, b.total_centi.vector());
  EXPECT_EQ(a.dimension_centi.rows(), b.dimension_centi.rows());
  EXPECT_EQ(a.dimension_centi.cols(), b.dimension_centi.cols());
  EXPECT_TRUE(a.dimension_centi == b.dimension_centi);
  EXPECT_EQ(a.fired_offsets, b.fired_offsets.vector());
  EXPECT_EQ(a.fired, b.fired.vector());
  EXPECT_EQ(a.warning_offsets, b.warning_offsets.vector());
  EXPECT_EQ(a.warnings, b.warnings.vector());
  EXPECT_EQ(a.previous_grade, b.previous_grade.vector());
  EXPECT_EQ(a.history_limit, b.history_limit.vector());
  EXPECT_EQ(a.history_lapses_on, b.history_lapses_on.vector());
  EXPECT_EQ(a.prerequisite_level_, b.prerequisite_level_);
  EXPECT_EQ(a.extra_prerequisites_failed_, b.extra_prerequisites_failed_);
}

/// Expects `f` to throw archive_error whose message contains every one of `parts`.
template <class F>
void expect_archive_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no archive_error";
  } catch (const archive_error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << "\n  lacks: " << p;
  }
}

}  // namespace

TEST(serialize, primitives_are_little_endian_fixed_width) {
  EXPECT_EQ(hex(encode(1.0)), "00 00 00 00 00 00 f0 3f");
  EXPECT_EQ(hex(encode(-0.0)), "00 00 00 00 00 00 00 80");
  EXPECT_EQ(hex(encode(std::uint32_t{0x01020304})), "04 03 02 01");
  EXPECT_EQ(hex(encode(std::int16_t{-2})), "fe ff");
  EXPECT_EQ(hex(encode(std::int64_t{1})), "01 00 00 00 00 00 00 00");
  EXPECT_EQ(hex(encode(true)), "01");
  EXPECT_EQ(hex(encode(grade::a4)), "04");
  EXPECT_EQ(hex(encode(std::string("ab"))), "02 00 00 00 00 00 00 00 61 62");
  EXPECT_EQ(hex(encode(std::vector<std::int32_t>{1, -1})), "02 00 00 00 00 00 00 00 01 00 00 00 ff ff ff ff");
  EXPECT_EQ(hex(seal_archive(archive_type::model, 1, "").substr(0, 24)),
            "45 52 4d 4f 44 45 4c 5f 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
}

TEST(serialize, doubles_are_bit_exact) {
  const std::vector<double> v = {std::nan("0x7"), -0.0, std::numeric_limits<double>::denorm_min(),
                                 std::numeric_limits<double>::infinity(), 0.1};
  const std::string bytes = encode(v);
  portable_iarchive in(bytes, "<test>");
  std::vector<double> back;
  in >> back;
  ASSERT_EQ(back.size(), v.size());
  EXPECT_EQ(std::memcmp(back.data(), v.data(), v.size() * sizeof(double)), 0);
  EXPECT_EQ(in.left(), 0u);
}

TEST(serialize, model_round_trip) {
  const model& m = fresh().m;
  const std::string bytes = to_bytes(m);
  const model back = from_bytes<model>(bytes, "<test>");
  EXPECT_EQ(back.fingerprint(), m.fingerprint());
  EXPECT_EQ(back.structure_fingerprint(), m.structure_fingerprint());
  EXPECT_EQ(back.to_toml(), m.to_toml());
  EXPECT_EQ(to_bytes(back), bytes);
}

TEST(serialize, dataset_round_trip) {
  const dataset& d = fresh().data;
  const std::string bytes = to_bytes(d);
  const dataset back = from_bytes<dataset>(bytes, "<test>");
  EXPECT_EQ(back.input_hash(), d.input_hash());
  EXPECT_EQ(back.operator_ids(), d.operator_ids());
  EXPECT_EQ(back.source_name(), d.source_name());
  ASSERT_NE(back.facilities(), nullptr);
  EXPECT_EQ(back.facilities()->facility_ids, d.facilities()->facility_ids);
  EXPECT_EQ(to_bytes(back), bytes);
  // rating the copy gives the same grades
  const ratings a = rate(fresh().m, d, make_date(2025, 12, 31)), b = rate(fresh().m, back, make_date(2025, 12, 31));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.final_grade[i], b.final_grade[i]) << i;
    EXPECT_EQ(a.total_centi[i], b.total_centi[i]) << i;
  }
}

TEST(serialize, review_state_round_trip) {
  EXPECT_EQ(archive_format_version(archive_type::review_state), review_archive_format_version);
  const review_aggregator& r = fresh().reviews;
  const std::string bytes = to_bytes(r);
  EXPECT_EQ(bytes, r.serialize());
  const review_aggregator back = from_bytes<review_aggregator>(bytes, "<test>");
  EXPECT_TRUE(back == r);
  EXPECT_EQ(back.serialize(), bytes);
}

TEST(serialize, ratings_round_trip) {
  const ratings& r = sample_ratings();
  ASSERT_EQ(r.size(), fresh().data.operator_ids().size());
  ASSERT_TRUE(r.rating_model.has_value());
  ASSERT_FALSE(r.fired.empty());
  ASSERT_FALSE(r.warnings.empty());
  const std::string bytes = to_bytes(r);
  const ratings back = from_bytes<ratings>(bytes, "<test>");
  expect_same_ratings(r, back);
  EXPECT_EQ(to_bytes(back), bytes);
  // what needs only the stored fields reads the same
  for (std::size_t i = 0; i < r.size(); ++i) EXPECT_EQ(back.total(i), r.total(i)) << i;
  EXPECT_EQ(back.find(r.operator_ids[0]), 0);
  // the leaf scores shared with the scored data are not archived
  EXPECT_THROW((void)back.dimension_ratio(0, 0), std::logic_error);
  // explanations and the gates of an active operator need the scores, which the archive does not
  // keep: a clear logic_error, never a null pointer
  EXPECT_THROW((void)back.explain(0), std::logic_error);
  std::size_t active = 0;
  while (back.status.at(active) != operator_status::active) ++active;
  if (back.final_grade[active] != grade::a5) {
    EXPECT_THROW((void)back.gates(active), std::logic_error);
  }
}

TEST(serialize, files_save_and_load) {
  temp_dir dir("serialize");
  const std::string path = (dir.path() / "model.erm").string();
  save_archive(fresh().m, path);
  EXPECT_EQ(load_archive<model>(path).fingerprint(), fresh().m.fingerprint());
  const std::string dpath = (dir.path() / "data.erd").string();
  save_archive(fresh().data, dpath);
  EXPECT_EQ(load_archive<dataset>(dpath).input_hash(), fresh().data.input_hash());
  expect_archive_error([&] { load_archive<dataset>(path); }, {path, "a model archive, not a dataset archive"});
  expect_archive_error([&] { load_archive<model>(dir.path().string()); }, {"is a directory"});
}

TEST(serialize, golden_archives_of_this_release_load) {
  const sample_objects& s = fresh();
  if (std::getenv("EMBEDRATING_WRITE_GOLDEN")) {
    save_archive(s.m, golden_dir + "model-v1.erarchive");
    save_archive(s.data, golden_dir + "dataset-v1.erarchive");
    save_archive(s.reviews, golden_dir + "review_state-v2.erarchive");
    save_archive(sample_ratings(), golden_dir + "ratings-v1.erarchive");
  }
  const model m = load_archive<model>(golden_dir + "model-v1.erarchive");
  EXPECT_EQ(m.fingerprint(), s.m.fingerprint());
  const dataset d = load_archive<dataset>(golden_dir + "dataset-v1.erarchive");
  EXPECT_EQ(d.input_hash(), s.data.input_hash());
  const review_aggregator r = load_archive<review_aggregator>(golden_dir + "review_state-v2.erarchive");
  EXPECT_TRUE(r == s.reviews);
  // a loaded golden archive writes the same bytes again
  EXPECT_EQ(to_bytes(r), read_bytes(golden_dir + "review_state-v2.erarchive"));
  EXPECT_EQ(to_bytes(d), read_bytes(golden_dir + "dataset-v1.erarchive"));
  const ratings rt = load_archive<ratings>(golden_dir + "ratings-v1.erarchive");
  EXPECT_FALSE(rt.library_version.empty());
  expect_same_ratings(sample_ratings(), rt, /*same_release=*/false);
  EXPECT_EQ(to_bytes(rt), read_bytes(golden_dir + "ratings-v1.erarchive"));
}

TEST(serialize, review_state_format_1_still_loads) {
  // written by embedrating 0.1.0 (main at 8f0e895, the Python package) from the sample's first 2000
  // review events through Boost's binary archive
  const std::string v1 = read_bytes(golden_dir + "review_state-v1.errevagg");
  EXPECT_EQ(fresh().reviews.events_seen(), 2000u);
  ASSERT_GE(v1.size(), 12u);
  EXPECT_EQ(v1[8], 1);
  const review_aggregator r = review_aggregator::deserialize(v1, "v1");
  EXPECT_TRUE(r == fresh().reviews);
  EXPECT_EQ(r.serialize(), fresh().reviews.serialize());  // re-saved in format 2
}

TEST(serialize, bad_archives_are_precise_errors) {
  const std::string good = to_bytes(fresh().m);
  // truncated header, truncated payload, trailing bytes
  expect_archive_error([&] { from_bytes<model>(good.substr(0, 10), "m.bin"); }, {"m.bin", "shorter than the 64-byte header"});
  expect_archive_error([&] { from_bytes<model>(good.substr(0, good.size() - 1), "m.bin"); }, {"m.bin", "truncated"});
  expect_archive_error([&] { from_bytes<model>(good + "x", "m.bin"); }, {"m.bin", "trailing bytes"});
  // wrong magic, wrong type
  std::string bad = good;
  bad[0] = 'X';
  expect_archive_error([&] { from_bytes<model>(bad, "m.bin"); }, {"m.bin", "not a model archive (wrong magic bytes)"});
  expect_archive_error([&] { from_bytes<dataset>(good, "m.bin"); }, {"m.bin", "a model archive, not a dataset archive"});
  expect_archive_error([&] { from_bytes<review_aggregator>(good, "m.bin"); }, {"m.bin", "a model archive, not a review archive"});
  // newer format version, version 0
  bad = good;
  bad[8] = 9;
  expect_archive_error([&] { from_bytes<model>(bad, "m.bin"); }, {"m.bin", "format version 9 is newer"});
  bad[8] = 0;
  expect_archive_error([&] { from_bytes<model>(bad, "m.bin"); }, {"m.bin", "version 0 does not exist"});
  // checksum mismatch
  bad = good;
  bad[bad.size() - 3] ^= 1;
  expect_archive_error([&] { from_bytes<model>(bad, "m.bin"); }, {"m.bin", "checksum mismatch"});
  // a count larger than the bytes left, in a well-sealed payload: the model TOML's length
  std::string payload(4, '\0');
  payload[0] = 1;  // class version 1
  const std::uint64_t huge = std::uint64_t{1} << 40;
  detail::put_le(payload, &huge, 1);
  expect_archive_error([&] { from_bytes<model>(seal_archive(archive_type::model, 1, payload), "m.bin"); },
                       {"m.bin", "claims 1099511627776 items (string length) but only 0 bytes are left"});
  // a newer class version inside the payload
  payload.assign(4, '\0');
  payload[0] = 7;
  expect_archive_error([&] { from_bytes<model>(seal_archive(archive_type::model, 1, payload), "m.bin"); },
                       {"m.bin", "class version 7, written by a newer embedrating"});
  // a dataset whose columns are inconsistent gets the dataset's own check, as an archive_error
  {
    dataset two({"a", "b"}, "src");
    std::string bytes = to_bytes(two);
    std::string p(bytes.substr(archive_header_size));
    // the ids list "a","b" → make both "a" (a repeated operator id)
    const auto at = p.rfind('b');
    p[at] = 'a';
    expect_archive_error([&] { from_bytes<dataset>(seal_archive(archive_type::dataset, 1, p), "d.bin"); },
                         {"d.bin", "the dataset in the archive is invalid"});
  }
  // a model whose fingerprint does not match the recorded one
  {
    std::string p = good.substr(archive_header_size);
    const auto at = p.find(fresh().m.fingerprint());
    ASSERT_NE(at, std::string::npos);
    p[at] = p[at] == '0' ? '1' : '0';
    expect_archive_error([&] { from_bytes<model>(seal_archive(archive_type::model, 1, p), "m.bin"); },
                         {"m.bin", "the archive recorded"});
  }
}

TEST(serialize, bad_ratings_archives_are_precise_errors) {
  const ratings& r = sample_ratings();
  const std::string good = to_bytes(r);
  // truncated, wrong type both ways
  expect_archive_error([&] { from_bytes<ratings>(good.substr(0, good.size() - 1), "r.bin"); }, {"r.bin", "truncated"});
  const std::string m = to_bytes(fresh().m);
  expect_archive_error([&] { from_bytes<ratings>(m, "r.bin"); }, {"r.bin", "a model archive, not a ratings archive"});
  expect_archive_error([&] { from_bytes<model>(good, "r.bin"); }, {"r.bin", "a ratings archive, not a model archive"});
  // a payload cut short (resealed, so the checksum holds)
  {
    const std::string p = good.substr(archive_header_size);
    expect_archive_error([&] { from_bytes<ratings>(seal_archive(archive_type::ratings, 1, p.substr(0, p.size() - 5)), "r.bin"); },
                         {"r.bin", "truncated"});
  }
  // a bad enum code
  {
    ratings bad = r;
    std::vector<operator_status> st = bad.status;
    st[3] = static_cast<operator_status>(9);
    bad.status = st;
    expect_archive_error([&] { from_bytes<ratings>(to_bytes(bad), "r.bin"); }, {"r.bin", "ratings field status", "out of range"});
    bad = r;
    std::vector<grade> g = bad.final_grade;
    g[1] = static_cast<grade>(7);
    bad.final_grade = g;
    expect_archive_error([&] { from_bytes<ratings>(to_bytes(bad), "r.bin"); }, {"r.bin", "ratings field final_grade", "out of range"});
  }
  // a non-monotone CSR offset; offsets that do not end at the size of `fired`
  {
    ratings bad = r;
    std::vector<std::uint32_t> o = bad.fired_offsets;
    std::size_t i = 1;
    while (i + 1 < o.size() && o[i] == 0) ++i;
    ASSERT_GT(o[i], 0u);
    o[i] = o[i + 1] + 1;
    bad.fired_offsets = o;
    expect_archive_error([&] { from_bytes<ratings>(to_bytes(bad), "r.bin"); }, {"r.bin", "fired_offsets is not monotone"});
    o = r.fired_offsets;
    o.back() += 1;
    bad.fired_offsets = o;
    expect_archive_error([&] { from_bytes<ratings>(to_bytes(bad), "r.bin"); }, {"r.bin", "fired_offsets ends at"});
  }
  // a rule index out of range
  {
    ratings bad = r;
    std::vector<fired_rule> f = bad.fired;
    f[0].rule = static_cast<std::uint32_t>(r.rating_model->spec().rules.size());
    bad.fired = f;
    expect_archive_error([&] { from_bytes<ratings>(to_bytes(bad), "r.bin"); }, {"r.bin", "ratings field fired: rule index", "out of range"});
  }
  // an array whose size does not match the operator count
  {
    ratings bad = r;
    std::vector<std::int32_t> t = bad.total_centi;
    t.pop_back();
    bad.total_centi = t;
    expect_archive_error([&] { from_bytes<ratings>(to_bytes(bad), "r.bin"); }, {"r.bin", "ratings field total_centi has"});
  }
}
