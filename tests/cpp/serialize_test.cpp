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

#include "rate/stages.hpp"
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

/// The sample scored at its as_of (the golden scored archive holds it).
const scored& sample_scored() {
  static const scored s = score(fresh().m, fresh().data, sample_as_of);
  return s;
}

/// What reads the scored data gives the same for two ratings: leaf scores, node points, dimension
/// ratios, gates and the explanation text (English and Chinese) of every operator.
void expect_same_detail(const ratings& a, const ratings& b) {
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.leaf_scores().rows(), b.leaf_scores().rows());
  ASSERT_EQ(a.leaf_scores().cols(), b.leaf_scores().cols());
  EXPECT_EQ(std::memcmp(a.leaf_scores().data(), b.leaf_scores().data(), sizeof(double) * static_cast<std::size_t>(a.leaf_scores().size())), 0);
  std::vector<std::int64_t> ea, aa, eb, ab;
  for (std::size_t i = 0; i < a.size(); ++i) {
    a.node_points(i, ea, aa);
    b.node_points(i, eb, ab);
    EXPECT_EQ(ea, eb) << i;
    EXPECT_EQ(aa, ab) << i;
    for (std::size_t d = 0; d < static_cast<std::size_t>(a.dimension_centi.cols()); ++d) {
      const double x = a.dimension_ratio(i, d), y = b.dimension_ratio(i, d);
      EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y))) << i;
    }
    const std::vector<gate> ga = a.gates(i), gb = b.gates(i);
    ASSERT_EQ(ga.size(), gb.size()) << i;
    for (std::size_t k = 0; k < ga.size(); ++k) {
      EXPECT_EQ(ga[k].id, gb[k].id);
      EXPECT_EQ(ga[k].target, gb[k].target);
      EXPECT_EQ(ga[k].lapses_on, gb[k].lapses_on);
    }
    EXPECT_EQ(a.explain(i), b.explain(i)) << i;
    EXPECT_EQ(a.explain(i, language::zh), b.explain(i, language::zh)) << i;
  }
}

/// A copy of `s` through its archive whose state the caller may change (to make bad archives).
std::pair<scored, detail::scored_state*> mutable_copy(const scored& s) {
  scored c = from_bytes<scored>(to_bytes(s), "<copy>");
  auto* st = const_cast<detail::scored_state*>(c.state().get());
  return {c, st};
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
  // format 2 keeps the scored data: the loaded ratings explains, with the same text
  ASSERT_NE(back.scored_state_, nullptr);
  expect_same_detail(r, back);
}

TEST(serialize, scored_round_trip) {
  const scored& s = sample_scored();
  ASSERT_FALSE(s.has_point_rules());
  ASSERT_GE(s.pattern_leaves().size(), 2u) << "the sample has operators without meals";
  const std::string bytes = to_bytes(s);
  EXPECT_EQ(bytes.substr(0, 8), "ERSCORED");
  const scored back = from_bytes<scored>(bytes, "<test>");
  // every field equal
  EXPECT_EQ(back.size(), s.size());
  EXPECT_EQ(back.scoring_model().fingerprint(), s.scoring_model().fingerprint());
  EXPECT_EQ(back.as_of(), s.as_of());
  EXPECT_EQ(back.input_hash(), s.input_hash());
  EXPECT_EQ(back.operator_ids(), s.operator_ids());
  EXPECT_EQ(back.patterns(), s.patterns());
  EXPECT_EQ(back.pattern_leaves(), s.pattern_leaves());
  EXPECT_EQ(back.status().vector(), s.status().vector());
  EXPECT_EQ(back.run_warnings(), s.run_warnings());
  EXPECT_EQ(back.structure_fingerprint(), s.structure_fingerprint());
  EXPECT_EQ(back.has_point_rules(), s.has_point_rules());
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_EQ(back.graded(i), s.graded(i)) << i;
  const detail::scored_state &A = *s.state(), &B = *back.state();
  EXPECT_EQ(A.prerequisite_level, B.prerequisite_level);
  EXPECT_EQ(A.ceiling, B.ceiling);
  EXPECT_EQ(A.down, B.down);
  EXPECT_EQ(A.missing_warnings, B.missing_warnings);
  EXPECT_EQ(A.fired.vector(), B.fired.vector());
  EXPECT_EQ(A.warnings.vector(), B.warnings.vector());
  // the same bytes again
  EXPECT_EQ(to_bytes(back), bytes);
  // re-grades as the original: same grades, same explanations
  const ratings a = regrade(s, fresh().m), b = regrade(back, fresh().m);
  expect_same_ratings(a, b);
  expect_same_detail(a, b);
  // and under a variant (other weights)
  std::vector<std::pair<std::string, double>> w;
  const std::vector<std::string>& leaves = fresh().m.leaf_ids();
  double sum = 0.0;
  for (std::size_t j = 0; j < leaves.size(); ++j) sum += 1.0 + static_cast<double>(j % 3);
  for (std::size_t j = 0; j < leaves.size(); ++j) w.emplace_back(leaves[j], (1.0 + static_cast<double>(j % 3)) / sum);
  const model v = fresh().m.with_weights(w);
  expect_same_ratings(regrade(s, v), regrade(back, v));
  // files
  temp_dir dir("serialize-scored");
  const std::string path = (dir.path() / "sample.erscored").string();
  save_archive(s, path);
  EXPECT_EQ(to_bytes(load_archive<scored>(path)), bytes);
  EXPECT_THROW((void)to_bytes(scored()), std::logic_error);
}

TEST(serialize, ratings_format_1_loads_and_refuses_explain) {
  // the golden format-1 archive has no scored data: explain and what reads the scores throw the
  // same logic_error as before
  const ratings back = load_archive<ratings>(golden_dir + "ratings-v1.erarchive");
  EXPECT_EQ(back.scored_state_, nullptr);
  EXPECT_THROW((void)back.dimension_ratio(0, 0), std::logic_error);
  EXPECT_THROW((void)back.leaf_scores(), std::logic_error);
  EXPECT_THROW((void)back.explain(0), std::logic_error);
  std::vector<std::int64_t> e, a;
  EXPECT_THROW(back.node_points(0, e, a), std::logic_error);
  std::size_t active = 0;
  while (back.status.at(active) != operator_status::active || back.final_grade[active] == grade::a5) ++active;
  EXPECT_THROW((void)back.gates(active), std::logic_error);
  try {
    (void)back.explain(0);
  } catch (const std::logic_error& x) {
    EXPECT_NE(std::string(x.what()).find("no rating behind this object"), std::string::npos) << x.what();
  }
  // re-saved, it is a format-2 archive without scored data, which loads the same way
  const std::string again = to_bytes(back);
  EXPECT_EQ(again[8], 2);
  const ratings twice = from_bytes<ratings>(again, "again");
  expect_same_ratings(back, twice);
  EXPECT_THROW((void)twice.explain(0), std::logic_error);
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
    // format 1 of the ratings archive is no longer written: its golden file stays as it is
    save_archive(sample_ratings(), golden_dir + "ratings-v2.erarchive");
    save_archive(sample_scored(), golden_dir + "scored-v1.erarchive");
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
  // ratings format 2 (with the scored data): explains as a fresh rating
  const ratings r2 = load_archive<ratings>(golden_dir + "ratings-v2.erarchive");
  expect_same_ratings(sample_ratings(), r2, /*same_release=*/false);
  expect_same_detail(sample_ratings(), r2);
  EXPECT_EQ(to_bytes(r2), read_bytes(golden_dir + "ratings-v2.erarchive"));
  // scored format 1: re-grades and explains as the sample scored now
  const scored sc = load_archive<scored>(golden_dir + "scored-v1.erarchive");
  EXPECT_EQ(sc.input_hash(), s.data.input_hash());
  EXPECT_EQ(to_bytes(sc), read_bytes(golden_dir + "scored-v1.erarchive"));
  const ratings from_golden = regrade(sc, s.m);
  expect_same_ratings(sample_ratings(), from_golden);
  expect_same_detail(sample_ratings(), from_golden);
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
    expect_archive_error([&] { from_bytes<ratings>(seal_archive(archive_type::ratings, 2, p.substr(0, p.size() - 5)), "r.bin"); },
                         {"r.bin", "the archive claims", "bytes are left"});
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

TEST(serialize, bad_scored_archives_are_precise_errors) {
  const scored& s = sample_scored();
  const std::string good = to_bytes(s);
  // truncated, wrong type both ways, a payload cut short (resealed)
  expect_archive_error([&] { from_bytes<scored>(good.substr(0, good.size() - 1), "s.bin"); }, {"s.bin", "truncated"});
  expect_archive_error([&] { from_bytes<scored>(to_bytes(sample_ratings()), "s.bin"); }, {"s.bin", "a ratings archive, not a scored archive"});
  expect_archive_error([&] { from_bytes<ratings>(good, "s.bin"); }, {"s.bin", "a scored archive, not a ratings archive"});
  const std::string p = good.substr(archive_header_size);
  expect_archive_error([&] { from_bytes<scored>(seal_archive(archive_type::scored, 1, p.substr(0, p.size() - 5)), "s.bin"); },
                       {"s.bin", "the archive claims", "bytes are left"});
  // a model whose fingerprint is not the recorded one
  {
    std::string q = p;
    const auto at = q.find(fresh().m.fingerprint());
    ASSERT_NE(at, std::string::npos);
    q[at] = q[at] == '0' ? '1' : '0';
    expect_archive_error([&] { from_bytes<scored>(seal_archive(archive_type::scored, 1, q), "s.bin"); }, {"s.bin", "the archive recorded"});
  }
  // a bad index: a pattern beyond the patterns
  {
    auto cp = mutable_copy(s);
    const scored& c = cp.first;
    detail::scored_state* st = cp.second;
    st->patterns.of_row[12] = static_cast<std::uint32_t>(st->patterns.applicable.size());
    expect_archive_error([&] { from_bytes<scored>(to_bytes(c), "s.bin"); }, {"s.bin", "scored field patterns", "out of range", "row 12"});
  }
  // a bad count: a pattern with a leaf too many; a mask shorter than the operators
  {
    auto cp = mutable_copy(s);
    const scored& c = cp.first;
    detail::scored_state* st = cp.second;
    const std::size_t L = fresh().m.leaf_ids().size();
    st->patterns.applicable[1].push_back(1);
    expect_archive_error([&] { from_bytes<scored>(to_bytes(c), "s.bin"); }, {"s.bin", "scored field pattern_leaves[1]: has " + std::to_string(L + 1) + " entries, " + std::to_string(L) + " expected"});
  }
  {
    auto cp = mutable_copy(s);
    const scored& c = cp.first;
    detail::scored_state* st = cp.second;
    std::size_t r = 0;
    while (st->rule_fired[r].size() == 0) ++r;
    st->rule_fired[r].assign(3, false);
    expect_archive_error([&] { from_bytes<scored>(to_bytes(c), "s.bin"); },
                         {"s.bin", "scored field rule_fired[" + fresh().m.spec().rules[r].id + "]", "a mask of 3 bits"});
  }
  // bad enum codes and values
  {
    auto cp = mutable_copy(s);
    const scored& c = cp.first;
    detail::scored_state* st = cp.second;
    std::vector<operator_status> v = st->status;
    v[4] = static_cast<operator_status>(9);
    st->status = v;
    expect_archive_error([&] { from_bytes<scored>(to_bytes(c), "s.bin"); }, {"s.bin", "scored field status", "out of range", "row 4"});
  }
  {
    auto cp = mutable_copy(s);
    const scored& c = cp.first;
    detail::scored_state* st = cp.second;
    st->leaf_scores(5, 2) = 1.5;
    expect_archive_error([&] { from_bytes<scored>(to_bytes(c), "s.bin"); }, {"s.bin", "scored field leaf_scores", "outside [0, 1]", "row 5"});
  }
  {
    auto cp = mutable_copy(s);
    const scored& c = cp.first;
    detail::scored_state* st = cp.second;
    ASSERT_FALSE(st->missing_warnings.empty());
    st->missing_warnings[0].second.index = 999;
    expect_archive_error([&] { from_bytes<scored>(to_bytes(c), "s.bin"); }, {"s.bin", "scored field missing_warnings", "leaf index 999"});
  }
  {
    auto cp = mutable_copy(s);
    const scored& c = cp.first;
    detail::scored_state* st = cp.second;
    std::size_t i = 0;
    while (st->prerequisite_level[i] == 0) ++i;
    st->prerequisite_level[i] = 0;
    expect_archive_error([&] { from_bytes<scored>(to_bytes(c), "s.bin"); }, {"s.bin", "scored field prerequisite_level", "row " + std::to_string(i)});
  }
  // a CSR that does not end at its list
  {
    auto cp = mutable_copy(s);
    const scored& c = cp.first;
    detail::scored_state* st = cp.second;
    std::vector<std::uint32_t> o = st->fired_offsets;
    o.back() += 1;
    st->fired_offsets = o;
    expect_archive_error([&] { from_bytes<scored>(to_bytes(c), "s.bin"); }, {"s.bin", "scored field fired_offsets", "ends at"});
  }
}

TEST(serialize, bad_scored_data_in_a_ratings_archive_is_a_precise_error) {
  ratings r = sample_ratings();
  auto cp = mutable_copy(sample_scored());
  detail::scored_state* st = cp.second;
  std::vector<std::string> ids = st->operator_ids;
  ids[0] = "someone else";
  st->operator_ids = ids;
  r.scored_state_ = cp.first.state();
  expect_archive_error([&] { from_bytes<ratings>(to_bytes(r), "r.bin"); }, {"r.bin", "ratings field scored", "operator ids differ"});
}
