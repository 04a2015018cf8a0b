#pragma once
/// \file grade.hpp
/// Grades 1A < 2A < 3A < 4A < 5A (Art. 17) and "unrated" (不予评级) below 1A.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace embedrating {

/// A grade as a small ordered integer: unrated = 0, 1A = 1 … 5A = 5.
enum class grade : std::int8_t { unrated = 0, a1 = 1, a2 = 2, a3 = 3, a4 = 4, a5 = 5 };

inline constexpr int grade_count = 6;  ///< unrated and 1A..5A
inline constexpr std::int8_t no_grade = -1;  ///< "no previous grade" in history columns

constexpr int level(grade g) noexcept { return static_cast<int>(g); }
constexpr grade grade_from_level(int l) noexcept {
  return static_cast<grade>(l < 0 ? 0 : (l > 5 ? 5 : l));
}
constexpr grade min(grade a, grade b) noexcept { return level(a) < level(b) ? a : b; }

/// "5A" … "1A", "unrated".
inline std::string_view to_string(grade g) noexcept {
  switch (g) {
    case grade::a5: return "5A";
    case grade::a4: return "4A";
    case grade::a3: return "3A";
    case grade::a2: return "2A";
    case grade::a1: return "1A";
    case grade::unrated: break;
  }
  return "unrated";
}

/// Chinese display name: "5A" … "1A", "不予评级".
inline std::string_view to_string_zh(grade g) noexcept {
  return g == grade::unrated ? std::string_view("不予评级") : to_string(g);
}

/// Parses "5A".."1A" (also lower case "5a") and "unrated"; nullopt otherwise.
inline std::optional<grade> parse_grade(std::string_view s) noexcept {
  if (s == "unrated" || s == "不予评级") return grade::unrated;
  if (s.size() == 2 && (s[1] == 'A' || s[1] == 'a') && s[0] >= '1' && s[0] <= '5')
    return static_cast<grade>(s[0] - '0');
  return std::nullopt;
}

}  // namespace embedrating
