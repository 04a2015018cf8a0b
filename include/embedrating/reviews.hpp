#pragma once
/// \file reviews.hpp
/// Resident reviews (好差评): the event-level aggregation engine (SPEC §2, §5).
///
/// A `review_aggregator` ingests review events — one at a time or in batches of parallel arrays —
/// and keeps an **integer state that does not depend on the evaluation date**: the latest revision
/// of every review (one 32-byte record each) and, when `dedup = false`, per-day counters of ★3–★5
/// events. Everything that depends on `as_of` — the window, decay, deadlines in working days,
/// estimators — is applied in `summary(as_of)`. States built on any split of the events, merged
/// in any order, equal the state built on all of them.
///
/// Semantics (the model's `[reviews]` settings, docs/model-format.md):
/// 1. revisions — per review id the record with the highest revision wins and replaces the
///    earlier one entirely (an appeal voids, a rectification closes); a repeated
///    `(review_id, revision)` changes nothing (if two copies differ, the one whose bytes compare
///    smaller is kept, so the result never depends on arrival order);
/// 2. levels ★1..★5; "good" = ★5, "bad" = ★1; a bad review is ★1 or ★2;
/// 3. void reviews count nowhere; pending ones count (a pending bad review counts as bad);
/// 4. window — a review counts when its date (UTC+8) is in (add_months(as_of, −window_months), as_of];
///    `service_record_only` keeps only reviews tied to a service record;
/// 5. dedup — one effective review per (reviewer, operator, period): the greatest
///    (time, review key, revision) wins; periods are calendar months in UTC+8 or N-day buckets;
/// 6. deadlines — a bad review is closed in time when rectified (on or before as_of) no later
///    than the `deadline_working_days`-th working day after its date; overdue when rectified
///    later, or still open after its deadline; open otherwise; followed up when followed_up_at ≤ as_of;
/// 7. decay — weight 2^(−age/half_life) by age in days; decayed level counts are rescaled so they
///    sum to Kish's effective sample size (Σw)²/Σw².
/// With `dedup = false` ("count mode", for trusted feeds that deliver each review once), ★3–★5
/// events are counted per day as they come (revision 1 only; a later revision of them is
/// ignored), while bad reviews are still tracked one by one (appeals and rectifications apply).
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "calendar.hpp"
#include "dataset.hpp"
#include "date.hpp"
#include "model.hpp"

namespace embedrating {

enum class review_status : std::uint8_t { valid = 0, pending = 1, voided = 2 };

/// "No time" in event time fields (rectified_at, followed_up_at).
inline constexpr std::int64_t no_time = INT64_MIN;

/// One review event with its text ids (SPEC §5). Times are Unix seconds (UTC); a review's date
/// is its calendar day in UTC+8.
struct review_event {
  std::string review_id;
  std::uint32_t revision = 1;
  std::string operator_id;
  std::string reviewer_id;
  std::int64_t time = no_time;
  int level = 0;  ///< 1..5
  std::string scenario;  ///< informative; not part of the state
  review_status status = review_status::valid;
  std::int64_t rectified_at = no_time;
  std::int64_t followed_up_at = no_time;
  std::string service_record_id;  ///< empty: not tied to a service record
};

/// A batch of events as parallel arrays (the layout numpy hands over). Ids are 64-bit keys
/// (`review_key`); operators are indices into the aggregator's operator list. Optional arrays may
/// be null: revision = 1, status = valid, no rectification / follow-up, no service record.
struct review_batch {
  std::size_t size = 0;
  const std::uint64_t* review_key = nullptr;
  const std::uint32_t* revision = nullptr;
  const std::uint32_t* operator_index = nullptr;
  const std::uint64_t* reviewer_key = nullptr;
  const std::int64_t* time = nullptr;
  const std::int8_t* level = nullptr;
  const std::uint8_t* status = nullptr;  ///< review_status values
  const std::int64_t* rectified_at = nullptr;
  const std::int64_t* followed_up_at = nullptr;
  const std::uint8_t* has_service_record = nullptr;
  /// Optional: names row i in reject examples ("<where(i)>: <why>"); default "batch row i: review key K".
  const std::function<std::string(std::size_t)>* where = nullptr;
};

/// The 64-bit key of a text id: a decimal number below 2^63 (no sign, no leading zero) is its own
/// value, so numeric ids keep their order; any other text is 2^63 | the first 63 bits of its
/// SHA-256. Review ids compare by this key in the dedup tie-break.
std::uint64_t review_key(std::string_view id);

/// Parses an ISO 8601 instant as the event CSV reader does: `YYYY-MM-DD`,
/// `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]` with an optional `Z` or `±HH:MM` / `±HHMM` offset;
/// without an offset the time is China Standard Time (UTC+8); a date alone is its midnight in
/// UTC+8; fractions of a second are dropped. Unix seconds, or nullopt when unparsable.
std::optional<std::int64_t> parse_review_time(std::string_view text);

/// Why an event was rejected (never dropped silently).
enum class reject_kind : std::uint8_t {
  missing_id,        ///< empty review, operator or reviewer id
  unknown_operator,  ///< not in the aggregator's operator list
  bad_level,         ///< not 1..5 / good / bad
  bad_time,          ///< unparsable, or outside 2000-01-01 .. 2136-02-07 (UTC)
  bad_status,        ///< not valid / pending / void
  bad_revision,      ///< not 0 .. 65534
  bad_date_order,    ///< rectified or followed up before the review, or more than 65 000 days after
};
inline constexpr std::size_t reject_kind_count = 7;
const char* to_string(reject_kind k) noexcept;

/// Rejected events by kind, with up to `max_examples` examples each (the smallest texts, so a
/// merged log does not depend on the order of merging).
struct reject_log {
  static constexpr std::size_t max_examples = 5;
  std::array<std::uint64_t, reject_kind_count> counts{};
  std::array<std::vector<std::string>, reject_kind_count> examples;

  std::uint64_t total() const noexcept;
  void add(reject_kind k, std::string example);
  void merge(const reject_log& other);
  bool operator==(const reject_log& o) const { return counts == o.counts && examples == o.examples; }
};

/// Per-operator review measures at an evaluation date.
struct review_summary {
  civil_date as_of;
  std::vector<std::string> operator_ids;
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, 5> counts;  ///< effective reviews ★1..★5 in the window
  Eigen::Matrix<double, Eigen::Dynamic, 5> weights;        ///< decayed counts (== counts without decay)
  Eigen::ArrayXd valid_n;             ///< Σ counts
  Eigen::ArrayXd effective_n;         ///< Kish (Σw)²/Σw² (== valid_n without decay)
  Eigen::ArrayXd satisfaction_index;  ///< Σ w·level_value / Σw, NaN when there is no review
  Eigen::ArrayXd satisfaction_rate;   ///< ★3+ share (weighted), NaN when there is no review
  Eigen::ArrayXd wilson_lower;        ///< Wilson lower bound of the ★3+ share at effective n (0 at n = 0)
  Eigen::ArrayXd jeffreys_lower, jeffreys_upper;  ///< 95 % Jeffreys interval of the ★3+ share
  Eigen::ArrayXd bayes_rate;          ///< Bayesian average of the ★3+ share: prior_rate with weight min_count
  Eigen::ArrayXd bayes_index;         ///< Bayesian average of the index: prior_index with weight min_count
  Eigen::ArrayXd eb_rate;             ///< posterior mean of the ★3+ share under the fitted Beta prior
  std::vector<std::int64_t> bad_open, bad_closed_in_time, bad_overdue, bad_followed_up;
  std::vector<std::uint8_t> low_volume;  ///< effective n < min_count
  /// Empirical-Bayes Beta prior fitted across these operators (reported only: a grade never
  /// depends on which other operators are in the batch).
  double eb_alpha = 0.0, eb_beta = 0.0;
  bool eb_pooled = false;
  std::string eb_note;
  std::uint64_t events_seen = 0;
  std::uint64_t records_kept = 0;
  reject_log rejects;

  std::size_t size() const noexcept { return operator_ids.size(); }
  /// Sets the nine review input columns of `d` (stars_1..stars_5, bad_open, bad_closed_in_time,
  /// bad_overdue, bad_followed_up), replacing any it has. Every operator of `d` must be in this
  /// summary (data_error naming the first that is not). stars_k are the decayed counts rescaled
  /// to the effective n, so the core's shrinkage and low-volume rules see Kish's n.
  void apply_to(dataset& d) const;
};

/// The first review setting that differs between `a` and `b`, as "field: a vs b" (e.g.
/// "reviews.window_months: 12 vs 24"), or "" when they are the same. A state saved under one
/// model's settings must not be summarised under another's: the CLI refuses `--state S --model M`
/// when they differ.
std::string review_settings_difference(const review_settings& a, const review_settings& b);

/// Threads: a `review_aggregator` is not synchronised. Its const members (summary, serialize,
/// save, operator==, the accessors) may run from many threads at once; add, add_csv, merge,
/// reserve and assignment need exclusive access (hold a mutex around them, or give each thread its
/// own aggregator and merge them — the result is the same; tests/cpp/concurrency_test.cpp).
class review_aggregator {
 public:
  /// An empty state for these operators (ids unique and non-empty) with the model's review settings.
  review_aggregator(std::vector<std::string> operator_ids, review_settings settings = {});
  /// Operators of a dataset, settings of a model.
  review_aggregator(const model& m, const dataset& operators);
  ~review_aggregator();
  review_aggregator(const review_aggregator& other);
  review_aggregator& operator=(const review_aggregator& other);
  review_aggregator(review_aggregator&&) noexcept;
  review_aggregator& operator=(review_aggregator&&) noexcept;

  /// One event; a bad one is rejected (counted by kind with an example naming `where`).
  void add(const review_event& e, std::string_view where = {});
  /// A batch; bad rows are rejected with "batch row N" examples.
  void add(const review_batch& b);
  /// Reads a review-event CSV (SPEC §5 columns, UTF-8 or GB18030) as a stream and adds every row;
  /// a bad row is rejected with "file:line" in its example, a bad header throws data_error. (Any
  /// table source: embedrating::add_events, io.hpp.)
  void add_csv(const std::string& path, const std::string& encoding = "auto");
  /// Records an event that could not be read (seen, rejected by kind, with its example).
  void add_rejected(reject_kind kind, std::string example);
  /// Row of an operator id in the operator list, or -1.
  std::int64_t operator_row(const std::string& operator_id) const;

  /// Adds another state built for the same operators and ingest mode (data_error otherwise).
  void merge(const review_aggregator& other);

  /// Measures per operator at `as_of` with a working-day calendar (deadlines).
  review_summary summary(civil_date as_of, const holiday_calendar& calendar) const;
  /// …with China's official calendar (data/calendars/).
  review_summary summary(civil_date as_of) const;

  /// The binary archive (docs/review-archive.md): header with magic, format version, payload size
  /// and SHA-256, then the state through Boost.Serialization in the portable encoding of
  /// serialize.hpp (format 2; format 1 files keep loading). The same as to_bytes(review_aggregator).
  std::string serialize() const;
  /// Reads serialize()'s bytes; archive_error naming `source_name` for anything wrong.
  static review_aggregator deserialize(std::string_view bytes, const std::string& source_name = "<bytes>");
  /// Atomic save (temporary file, flush, rename): a crash leaves the previous file intact.
  void save(const std::string& path) const;
  static review_aggregator load(const std::string& path);

  const std::vector<std::string>& operator_ids() const noexcept;
  const review_settings& settings() const noexcept;
  std::uint64_t events_seen() const noexcept;
  std::size_t records_kept() const noexcept;
  const reject_log& rejects() const noexcept;
  /// Sizes the record store for this many kept reviews up front (a production service that knows
  /// its volume avoids regrowing it and the page faults of the copies).
  void reserve(std::size_t expected_reviews);
  /// Bytes held by the state at rest: the kept records (28 bytes each in a packed run sorted by
  /// key hash, plus a side table for the rare records whose revision, rectification or follow-up
  /// days do not fit), day counters, ids. It first merges the ingest log and gives its buffers back
  /// (they come back at the next add), so it is the state's size, not the ingest's peak.
  std::size_t memory_bytes() const noexcept;

  /// Same state (records, counters, rejects, events seen, operators, ingest mode).
  bool operator==(const review_aggregator& other) const;
  bool operator!=(const review_aggregator& other) const { return !(*this == other); }

  struct state;

 private:
  std::unique_ptr<state> s_;
};

/// Largest archive accepted by load/deserialize (4 GiB).
inline constexpr std::uint64_t max_review_archive_bytes = std::uint64_t{1} << 32;
/// Format version written by serialize(); files of every earlier version keep loading.
inline constexpr std::uint32_t review_archive_format_version = 2;

}  // namespace embedrating
