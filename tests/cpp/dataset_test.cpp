// Tests of include/embedrating/dataset.hpp: validation on the way in (ids, NaN and infinities,
// row counts, review counts, flags, facilities) and the input hash.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "embedrating/dataset.hpp"
#include "embedrating/errors.hpp"

namespace {

using embedrating::data_error;
using embedrating::dataset;
using embedrating::nan_policy;
using embedrating::category_column;

const double nan_v = std::numeric_limits<double>::quiet_NaN();
const double inf_v = std::numeric_limits<double>::infinity();

/// what() of the data_error thrown by f, or "" if none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const data_error& e) {
    return e.what();
  }
  return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// A dataset with one column of every kind.
dataset full_dataset() {
  dataset d({"A1", "B2", "C3"}, "ops.csv");
  d.set_status({embedrating::operator_status::active, embedrating::operator_status::suspended,
                embedrating::operator_status::active});
  d.set_number("fire_inspection_score", {97.0, 88.0, 60.5});
  d.set_number("service_volume_ratio", {1.0, nan_v, 0.5}, nan_policy::missing);
  d.set_category("food_grade", {"A", "", "C"});
  d.set_flag("fire_auto_fail", {0, 1, 0});
  d.set_attribute("district", {"江岸", "江汉", ""});
  d.set_date("opened_on", {embedrating::make_date(2023, 3, 1), embedrating::civil_date::missing(),
                           embedrating::make_date(2025, 4, 1)});
  d.set_scenarios({{"elderly_care", "meals"}, {}, {"infant_care"}});
  d.set_review_column("stars_5", {10, 0, 3});
  d.set_history({embedrating::grade::a4, std::nullopt, embedrating::grade::a2},
                {embedrating::make_date(2024, 12, 31), embedrating::civil_date::missing(), embedrating::make_date(2024, 12, 31)},
                {embedrating::civil_date::missing(), embedrating::civil_date::missing(), embedrating::make_date(2024, 6, 1)});
  return d;
}

}  // namespace

TEST(dataset, basic_accessors) {
  const dataset d = full_dataset();
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.source_name(), "ops.csv");
  EXPECT_EQ(d.find("B2"), 1);
  EXPECT_EQ(d.find("nope"), -1);
  ASSERT_NE(d.number("fire_inspection_score"), nullptr);
  EXPECT_EQ((*d.number("fire_inspection_score"))[2], 60.5);
  EXPECT_TRUE(std::isnan((*d.number("service_volume_ratio"))[1]));
  EXPECT_EQ(d.number("no_such"), nullptr);
  ASSERT_NE(d.category("food_grade"), nullptr);
  EXPECT_EQ(d.category("food_grade")->codes[1], -1);  // "" is missing
  EXPECT_EQ(d.previous_grade(), (std::vector<std::int8_t>{4, -1, 2}));
  EXPECT_EQ(d.scenario_offsets(), (std::vector<std::uint32_t>{0, 2, 2, 3}));
}

TEST(dataset, duplicate_operator_id_names_id_and_both_rows) {
  const std::string err = error_of([] { dataset d({"A", "B", "C", "B"}, "ops.csv"); });
  EXPECT_TRUE(contains(err, "duplicate operator id")) << err;
  EXPECT_TRUE(contains(err, "operator B")) << err;
  EXPECT_TRUE(contains(err, "rows 2 and 4")) << err;
  EXPECT_TRUE(contains(err, "ops.csv")) << err;
}

TEST(dataset, empty_operator_ids_rejected) {
  const std::string err = error_of([] { dataset d({"A", "", "C"}); });
  EXPECT_TRUE(contains(err, "empty operator id in row 2")) << err;
  EXPECT_FALSE(error_of([] { dataset d(std::vector<std::string>{}); }).empty());
}

TEST(dataset, nan_rejected_under_error_policy) {
  dataset d({"A1", "B2", "C3"}, "ops.csv");
  const std::string err = error_of([&] { d.set_number("fire_inspection_score", {90.0, 80.0, nan_v}); });
  EXPECT_TRUE(contains(err, "NaN")) << err;
  EXPECT_TRUE(contains(err, "operator C3")) << err;
  EXPECT_TRUE(contains(err, "fire_inspection_score")) << err;
  EXPECT_EQ(d.number("fire_inspection_score"), nullptr);  // nothing stored
  // nan_policy::error is the default
  EXPECT_FALSE(error_of([&] { d.set_number("other", {nan_v, 1.0, 2.0}); }).empty());
}

TEST(dataset, infinities_always_rejected) {
  dataset d({"A1", "B2"}, "ops.csv");
  for (const nan_policy policy : {nan_policy::error, nan_policy::missing}) {
    const std::string pos = error_of([&] { d.set_number("x", {1.0, inf_v}, policy); });
    EXPECT_TRUE(contains(pos, "+inf")) << pos;
    EXPECT_TRUE(contains(pos, "operator B2")) << pos;
    EXPECT_TRUE(contains(pos, "x")) << pos;
    const std::string neg = error_of([&] { d.set_number("y", {-inf_v, 1.0}, policy); });
    EXPECT_TRUE(contains(neg, "-inf")) << neg;
    EXPECT_TRUE(contains(neg, "operator A1")) << neg;
  }
  EXPECT_EQ(d.number("x"), nullptr);
  // also through the validity-mask overload for a row marked valid
  EXPECT_FALSE(error_of([&] { d.set_number("z", {inf_v, 1.0}, std::vector<std::uint8_t>{1, 1}); }).empty());
}

TEST(dataset, nan_accepted_as_missing_under_missing_policy) {
  dataset d({"A1", "B2"});
  EXPECT_EQ(error_of([&] { d.set_number("x", {nan_v, 2.0}, nan_policy::missing); }), "");
  ASSERT_NE(d.number("x"), nullptr);
  EXPECT_TRUE(std::isnan((*d.number("x"))[0]));
  EXPECT_EQ((*d.number("x"))[1], 2.0);
}

TEST(dataset, validity_mask_marks_rows_missing) {
  // set_number(name, values, valid): valid[i] == 0 marks row i missing, its value ignored.
  dataset d({"A1", "B2", "C3"});
  EXPECT_EQ(error_of([&] { d.set_number("x", {1.0, 999.0, 3.0}, std::vector<std::uint8_t>{1, 0, 1}); }), "");
  ASSERT_NE(d.number("x"), nullptr);
  EXPECT_EQ((*d.number("x"))[0], 1.0);
  EXPECT_TRUE(std::isnan((*d.number("x"))[1]));
  EXPECT_EQ((*d.number("x"))[2], 3.0);
}

TEST(dataset, row_count_mismatch_rejected) {
  dataset d({"A1", "B2", "C3"}, "ops.csv");
  const std::string err = error_of([&] { d.set_number("x", {1.0, 2.0}); });
  EXPECT_TRUE(contains(err, "x")) << err;
  EXPECT_TRUE(contains(err, "has 2 rows")) << err;
  EXPECT_TRUE(contains(err, "3 operators")) << err;
  EXPECT_FALSE(error_of([&] { d.set_category("c", {"A"}); }).empty());
  EXPECT_FALSE(error_of([&] { d.set_flag("f", {0, 1, 0, 1}); }).empty());
  EXPECT_FALSE(error_of([&] { d.set_attribute("district", {}); }).empty());
  EXPECT_FALSE(error_of([&] { d.set_date("opened_on", {embedrating::make_date(2024, 1, 1)}); }).empty());
  EXPECT_FALSE(error_of([&] { d.set_scenarios({{"meals"}}); }).empty());
  EXPECT_FALSE(error_of([&] { d.set_review_column("stars_1", {1, 2}); }).empty());
  EXPECT_FALSE(error_of([&] { d.set_status({embedrating::operator_status::active}); }).empty());
  EXPECT_FALSE(error_of([&] {
                 d.set_history({std::nullopt, std::nullopt, std::nullopt}, {embedrating::civil_date::missing()},
                               {embedrating::civil_date::missing(), embedrating::civil_date::missing(),
                                embedrating::civil_date::missing()});
               }).empty());
  EXPECT_FALSE(error_of([&] { d.set_number("m", {1.0, 2.0, 3.0}, std::vector<std::uint8_t>{1, 1}); }).empty());
}

TEST(dataset, review_column_unknown_name_rejected) {
  dataset d({"A1", "B2"}, "ops.csv");
  const std::string err = error_of([&] { d.set_review_column("stars_6", {1, 2}); });
  EXPECT_TRUE(contains(err, "unknown review column")) << err;
  EXPECT_TRUE(contains(err, "stars_6")) << err;
  EXPECT_TRUE(contains(err, "stars_1")) << err;  // lists the known columns
  EXPECT_EQ(d.review_column("stars_6"), nullptr);
}

TEST(dataset, review_counts_must_be_whole_and_non_negative) {
  dataset d({"A1", "B2"}, "ops.csv");
  const std::string neg = error_of([&] { d.set_review_column("stars_1", {1, -1}); });
  EXPECT_TRUE(contains(neg, "finite number >= 0")) << neg;
  EXPECT_TRUE(contains(neg, "operator B2")) << neg;
  EXPECT_TRUE(contains(neg, "stars_1")) << neg;
  const std::string frac = error_of([&] { d.set_review_column("bad_overdue", {0.5, 1}); });
  EXPECT_TRUE(contains(frac, "whole number >= 0")) << frac;
  // decayed star counts are fractional (reviews.hpp rescales them to Kish's effective n)
  EXPECT_NO_THROW(d.set_review_column("stars_4", {2.5, 0.25}));
  const std::string neg_star = error_of([&] { d.set_review_column("stars_4", {1, -0.5}); });
  EXPECT_TRUE(contains(neg_star, "finite number >= 0")) << neg_star;
  EXPECT_TRUE(contains(frac, "operator A1")) << frac;
  EXPECT_FALSE(error_of([&] { d.set_review_column("stars_2", {nan_v, 1}); }).empty());
  EXPECT_FALSE(error_of([&] { d.set_review_column("stars_2", {inf_v, 1}); }).empty());
  EXPECT_EQ(error_of([&] { d.set_review_column("stars_2", {0, 12}); }), "");
  EXPECT_EQ(d.review_column("stars_1"), nullptr);
}

TEST(dataset, flag_value_2_rejected) {
  dataset d({"A1", "B2", "C3"}, "ops.csv");
  const std::string err = error_of([&] { d.set_flag("fire_auto_fail", {0, 1, 2}); });
  EXPECT_TRUE(contains(err, "flag.fire_auto_fail")) << err;
  EXPECT_TRUE(contains(err, "operator C3")) << err;
  EXPECT_TRUE(contains(err, "got 2")) << err;
  EXPECT_EQ(d.flag("fire_auto_fail"), nullptr);
  EXPECT_EQ(error_of([&] { d.set_flag("fire_auto_fail", {0, 1, 1}); }), "");
}

TEST(dataset, facility_with_unknown_operator_rejected) {
  dataset d({"A1", "B2"}, "ops.csv");
  embedrating::facility_table f;
  f.facility_ids = {"F1", "F2"};
  f.operator_ids = {"A1", "Z9"};
  f.numbers["staff_qualified_share"] = {0.9, 0.8};
  const std::string err = error_of([&] { d.set_facilities(f); });
  EXPECT_TRUE(contains(err, "F2")) << err;
  EXPECT_TRUE(contains(err, "Z9")) << err;
  EXPECT_TRUE(contains(err, "not in the dataset")) << err;
  EXPECT_EQ(d.facilities(), nullptr);
  f.operator_ids = {"A1", "B2"};
  EXPECT_EQ(error_of([&] { d.set_facilities(f); }), "");
  EXPECT_NE(d.facilities(), nullptr);
}

TEST(dataset, duplicate_column_rejected) {
  dataset d({"A1", "B2"});
  d.set_number("x", {1.0, 2.0});
  EXPECT_FALSE(error_of([&] { d.set_number("x", {1.0, 2.0}); }).empty());
  EXPECT_FALSE(error_of([&] { d.set_category("x", {"a", "b"}); }).empty());
}

TEST(dataset, input_hash_stable_across_identical_datasets) {
  const dataset a = full_dataset();
  const dataset b = full_dataset();
  const std::string h = a.input_hash();
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
  EXPECT_EQ(h, b.input_hash());
  EXPECT_EQ(h, a.input_hash());  // repeatable
}

TEST(dataset, input_hash_independent_of_set_order) {
  dataset a({"A1", "B2"});
  a.set_number("x", {1.0, 2.0});
  a.set_number("y", {3.0, 4.0});
  a.set_flag("f", {0, 1});
  dataset b({"A1", "B2"});
  b.set_flag("f", {0, 1});
  b.set_number("y", {3.0, 4.0});
  b.set_number("x", {1.0, 2.0});
  EXPECT_EQ(a.input_hash(), b.input_hash());
}

TEST(dataset, input_hash_changes_when_one_value_changes) {
  const std::string base = full_dataset().input_hash();
  {
    dataset d({"A1", "B2", "C3"}, "ops.csv");
    d.set_number("fire_inspection_score", {97.0, 88.0, 60.5});
    const std::string h1 = d.input_hash();
    dataset e({"A1", "B2", "C3"}, "ops.csv");
    e.set_number("fire_inspection_score", {97.0, 88.0, 60.25});
    EXPECT_NE(h1, e.input_hash());
    dataset missing({"A1", "B2", "C3"}, "ops.csv");
    missing.set_number("fire_inspection_score", {97.0, 88.0, nan_v}, nan_policy::missing);
    EXPECT_NE(h1, missing.input_hash());
    dataset renamed({"A1", "B2", "C3"}, "ops.csv");
    renamed.set_number("fire_inspection_scor", {97.0, 88.0, 60.5});
    EXPECT_NE(h1, renamed.input_hash());
  }
  // Change one value of each kind of column in the full dataset.
  auto variant = [](int which) {
    dataset d({"A1", "B2", "C3"}, "ops.csv");
    using embedrating::operator_status;
    d.set_status({operator_status::active, which == 0 ? operator_status::terminated : operator_status::suspended,
                  operator_status::active});
    d.set_number("fire_inspection_score", {97.0, 88.0, which == 1 ? 60.50000000001 : 60.5});
    d.set_number("service_volume_ratio", {1.0, nan_v, 0.5}, nan_policy::missing);
    d.set_category("food_grade", {"A", which == 2 ? "B" : "", "C"});
    d.set_flag("fire_auto_fail", {0, 1, static_cast<std::uint8_t>(which == 3 ? 1 : 0)});
    d.set_attribute("district", {"江岸", "江汉", which == 4 ? "武昌" : ""});
    d.set_date("opened_on", {embedrating::make_date(2023, 3, which == 5 ? 2 : 1), embedrating::civil_date::missing(),
                             embedrating::make_date(2025, 4, 1)});
    d.set_scenarios({{"elderly_care", "meals"}, {}, {which == 6 ? "child_care" : "infant_care"}});
    d.set_review_column("stars_5", {10, 0, which == 7 ? 4.0 : 3.0});
    d.set_history({embedrating::grade::a4, std::nullopt, which == 8 ? embedrating::grade::a3 : embedrating::grade::a2},
                  {embedrating::make_date(2024, 12, 31), embedrating::civil_date::missing(), embedrating::make_date(2024, 12, 31)},
                  {embedrating::civil_date::missing(), embedrating::civil_date::missing(),
                   embedrating::make_date(2024, 6, which == 9 ? 2 : 1)});
    return d.input_hash();
  };
  EXPECT_EQ(variant(-1), base);  // the unchanged variant is the full dataset
  for (int k = 0; k <= 9; ++k) EXPECT_NE(variant(k), base) << "change " << k;
  // operator ids and their order
  dataset ids({"A1", "B2", "C4"});
  dataset order({"B2", "A1", "C3"});
  dataset same({"A1", "B2", "C3"});
  EXPECT_NE(ids.input_hash(), same.input_hash());
  EXPECT_NE(order.input_hash(), same.input_hash());
}

TEST(dataset, input_hash_covers_facilities) {
  auto with_facilities = [](double share) {
    dataset d({"A1", "B2"});
    embedrating::facility_table f;
    f.facility_ids = {"F1", "F2", "F3"};
    f.operator_ids = {"A1", "A1", "B2"};
    f.numbers["staff_qualified_share"] = {0.9, share, 0.7};
    d.set_facilities(f);
    return d.input_hash();
  };
  EXPECT_EQ(with_facilities(0.8), with_facilities(0.8));
  EXPECT_NE(with_facilities(0.8), with_facilities(0.85));
}

TEST(dataset, compressed_setters_equal_the_string_setters_and_check_their_input) {
  // the factorised forms (used by the Python bindings) give the same dataset, input hash included
  dataset a({"A1", "B2", "C3"}), b({"A1", "B2", "C3"});
  a.set_category("food_grade", {"B", "", "A"});
  category_column col;
  col.levels = {"A", "B"};
  col.codes = {1, -1, 0};
  b.set_category("food_grade", col);
  a.set_scenarios({{"meals", "elderly_care"}, {}, {"elderly_care"}});
  b.set_scenarios({0, 2, 2, 3}, {1, 0, 0}, {"elderly_care", "meals"});
  EXPECT_EQ(a.input_hash(), b.input_hash());
  EXPECT_EQ(b.scenario_offsets(), (std::vector<std::uint32_t>{0, 2, 2, 3}));

  dataset c({"A1", "B2", "C3"});
  category_column bad = col;
  bad.codes = {1, 2, 0};
  EXPECT_TRUE(contains(error_of([&] { c.set_category("g", bad); }), "operator B2: category code 2 is not -1 or a level index"));
  bad = col;
  bad.levels = {"A", "A"};
  EXPECT_TRUE(contains(error_of([&] { c.set_category("g", bad); }), "category level \"A\" listed twice"));
  EXPECT_TRUE(contains(error_of([&] { c.set_scenarios({0, 2, 2, 3}, {0, 0, 1}, {"meals", "retail"}); }),
                       "operator A1: scenario \"meals\" listed twice"));
  EXPECT_TRUE(contains(error_of([&] { c.set_scenarios({0, 1}, {0}, {"meals"}); }), "one entry per operator plus one"));
  EXPECT_TRUE(contains(error_of([&] { c.set_scenarios({0, 1, 1, 1}, {3}, {"meals"}); }), "scenario code 3 is not a level index"));
}

TEST(dataset, facilities_are_indexed_by_operator_row) {
  dataset d({"A1", "B2", "C3"});
  embedrating::facility_table f;
  f.facility_ids = {"F1", "F2", "F3", "F4"};
  f.operator_ids = {"C3", "A1", "C3", "A1"};
  f.numbers["x"] = {1, 2, 3, 4};
  d.set_facilities(f);
  // A1 owns F2, F4 (rows 1, 3); B2 none; C3 owns F1, F3 (rows 0, 2), each in file order
  EXPECT_EQ(d.facility_offsets(), (std::vector<std::uint32_t>{0, 2, 2, 4}));
  EXPECT_EQ(d.facility_index(), (std::vector<std::uint32_t>{1, 3, 0, 2}));
}
