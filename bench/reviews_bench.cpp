// Review ingest throughput (issue 4 item 5): the review aggregator in count mode and in dedup mode
// against a streaming read of the same event bytes.
//
//   build-bench/bench/reviews_bench --benchmark_min_time=0.5 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// Input: EMBEDRATING_BENCH_EVENTS events (default 5e7; CI smoke: 1e5) into
// EMBEDRATING_BENCH_OPERATORS operators (default 1e5), generated once outside the timed region
// with a counter-based generator (splitmix64 of the row index, fixed seed) as the parallel arrays
// of `review_batch`:
// - arrival times increase over 424 days (2025-01-01 .. 2026-02-28, UTC+8); `time` is the review's
//   own time, so originals are in increasing order and revisions carry the (earlier) time of the
//   review they revise; the `shuffled` variants permute all rows;
// - ~89 % original reviews (unique 63-bit numeric keys), ~10 % revisions of a review from the last
//   ~20 days (half of them of a bad review: rectification, follow-up, appeal → void, re-rating),
//   ~1 % exact repeats of one of the last 10^5 rows;
// - levels ★5 70 %, ★4 19 %, ★3 5 %, ★2 2 %, ★1 4 %; statuses valid / pending 2 % / void 0.5 %;
//   85 % tied to a service record; operators skewed (density ∝ 1/√rank, ranks scattered);
//   20–219 residents (reviewers) per operator.
//
// BM_ingest_count_mode / BM_ingest_dedup add the whole input in batches of 65 536 rows into a fresh
// aggregator per iteration, then read records_kept() (which merges what is still in the ingest
// log: timed); construction, memory_bytes() and destruction are not timed. Counters: kept records,
// state_MB = memory_bytes(), B_per_rec = memory_bytes() / records_kept(), peak_rss_MB (ru_maxrss,
// reset before each benchmark through /proc/self/clear_refs: it includes the input arrays),
// rss_before_MB (resident before the first iteration: inputs and leftovers), input_MB, and
// x_target = events per CPU second ÷ the target (count mode 150 M/s, dedup 20 M/s).
// items_per_second and bytes_per_second are per CPU second (the machine is shared: wall time
// depends on the other tenants' load); wall_ev_s is events per wall-clock second.
// BM_stream_read_events reads every byte of every input array once (xor reduction): the floor.
// BM_summary times summary(2026-02-28) over the dedup state of the time-ordered input.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <embedrating/embedrating.hpp>

namespace er = embedrating;

namespace {

constexpr std::size_t chunk_rows = 65536;
constexpr double count_mode_target = 150e6;  // events/s, one core
constexpr double dedup_target = 20e6;        // events/s, one core

std::size_t env_size(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return static_cast<std::size_t>(fallback);
  const double x = std::strtod(v, nullptr);
  return x >= 1.0 ? static_cast<std::size_t>(x) : static_cast<std::size_t>(fallback);
}
std::size_t event_count() { return env_size("EMBEDRATING_BENCH_EVENTS", 5e7); }
std::size_t operator_count() { return env_size("EMBEDRATING_BENCH_OPERATORS", 1e5); }

/// Counter-based generator: splitmix64 of (seed, stream, index).
inline std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
constexpr std::uint64_t seed = 20250101;
inline std::uint64_t rnd(std::uint64_t i, std::uint64_t stream) { return mix(seed ^ mix(i * 16 + stream)); }
inline double unit(std::uint64_t i, std::uint64_t stream) { return static_cast<double>(rnd(i, stream) >> 11) * 0x1.0p-53; }

/// The parallel arrays of a review_batch, owned.
struct events {
  std::vector<std::uint64_t> review, reviewer;
  std::vector<std::uint32_t> revision, op;
  std::vector<std::int64_t> time, rectified, followed;
  std::vector<std::int8_t> level;
  std::vector<std::uint8_t> status, service;

  std::size_t size() const { return review.size(); }
  void resize(std::size_t n) {
    review.resize(n);
    reviewer.resize(n);
    revision.resize(n);
    op.resize(n);
    time.resize(n);
    rectified.resize(n);
    followed.resize(n);
    level.resize(n);
    status.resize(n);
    service.resize(n);
  }
  static constexpr std::size_t bytes_per_event = 8 + 8 + 4 + 4 + 8 + 8 + 8 + 1 + 1 + 1;
  std::size_t bytes() const { return size() * bytes_per_event; }

  er::review_batch batch(std::size_t from, std::size_t n) const {
    er::review_batch b;
    b.size = n;
    b.review_key = review.data() + from;
    b.revision = revision.data() + from;
    b.operator_index = op.data() + from;
    b.reviewer_key = reviewer.data() + from;
    b.time = time.data() + from;
    b.level = level.data() + from;
    b.status = status.data() + from;
    b.rectified_at = rectified.data() + from;
    b.followed_up_at = followed.data() + from;
    b.has_service_record = service.data() + from;
    return b;
  }
};

constexpr std::int64_t day = 86400;
// 2025-01-01T00:00:00+08:00 .. 2026-03-01T00:00:00+08:00 (424 days)
constexpr std::int64_t start_unix = 1735689600 - 8 * 3600;
constexpr std::int64_t span_days = 424;

std::unique_ptr<events> generate(std::size_t n, std::size_t nops) {
  auto ev = std::make_unique<events>();
  ev->resize(n);
  events& e = *ev;
  // operators: rank ~ nops·u² (a few large operators), scattered over indices by an affine permutation
  std::uint64_t a = 2654435761u % nops;
  if (a == 0) a = 1;
  while (std::gcd(a, static_cast<std::uint64_t>(nops)) != 1) ++a;
  std::vector<std::uint32_t> origin(n);     // row of the original review of each row
  std::vector<std::uint16_t> latest(n, 1);  // latest revision of each original row
  std::vector<std::uint32_t> recent_bad(4096, 0);
  std::size_t bad_seen = 0;
  const std::size_t revision_lookback = std::max<std::size_t>(1, n * 20 / span_days);
  const std::size_t repeat_lookback = 100000;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t arrival = start_unix + static_cast<std::int64_t>(static_cast<double>(i) / static_cast<double>(n) * span_days * day);
    const double kind = unit(i, 0);
    if (i > 0 && kind < 0.01) {  // exact repeat of a recent row
      const std::size_t j = i - 1 - rnd(i, 1) % std::min(i, repeat_lookback);
      e.review[i] = e.review[j];
      e.reviewer[i] = e.reviewer[j];
      e.revision[i] = e.revision[j];
      e.op[i] = e.op[j];
      e.time[i] = e.time[j];
      e.rectified[i] = e.rectified[j];
      e.followed[i] = e.followed[j];
      e.level[i] = e.level[j];
      e.status[i] = e.status[j];
      e.service[i] = e.service[j];
      origin[i] = origin[j];
      continue;
    }
    if (i > 0 && kind < 0.11) {  // a revision of a recent review (half of them of a bad one)
      std::size_t j;
      if (bad_seen > 0 && unit(i, 2) < 0.5) j = recent_bad[rnd(i, 3) % std::min<std::size_t>(bad_seen, recent_bad.size())];
      else j = i - 1 - rnd(i, 4) % std::min(i, revision_lookback);
      const std::size_t o = origin[j];
      e.review[i] = e.review[o];
      e.reviewer[i] = e.reviewer[o];
      e.op[i] = e.op[o];
      e.time[i] = e.time[o];
      e.service[i] = e.service[o];
      if (latest[o] < 60000) ++latest[o];
      e.revision[i] = latest[o];
      origin[i] = static_cast<std::uint32_t>(o);
      e.rectified[i] = er::no_time;
      e.followed[i] = er::no_time;
      e.status[i] = 0;
      e.level[i] = e.level[o];
      if (e.level[o] <= 2) {
        const double u = unit(i, 5);
        if (u < 0.15) e.status[i] = 2;  // appeal upheld: void
        else {
          e.rectified[i] = std::max(arrival, e.time[o]);
          if (unit(i, 6) < 0.6) e.followed[i] = e.rectified[i] + static_cast<std::int64_t>(rnd(i, 7) % (3 * day));
          if (u > 0.7) e.level[i] = static_cast<std::int8_t>(4 + (rnd(i, 8) & 1));  // re-rated after rectification
        }
      } else if (unit(i, 5) < 0.3) {
        e.level[i] = static_cast<std::int8_t>(3 + rnd(i, 8) % 3);  // re-rated
      }
      continue;
    }
    // an original review
    origin[i] = static_cast<std::uint32_t>(i);
    e.review[i] = rnd(i, 9) >> 1;  // numeric key < 2^63
    e.revision[i] = 1;
    const double uo = unit(i, 10);
    const auto rank = static_cast<std::uint64_t>(uo * uo * static_cast<double>(nops));
    const auto op = static_cast<std::uint32_t>((rank * a + 12345) % nops);
    e.op[i] = op;
    const std::uint64_t residents = 20 + mix(op) % 200;
    e.reviewer[i] = mix(static_cast<std::uint64_t>(op) << 20 | (rnd(i, 11) % residents)) >> 1;
    e.time[i] = arrival + static_cast<std::int64_t>(rnd(i, 12) % 60);
    const double ul = unit(i, 13);
    e.level[i] = static_cast<std::int8_t>(ul < 0.04 ? 1 : ul < 0.06 ? 2 : ul < 0.11 ? 3 : ul < 0.30 ? 4 : 5);
    const double us = unit(i, 14);
    e.status[i] = us < 0.005 ? 2 : us < 0.025 ? 1 : 0;
    e.service[i] = unit(i, 15) < 0.85 ? 1 : 0;
    e.rectified[i] = er::no_time;
    e.followed[i] = er::no_time;
    if (e.level[i] <= 2) {
      recent_bad[bad_seen++ % recent_bad.size()] = static_cast<std::uint32_t>(i);
      if (unit(i, 16) < 0.1) {  // already rectified in the feed's snapshot
        e.rectified[i] = e.time[i] + static_cast<std::int64_t>(rnd(i, 17) % (20 * day));
        if (unit(i, 18) < 0.7) e.followed[i] = e.rectified[i] + static_cast<std::int64_t>(rnd(i, 19) % (5 * day));
      }
    }
  }
  return ev;
}

/// The same rows in a random order (Fisher–Yates with the counter-based generator).
std::unique_ptr<events> shuffled(const events& in) {
  const std::size_t n = in.size();
  std::vector<std::uint32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0u);
  for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rnd(i, 31) % i]);
  auto out = std::make_unique<events>();
  auto gather = [&](auto& dst, const auto& src) {
    dst.resize(n);
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[perm[i]];
  };
  gather(out->review, in.review);
  gather(out->reviewer, in.reviewer);
  gather(out->revision, in.revision);
  gather(out->op, in.op);
  gather(out->time, in.time);
  gather(out->rectified, in.rectified);
  gather(out->followed, in.followed);
  gather(out->level, in.level);
  gather(out->status, in.status);
  gather(out->service, in.service);
  return out;
}

enum class order { time, shuffled };

std::vector<std::string> operator_ids() {
  std::vector<std::string> ids(operator_count());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = "OP" + std::to_string(i);
  return ids;
}

const events& input(order o) {
  static std::unique_ptr<events> by_time, by_shuffle;
  if (!by_time) by_time = generate(event_count(), operator_count());
  if (o == order::time) return *by_time;
  if (!by_shuffle) by_shuffle = shuffled(*by_time);
  return *by_shuffle;
}

const std::vector<std::string>& ids() {
  static const std::vector<std::string> v = operator_ids();
  return v;
}

void add_all(er::review_aggregator& agg, const events& e) {
  for (std::size_t from = 0; from < e.size(); from += chunk_rows) agg.add(e.batch(from, std::min(chunk_rows, e.size() - from)));
}

// -- memory probes

/// Resets the peak resident size to the current one (Linux ≥ 4.0); false when not possible.
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}
double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) * 1024.0 / 1e6;  // KiB
}
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
double rss_mb() {
  std::ifstream f("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1e6;
}

/// Distinct review keys in the input: what a service that knows its volume reserves.
std::size_t expected_reviews(const events& e) {
  static std::size_t n = 0;
  if (n == 0) {
    std::vector<std::uint64_t> k(e.review.begin(), e.review.end());
    std::sort(k.begin(), k.end());
    n = static_cast<std::size_t>(std::unique(k.begin(), k.end()) - k.begin());
  }
  return n;
}

void ingest(benchmark::State& state, order o, bool dedup, bool reserve = false) {
  const events& e = input(o);
  er::review_settings rs;
  rs.dedup = dedup;
  const bool reset = reset_peak_rss();
  const double before = rss_mb();
  double wall = 0.0, cpu = 0.0;
  std::size_t kept = 0, mem = 0;
  std::uint64_t rejected = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto agg = std::make_unique<er::review_aggregator>(ids(), rs);
    if (reserve) agg->reserve(expected_reviews(e));  // the service knows its volume: no table doublings
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    add_all(*agg, e);
    kept = agg->records_kept();  // readers settle the ingest log: that work is timed too
    cpu += thread_cpu_seconds() - c0;
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.PauseTiming();
    mem = agg->memory_bytes();
    rejected = agg->rejects().total();
    agg.reset();
    state.ResumeTiming();
  }
  const double total = static_cast<double>(state.iterations()) * static_cast<double>(e.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(e.size()));
  state.counters["kept"] = static_cast<double>(kept);
  state.counters["state_MB"] = static_cast<double>(mem) / 1e6;
  state.counters["B_per_rec"] = kept ? static_cast<double>(mem) / static_cast<double>(kept) : 0.0;
  state.counters["input_MB"] = static_cast<double>(e.bytes()) / 1e6;
  state.counters["rss_before_MB"] = before;
  state.counters["peak_rss_MB"] = peak_rss_mb();
  state.counters["wall_ev_s"] = total / wall;
  state.counters["x_target"] = total / cpu / (dedup ? dedup_target : count_mode_target);
  if (rejected) state.counters["rejected"] = static_cast<double>(rejected);
  if (!reset) state.SetLabel("peak RSS not reset (no /proc/self/clear_refs)");
}

void BM_ingest_count_mode(benchmark::State& state, order o) { ingest(state, o, false); }
void BM_ingest_dedup(benchmark::State& state, order o) { ingest(state, o, true); }
void BM_ingest_dedup_reserved(benchmark::State& state, order o) { ingest(state, o, true, true); }

/// xor of every byte of [p, p + bytes), read once as 64-bit words (vectorised).
inline std::uint64_t xor_bytes(const void* p, std::size_t bytes) {
  const auto* c = static_cast<const unsigned char*>(p);
  const std::size_t words = bytes / 8;
  std::uint64_t acc[8] = {};
  std::size_t w = 0;
  for (; w + 8 <= words; w += 8)
    for (int k = 0; k < 8; ++k) {
      std::uint64_t x;
      std::memcpy(&x, c + (w + static_cast<std::size_t>(k)) * 8, 8);
      acc[k] ^= x;
    }
  std::uint64_t r = 0;
  for (; w < words; ++w) {
    std::uint64_t x;
    std::memcpy(&x, c + w * 8, 8);
    r ^= x;
  }
  for (std::size_t b = words * 8; b < bytes; ++b) r ^= c[b];
  for (auto x : acc) r ^= x;
  return r;
}

/// The floor: read every byte of every input array once, batch by batch as the ingest does.
void BM_stream_read_events(benchmark::State& state) {
  const events& e = input(order::time);
  for (auto _ : state) {
    std::uint64_t r = 0;
    for (std::size_t from = 0; from < e.size(); from += chunk_rows) {
      const std::size_t n = std::min(chunk_rows, e.size() - from);
      r ^= xor_bytes(e.review.data() + from, n * 8);
      r ^= xor_bytes(e.reviewer.data() + from, n * 8);
      r ^= xor_bytes(e.revision.data() + from, n * 4);
      r ^= xor_bytes(e.op.data() + from, n * 4);
      r ^= xor_bytes(e.time.data() + from, n * 8);
      r ^= xor_bytes(e.rectified.data() + from, n * 8);
      r ^= xor_bytes(e.followed.data() + from, n * 8);
      r ^= xor_bytes(e.level.data() + from, n);
      r ^= xor_bytes(e.status.data() + from, n);
      r ^= xor_bytes(e.service.data() + from, n);
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(e.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(e.bytes()));
  state.counters["input_MB"] = static_cast<double>(e.bytes()) / 1e6;
}

const er::review_aggregator& built(bool dedup) {
  static std::unique_ptr<er::review_aggregator> states[2];
  auto& s = states[dedup ? 1 : 0];
  if (!s) {
    er::review_settings rs;
    rs.dedup = dedup;
    s = std::make_unique<er::review_aggregator>(ids(), rs);
    add_all(*s, input(order::time));
  }
  return *s;
}

void summary(benchmark::State& state, bool dedup) {
  const er::review_aggregator& agg = built(dedup);
  const er::civil_date as_of = er::make_date(2026, 2, 28);
  const er::holiday_calendar cal = er::holiday_calendar::china();
  double counted = 0;
  for (auto _ : state) {
    er::review_summary s = agg.summary(as_of, cal);
    counted = s.valid_n.sum();
    benchmark::DoNotOptimize(s.wilson_lower.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(dedup ? agg.records_kept() : agg.events_seen()));
  state.counters["kept"] = static_cast<double>(agg.records_kept());
  state.counters["counted"] = counted;
  state.counters["state_MB"] = static_cast<double>(agg.memory_bytes()) / 1e6;
}

void BM_summary(benchmark::State& state) { summary(state, true); }
void BM_summary_count_mode(benchmark::State& state) { summary(state, false); }

}  // namespace

BENCHMARK(BM_stream_read_events)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ingest_count_mode, time_ordered, order::time)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ingest_count_mode, shuffled, order::shuffled)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ingest_dedup, time_ordered, order::time)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ingest_dedup, shuffled, order::shuffled)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ingest_dedup_reserved, time_ordered, order::time)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_summary)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_summary_count_mode)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
