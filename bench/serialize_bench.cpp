// Archives (serialize.hpp, issue 10 item 5): to_bytes / from_bytes of a 10^6-operator review state
// and dataset, against two floors measured in the same run over the same bytes: SHA-256 of the
// payload (every archive pays it once each way) and a plain copy.
//
//   build/bench/serialize_bench --benchmark_min_time=0.5 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// Inputs (generated once, outside the timed region, splitmix64 of the row index, fixed seed):
// EMBEDRATING_BENCH_OPERATORS operators (default 10^6; CI smoke: 10^4), ids "OP0000001"…;
// - review state: dedup mode, 2 events per operator (levels ★1..★5, 85 % tied to a service record,
//   times over 2025), so 2·10^6 kept records of 32 bytes;
// - dataset: 8 number columns (1 % NaN = missing), 4 flag columns, 2 category columns of 5
//   levels, 1 attribute column, status.
// - scored data and ratings: the synthetic dataset of bench/synthetic.hpp scored / rated with the
//   default model at 2025-12-31; the baseline in the same run is score() / rate() of that dataset
//   (what their pickles did on loading before they were archives; the dataset's input hash is
//   cached, so the baseline is a lower bound of that old path).
// bytes_per_second is archive bytes per CPU second (the machine is shared).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <embedrating/dataset.hpp>
#include <embedrating/detail/sha256.hpp>
#include <embedrating/reviews.hpp>
#include <embedrating/serialize.hpp>

#include "synthetic.hpp"

using namespace embedrating;

namespace {

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::size_t operators() {
  const char* e = std::getenv("EMBEDRATING_BENCH_OPERATORS");
  return e ? static_cast<std::size_t>(std::strtod(e, nullptr)) : 1000000;
}

std::vector<std::string> ids(std::size_t n) {
  std::vector<std::string> out(n);
  char buf[32];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "OP%07zu", i + 1);
    out[i] = buf;
  }
  return out;
}

const review_aggregator& review_state() {
  static const review_aggregator r = [] {
    const std::size_t n = operators(), m = 2 * n;
    review_aggregator a(ids(n));
    std::vector<std::uint64_t> key(m), reviewer(m);
    std::vector<std::uint32_t> rev(m, 0), op(m);
    std::vector<std::int64_t> time(m), none(m, 0);
    std::vector<std::int8_t> level(m);
    std::vector<std::uint8_t> status(m, 0), service(m);
    const std::int64_t t0 = 1735660800;  // 2025-01-01T00:00:00+08:00
    for (std::size_t i = 0; i < m; ++i) {
      const std::uint64_t h = splitmix(i);
      key[i] = i + 1;
      reviewer[i] = h >> 40;
      op[i] = static_cast<std::uint32_t>(i % n);
      time[i] = t0 + static_cast<std::int64_t>((h >> 8) % (365u * 86400u));
      level[i] = static_cast<std::int8_t>(1 + (h >> 3) % 5);
      service[i] = (h & 0xff) < 217 ? 1 : 0;
    }
    review_batch b;
    b.size = m;
    b.review_key = key.data();
    b.revision = rev.data();
    b.operator_index = op.data();
    b.reviewer_key = reviewer.data();
    b.time = time.data();
    b.level = level.data();
    b.status = status.data();
    b.rectified_at = none.data();
    b.followed_up_at = none.data();
    b.has_service_record = service.data();
    a.add(b);
    return a;
  }();
  return r;
}

const dataset& data() {
  static const dataset d = [] {
    const std::size_t n = operators();
    dataset out(ids(n), "bench");
    for (int c = 0; c < 8; ++c) {
      std::vector<double> v(n);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t h = splitmix(i * 31 + static_cast<std::uint64_t>(c));
        v[i] = (h % 100 == 0) ? std::nan("") : static_cast<double>(h >> 11) * 0x1p-53 * 100.0;
      }
      out.set_number("raw.bench_" + std::to_string(c), std::move(v), nan_policy::missing);
    }
    for (int c = 0; c < 4; ++c) {
      std::vector<std::uint8_t> v(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(splitmix(i * 7 + static_cast<std::uint64_t>(c)) & 1);
      out.set_flag("flag.bench_" + std::to_string(c), std::move(v));
    }
    for (int c = 0; c < 2; ++c) {
      category_column col;
      col.levels = {"a", "b", "c", "d", "e"};
      col.codes.resize(n);
      for (std::size_t i = 0; i < n; ++i) col.codes[i] = static_cast<std::int32_t>(splitmix(i * 13 + static_cast<std::uint64_t>(c)) % 5);
      out.set_category("raw.cat_" + std::to_string(c), std::move(col));
    }
    std::vector<std::string> names(n);
    for (std::size_t i = 0; i < n; ++i) names[i] = "operator number " + std::to_string(i);
    out.set_attribute("attr.name", std::move(names));
    out.set_status(std::vector<operator_status>(n, operator_status::active));
    return out;
  }();
  return d;
}

const civil_date bench_as_of = make_date(2025, 12, 31);
const dataset& synthetic_data() {
  static const std::unique_ptr<dataset> d = bench::make_dataset(operators());
  return *d;
}
const scored& scored_data() {
  static const scored s = score(bench::default_model(), synthetic_data(), bench_as_of);
  return s;
}
const ratings& rated_data() {
  static const ratings r = regrade(scored_data(), bench::default_model());
  return r;
}

template <class T>
void to_bytes_bench(benchmark::State& state, const T& x) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string b = to_bytes(x);
    bytes = b.size();
    benchmark::DoNotOptimize(b.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.counters["archive_MB"] = static_cast<double>(bytes) / 1e6;
}

template <class T>
void from_bytes_bench(benchmark::State& state, const T& x) {
  const std::string b = to_bytes(x);
  for (auto _ : state) {
    T back = from_bytes<T>(b, "bench");
    benchmark::DoNotOptimize(&back);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(b.size()));
}

void sha_bench(benchmark::State& state, const std::string& b) {
  for (auto _ : state) benchmark::DoNotOptimize(detail::sha256_hex(b));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(b.size()));
}

void copy_bench(benchmark::State& state, const std::string& b) {
  for (auto _ : state) {
    std::string c = b;
    benchmark::DoNotOptimize(c.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(b.size()));
}

void BM_review_state_to_bytes(benchmark::State& s) { to_bytes_bench(s, review_state()); }
void BM_review_state_from_bytes(benchmark::State& s) { from_bytes_bench(s, review_state()); }
void BM_review_state_sha256_floor(benchmark::State& s) { sha_bench(s, to_bytes(review_state())); }
void BM_review_state_copy_floor(benchmark::State& s) { copy_bench(s, to_bytes(review_state())); }
void BM_dataset_to_bytes(benchmark::State& s) { to_bytes_bench(s, data()); }
void BM_dataset_from_bytes(benchmark::State& s) { from_bytes_bench(s, data()); }
void BM_dataset_sha256_floor(benchmark::State& s) { sha_bench(s, to_bytes(data())); }
void BM_dataset_copy_floor(benchmark::State& s) { copy_bench(s, to_bytes(data())); }
void BM_scored_to_bytes(benchmark::State& s) { to_bytes_bench(s, scored_data()); }
void BM_scored_from_bytes(benchmark::State& s) { from_bytes_bench(s, scored_data()); }
void BM_scored_sha256_floor(benchmark::State& s) { sha_bench(s, to_bytes(scored_data())); }
void BM_scored_score_baseline(benchmark::State& s) {
  (void)scored_data();
  for (auto _ : s) benchmark::DoNotOptimize(score(bench::default_model(), synthetic_data(), bench_as_of));
}
void BM_ratings_to_bytes(benchmark::State& s) { to_bytes_bench(s, rated_data()); }
void BM_ratings_from_bytes(benchmark::State& s) { from_bytes_bench(s, rated_data()); }
void BM_ratings_rate_baseline(benchmark::State& s) {
  (void)rated_data();
  for (auto _ : s) benchmark::DoNotOptimize(rate(bench::default_model(), synthetic_data(), bench_as_of));
}

}  // namespace

BENCHMARK(BM_review_state_to_bytes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_review_state_from_bytes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_review_state_sha256_floor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_review_state_copy_floor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_dataset_to_bytes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_dataset_from_bytes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_dataset_sha256_floor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_dataset_copy_floor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scored_to_bytes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scored_from_bytes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scored_sha256_floor)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_scored_score_baseline)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ratings_to_bytes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ratings_from_bytes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ratings_rate_baseline)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
