// Issue 10 item 5: one description of review_settings (embedrating/review_fields.hpp) drives the
// TOML reader and writer, validation, the fingerprint, model::diff, review_settings_difference
// and the archive. The test adds no knowledge of its own: it walks the table, changes each setting
// to another valid value and to an invalid one, and checks every consumer sees it.
#include <gtest/gtest.h>

#include <cstddef>
#include <sstream>
#include <string>
#include <type_traits>

#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>

#include "embedrating/model.hpp"
#include "embedrating/review_fields.hpp"
#include "embedrating/review_settings_serialize.hpp"
#include "embedrating/reviews.hpp"

namespace {
using namespace embedrating;

template <class T>
using value_of = typename std::decay_t<T>::value_type;

// `base` with the setting of `field` changed to another valid value (period_days with
// period = "days", as it must be).
template <class Field>
void change(const Field& field, review_settings& base, review_settings& changed) {
  using T = value_of<Field>;
  if (field.encoding == review_field_encoding::days_if_period || field.encoding == review_field_encoding::folded_into_next) {
    base.period = review_period::days;  // period_days is only valid with days
    base.period_days = 7;
    if (field.encoding == review_field_encoding::folded_into_next) base = review_settings{};  // month → days 7
  }
  changed = base;
  auto& v = changed.*(field.member);
  if constexpr (std::is_array_v<T>) {
    constexpr std::size_t n = std::extent_v<T>;
    v[n - 1] = (v[n - 2] + v[n - 1]) / 2;  // stays ordered and in range
  } else if constexpr (std::is_enum_v<T>) {
    v = static_cast<T>((static_cast<std::size_t>(v) + 1) % field.n_choices);
    if (field.encoding == review_field_encoding::folded_into_next) changed.period_days = 7;
  } else if constexpr (std::is_same_v<T, bool>) {
    v = !v;
  } else if constexpr (std::is_same_v<T, int>) {
    v = static_cast<double>(v) + 1 <= field.max ? v + 1 : v - 1;
  } else {
    v = v < field.max ? (v + field.max) / 2 : (field.min + field.max) / 2;
  }
}

// `s` with the setting of `field` made invalid; false when its type admits no invalid value.
template <class Field>
bool break_it(const Field& field, review_settings& s) {
  using T = value_of<Field>;
  auto& v = s.*(field.member);
  if constexpr (std::is_array_v<T>) {
    v[0] = field.max + 1;
  } else if constexpr (std::is_enum_v<T>) {
    v = static_cast<T>(field.n_choices);
  } else if constexpr (std::is_same_v<T, bool>) {
    return false;
  } else if constexpr (std::is_same_v<T, int>) {
    if (field.encoding == review_field_encoding::days_if_period) s.period = review_period::days;
    v = static_cast<int>(field.max) + 1;
  } else {
    v = field.max * 2 + 1;
  }
  return true;
}

model with_reviews(const review_settings& r) {
  model_spec s = model::default_model().spec();
  s.reviews = r;
  return model(s);
}

std::string archived(review_settings s) {
  std::ostringstream os;
  {
    boost::archive::text_oarchive oa(os);
    oa << s;
  }
  return os.str();
}

review_settings unarchived(const std::string& text) {
  std::istringstream is(text);
  boost::archive::text_iarchive ia(is);
  review_settings s;
  ia >> s;
  return s;
}

TEST(review_fields, the_shipped_model_keeps_its_fingerprint) {
  // the canonical encoding walks the table now: the fingerprint of tests/golden/*.txt is unchanged
  EXPECT_EQ(model::default_model().fingerprint().substr(0, 16), "b500350de244de49");
}

TEST(review_fields, every_setting_is_read_written_checked_compared_encoded_and_archived) {
  const model shipped = model::default_model();
  std::size_t seen = 0;
  for_each_review_field([&](const auto& field) {
    ++seen;
    const std::string name = std::string("reviews.") + field.name;
    SCOPED_TRACE(name);
    review_settings base = shipped.spec().reviews, changed;
    change(field, base, changed);
    const model a = with_reviews(base), b = with_reviews(changed);
    // the fingerprint (canonical encoding) sees the change
    EXPECT_NE(a.fingerprint(), b.fingerprint());
    // review_settings_difference names it first
    EXPECT_EQ(review_settings_difference(base, changed).rfind(name, 0), 0u) << review_settings_difference(base, changed);
    EXPECT_EQ(review_settings_difference(changed, changed), "");
    // model::diff lists it under [reviews]
    bool listed = false;
    for (const auto& c : a.diff(b))  // period_days shows as part of period ("days 8")
      listed = listed || (c.section == "reviews" && !c.field.empty() && std::string(field.name).rfind(c.field.substr(0, c.field.find('.')), 0) == 0);
    EXPECT_TRUE(listed);
    // TOML: written and read back to the same settings and fingerprint
    const model again = model::from_toml(b.to_toml());
    EXPECT_EQ(review_settings_difference(again.spec().reviews, changed), "");
    EXPECT_EQ(again.fingerprint(), b.fingerprint());
    EXPECT_NE(b.to_toml().find(std::string(field.name) + " = "), std::string::npos);
    // archive: the same settings back
    EXPECT_EQ(review_settings_difference(unarchived(archived(changed)), changed), "");
    // an invalid value: the model and the archive refuse it, naming reviews.<field>
    review_settings bad = base;
    if (break_it(field, bad)) {
      try {
        (void)with_reviews(bad);
        ADD_FAILURE() << "model accepted an invalid " << name;
      } catch (const model_error& e) {
        EXPECT_EQ(e.where().field.rfind(name, 0), 0u) << e.what();
      }
      try {
        (void)unarchived(archived(bad));
        ADD_FAILURE() << "archive accepted an invalid " << name;
      } catch (const archive_error& e) {
        EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      }
    }
  });
  EXPECT_EQ(seen, review_field_count);
}

TEST(review_fields, an_unknown_toml_key_lists_the_table) {
  std::string t = model::default_model().to_toml();
  t.insert(t.find("[reviews]\n") + 10, "colour = 3\n");
  try {
    (void)model::from_toml(t, "m.toml");
    FAIL() << "no error";
  } catch (const model_error& e) {
    std::string allowed;
    for_each_review_field([&](const auto& field) { allowed += std::string(allowed.empty() ? "" : ", ") + field.name; });
    EXPECT_NE(std::string(e.what()).find("(allowed: " + allowed + ", source, basis)"), std::string::npos) << e.what();
  }
}

}  // namespace
