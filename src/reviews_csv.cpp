// Review events from CSV (SPEC §5 columns) into an aggregator. Bad rows are rejected with
// "file:line" examples, never dropped silently; a bad header throws.
#include <cstdlib>
#include <optional>
#include <set>
#include <string>

#include "csv.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/reviews.hpp"
#include "reviews_state.hpp"
#include "text_checks.hpp"

namespace embedrating {

std::optional<std::int64_t> parse_review_time(std::string_view s) {
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
  };
  if (s.size() < 10) return std::nullopt;
  const auto date = parse_date(std::string(s.substr(0, 10)));
  if (!date) return std::nullopt;
  std::int64_t seconds = 0;
  std::int64_t offset = 8 * 3600;
  std::size_t p = 10;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != ' ') return std::nullopt;
    int hh = 0, mm = 0, ss = 0;
    if (!digits(p + 1, 2, hh) || p + 3 >= s.size() || s[p + 3] != ':' || !digits(p + 4, 2, mm)) return std::nullopt;
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!digits(p + 1, 2, ss)) return std::nullopt;
      p += 3;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        const std::size_t start = p;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
        if (p == start) return std::nullopt;
      }
    }
    if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
    seconds = hh * 3600 + mm * 60 + std::min(ss, 59);
    if (p < s.size()) {
      if (s[p] == 'Z' && p + 1 == s.size()) {
        offset = 0;
      } else if (s[p] == '+' || s[p] == '-') {
        int oh = 0, om = 0;
        if (!digits(p + 1, 2, oh)) return std::nullopt;
        std::size_t q = p + 3;
        if (q < s.size() && s[q] == ':') ++q;
        if (!digits(q, 2, om) || q + 2 != s.size() || oh > 14 || om > 59) return std::nullopt;
        offset = (s[p] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
      } else {
        return std::nullopt;
      }
    }
  }
  return static_cast<std::int64_t>(date->days()) * 86400 + seconds - offset;
}

namespace {

std::string trim(const std::string& s) { return std::string(detail::trim(s)); }

std::optional<int> parse_level(const std::string& x) {
  if (x.size() == 1 && x[0] >= '1' && x[0] <= '5') return x[0] - '0';
  if (x == "good" || x == "好评" || x == "非常满意") return 5;
  if (x == "bad" || x == "差评" || x == "非常不满意") return 1;
  if (x == "满意") return 4;
  if (x == "基本满意") return 3;
  if (x == "不满意") return 2;
  return std::nullopt;
}

std::optional<review_status> parse_review_status(const std::string& x) {
  if (x.empty() || x == "valid" || x == "有效") return review_status::valid;
  if (x == "pending" || x == "待核实") return review_status::pending;
  if (x == "void" || x == "作废" || x == "无效") return review_status::voided;
  return std::nullopt;
}

}  // namespace

void review_aggregator::add_csv(const std::string& path, const std::string& encoding) {
  const detail::csv_table t = detail::read_csv_file(path, encoding);
  static const char* known[] = {"review_id", "revision", "operator_id", "reviewer_id", "time", "level",
                                "scenario", "status", "rectified_at", "followed_up_at", "service_record_id"};
  std::size_t col[11];
  for (std::size_t k = 0; k < 11; ++k) col[k] = detail::column_index(t, known[k]);
  for (std::size_t c = 0; c < t.header.size(); ++c) {
    bool ok = false;
    for (const char* k : known) ok = ok || t.header[c] == k;
    if (!ok) {
      error_location w;
      w.file = path;
      w.line = t.header_line;
      w.column = static_cast<std::uint32_t>(c + 1);
      w.field = detail::abbreviate(t.header[c]);
      throw data_error(w, "unknown column " + detail::quote_cell(t.header[c]) +
                              " (review events have review_id, revision, operator_id, reviewer_id, time, level, "
                              "scenario, status, rectified_at, followed_up_at, service_record_id)");
    }
  }
  for (std::size_t k : {0u, 2u, 3u, 4u, 5u})
    if (col[k] == std::string::npos) {
      error_location w;
      w.file = path;
      w.line = t.header_line;
      w.field = known[k];
      throw data_error(w, "missing required column");
    }
  state& s = *s_;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    auto cell = [&](std::size_t k) { return col[k] == std::string::npos ? std::string() : trim(row[col[k]]); };
    const std::string where = path + ":" + std::to_string(t.row_lines[i]);
    review_event e;
    e.review_id = cell(0);
    e.operator_id = cell(2);
    e.reviewer_id = cell(3);
    e.scenario = cell(6);
    e.service_record_id = cell(10);
    auto reject = [&](reject_kind k, const std::string& why) {
      ++s.events;
      s.rejects.add(k, where + ": review " + (e.review_id.empty() ? std::string("(no id)") : detail::abbreviate(e.review_id)) + ": " + why);
    };
    const std::string rev = cell(1);
    if (!rev.empty()) {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(rev.c_str(), &end, 10);
      if (*end != '\0' || rev[0] == '-' || v > 65534ULL) {
        reject(reject_kind::bad_revision, "revision " + detail::quote_cell(rev) + " is not a whole number 0..65534");
        continue;
      }
      e.revision = static_cast<std::uint32_t>(v);
    }
    if (e.review_id.empty() || e.operator_id.empty() || e.reviewer_id.empty()) {
      reject(reject_kind::missing_id, e.review_id.empty() ? "empty review_id" : e.operator_id.empty() ? "empty operator_id" : "empty reviewer_id");
      continue;
    }
    const auto tm = parse_review_time(cell(4));
    if (!tm) {
      reject(reject_kind::bad_time, "time " + detail::quote_cell(cell(4)) + " is not an ISO 8601 time");
      continue;
    }
    e.time = *tm;
    const auto lv = parse_level(cell(5));
    if (!lv) {
      reject(reject_kind::bad_level, "level " + detail::quote_cell(cell(5)) + " is not 1..5, good or bad");
      continue;
    }
    e.level = *lv;
    const auto st = parse_review_status(cell(7));
    if (!st) {
      reject(reject_kind::bad_status, "status " + detail::quote_cell(cell(7)) + " is not valid, pending or void");
      continue;
    }
    e.status = *st;
    bool ok = true;
    for (std::size_t k : {8u, 9u}) {
      const std::string x = cell(k);
      if (x.empty()) continue;
      const auto v = parse_review_time(x);
      if (!v) {
        reject(reject_kind::bad_time, std::string(known[k]) + " " + detail::quote_cell(x) + " is not an ISO 8601 time");
        ok = false;
        break;
      }
      (k == 8 ? e.rectified_at : e.followed_up_at) = *v;
    }
    if (!ok) continue;
    add(e, where);
  }
}

}  // namespace embedrating
