#pragma once
/// \file text_checks.hpp
/// Checks every text reader shares (CSV readers, the column-table ingestion, the review archive):
/// strict decimal numbers with a documented range per field, control characters shown as visible
/// escapes, and long cells abbreviated in messages. Private to src/ (not installed).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace embedrating::detail {

/// The range a number field accepts (inclusive), named for messages ("a review count", …).
struct number_range {
  double min = -1e15;
  double max = 1e15;
  bool whole = false;  ///< only whole numbers (review counts, revisions)
};

/// Ranges of the fields that have no range in the model (docs/errors.md, "Numbers").
inline constexpr number_range any_number{-1e15, 1e15, false};    ///< measures without min/max
inline constexpr number_range review_count_range{0.0, 1e9, true};  ///< stars_k, bad_* columns
inline constexpr number_range volume_range{0.0, 1e12, false};     ///< facility volume

/// Parses a strict decimal number: optional sign, digits with an optional decimal point, an
/// optional exponent (`e`/`E`, sign, 1–4 digits); nothing else — no hex (`0x10`), no `inf`/`nan`,
/// no spaces, no thousands separators, no trailing text (a NUL byte is trailing text). Subnormal
/// values and values that round to zero are numbers. Returns the value, or the reason it is not a
/// number in `why` ("not a decimal number", "too large", "outside [0, 1e9]", "not a whole
/// number").
std::optional<double> parse_decimal(std::string_view text, const number_range& range, std::string& why);

/// Byte offset of the first character a text cell must not hold: C0 control characters other
/// than tab, line feed and carriage return (NUL included), DEL, C1 controls (U+0080–U+009F) and
/// the byte-order mark U+FEFF (a BOM in the middle of a file is a pasted file, not data). `text`
/// is UTF-8. npos when the text is clean.
std::size_t find_forbidden_character(std::string_view text) noexcept;

/// The character at `text[pos]` (one byte, or a whole UTF-8 sequence) as a visible escape:
/// `\x00`, `\x1B`, `\x7F`, `\u0085`, `\uFEFF`. Bytes that are not UTF-8 are `\xNN`.
std::string escape_character(std::string_view text, std::size_t pos);

/// `text` with every control character, BOM and invalid byte replaced by its escape; tab, line
/// feed and carriage return become `\t`, `\n`, `\r`.
std::string visible(std::string_view text);

/// `text` made visible and cut to at most `max_chars` characters (code points); a cut text ends
/// in "…" and says how long it was, e.g. `abcdef… (1048576 bytes)`. Messages quote cells this way,
/// so a 1 MB cell does not end up whole on stderr.
std::string abbreviate(std::string_view text, std::size_t max_chars = 60);

/// `"` + abbreviate(text) + `"` (named so that ADL never picks std::quoted).
std::string quote_cell(std::string_view text, std::size_t max_chars = 60);

}  // namespace embedrating::detail
