#pragma once
/// \file review_settings_serialize.hpp
/// Boost.Serialization of `review_settings`, driven by the table of review settings
/// (review_fields.hpp): one named item per setting, in table order — numbers as double, whole
/// numbers as int, flags as bool, choices as their enum's index (checked on loading), level_values
/// as five doubles. Adding a setting to the table adds it here; an archive written before it does
/// not carry it, so an archive format that adds a setting must bump its version (the archive's
/// own versioning, not this function's).
///
/// Use: `ar & settings;` (or `ar & boost::serialization::make_nvp("reviews", settings)`) with any
/// Boost archive; found by argument-dependent lookup. Loading checks the settings with the model
/// validator's rules and throws archive_error naming `reviews.<field>`.
#include <cstddef>
#include <string>
#include <type_traits>

#include <boost/serialization/nvp.hpp>

#include <embedrating/errors.hpp>
#include <embedrating/review_fields.hpp>

namespace embedrating {

/// The first setting outside its range as "reviews.<field> <rule>", or "" when all are valid.
/// The same checks as a model file's [reviews] table (src/review_settings.cpp).
std::string review_settings_check(const review_settings& s);

template <class Archive>
void serialize(Archive& ar, review_settings& s, const unsigned int /*version*/) {
  visit_review_fields(s, [&ar](const auto& field, auto& v) {
    using T = typename std::decay_t<decltype(field)>::value_type;
    if constexpr (std::is_array_v<T>) {
      for (std::size_t k = 0; k < std::extent_v<T>; ++k) ar& boost::serialization::make_nvp(field.name, v[k]);
    } else if constexpr (std::is_enum_v<T>) {
      int code = static_cast<int>(v);
      ar& boost::serialization::make_nvp(field.name, code);
      if constexpr (Archive::is_loading::value) {
        if (code < 0 || static_cast<std::size_t>(code) >= field.n_choices)
          throw archive_error(std::string("review settings: reviews.") + field.name + " " + field.rule + " (code " +
                              std::to_string(code) + ")");
        v = static_cast<T>(code);
      }
    } else {
      ar& boost::serialization::make_nvp(field.name, v);
    }
  });
  if constexpr (Archive::is_loading::value) {
    if (const std::string problem = review_settings_check(s); !problem.empty())
      throw archive_error("the review settings in the archive are invalid: " + problem);
  }
}

}  // namespace embedrating
