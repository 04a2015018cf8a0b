// The review aggregator: ingestion, merge, summary (SPEC §5). Archive: reviews_archive.cpp;
// event CSV and typed tables: src/ingest/events.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <tuple>

#include "embedrating/detail/sha256.hpp"
#include "embedrating/errors.hpp"
#include "embedrating/estimators.hpp"
#include "embedrating/reviews.hpp"
#include "reviews_state.hpp"
#include "text_checks.hpp"

namespace embedrating {

using detail::review_record;

// ---------------------------------------------------------------------------------------------
// keys, rejects

std::uint64_t review_key(std::string_view id) {
  constexpr std::uint64_t high = std::uint64_t{1} << 63;
  if (!id.empty() && id.size() <= 19 && (id[0] != '0' || id.size() == 1)) {
    std::uint64_t v = 0;
    bool digits = true;
    for (char c : id) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (digits && v < high) return v;
  }
  const std::string hex = detail::sha256_hex(id);
  return high | (std::stoull(hex.substr(0, 16), nullptr, 16) >> 1);
}

const char* to_string(reject_kind k) noexcept {
  switch (k) {
    case reject_kind::missing_id: return "missing_id";
    case reject_kind::unknown_operator: return "unknown_operator";
    case reject_kind::bad_level: return "bad_level";
    case reject_kind::bad_time: return "bad_time";
    case reject_kind::bad_status: return "bad_status";
    case reject_kind::bad_revision: return "bad_revision";
    case reject_kind::bad_date_order: return "bad_date_order";
  }
  return "?";
}

std::uint64_t reject_log::total() const noexcept {
  std::uint64_t t = 0;
  for (auto c : counts) t += c;
  return t;
}

namespace {
/// Keeps the `max_examples` smallest distinct texts, sorted.
void keep_smallest(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  if (v.size() > reject_log::max_examples) v.resize(reject_log::max_examples);
}
}  // namespace

void reject_log::add(reject_kind k, std::string example) {
  const auto i = static_cast<std::size_t>(k);
  ++counts[i];
  auto& ex = examples[i];
  if (ex.size() < max_examples || example < ex.back()) {
    ex.push_back(std::move(example));
    keep_smallest(ex);
  }
}

void reject_log::merge(const reject_log& o) {
  for (std::size_t i = 0; i < reject_kind_count; ++i) {
    counts[i] += o.counts[i];
    examples[i].insert(examples[i].end(), o.examples[i].begin(), o.examples[i].end());
    keep_smallest(examples[i]);
  }
}

// ---------------------------------------------------------------------------------------------
// state

detail::day_counts& review_aggregator::state::day(std::int32_t d) {
  if (days.empty()) base_day = d;
  if (d < base_day) {
    const auto shift = static_cast<std::size_t>(base_day - d);
    std::vector<detail::day_counts> grown(shift + days.size());
    for (std::size_t k = 0; k < days.size(); ++k) grown[shift + k] = std::move(days[k]);
    days.swap(grown);
    base_day = d;
  }
  const auto k = static_cast<std::size_t>(d - base_day);
  if (k >= days.size()) days.resize(k + 1);
  cached_day = d;  // days may have moved: refresh the cache on every call
  cached = &days[k];
  return days[k];
}

review_aggregator::review_aggregator(std::vector<std::string> operator_ids, review_settings settings)
    : s_(std::make_unique<state>()) {
  s_->settings = settings;
  s_->dedup = settings.dedup;
  for (std::size_t i = 0; i < operator_ids.size(); ++i) {
    error_location w;
    w.field = "operator_id";
    w.operator_id = operator_ids[i];
    if (operator_ids[i].empty()) throw data_error(w, "empty operator id in the review aggregator's operator list");
    if (!s_->index.emplace(operator_ids[i], static_cast<std::uint32_t>(i)).second)
      throw data_error(w, "operator listed twice in the review aggregator's operator list");
  }
  if (operator_ids.size() > 0xFFFFFFF0u) throw data_error("too many operators for a review aggregator");
  s_->ids = std::move(operator_ids);
}

review_aggregator::review_aggregator(const model& m, const dataset& operators)
    : review_aggregator(operators.operator_ids(), m.spec().reviews) {}

review_aggregator::~review_aggregator() = default;
review_aggregator::review_aggregator(review_aggregator&&) noexcept = default;
review_aggregator& review_aggregator::operator=(review_aggregator&&) noexcept = default;

review_aggregator::review_aggregator(const review_aggregator& o) : s_(std::make_unique<state>()) {
  const state& a = *o.s_;
  state& b = *s_;
  b.ids = a.ids;
  b.index = a.index;
  b.settings = a.settings;
  b.dedup = a.dedup;
  b.events = a.events;
  b.rejects = a.rejects;
  b.records = a.kept();
  b.base_day = a.base_day;
  const std::size_t width = a.width();
  b.days.resize(a.days.size());
  for (std::size_t k = 0; k < a.days.size(); ++k) {
    b.days[k].log = a.days[k].log;
    if (a.days[k].dense) {
      b.days[k].dense.reset(new std::uint32_t[width]);
      std::memcpy(b.days[k].dense.get(), a.days[k].dense.get(), width * sizeof(std::uint32_t));
    }
  }
}

review_aggregator& review_aggregator::operator=(const review_aggregator& o) {
  if (this != &o) *this = review_aggregator(o);
  return *this;
}

const std::vector<std::string>& review_aggregator::operator_ids() const noexcept { return s_->ids; }
const review_settings& review_aggregator::settings() const noexcept { return s_->settings; }
std::uint64_t review_aggregator::events_seen() const noexcept { return s_->events; }
std::size_t review_aggregator::records_kept() const noexcept { return s_->kept().size(); }
const reject_log& review_aggregator::rejects() const noexcept { return s_->rejects; }

void review_aggregator::add_rejected(reject_kind kind, std::string example) {
  ++s_->events;
  s_->rejects.add(kind, std::move(example));
}

std::int64_t review_aggregator::operator_row(const std::string& operator_id) const {
  const auto it = s_->index.find(operator_id);
  return it == s_->index.end() ? -1 : static_cast<std::int64_t>(it->second);
}
void review_aggregator::reserve(std::size_t expected_reviews) { s_->records.reserve(expected_reviews); }

std::size_t review_aggregator::memory_bytes() const noexcept {
  std::size_t b = s_->settled().bytes();  // the state at rest: the ingest buffers given back
  for (const auto& d : s_->days) b += d.bytes(s_->width());
  b += s_->days.capacity() * sizeof(detail::day_counts);
  for (const auto& id : s_->ids) b += id.capacity() + sizeof(std::string) + 48;  // ids and their index entry
  return b;
}

// ---------------------------------------------------------------------------------------------
// ingestion

namespace {

constexpr std::uint16_t max_day_offset = 65000;

/// Days from the review's date (UTC+8) to `t`'s date, + 1; 0 for none. -1: before the review
/// or too far after it.
int day_offset(std::int64_t review_time, std::int64_t t) {
  if (t == no_time) return 0;
  const std::int64_t d = static_cast<std::int64_t>(cst_date_from_unix(t).days()) - cst_date_from_unix(review_time).days();
  if (d < 0 || d >= max_day_offset) return -1;
  return static_cast<int>(d) + 1;
}

struct raw_event {
  std::uint64_t review, reviewer;
  std::uint32_t op;
  std::uint32_t revision;
  std::int64_t time;
  int level;
  int status;
  std::int64_t rectified_at, followed_up_at;
  bool service_record;
};

}  // namespace

/// Validates and stores one event. `where` builds the example text only when it is needed.
template <class Where>
static void ingest(review_aggregator::state& s, const raw_event& e, Where&& where) {
  ++s.events;
  auto reject = [&](reject_kind k, const std::string& why) { s.rejects.add(k, where() + why); };
  if (e.op >= s.ids.size()) return reject(reject_kind::unknown_operator, "operator index " + std::to_string(e.op) + " is not in the operator list");
  if (e.level < 1 || e.level > 5) return reject(reject_kind::bad_level, "level " + std::to_string(e.level) + " is not 1..5");
  if (e.status < 0 || e.status > 2) return reject(reject_kind::bad_status, "status " + std::to_string(e.status) + " is not valid/pending/void");
  if (e.revision > 65534u) return reject(reject_kind::bad_revision, "revision " + std::to_string(e.revision) + " is above 65534");
  if (e.time < detail::review_epoch || e.time > detail::review_time_max)
    return reject(reject_kind::bad_time, "time " + std::to_string(e.time) + " is outside 2000-01-01..2136-02-07");
  const int rect = day_offset(e.time, e.rectified_at);
  const int foll = day_offset(e.time, e.followed_up_at);
  if (rect < 0) return reject(reject_kind::bad_date_order, "rectified_at is before the review or more than 65000 days after it");
  if (foll < 0) return reject(reject_kind::bad_date_order, "followed_up_at is before the review or more than 65000 days after it");
  if (!s.dedup && e.level >= 3) {
    // count mode: ★3–★5 counted as they come (first revision only), voided ones nowhere
    if (e.revision > 1 || e.status == static_cast<int>(review_status::voided)) return;
    const std::int32_t d = cst_date_from_unix(e.time).days();
    s.day_fast(d).add(e.op * static_cast<std::uint32_t>(detail::day_counters) + (e.service_record ? 3u : 0u) +
                     static_cast<std::uint32_t>(e.level - 3),
                 s.width());
    return;
  }
  review_record r;
  r.review = e.review;
  r.reviewer = e.reviewer;
  r.op = e.op;
  r.time = static_cast<std::uint32_t>(e.time - detail::review_epoch);
  r.revision1 = static_cast<std::uint16_t>(e.revision + 1);
  r.rectified = static_cast<std::uint16_t>(rect);
  r.followed = static_cast<std::uint16_t>(foll);
  r.level = static_cast<std::uint8_t>(e.level);
  r.flags = static_cast<std::uint8_t>(e.status | (e.service_record ? 4 : 0));
  s.records.append(r);  // log-and-compact: the table sees it at the next flush
}

void review_aggregator::add(const review_event& e, std::string_view where_text) {
  state& s = *s_;
  const std::string where = where_text.empty() ? std::string() : std::string(where_text) + ": ";
  auto example = [&] { return where + "review " + (e.review_id.empty() ? std::string("(no id)") : detail::abbreviate(e.review_id)) + ": "; };
  if (e.review_id.empty() || e.operator_id.empty() || e.reviewer_id.empty()) {
    ++s.events;
    s.rejects.add(reject_kind::missing_id,
                  example() + (e.review_id.empty() ? "empty review_id" : e.operator_id.empty() ? "empty operator_id" : "empty reviewer_id"));
    return;
  }
  const auto it = s.index.find(e.operator_id);
  if (it == s.index.end()) {
    ++s.events;
    s.rejects.add(reject_kind::unknown_operator, example() + "operator " + detail::quote_cell(e.operator_id) + " is not in the operator list");
    return;
  }
  raw_event r{review_key(e.review_id), review_key(e.reviewer_id), it->second, e.revision, e.time, e.level,
              static_cast<int>(e.status), e.rectified_at, e.followed_up_at, !e.service_record_id.empty()};
  if (e.time == no_time) {
    ++s.events;
    s.rejects.add(reject_kind::bad_time, example() + "no time");
    return;
  }
  ingest(s, r, example);
}

namespace {

/// Row i of a batch as the checked path reads it.
raw_event batch_row(const review_batch& b, std::size_t i) {
  return raw_event{b.review_key[i],
                   b.reviewer_key[i],
                   b.operator_index[i],
                   b.revision ? b.revision[i] : 1u,
                   b.time[i],
                   b.level[i],
                   b.status ? static_cast<int>(b.status[i]) : 0,
                   b.rectified_at ? b.rectified_at[i] : no_time,
                   b.followed_up_at ? b.followed_up_at[i] : no_time,
                   b.has_service_record ? b.has_service_record[i] != 0 : false};
}

}  // namespace

/// The checked path for row i of a batch (every check, reject examples, records).
static void ingest_row(review_aggregator::state& s, const review_batch& b, std::size_t i) {
  const raw_event e = batch_row(b, i);
  if (b.where != nullptr)
    ingest(s, e, [&] { return (*b.where)(i) + ": "; });
  else
    ingest(s, e, [&] { return "batch row " + std::to_string(i) + ": review key " + std::to_string(e.review) + ": "; });
}

/// Count mode, one batch, in blocks: a first pass over the block's arrays sorts the rows into the
/// fast lane (a valid first-revision ★3–★5 event without rectification or follow-up: its day and
/// code) and the rest, without touching the state; the fast rows' codes go to their day in runs
/// of one day (one append each); the rest take the checked path, which names a bad row in its
/// reject example. The state is order-independent, so the result equals a row-by-row ingest.
static void add_count_mode(review_aggregator::state& s, const review_batch& b) {
  constexpr std::size_t block = 512;
  const auto n_ops = static_cast<std::uint32_t>(s.ids.size());
  const std::size_t width = s.width();
  // absent optional columns read as their defaults
  static const std::uint32_t rev_default[block] = {};  // 0: a first revision, as 1 is
  static const std::uint8_t u8_default[block] = {};
  static const std::int64_t time_default[block] = {};  // compared against no_time below
  const bool no_rect = b.rectified_at == nullptr, no_foll = b.followed_up_at == nullptr;
  std::uint32_t codes[block];
  std::int32_t days[block];
  std::uint32_t slow[block];
  for (std::size_t from = 0; from < b.size; from += block) {
    const std::size_t m = std::min(block, b.size - from);
    const std::int8_t* lv = b.level + from;
    const std::uint32_t* rev = b.revision ? b.revision + from : rev_default;
    const std::uint8_t* st = b.status ? b.status + from : u8_default;
    const std::uint8_t* svc = b.has_service_record ? b.has_service_record + from : u8_default;
    const std::int64_t* t = b.time + from;
    const std::uint32_t* op = b.operator_index + from;
    const std::int64_t* rect = no_rect ? time_default : b.rectified_at + from;
    const std::int64_t* foll = no_foll ? time_default : b.followed_up_at + from;
    const std::int64_t none_rect = no_rect ? 0 : no_time, none_foll = no_foll ? 0 : no_time;
    std::size_t nf = 0, ns = 0, voided = 0;
    for (std::size_t k = 0; k < m; ++k) {
      const int l = lv[k];
      const std::int64_t tk = t[k];
      const bool fast = (static_cast<unsigned>(l - 3) <= 2u) & (rev[k] <= 1u) & (st[k] <= 2u) & (op[k] < n_ops) &
                        (tk >= detail::review_epoch) & (tk <= detail::review_time_max) & (rect[k] == none_rect) &
                        (foll[k] == none_foll);
      if (!fast) {
        slow[ns++] = static_cast<std::uint32_t>(k);
        continue;
      }
      if (st[k] == static_cast<std::uint8_t>(review_status::voided)) {  // seen, counted nowhere
        ++voided;
        continue;
      }
      codes[nf] = op[k] * static_cast<std::uint32_t>(detail::day_counters) + (svc[k] != 0 ? 3u : 0u) + static_cast<std::uint32_t>(l - 3);
      days[nf] = static_cast<std::int32_t>((tk + 8 * 3600) / 86400);
      ++nf;
    }
    s.events += nf + voided;
    for (std::size_t k = 0; k < nf;) {  // runs of one day
      std::size_t e = k + 1;
      while (e < nf && days[e] == days[k]) ++e;
      s.day_fast(days[k]).add_codes(codes + k, e - k, width);
      k = e;
    }
    for (std::size_t k = 0; k < ns; ++k) ingest_row(s, b, from + slow[k]);
  }
}

void review_aggregator::add(const review_batch& b) {
  state& s = *s_;
  if (b.size == 0) return;
  if (!b.review_key || !b.operator_index || !b.reviewer_key || !b.time || !b.level)
    throw data_error("review batch: review_key, operator_index, reviewer_key, time and level are required arrays");
  if (!s.dedup) return add_count_mode(s, b);
  for (std::size_t i = 0; i < b.size; ++i) ingest_row(s, b, i);
}

// ---------------------------------------------------------------------------------------------
// merge, equality

void review_aggregator::merge(const review_aggregator& other) {
  state& a = *s_;
  const state& b = *other.s_;
  if (a.ids != b.ids)
    throw data_error("review aggregator merge: the two states were built for different operator lists (" +
                     std::to_string(a.ids.size()) + " and " + std::to_string(b.ids.size()) + " operators)");
  if (a.dedup != b.dedup)
    throw data_error("review aggregator merge: one state deduplicates reviews and the other counts events (reviews.dedup differs)");
  if (this == &other) {
    const review_aggregator copy(other);
    merge(copy);
    return;
  }
  a.events += b.events;
  a.rejects.merge(b.rejects);
  b.kept().for_each([&](const review_record& r) { a.records.append(r); });
  const std::size_t width = a.width();
  for (std::size_t k = 0; k < b.days.size(); ++k) {
    if (b.days[k].empty()) continue;
    detail::day_counts& dst = a.day(b.base_day + static_cast<std::int32_t>(k));
    const detail::day_counts& src = b.days[k];
    if (src.dense) {
      if (!dst.dense) dst.densify(width);
      for (std::size_t j = 0; j < width; ++j) dst.dense[j] += src.dense[j];
    } else {
      for (std::uint32_t c : src.log) dst.add(c, width);
    }
  }
}

namespace {
std::vector<review_record> sorted_records(const detail::record_table& t) {
  std::vector<review_record> v;
  v.reserve(t.size());
  t.for_each([&](const review_record& r) { v.push_back(r); });
  std::sort(v.begin(), v.end(), [](const review_record& x, const review_record& y) { return x.review < y.review; });
  return v;
}
}  // namespace

bool review_aggregator::operator==(const review_aggregator& other) const {
  const state& a = *s_;
  const state& b = *other.s_;
  if (a.ids != b.ids || a.dedup != b.dedup || a.events != b.events || !(a.rejects == b.rejects)) return false;
  if (a.kept().size() != b.kept().size()) return false;
  const auto ra = sorted_records(a.kept()), rb = sorted_records(b.kept());
  for (std::size_t i = 0; i < ra.size(); ++i)
    if (std::memcmp(&ra[i], &rb[i], sizeof(review_record)) != 0) return false;
  // day counters: compare day by day as sorted (code, count) lists (absent = empty)
  const std::size_t width = a.width();
  auto counts_of = [&](const state& s, std::int32_t d) {
    if (s.days.empty() || d < s.base_day) return std::vector<std::pair<std::uint32_t, std::uint32_t>>{};
    const auto k = static_cast<std::size_t>(d - s.base_day);
    return k < s.days.size() ? s.days[k].sparse(width) : std::vector<std::pair<std::uint32_t, std::uint32_t>>{};
  };
  std::int32_t lo = 0, hi = -1;
  bool any = false;
  for (const state* s : {&a, &b})
    if (!s->days.empty()) {
      const std::int32_t l = s->base_day, h = s->base_day + static_cast<std::int32_t>(s->days.size()) - 1;
      lo = any ? std::min(lo, l) : l;
      hi = any ? std::max(hi, h) : h;
      any = true;
    }
  for (std::int32_t d = lo; any && d <= hi; ++d)
    if (counts_of(a, d) != counts_of(b, d)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// summary

review_summary review_aggregator::summary(civil_date as_of) const {
  static const holiday_calendar china = holiday_calendar::china();  // loaded once, thread-safe
  return summary(as_of, china);
}

review_summary review_aggregator::summary(civil_date as_of, const holiday_calendar& cal) const {
  const state& s = *s_;
  const review_settings& rs = s.settings;
  if (as_of.is_missing()) throw data_error("review summary: as_of is missing");
  const std::size_t n = s.ids.size();
  const auto rows = static_cast<Eigen::Index>(n);
  review_summary out;
  out.as_of = as_of;
  out.operator_ids = s.ids;
  out.counts.setZero(rows, 5);
  out.weights.setZero(rows, 5);
  Eigen::ArrayXd sum_w2 = Eigen::ArrayXd::Zero(rows);
  out.bad_open.assign(n, 0);
  out.bad_closed_in_time.assign(n, 0);
  out.bad_overdue.assign(n, 0);
  out.bad_followed_up.assign(n, 0);
  out.events_seen = s.events;
  const detail::record_table& records = s.kept();
  out.records_kept = records.size();
  out.rejects = s.rejects;

  const civil_date first = rs.window_months > 0 ? civil_date(add_months(as_of, -rs.window_months).days() + 1)
                                                : civil_date(std::numeric_limits<std::int32_t>::min() + 1);
  auto weight = [&](civil_date d) {
    if (rs.half_life_days <= 0.0) return 1.0;
    return std::exp2(-static_cast<double>(as_of.days() - d.days()) / rs.half_life_days);
  };
  auto period_of = [&](civil_date d) -> std::int64_t {
    if (rs.period == review_period::days) {
      const std::int64_t x = d.days();
      return (x >= 0 ? x : x - rs.period_days + 1) / rs.period_days;
    }
    const auto ymd = to_ymd(d);
    return static_cast<std::int64_t>(ymd.year) * 12 + static_cast<std::int64_t>(ymd.month) - 1;
  };

  // 1–4: eligible records (latest revisions; not void; in the window; service filter)
  struct cand {
    review_record r;  // a copy: the stored records are packed
    std::int64_t period;
  };
  std::vector<cand> c;
  c.reserve(records.size());
  records.for_each([&](const review_record& r) {
    if (r.status() == review_status::voided) return;
    if (rs.service_record_only && !r.service_record()) return;
    const civil_date d = cst_date_from_unix(r.unix_time());
    if (d > as_of || d < first) return;
    c.push_back({r, period_of(d)});
  });
  // 5: one effective review per (reviewer, operator, period): the greatest (time, review, revision)
  std::sort(c.begin(), c.end(), [](const cand& x, const cand& y) {
    return std::tie(x.r.op, x.r.reviewer, x.period, x.r.time, x.r.review, x.r.revision1) <
           std::tie(y.r.op, y.r.reviewer, y.period, y.r.time, y.r.review, y.r.revision1);
  });
  for (std::size_t k = 0; k < c.size(); ++k) {
    if (k + 1 < c.size() && c[k + 1].r.op == c[k].r.op && c[k + 1].r.reviewer == c[k].r.reviewer && c[k + 1].period == c[k].period)
      continue;  // a later review of the same key wins
    const review_record& r = c[k].r;
    const auto i = static_cast<Eigen::Index>(r.op);
    const civil_date d = cst_date_from_unix(r.unix_time());
    const double w = weight(d);
    out.counts(i, r.level - 1) += 1;
    out.weights(i, r.level - 1) += w;
    sum_w2(i) += w * w;
    if (r.level <= 2) {
      // 6: deadlines in working days
      civil_date deadline;
      try {
        deadline = cal.add_working_days(d, rs.deadline_working_days);
      } catch (const data_error& e) {  // a deadline past the calendar's years: say how to go on
        throw data_error(e.where(), e.message() + "; a bad review of " + s.ids[r.op] + " on " + to_string(d) +
                                        " needs a calendar covering its deadline: give one (CLI --calendar FILE, Python "
                                        "calendar=path; format in docs/calendar-format.md) or ask for the weekends-only "
                                        "fallback, days off only on Saturdays and Sundays (CLI --weekends-only-calendar, Python calendar=\"weekends-only\")");
      }
      const civil_date rect_on(d.days() + r.rectified - 1);
      const bool rectified = r.rectified != 0 && rect_on <= as_of;
      if (rectified && rect_on <= deadline) ++out.bad_closed_in_time[r.op];
      else if (rectified || deadline < as_of) ++out.bad_overdue[r.op];
      else ++out.bad_open[r.op];
      if (r.followed != 0 && civil_date(d.days() + r.followed - 1) <= as_of) ++out.bad_followed_up[r.op];
    }
  }
  // count mode: ★3–★5 per day
  if (!s.dedup) {
    for (std::size_t k = 0; k < s.days.size(); ++k) {
      const detail::day_counts& dc = s.days[k];
      if (dc.empty()) continue;
      const civil_date d(s.base_day + static_cast<std::int32_t>(k));
      if (d > as_of || d < first) continue;
      const double w = weight(d);
      auto add = [&](std::uint32_t code, std::uint32_t x) {
        const auto r = static_cast<std::uint32_t>(code % detail::day_counters);
        if (rs.service_record_only && r < 3) return;
        const auto row = static_cast<Eigen::Index>(code / detail::day_counters);
        const int l = static_cast<int>(r % 3);
        out.counts(row, 2 + l) += x;
        out.weights(row, 2 + l) += x * w;
        sum_w2(row) += x * w * w;
      };
      if (dc.dense) {
        for (std::size_t j = 0; j < s.width(); ++j)
          if (dc.dense[j] != 0) add(static_cast<std::uint32_t>(j), dc.dense[j]);
      } else {
        for (std::uint32_t code : dc.log) add(code, 1);
      }
    }
  }

  // 7: measures and estimators
  out.valid_n = out.counts.cast<double>().rowwise().sum().array();
  const Eigen::ArrayXd sum_w = out.weights.rowwise().sum().array();
  out.effective_n.resize(rows);
  out.satisfaction_index.resize(rows);
  out.satisfaction_rate.resize(rows);
  out.low_volume.assign(n, 0);
  Eigen::ArrayXd good_eff(rows);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (Eigen::Index i = 0; i < rows; ++i) {
    const double sw = sum_w(i);
    out.effective_n(i) = rs.half_life_days > 0.0 ? estimators::kish_effective_n(sw, sum_w2(i)) : out.valid_n(i);
    double idx = 0.0;
    for (int l = 0; l < 5; ++l) idx += out.weights(i, l) * rs.level_values[l];
    const double good = out.weights(i, 2) + out.weights(i, 3) + out.weights(i, 4);
    out.satisfaction_index(i) = sw > 0.0 ? idx / sw : nan;
    out.satisfaction_rate(i) = sw > 0.0 ? good / sw : nan;
    good_eff(i) = sw > 0.0 ? std::min(out.effective_n(i), good / sw * out.effective_n(i)) : 0.0;
    out.low_volume[static_cast<std::size_t>(i)] = out.effective_n(i) < rs.min_count ? 1 : 0;
  }
  out.wilson_lower = estimators::wilson_lower_bound(good_eff, out.effective_n, rs.wilson_z);
  const auto jeff = estimators::jeffreys_interval(good_eff, out.effective_n, 0.95);
  out.jeffreys_lower = jeff.lower;
  out.jeffreys_upper = jeff.upper;
  out.bayes_rate = estimators::bayesian_average(good_eff, out.effective_n, rs.prior_rate, rs.min_count);
  out.bayes_index.resize(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    const double m = std::isnan(out.satisfaction_index(i)) ? 0.0 : out.satisfaction_index(i);
    const double ne = out.effective_n(i);
    out.bayes_index(i) = ne + rs.min_count > 0.0 ? (ne * m + rs.min_count * rs.prior_index) / (ne + rs.min_count) : rs.prior_index;
  }
  // empirical Bayes across these operators (reported only)
  out.eb_rate = Eigen::ArrayXd::Constant(rows, nan);
  std::size_t with_reviews = 0;
  for (Eigen::Index i = 0; i < rows; ++i) with_reviews += out.effective_n(i) > 0.0 ? 1u : 0u;
  if (with_reviews >= 2) {
    try {
      const auto fit = estimators::fit_beta_prior(
          good_eff, out.effective_n,
          rs.eb_method == beta_fit_method::method_of_moments ? estimators::prior_method::method_of_moments
                                                              : estimators::prior_method::maximum_likelihood);
      out.eb_alpha = fit.alpha;
      out.eb_beta = fit.beta;
      out.eb_pooled = fit.pooled;
      out.eb_note = fit.note;
      out.eb_rate = estimators::bayesian_average(good_eff, out.effective_n, fit.mean, fit.prior_strength);
    } catch (const data_error& e) {
      out.eb_note = std::string("not fitted: ") + e.message();
    }
  } else {
    out.eb_note = "not fitted: fewer than two operators with reviews";
  }
  return out;
}

void review_summary::apply_to(dataset& d) const {
  std::unordered_map<std::string, std::size_t> row;
  for (std::size_t i = 0; i < operator_ids.size(); ++i) row.emplace(operator_ids[i], i);
  const std::size_t n = d.size();
  std::vector<std::vector<double>> cols(9, std::vector<double>(n, 0.0));
  for (std::size_t k = 0; k < n; ++k) {
    const auto it = row.find(d.operator_ids()[k]);
    if (it == row.end()) {
      error_location w;
      w.field = "reviews";
      w.operator_id = d.operator_ids()[k];
      throw data_error(w, "operator is not in the review summary (build the aggregator with the dataset's operators)");
    }
    const auto i = static_cast<Eigen::Index>(it->second);
    const double sw = weights.row(i).sum();
    const double scale = sw > 0.0 ? effective_n(i) / sw : 0.0;
    for (int l = 0; l < 5; ++l) cols[static_cast<std::size_t>(l)][k] = weights(i, l) * scale;
    cols[5][k] = static_cast<double>(bad_open[it->second]);
    cols[6][k] = static_cast<double>(bad_closed_in_time[it->second]);
    cols[7][k] = static_cast<double>(bad_overdue[it->second]);
    cols[8][k] = static_cast<double>(bad_followed_up[it->second]);
  }
  for (std::size_t c = 0; c < 9; ++c) d.set_review_column(review_input_columns[c], std::move(cols[c]));
}

}  // namespace embedrating
