// Tests of rate_rows (include/embedrating/rate.hpp): a block of rows rated alone equals the same
// rows of rate() in every field — grades, points of every node, leaf scores, fired rules with
// their lapse dates, warnings, gates, explanations — and records the whole dataset's input hash;
// over the shipped sample (300 operators, 412 facilities) with blocks of 1, 7, 64, 299 and 300
// rows (the last block partial where the size does not divide 300), with and without review
// events. A range that is empty or outside the dataset throws data_error naming it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "embedrating/dataset.hpp"
#include "embedrating/date.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/io.hpp"
#include "embedrating/model.hpp"
#include "embedrating/rate.hpp"
#include "embedrating/ratings.hpp"
#include "embedrating/reviews.hpp"

namespace {

using namespace embedrating;

const civil_date sample_as_of = make_date(2025, 12, 31);

std::string sample_file(const std::string& name) { return data_directory() + "/sample/" + name; }

dataset sample_dataset(const model& m) {
  dataset d = read_operators_csv(sample_file("operators.csv"), m);
  d.set_facilities(read_facilities_csv(sample_file("facilities.csv"), m, d));
  return d;
}

/// Rows [begin, begin + block.size()) of `all` against `block`, field by field.
void expect_same_rows(const ratings& all, std::size_t begin, const ratings& block) {
  ASSERT_LE(begin + block.size(), all.size());
  EXPECT_EQ(block.input_hash, all.input_hash);
  EXPECT_EQ(block.as_of, all.as_of);
  EXPECT_EQ(block.library_version, all.library_version);
  EXPECT_EQ(block.run_warnings, all.run_warnings);
  ASSERT_TRUE(block.rating_model.has_value());
  EXPECT_EQ(block.rating_model->fingerprint(), all.rating_model->fingerprint());
  const auto nodes = static_cast<Eigen::Index>(all.rating_model->spec().nodes.size());
  ASSERT_EQ(block.dimension_centi.cols(), all.dimension_centi.cols());
  ASSERT_EQ(block.leaf_scores().cols(), all.leaf_scores().cols());
  for (std::size_t b = 0; b < block.size(); ++b) {
    const std::size_t i = begin + b;
    SCOPED_TRACE("row " + std::to_string(i) + " (" + all.operator_ids[i] + "), block row " + std::to_string(b));
    const auto ra = static_cast<Eigen::Index>(i), rb = static_cast<Eigen::Index>(b);
    EXPECT_EQ(block.operator_ids[b], all.operator_ids[i]);
    EXPECT_EQ(block.status[b], all.status[i]);
    EXPECT_EQ(block.grade_by_score[b], all.grade_by_score[i]);
    EXPECT_EQ(block.final_grade[b], all.final_grade[i]);
    EXPECT_EQ(block.terminate[b], all.terminate[i]);
    EXPECT_EQ(block.total_centi[b], all.total_centi[i]);
    EXPECT_EQ(block.history_limit[b], all.history_limit[i]);
    EXPECT_EQ(block.history_lapses_on[b], all.history_lapses_on[i]);
    EXPECT_EQ(block.previous_grade[b], all.previous_grade[i]);
    for (Eigen::Index k = 0; k < all.dimension_centi.cols(); ++k) EXPECT_EQ(block.dimension_centi(rb, k), all.dimension_centi(ra, k));
    for (Eigen::Index k = 0; k < nodes; ++k) {
      EXPECT_EQ(block.node_centi(rb, k), all.node_centi(ra, k)) << "node " << k;
      EXPECT_EQ(block.available_centi(rb, k), all.available_centi(ra, k)) << "node " << k;
    }
    for (Eigen::Index j = 0; j < all.leaf_scores().cols(); ++j) {
      const double a = all.indicator_score(ra, j), s = block.indicator_score(rb, j);
      if (std::isnan(a)) EXPECT_TRUE(std::isnan(s)) << "leaf " << j;
      else EXPECT_EQ(s, a) << "leaf " << j;
    }
    for (int l = 0; l < grade_count; ++l) EXPECT_EQ(block.prerequisites_failed(b, l), all.prerequisites_failed(i, l)) << l;
    ASSERT_EQ(block.fired_offsets[b + 1] - block.fired_offsets[b], all.fired_offsets[i + 1] - all.fired_offsets[i]);
    for (std::uint32_t k = 0; k < block.fired_offsets[b + 1] - block.fired_offsets[b]; ++k)
      EXPECT_EQ(block.fired[block.fired_offsets[b] + k], all.fired[all.fired_offsets[i] + k]);
    ASSERT_EQ(block.warning_offsets[b + 1] - block.warning_offsets[b], all.warning_offsets[i + 1] - all.warning_offsets[i]);
    for (std::uint32_t k = 0; k < block.warning_offsets[b + 1] - block.warning_offsets[b]; ++k)
      EXPECT_EQ(block.warnings[block.warning_offsets[b] + k], all.warnings[all.warning_offsets[i] + k]);
    const std::vector<gate> ga = all.gates(i), gb = block.gates(b);
    ASSERT_EQ(gb.size(), ga.size());
    for (std::size_t k = 0; k < ga.size(); ++k) {
      EXPECT_EQ(gb[k].kind, ga[k].kind);
      EXPECT_EQ(gb[k].target, ga[k].target);
      EXPECT_EQ(gb[k].id, ga[k].id);
      EXPECT_EQ(gb[k].lapses_on, ga[k].lapses_on);
      for (const auto& [x, y] : {std::pair{gb[k].required, ga[k].required}, std::pair{gb[k].actual, ga[k].actual},
                                 std::pair{gb[k].shortfall, ga[k].shortfall}}) {
        if (std::isnan(y)) EXPECT_TRUE(std::isnan(x));
        else EXPECT_EQ(x, y);
      }
    }
    EXPECT_EQ(block.explain(b), all.explain(i));
  }
}

void expect_blocks_equal_rate(const model& m, const dataset& d, const rate_options& o, civil_date day = sample_as_of) {
  const ratings all = rate(m, d, day, o);
  ASSERT_EQ(all.size(), d.size());
  ASSERT_FALSE(all.input_hash.empty());
  for (const std::size_t rows : {std::size_t{1}, std::size_t{7}, std::size_t{64}, d.size() - 1, d.size()}) {
    SCOPED_TRACE("blocks of " + std::to_string(rows));
    std::size_t covered = 0;
    for (std::size_t begin = 0; begin < d.size(); begin += rows) {
      const std::size_t count = std::min(rows, d.size() - begin);  // the last block may be partial
      const ratings block = rate_rows(m, d, begin, count, day, o);
      ASSERT_EQ(block.size(), count);
      expect_same_rows(all, begin, block);
      covered += block.size();
    }
    EXPECT_EQ(covered, d.size());
  }
}

TEST(rate_rows, blocks_equal_the_rows_of_rate_on_the_sample) {
  const model m = model::default_model();
  const dataset d = sample_dataset(m);
  ASSERT_EQ(d.size(), 300u);
  expect_blocks_equal_rate(m, d, {});
}

TEST(rate_rows, blocks_equal_the_rows_of_rate_with_review_events) {
  const model m = model::default_model();
  const dataset d = sample_dataset(m);
  review_aggregator events(m, d);
  events.add_csv(sample_file("reviews.csv"));
  rate_options o;
  o.reviews = &events;
  // the sample's review columns are the events' summary at 2025-12-31: three months earlier the
  // summary differs, so this shows that blocks apply it
  const civil_date day = make_date(2025, 9, 30);
  const ratings without = rate(m, d, day), with = rate(m, d, day, o);
  ASSERT_NE(with.input_hash, without.input_hash);
  expect_blocks_equal_rate(m, d, o, day);
}

TEST(rate_rows, records_the_whole_datasets_input_hash_not_the_rows) {
  const model m = model::default_model();
  const dataset d = sample_dataset(m);
  const std::string whole = d.input_hash();
  EXPECT_EQ(rate_rows(m, d, 5, 1, sample_as_of).input_hash, whole);
  EXPECT_NE(rate_one(m, d, 5, sample_as_of).input_hash, whole);  // rate_one records the row's own hash
  rate_options no_hash;
  no_hash.compute_input_hash = false;
  EXPECT_TRUE(rate_rows(m, d, 5, 10, sample_as_of, no_hash).input_hash.empty());
}

TEST(rate_rows, a_range_outside_the_dataset_or_empty_is_an_error_naming_it) {
  const model m = model::default_model();
  const dataset d = sample_dataset(m);
  const auto message = [&](std::size_t begin, std::size_t count) -> std::string {
    try {
      (void)rate_rows(m, d, begin, count, sample_as_of);
    } catch (const data_error& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(message(300, 1).find("rows [300, 300 + 1) are out of range (the dataset has 300 operators)"), std::string::npos)
      << message(300, 1);
  EXPECT_NE(message(290, 11).find("rows [290, 290 + 11) are out of range"), std::string::npos) << message(290, 11);
  EXPECT_NE(message(0, 301).find("rows [0, 0 + 301) are out of range"), std::string::npos) << message(0, 301);
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  EXPECT_NE(message(1, huge).find("rows [1, 1 + " + std::to_string(huge) + ") are out of range"), std::string::npos)
      << message(1, huge);
  EXPECT_NE(message(10, 0).find("rows [10, 10 + 0) are an empty range"), std::string::npos) << message(10, 0);
  EXPECT_EQ(message(299, 1), "(no error)");
}

TEST(rate_rows, a_bad_value_is_reported_by_the_block_that_holds_it) {
  const model m = model::default_model();
  dataset d = read_operators_csv(sample_file("operators.csv"), m);
  facility_table f = read_facilities_csv(sample_file("facilities.csv"), m, d);
  const std::string id = d.operator_ids()[150];
  std::size_t site = 0;
  while (site < f.operator_ids.size() && f.operator_ids[site] != id) ++site;
  ASSERT_LT(site, f.operator_ids.size()) << id << " has no facility in the sample";
  f.numbers.at("fire_inspection_score")[site] = 100.5;  // allowed [0, 100]
  d.set_facilities(std::move(f));
  EXPECT_NO_THROW((void)rate_rows(m, d, 0, 150, sample_as_of));
  EXPECT_NO_THROW((void)rate_rows(m, d, 151, 149, sample_as_of));
  try {
    (void)rate_rows(m, d, 100, 100, sample_as_of);
    ADD_FAILURE() << "no error for the block holding row 150";
  } catch (const data_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(id), std::string::npos) << what;
    EXPECT_NE(what.find("fire_inspection_score"), std::string::npos) << what;
    EXPECT_NE(what.find("facility \"" + id + "-01\""), std::string::npos) << what;
    EXPECT_NE(what.find("100.5"), std::string::npos) << what;
  }
}

}  // namespace
