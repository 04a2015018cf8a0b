// The shared text checks (src/text_checks.hpp): strict decimal numbers with a range, forbidden
// characters with visible escapes, abbreviated cells.
#include <charconv>
#include <cmath>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "ingest/cells.hpp"
#include "text_checks.hpp"

namespace {

using namespace embedrating::detail;

double ok(const char* t, const number_range& r = any_number) {
  std::string why;
  const auto v = parse_decimal(t, r, why);
  EXPECT_TRUE(v.has_value()) << t << ": " << why;
  return v.value_or(std::nan(""));
}
std::string bad(std::string_view t, const number_range& r = any_number) {
  std::string why;
  const auto v = parse_decimal(t, r, why);
  EXPECT_FALSE(v.has_value()) << t;
  return why;
}

TEST(TextChecks, ShortDecimalsOfTheReadersEqualFromChars) {
  // the readers' fast path for short unsigned decimals (src/ingest/cells.cpp, number_of) must give
  // the double std::from_chars gives, bit for bit; longer or signed texts take the strict parser
  std::mt19937_64 rng(20261207);
  auto check = [](const std::string& t) {
    double want = 0.0;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), want);
    ASSERT_EQ(r.ec, std::errc()) << t;
    const auto got = parse_decimal(std::string_view(t));
    ASSERT_TRUE(got.has_value()) << t;
    EXPECT_EQ(*got, want) << t;
  };
  for (int k = 0; k < 200000; ++k) {
    const int digits = 1 + static_cast<int>(rng() % 17);  // up to 17: past the fast path's 15
    std::string t;
    for (int d = 0; d < digits; ++d) t += static_cast<char>('0' + rng() % 10);
    const std::size_t dot = rng() % (t.size() + 1);
    if (rng() % 4 != 0) t.insert(dot, ".");
    if (t == ".") continue;
    check(t);
  }
  for (const char* t : {"0.1", "0.3", "86.5", "0.938", "1.07", "999999999999999", "9007199254740993", "0.000000000000001",
                        ".5", "5.", "000123.4500", "123456789012345.", ".123456789012345"})
    check(t);
  for (const char* t : {".", "", "1.2.3", "1,5", "-", "+.", "5e", "0x10", " 5", "5 "})
    EXPECT_FALSE(parse_decimal(std::string_view(t)).has_value()) << t;
  EXPECT_EQ(parse_decimal(std::string_view("-0.5")).value_or(0.0), -0.5);
  EXPECT_EQ(parse_decimal(std::string_view("1e3")).value_or(0.0), 1000.0);
}

TEST(TextChecks, DecimalNumbers) {
  EXPECT_EQ(ok("0"), 0.0);
  EXPECT_EQ(ok("-12.5"), -12.5);
  EXPECT_EQ(ok("+3"), 3.0);
  EXPECT_EQ(ok(".5"), 0.5);
  EXPECT_EQ(ok("5."), 5.0);
  EXPECT_EQ(ok("1e3"), 1000.0);
  EXPECT_EQ(ok("1E-2"), 0.01);
  EXPECT_GT(ok("4.9e-324"), 0.0);  // the smallest subnormal is a number
  EXPECT_EQ(ok("1e-400"), 0.0);    // rounds to zero
  EXPECT_FALSE(std::signbit(ok("-0")));
  EXPECT_FALSE(std::signbit(ok("-1e-400")));
  for (const char* t : {"", " 1", "1 ", "0x10", "inf", "nan", "1e", "e5", ".", "-", "1.2.3", "1,5", "1e12345", "--1", "1d"})
    EXPECT_EQ(bad(t), "not a decimal number") << t;
  EXPECT_EQ(bad(std::string_view("9\0" "9", 3)), "not a decimal number");  // a NUL is trailing text
  EXPECT_EQ(bad("1e999"), "too large (more than 1.8e308)");
  EXPECT_EQ(bad("1e23", review_count_range), "outside the allowed range [0, 1000000000]");
  EXPECT_EQ(bad("2.5", review_count_range), "not a whole number");
  EXPECT_EQ(bad("2e16"), "outside the allowed range [-1e+15, 1e+15]");
  EXPECT_EQ(bad(std::string(401, '1')), "not a decimal number");
}

TEST(TextChecks, ForbiddenCharactersAndTheirEscapes) {
  EXPECT_EQ(find_forbidden_character("plain 中文 text\twith tab\r\n"), std::string_view::npos);
  const std::string nul("ab\0c", 4);
  EXPECT_EQ(find_forbidden_character(nul), 2u);
  EXPECT_EQ(escape_character(nul, 2), "\\x00");
  EXPECT_EQ(escape_character("\x1B", 0), "\\x1B");
  EXPECT_EQ(escape_character("\x7F", 0), "\\x7F");
  EXPECT_EQ(find_forbidden_character("a\xC2\x85"), 1u);
  EXPECT_EQ(escape_character("a\xC2\x85", 1), "\\u0085");
  EXPECT_EQ(find_forbidden_character("id\xEF\xBB\xBF"), 2u);
  EXPECT_EQ(escape_character("id\xEF\xBB\xBF", 2), "\\uFEFF");
  EXPECT_EQ(escape_character("\xFF", 0), "\\xFF");
  EXPECT_EQ(visible(std::string("a\0b\tc\n", 6)), "a\\x00b\\tc\\n");
}

TEST(TextChecks, LongCellsAreAbbreviated) {
  EXPECT_EQ(abbreviate("short"), "short");
  EXPECT_EQ(abbreviate(std::string(1000000, 'x'), 5), "xxxxx… (1000000 bytes)");
  EXPECT_EQ(abbreviate("中文中文中文", 2), "中文… (18 bytes)");  // cut at characters, not bytes
  EXPECT_EQ(quote_cell(std::string("a\0", 2)), "\"a\\x00\"");
}

}  // namespace
