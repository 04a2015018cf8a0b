// Rating throughput with the default model (issues 2 and 9), each against a machine reference
// measured in the same binary:
//
//   build-bench/bench/rate_bench --benchmark_min_time=0.5 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
// BM_rate/N           rate N synthetic operators (input hash cached with the dataset, as rate() uses it)
// BM_score/N          the weight-independent stages alone (score())
// BM_regrade/N        regrade() of a scored dataset under new weights
// BM_stream_prealloc  read the rating's input bytes and write its compact output bytes with a
//                     vectorised copy into buffers allocated once: the bandwidth floor of rate
// BM_read_leaf_scores read the n × leaves score matrix once: the floor of regrade
// BM_regrade_many/N/K K weight vectors over N operators, grades handed to a sink tile by tile;
//                     counter fma_fraction = useful FMAs (N·K·leaves) per second ÷ BM_fma_peak's
// BM_fma_peak         an FMA-bound loop (16 chains × 8 doubles): the machine's FMA peak on one core
// BM_rate_one         one operator of a 10^6-operator dataset
// BM_input_hash/N     the first SHA-256 of a dataset (bytes/s of the hashed encoding)
// BM_sha256_raw/N     SHA-256 of as many bytes in one buffer: the digest's own speed
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <random>

#include <embedrating/detail/kernels.hpp>
#include <embedrating/detail/sha256.hpp>
#include <embedrating/embedrating.hpp>

#include "synthetic.hpp"

namespace er = embedrating;

namespace {

using embedrating::bench::default_model;
using embedrating::bench::fma_peak_per_second;
using embedrating::bench::make_dataset;
using embedrating::bench::max_rss_mb;

/// Bytes the rating reads (every column of the dataset) and writes (every array of the result).
std::pair<std::size_t, std::size_t> byte_counts(const er::dataset& d, const er::ratings& r) {
  std::size_t in = 0;
  for (const auto& [k, v] : d.numbers()) in += v.size() * sizeof(double);
  for (const auto& [k, v] : d.categories()) in += v.codes.size() * sizeof(std::int32_t);
  for (const auto& [k, v] : d.flags()) in += v.size();
  for (const auto& [k, v] : d.dates()) in += v.size() * sizeof(er::civil_date);
  for (const auto& [k, v] : d.review_columns()) in += v.size() * sizeof(double);
  in += d.scenario_codes().size() * sizeof(std::int32_t) + d.scenario_offsets().size() * sizeof(std::uint32_t);
  in += d.size() * (1 + 1);  // status, previous grade
  std::size_t out = 0;
  // the compact result: status, grade by score, final grade, terminate, total, previous grade,
  // history limit and lapse date, dimension points, fired rules and warnings (CSR)
  out += r.size() * (1 + 1 + 1 + 1 + sizeof(std::int32_t) + 1 + 1 + sizeof(er::civil_date));
  out += static_cast<std::size_t>(r.dimension_centi.size()) * sizeof(std::int32_t);
  out += r.fired_offsets.size() * 4 + r.fired.size() * sizeof(er::fired_rule);
  out += r.warning_offsets.size() * 4 + r.warnings.size() * sizeof(er::operator_warning);
  return {in, out};
}

struct fixture {
  std::unique_ptr<er::dataset> data;
  std::size_t in_bytes = 0, out_bytes = 0;
};

const fixture& get(std::size_t n) {
  static std::map<std::size_t, fixture> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    fixture f;
    f.data = make_dataset(n);
    const er::ratings r = er::rate(default_model(), *f.data, er::make_date(2025, 12, 31));
    std::tie(f.in_bytes, f.out_bytes) = byte_counts(*f.data, r);
    it = cache.emplace(n, std::move(f)).first;
  }
  return it->second;
}

const er::civil_date as_of = er::make_date(2025, 12, 31);

void BM_rate(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const fixture& f = get(n);
  (void)f.data->input_hash();  // computed once and cached with the dataset (issue 9)
  for (auto _ : state) {
    er::ratings r = er::rate(default_model(), *f.data, as_of);
    benchmark::DoNotOptimize(r.total_centi.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(f.in_bytes + f.out_bytes));
  state.counters["in_MB"] = static_cast<double>(f.in_bytes) / 1e6;
  state.counters["out_MB"] = static_cast<double>(f.out_bytes) / 1e6;
}

void BM_score(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const fixture& f = get(n);
  (void)f.data->input_hash();
  for (auto _ : state) {
    er::scored s = er::score(default_model(), *f.data, as_of);
    benchmark::DoNotOptimize(s.leaf_scores().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
}

/// Weights of the default model with two indicators' points swapped: a variant to re-grade.
er::model variant() {
  const er::model& m = default_model();
  std::vector<std::pair<std::string, double>> w;
  const std::vector<double> base = m.weights();
  for (std::size_t j = 0; j < base.size(); ++j) w.emplace_back(m.leaf_ids()[j], base[j]);
  std::swap(w[0].second, w[5].second);
  return m.with_weights(w);
}

void BM_regrade(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const fixture& f = get(n);
  const er::scored s = er::score(default_model(), *f.data, as_of);
  const er::model v = variant();
  for (auto _ : state) {
    er::ratings r = er::regrade(s, v);
    benchmark::DoNotOptimize(r.final_grade.data());
  }
  const auto bytes = static_cast<std::int64_t>(s.leaf_scores().size()) * 8;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * bytes);
  state.counters["leaf_scores_MB"] = static_cast<double>(bytes) / 1e6;
}

/// The floor of regrade: one streaming read of a matrix the size of the leaf scores.
void BM_read_leaf_scores(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::size_t count = n * default_model().leaf_ids().size();
  std::vector<double> x(count, 0.5);
  for (auto _ : state) {
    double sum = 0.0, sum2 = 0.0, sum3 = 0.0, sum4 = 0.0;
    for (std::size_t i = 0; i + 4 <= count; i += 4) {
      sum += x[i];
      sum2 += x[i + 1];
      sum3 += x[i + 2];
      sum4 += x[i + 3];
    }
    benchmark::DoNotOptimize(sum + sum2 + sum3 + sum4);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(count * 8));
}

void BM_fma_peak(benchmark::State& state) {
  const std::size_t iterations = 1u << 22;
  for (auto _ : state) benchmark::DoNotOptimize(er::detail::fma_reference(iterations, 1.0));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(iterations) * 128);
  state.counters["GFMA_per_s"] = benchmark::Counter(static_cast<double>(iterations) * 128.0 * static_cast<double>(state.iterations()) / 1e9,
                                                    benchmark::Counter::kIsRate);
}

void BM_regrade_many(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto K = static_cast<std::size_t>(state.range(1));
  const fixture& f = get(n);
  const er::model& m = default_model();
  const er::scored s = er::score(m, *f.data, as_of);
  const std::size_t L = m.leaf_ids().size();
  er::regrade_batch b;
  b.weights.resize(static_cast<Eigen::Index>(K), static_cast<Eigen::Index>(L));
  std::mt19937_64 rng(7);
  const std::vector<double> base = m.weights();
  for (std::size_t k = 0; k < K; ++k) {  // Dirichlet draws around the model's weights
    double sum = 0.0;
    for (std::size_t j = 0; j < L; ++j) {
      std::gamma_distribution<double> g(200.0 * base[j], 1.0);
      sum += b.weights(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j)) = g(rng);
    }
    b.weights.row(static_cast<Eigen::Index>(k)) /= sum;
  }
  const double peak = fma_peak_per_second().wall;
  const double rss_before = max_rss_mb();
  // the sink counts grades per operator, as a Monte Carlo stability estimate would (6 counters per operator)
  std::vector<std::uint32_t> counts(n * 6, 0);
  er::regrade_many_options o;
  for (auto _ : state) {
    er::regrade_many(s, b, o, [&](const er::regrade_tile& t) {
      for (std::size_t k = t.k0; k < t.k1; ++k) {
        const std::int8_t* g = t.grades + (k - t.k0) * t.stride;
        for (std::size_t r = 0; r < t.count; ++r) ++counts[t.rows[r] * 6 + static_cast<std::size_t>(g[r])];
      }
    });
  }
  benchmark::DoNotOptimize(counts.data());
  const double pairs = static_cast<double>(n) * static_cast<double>(K);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(pairs));
  state.counters["fma_fraction"] = benchmark::Counter(pairs * static_cast<double>(L) * static_cast<double>(state.iterations()) / peak,
                                                      benchmark::Counter::kIsRate);
  state.counters["peak_GFMA_per_s"] = peak / 1e9;
  state.counters["max_rss_MB"] = max_rss_mb();
  state.counters["rss_growth_MB"] = max_rss_mb() - rss_before;
}

/// The bandwidth floor: read in_bytes and write out_bytes into buffers allocated once.
void BM_stream_prealloc(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const fixture& f = get(n);
  const std::size_t in_words = f.in_bytes / 8, out_words = f.out_bytes / 8;
  std::vector<double> src(in_words, 1.0), dst(out_words, 0.0);
  for (auto _ : state) {
    const std::size_t common = std::min(in_words, out_words);
    er::detail::stream_copy(src.data(), common, dst.data());
    if (out_words > common) std::memset(dst.data() + common, 0, (out_words - common) * 8);
    double extra = 0;
    for (std::size_t i = common; i < in_words; ++i) extra += src[i];
    benchmark::DoNotOptimize(extra);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(f.in_bytes + f.out_bytes));
}

void BM_rate_one(benchmark::State& state) {
  const fixture& f = get(1000000);
  er::rate_options opt;
  opt.compute_input_hash = false;
  std::size_t row = 0;
  for (auto _ : state) {
    er::ratings r = er::rate_one(default_model(), *f.data, row, as_of, opt);
    benchmark::DoNotOptimize(r.total_centi.data());
    row = (row + 7919) % 1000000;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

/// Bytes of the input hash's encoding (embedrating-dataset/1): the hashed bytes of a dataset.
std::size_t hashed_bytes(const er::dataset& d) {
  const std::size_t n = d.size();
  std::size_t b = 0;
  for (const auto& id : d.operator_ids()) b += 8 + id.size();
  b += n;  // status
  for (const auto& [k, v] : d.numbers()) b += 16 + k.size() + 8 * v.size();
  for (const auto& [k, v] : d.categories())
    for (std::int32_t c : v.codes) b += 8 + (c < 0 ? 0 : v.levels[static_cast<std::size_t>(c)].size());
  for (const auto& [k, v] : d.flags()) b += 16 + k.size() + v.size();
  for (const auto& [k, v] : d.dates()) b += 16 + k.size() + 4 * v.size();
  for (const auto& [k, v] : d.review_columns()) b += 16 + k.size() + 8 * v.size();
  const auto& off = d.scenario_offsets();
  for (std::size_t i = 0; i < n; ++i) {
    b += 8;
    for (std::uint32_t k = off[i]; k < off[i + 1]; ++k) b += 8 + d.scenario_levels()[static_cast<std::size_t>(d.scenario_codes()[k])].size();
  }
  return b + n;  // history
}

void BM_input_hash(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  er::dataset d = *get(n).data;  // a copy: its hash cache is cleared below before each run
  const std::size_t bytes = hashed_bytes(d);
  std::vector<std::uint8_t> zero(n, 0);
  for (auto _ : state) {
    state.PauseTiming();
    d.set_flag("bench_reset", zero);  // any setter clears the cached hash
    state.ResumeTiming();
    benchmark::DoNotOptimize(d.input_hash());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
  state.counters["hashed_MB"] = static_cast<double>(bytes) / 1e6;
}

/// The reference of BM_input_hash: SHA-256 (the same OpenSSL digest) of as many bytes in one buffer.
void BM_sha256_raw(benchmark::State& state) {
  const std::size_t bytes = hashed_bytes(*get(static_cast<std::size_t>(state.range(0))).data);
  std::vector<char> buf(bytes, 'x');
  for (auto _ : state) {
    er::detail::sha256 h;
    h.update(buf.data(), bytes);
    benchmark::DoNotOptimize(h.hex_digest());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
}

}  // namespace

BENCHMARK(BM_rate)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_score)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_regrade)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_stream_prealloc)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_read_leaf_scores)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_regrade_many)->Args({1000, 100})->Args({1000000, 10})->Args({1000000, 1000})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_fma_peak)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_rate_one)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_input_hash)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sha256_raw)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
