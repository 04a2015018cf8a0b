// Review events of any table source → a review aggregator (io.hpp). Each chunk becomes one
// review_batch (64-bit keys, operator rows, Unix seconds); rows that cannot be read are rejected
// with an example naming where they are, as the aggregator rejects the rows it cannot take.
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "../text_checks.hpp"
#include "cells.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/io.hpp"
#include "embedrating/reviews.hpp"
#include "ingest.hpp"

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
  const auto date = parse_date(s.substr(0, 10));
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

constexpr const char* event_columns[] = {"review_id", "revision", "operator_id", "reviewer_id", "time", "level",
                                         "scenario", "status", "rectified_at", "followed_up_at", "service_record_id"};
enum ev : std::size_t { review_id, revision, operator_id, reviewer_id, time_, level, scenario, status, rectified_at,
                        followed_up_at, service_record_id, count };

std::optional<std::int8_t> parse_level(std::string_view x) {
  if (x.size() == 1 && x[0] >= '1' && x[0] <= '5') return static_cast<std::int8_t>(x[0] - '0');
  if (x == "good" || x == "好评" || x == "非常满意") return 5;
  if (x == "bad" || x == "差评" || x == "非常不满意") return 1;
  if (x == "满意") return 4;
  if (x == "基本满意") return 3;
  if (x == "不满意") return 2;
  return std::nullopt;
}

std::optional<std::uint8_t> parse_event_status(std::string_view x) {
  if (x.empty() || x == "valid" || x == "有效") return static_cast<std::uint8_t>(review_status::valid);
  if (x == "pending" || x == "待核实") return static_cast<std::uint8_t>(review_status::pending);
  if (x == "void" || x == "作废" || x == "无效") return static_cast<std::uint8_t>(review_status::voided);
  return std::nullopt;
}

/// Keys of text ids with a small cache (reviewers come back; a text id's key is a SHA-256).
class key_cache {
 public:
  static bool numeric(std::string_view id) noexcept { return !id.empty() && id.size() <= 19 && id[0] >= '0' && id[0] <= '9'; }
  static std::size_t hash(std::string_view id) noexcept { return std::hash<std::string_view>()(id); }
  /// The slot of a text id's hash, into the caches ahead of its use (the table is larger than L1/L2).
  void prefetch(std::size_t h) const noexcept { __builtin_prefetch(&table_[h & (slots - 1)], 0, 1); }
  std::uint64_t operator()(std::string_view id) { return numeric(id) ? review_key(id) : get(id, hash(id)); }
  /// A text id's key, `h` its hash.
  std::uint64_t get(std::string_view id, std::size_t h) {
    entry& e = table_[h & (slots - 1)];
    if (e.used && e.id == id) return e.key;
    e.id.assign(id);
    e.key = detail::fast_review_key(id);
    e.used = true;
    return e.key;
  }

 private:
  static constexpr std::size_t slots = std::size_t{1} << 14;
  struct entry {
    std::string id;
    std::uint64_t key = 0;
    bool used = false;
  };
  std::vector<entry> table_ = std::vector<entry>(slots);
};

/// "file:line" (CSV) or "name row L" (a frame): where an event is, in reject examples.
std::string event_place(const table_source& src, std::size_t row) {
  const error_location w = src.where(row, table_source::npos);
  if (w.line != 0) return w.file + ":" + std::to_string(w.line);
  return w.file + " row " + (w.row.empty() ? std::to_string(row + 1) : w.row);
}

/// detail::cell_missing with the text case (every CSV cell) inline.
inline bool missing_at(const column_view& v, std::size_t i) {
  if (v.type == column_type::text) return v.missing_mask(i) || detail::trim_cell(v.cell(i)).empty();
  return detail::cell_missing(v, i);
}

/// A revision's text: a whole number of at most six digits, or nullopt.
std::optional<double> small_whole(std::string_view t) {
  if (t.empty() || t.size() > 6) return std::nullopt;
  std::uint32_t x = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return std::nullopt;
    x = x * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return static_cast<double>(x);
}

/// A time cell: Unix seconds, nullopt when present but unreadable; `missing` when empty.
std::optional<std::int64_t> time_cell(const column_view& v, std::size_t i, bool& missing) {
  if (v.type == column_type::text) {  // the CSV case, without a second trim
    const std::string_view t = v.missing_mask(i) ? std::string_view() : detail::trim_cell(v.cell(i));
    missing = t.empty();
    if (missing) return std::nullopt;
    return parse_review_time(t);
  }
  missing = detail::cell_missing(v, i);
  if (missing) return std::nullopt;
  switch (v.type) {
    case column_type::categorical: return parse_review_time(detail::trim_cell(v.levels[v.code(i)]));
    case column_type::int64: return static_cast<const std::int64_t*>(v.data)[i];  // Unix seconds
    case column_type::timestamp: {  // local China Standard Time
      const std::int64_t t = static_cast<const std::int64_t*>(v.data)[i];
      std::int64_t s = t / v.ticks_per_second;
      if (t % v.ticks_per_second != 0 && t < 0) --s;
      return s - 8 * 3600;
    }
    case column_type::date: return static_cast<std::int64_t>(static_cast<const std::int32_t*>(v.data)[i]) * 86400 - 8 * 3600;
    default: return std::nullopt;
  }
}

}  // namespace

namespace detail {

std::uint64_t fast_review_key(std::string_view id) {
  // ids review_key reads as numbers (they start with a digit) and the empty id: review_key itself
  if (id.empty() || (id[0] >= '0' && id[0] <= '9')) return review_key(id);
  // review_key: the top bit, then the first 16 hex digits of the SHA-256 (its first 8 bytes,
  // big-endian) shifted right by one
  struct context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // fetched once: no lookup (and lock) per digest
    const EVP_MD* use() const { return md; }
    ~context() {
      EVP_MD_free(md);
      EVP_MD_CTX_free(ctx);
    }
#else
    const EVP_MD* use() const { return EVP_sha256(); }
    ~context() { EVP_MD_CTX_free(ctx); }
#endif
  };
  thread_local context c;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (c.ctx == nullptr || c.use() == nullptr || EVP_DigestInit_ex(c.ctx, c.use(), nullptr) != 1 ||
      EVP_DigestUpdate(c.ctx, id.data(), id.size()) != 1 || EVP_DigestFinal_ex(c.ctx, digest, &len) != 1 || len < 8)
    return review_key(id);  // OpenSSL refused: the slow path reports it as it does
  std::uint64_t v = 0;
  for (int k = 0; k < 8; ++k) v = (v << 8) | digest[k];
  return (std::uint64_t{1} << 63) | (v >> 1);
}

}  // namespace detail

void add_events(review_aggregator& agg, table_source& src) {
  const auto& header = src.header();
  std::array<std::size_t, ev::count> col;
  col.fill(table_source::npos);
  for (std::size_t c = 0; c < header.size(); ++c) {
    std::size_t k = 0;
    while (k < ev::count && header[c] != event_columns[k]) ++k;
    if (k == ev::count) {
      error_location w = src.where(table_source::npos, c);
      if (w.field.size() > 60) w.field = detail::abbreviate(w.field);
      throw data_error(w, "unknown column " + detail::quote_cell(header[c]) +
                              " (review events have review_id, revision, operator_id, reviewer_id, time, level, "
                           "scenario, status, rectified_at, followed_up_at, service_record_id)");
    }
    col[k] = c;
  }
  for (std::size_t k : {ev::review_id, ev::operator_id, ev::reviewer_id, ev::time_, ev::level})
    if (col[k] == table_source::npos) {
      error_location w = src.where(table_source::npos, table_source::npos);
      w.field = event_columns[k];
      throw data_error(w, "missing required column");
    }

  key_cache reviewer_keys;
  // Operator rows: one open-addressing index over the aggregator's ids, built once the events are
  // expected to be at least a quarter as many as the operators (the source's row estimate, or
  // the rows read so far); a chunk's events are then looked up together, their cache misses
  // overlapped. Fewer events (a small batch into a large state) ask the aggregator's own map
  // instead of hashing every operator id for them.
  detail::id_index operators;
  bool indexed = false;
  std::size_t rows_seen = 0;
  std::vector<std::string_view> op_keys;
  std::vector<std::int64_t> op_rows;
  std::vector<std::size_t> op_hashes;
  std::vector<std::string_view> user_keys;
  std::vector<std::size_t> user_hashes;
  std::vector<std::string> id_texts;  // review id texts of a chunk that is not text (DataFrame columns)
  std::vector<std::string_view> ids;  // review ids of a chunk, trimmed (into the source's text or id_texts)
  std::vector<std::uint64_t> rkey, ukey;
  std::vector<std::uint32_t> rev, op, row_of;
  std::vector<std::int64_t> tm, rect, foll;
  std::vector<std::int8_t> lv;
  std::vector<std::uint8_t> st, svc;
  // An encoding restart starts again from the state before the first event. A state that has
  // seen nothing (the usual case: a fresh aggregator reading its file) is rebuilt empty from its
  // operators and settings on that rare path; only a state holding events is copied up front (the
  // copy of 2·10^6 operator ids and their index cost as much as reading 10^6 events).
  const bool was_empty = agg.events_seen() == 0 && agg.records_kept() == 0 && agg.rejects().total() == 0;
  std::optional<review_aggregator> before;
  if (src.may_restart() && !was_empty) before.emplace(agg);

  table_chunk chunk;
  for (;;) {
    try {
      while (src.next(chunk)) {
        const std::size_t rows = chunk.rows;
        const auto& cv = chunk.columns;
        auto view = [&](std::size_t k) -> const column_view* { return col[k] == table_source::npos ? nullptr : &cv[col[k]]; };
        ids.resize(rows);
        if (const column_view& v = *view(ev::review_id); v.type == column_type::text) {
          for (std::size_t i = 0; i < rows; ++i) ids[i] = v.missing_mask(i) ? std::string_view() : detail::trim_cell(v.cell(i));
        } else {
          id_texts.resize(rows);
          detail::read_texts(v, rows, id_texts.data());
          for (std::size_t i = 0; i < rows; ++i) ids[i] = id_texts[i];
        }
        rkey.clear(), ukey.clear(), rev.clear(), op.clear(), row_of.clear(), tm.clear(), rect.clear(), foll.clear();
        lv.clear(), st.clear(), svc.clear();
        const column_view& opv = *view(ev::operator_id);
        rows_seen += rows;
        if (!indexed && 4 * std::max(src.size_hint(), rows_seen) >= agg.operator_ids().size()) {
          operators.build(agg.operator_ids());
          indexed = true;
        }
        if (indexed && opv.type == column_type::text) {
          op_keys.resize(rows);
          op_rows.resize(rows);
          for (std::size_t i = 0; i < rows; ++i) op_keys[i] = detail::trim_cell(opv.cell(i));
          operators.find_many(agg.operator_ids(), op_keys.data(), rows, op_rows.data(), op_hashes);
        }
        // reviewer ids (text): hashed in one pass, their cache slots prefetched a few rows ahead
        const column_view& uv = *view(ev::reviewer_id);
        const bool user_text = uv.type == column_type::text;
        if (user_text) {
          user_keys.resize(rows);
          user_hashes.resize(rows);
          for (std::size_t i = 0; i < rows; ++i) {
            user_keys[i] = uv.missing_mask(i) ? std::string_view() : detail::trim_cell(uv.cell(i));
            user_hashes[i] = key_cache::numeric(user_keys[i]) ? 0 : key_cache::hash(user_keys[i]);
          }
        }
        constexpr std::size_t user_ahead = 8;
        for (std::size_t i = 0; i < rows; ++i) {
          if (user_text && i + user_ahead < rows) reviewer_keys.prefetch(user_hashes[i + user_ahead]);
          const std::string_view id = ids[i];
          auto reject = [&](reject_kind k, const std::string& why) {
            agg.add_rejected(k, event_place(src, chunk.first_row + i) + ": review " + (id.empty() ? std::string("(no id)") : detail::abbreviate(std::string(id))) +
                                    ": " + why);
          };
          auto text_of = [&](std::size_t k) { return view(k) ? detail::cell_text(*view(k), i) : std::string(); };
          // revision (empty: 1)
          std::uint32_t revision_v = 1;
          if (const column_view* v = view(ev::revision); v && !missing_at(*v, i)) {
            std::optional<double> x;
            if (v->type == column_type::int64) x = static_cast<double>(static_cast<const std::int64_t*>(v->data)[i]);
            else if (v->type == column_type::float64) x = static_cast<const double*>(v->data)[i];
            else if (v->type == column_type::text) x = small_whole(detail::trim_cell(v->cell(i)));
            else x = small_whole(detail::cell_text(*v, i));
            if (!x || *x < 0 || *x > 65534 || *x != std::floor(*x)) {
              reject(reject_kind::bad_revision, "revision " + detail::quote_cell(detail::cell_text(*v, i)) + " is not a whole number 0..65534");
              continue;
            }
            revision_v = static_cast<std::uint32_t>(*x);
          }
          const bool op_missing = missing_at(opv, i), user_missing = missing_at(uv, i);
          if (id.empty() || op_missing || user_missing) {
            reject(reject_kind::missing_id, id.empty() ? "empty review_id" : op_missing ? "empty operator_id" : "empty reviewer_id");
            continue;
          }
          bool missing = false;
          const auto t = time_cell(*view(ev::time_), i, missing);
          if (!t) {
            reject(reject_kind::bad_time, "time " + detail::quote_cell(text_of(ev::time_)) + " is not an ISO 8601 time");
            continue;
          }
          std::optional<std::int8_t> level_v;
          {
            const column_view& v = *view(ev::level);
            if (v.type == column_type::int64 || v.type == column_type::float64) {
              const double x = v.type == column_type::int64 ? static_cast<double>(static_cast<const std::int64_t*>(v.data)[i])
                                                            : static_cast<const double*>(v.data)[i];
              if (x >= 1 && x <= 5 && x == std::floor(x)) level_v = static_cast<std::int8_t>(x);
            } else if (v.type == column_type::text) {
              level_v = parse_level(detail::trim_cell(v.cell(i)));
            } else {
              level_v = parse_level(detail::cell_text(v, i));
            }
          }
          if (!level_v) {
            reject(reject_kind::bad_level, "level " + detail::quote_cell(text_of(ev::level)) + " is not 1..5, good or bad");
            continue;
          }
          std::optional<std::uint8_t> status_v = static_cast<std::uint8_t>(review_status::valid);
          if (const column_view* v = view(ev::status)) {
            status_v = v->type == column_type::text ? parse_event_status(v->missing_mask(i) ? std::string_view() : detail::trim_cell(v->cell(i)))
                                                    : parse_event_status(detail::cell_text(*v, i));
            if (!status_v) {
              reject(reject_kind::bad_status, "status " + detail::quote_cell(text_of(ev::status)) + " is not valid, pending or void");
              continue;
            }
          }
          std::int64_t when[2] = {no_time, no_time};
          bool ok = true;
          for (std::size_t k : {ev::rectified_at, ev::followed_up_at}) {
            const column_view* v = view(k);
            if (!v) continue;
            const auto x = time_cell(*v, i, missing);
            if (missing) continue;
            if (!x) {
              reject(reject_kind::bad_time, std::string(event_columns[k]) + " " + detail::quote_cell(text_of(k)) + " is not an ISO 8601 time");
              ok = false;
              break;
            }
            when[k == ev::rectified_at ? 0 : 1] = *x;
          }
          if (!ok) continue;
          const std::int64_t row = !indexed ? agg.operator_row(detail::cell_text(opv, i))
                                   : opv.type == column_type::text ? op_rows[i]
                                                                   : operators.find(agg.operator_ids(), detail::cell_text(opv, i));
          if (row < 0) {
            reject(reject_kind::unknown_operator,
                   "operator " + detail::quote_cell(detail::cell_text(opv, i)) + " is not in the operator list");
            continue;
          }
          const std::string user_text_of = user_text ? std::string() : detail::cell_text(uv, i);
          rkey.push_back(review_key(id));
          ukey.push_back(!user_text ? reviewer_keys(user_text_of)
                         : key_cache::numeric(user_keys[i]) ? review_key(user_keys[i])
                                                            : reviewer_keys.get(user_keys[i], user_hashes[i]));
          rev.push_back(revision_v);
          op.push_back(static_cast<std::uint32_t>(row));
          tm.push_back(*t);
          lv.push_back(*level_v);
          st.push_back(*status_v);
          rect.push_back(when[0]);
          foll.push_back(when[1]);
          const column_view* sv = view(ev::service_record_id);
          svc.push_back(sv && !missing_at(*sv, i) ? 1 : 0);
          row_of.push_back(static_cast<std::uint32_t>(i));
        }
        review_batch b;
        b.size = rkey.size();
        b.review_key = rkey.data();
        b.revision = rev.data();
        b.operator_index = op.data();
        b.reviewer_key = ukey.data();
        b.time = tm.data();
        b.level = lv.data();
        b.status = st.data();
        b.rectified_at = rect.data();
        b.followed_up_at = foll.data();
        b.has_service_record = svc.data();
        const std::function<std::string(std::size_t)> where = [&](std::size_t j) {
          const std::size_t i = row_of[j];
          return event_place(src, chunk.first_row + i) + ": review " + std::string(ids[i]);
        };
        b.where = &where;
        agg.add(b);
      }
      return;
    } catch (const encoding_changed&) {
      src.restart();
      if (before) agg = *before;
      else if (was_empty) agg = review_aggregator(std::vector<std::string>(agg.operator_ids()), agg.settings());
      // the index keeps rows only: the new state's ids (the same list) serve it as they are
    }
  }
}

void review_aggregator::add_csv(const std::string& path, const std::string& encoding) {
  csv_options o;
  // no max_bytes / max_cells: an event stream takes bounded memory however long it is (10^8 events)
  o.encoding = encoding;
  const auto src = open_csv(path, o);
  add_events(*this, *src);
}

}  // namespace embedrating
