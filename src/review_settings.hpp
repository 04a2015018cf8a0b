#pragma once
// Validation of review settings, shared by the model validator (src/model.cpp) and the review
// archive loader (src/reviews_archive.cpp), so an archive can never carry a setting a model file
// could not.
#include <optional>
#include <string>
#include <utility>

#include "embedrating/model.hpp"

namespace embedrating::detail {

/// The first setting outside its documented range (docs/model-format.md, [reviews]) as
/// {field, message}, e.g. {"reviews.window_months", "must be 0 (no window) .. 600"}; nullopt when
/// every setting is valid.
std::optional<std::pair<std::string, std::string>> review_settings_problem(const review_settings& r);

}  // namespace embedrating::detail
