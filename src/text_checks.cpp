// Checks every text reader shares (see text_checks.hpp).
#include "text_checks.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace embedrating::detail {

namespace {

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

/// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c == 0xE0) len = 3, lo = 0xA0;
  else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
  else if (c == 0xED) len = 3, hi = 0x9F;
  else if (c == 0xF0) len = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) len = 4;
  else if (c == 0xF4) len = 4, hi = 0x8F;
  else return 0;
  if (i + len > s.size()) return 0;
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (c1 < lo || c1 > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return len;
}

/// The code point of the well-formed sequence of `len` bytes at s[i].
std::uint32_t code_point(std::string_view s, std::size_t i, std::size_t len) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (len) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    case 3: return ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    default: return ((b(0) & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
  }
}

bool forbidden(std::uint32_t cp) noexcept {
  if (cp < 0x20) return cp != '\t' && cp != '\n' && cp != '\r';
  return cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0xFEFF;
}

std::string hex(std::uint32_t v, int digits) {
  static const char d[] = "0123456789ABCDEF";
  std::string out;
  for (int k = digits - 1; k >= 0; --k) out += d[(v >> (4 * k)) & 0xFu];
  return out;
}

}  // namespace

std::optional<double> parse_decimal(std::string_view t, const number_range& range, std::string& why) {
  // syntax first: [+-] digits [. digits] [(e|E) [+-] digits{1,4}], at least one digit in the mantissa
  std::size_t i = 0;
  const std::size_t n = t.size();
  bool negative = false;
  if (i < n && (t[i] == '+' || t[i] == '-')) negative = t[i++] == '-';
  const std::size_t mantissa = i;
  std::size_t digits = 0;
  while (i < n && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  if (i < n && t[i] == '.') {
    ++i;
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  }
  bool negative_exponent = false;
  if (digits > 0 && i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) negative_exponent = t[i++] == '-';
    std::size_t e = 0;
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i, ++e;
    if (e == 0 || e > 4) digits = 0;
  }
  if (digits == 0 || i != n || n > 400) {
    why = "not a decimal number";
    return std::nullopt;
  }
  double v = 0.0;
  const auto r = std::from_chars(t.data() + mantissa, t.data() + n, v);
  if (r.ec == std::errc::result_out_of_range) {
    if (!negative_exponent) {
      why = "too large (more than 1.8e308)";
      return std::nullopt;
    }
    v = 0.0;  // rounds to zero
  } else if (r.ec != std::errc() || r.ptr != t.data() + n || !std::isfinite(v)) {
    why = "not a decimal number";
    return std::nullopt;
  }
  if (negative) v = -v;
  if (v == 0.0) v = 0.0;  // -0 is 0
  if (v < range.min || v > range.max) {
    why = "outside the allowed range [" + number_text(range.min) + ", " + number_text(range.max) + "]";
    return std::nullopt;
  }
  if (range.whole && v != std::floor(v)) {
    why = "not a whole number";
    return std::nullopt;
  }
  return v;
}

std::size_t find_forbidden_character(std::string_view s) noexcept {
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      ++i;
      continue;
    }
    const std::size_t len = utf8_length(s, i);
    if (len == 0) return i;  // not UTF-8: callers decode first, so this is a stray byte
    if (forbidden(code_point(s, i, len))) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string escape_character(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return {};
  const std::size_t len = utf8_length(s, pos);
  if (len == 0) return "\\x" + hex(static_cast<unsigned char>(s[pos]), 2);
  const std::uint32_t cp = code_point(s, pos, len);
  if (cp == '\t') return "\\t";
  if (cp == '\n') return "\\n";
  if (cp == '\r') return "\\r";
  if (cp < 0x80) return "\\x" + hex(cp, 2);
  return "\\u" + hex(cp, cp > 0xFFFF ? 6 : 4);
}

namespace {

/// Appends s[i] (one character) to `out` as itself or as its escape; returns its byte length.
std::size_t append_visible(std::string& out, std::string_view s, std::size_t i) {
  const std::size_t len = utf8_length(s, i);
  if (len == 0) {
    out += escape_character(s, i);
    return 1;
  }
  const std::uint32_t cp = code_point(s, i, len);
  if (forbidden(cp) || cp == '\t' || cp == '\n' || cp == '\r') out += escape_character(s, i);
  else out.append(s.data() + i, len);
  return len;
}

}  // namespace

std::string visible(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) i += append_visible(out, s, i);
  return out;
}

std::string abbreviate(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0, i = 0;
  while (i < s.size() && chars < max_chars) {
    i += append_visible(out, s, i);
    ++chars;
  }
  if (i < s.size()) out += "… (" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string quote_cell(std::string_view s, std::size_t max_chars) { return "\"" + abbreviate(s, max_chars) + "\""; }

}  // namespace embedrating::detail
