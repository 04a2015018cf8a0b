// Monte Carlo over weights (issue 13) against the machine's FMA peak, measured in the same binary:
//
//   build-bench/bench/sensitivity_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//   EMBEDRATING_BENCH_OPERATORS=1e4 build-bench/bench/sensitivity_bench --benchmark_min_time=0.01   # CI smoke size
//
// BM_monte_carlo/N/K          monte_carlo() with the default options (Dirichlet, quantiles of every
//                             operator's total): K draws × N synthetic operators × the default model's leaves
// BM_monte_carlo_grades/N/K   the same without quantiles (grade probabilities, stability, population only)
// BM_regrade_many_counts/N/K  the engine alone: regrade_many over the same draws, grades counted per
//                             operator in the sink (what the grades-only analysis costs at least)
// BM_monte_carlo_sample/K     K draws on the shipped 300-operator sample (data/sample), scored once
// BM_fma_peak                 an FMA-bound loop (16 chains × 8 doubles): the machine's FMA peak on one core
//
// Counters: ns_per_pair (per draw and operator), fma_fraction (useful FMAs N·K·leaves per second ÷
// the FMA-bound loop's), peak_GFMA_per_s; the same by thread CPU time (cpu_ns_per_pair,
// fma_fraction_cpu, peak_GFMA_per_s_cpu: robust to a shared machine's other tenants), result_MB (the result's memory report: accumulators, draws, tile
// and engine buffers), max_rss_MB and rss_growth_MB (ru_maxrss of the process; the dataset and its
// scores are built before).
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>

#include <embedrating/detail/kernels.hpp>
#include <embedrating/embedrating.hpp>
#include <embedrating/sensitivity.hpp>

#include "synthetic.hpp"

namespace er = embedrating;
namespace es = embedrating::sensitivity;

namespace {

using embedrating::bench::default_model;
using embedrating::bench::fma_peak;
using embedrating::bench::fma_peak_per_second;
using embedrating::bench::make_dataset;
using embedrating::bench::max_rss_mb;
using embedrating::bench::thread_cpu_seconds;

const er::civil_date as_of = er::make_date(2025, 12, 31);

/// N operators: the synthetic dataset scored once (EMBEDRATING_BENCH_OPERATORS overrides 10^6).
const er::scored& scored_of(std::size_t n) {
  static std::map<std::size_t, er::scored> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    const std::unique_ptr<er::dataset> d = make_dataset(n);
    er::score_options o;
    o.compute_input_hash = false;
    it = cache.emplace(n, er::score(default_model(), *d, as_of, o)).first;
  }
  return it->second;
}

std::size_t operators(std::int64_t fallback) {
  if (const char* e = std::getenv("EMBEDRATING_BENCH_OPERATORS")) return static_cast<std::size_t>(std::atof(e));
  return static_cast<std::size_t>(fallback);
}

/// `cpu`: thread CPU seconds of all iterations.
void counters(benchmark::State& state, std::size_t n, std::size_t k, double rss_before, double cpu) {
  const double pairs = static_cast<double>(n) * static_cast<double>(k);
  const double L = static_cast<double>(default_model().leaf_ids().size());
  const fma_peak peak = fma_peak_per_second();
  const double it = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(pairs));
  state.counters["ns_per_pair"] = benchmark::Counter(pairs * 1e-9 * it, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["fma_fraction"] = benchmark::Counter(pairs * L * it / peak.wall, benchmark::Counter::kIsRate);
  state.counters["peak_GFMA_per_s"] = peak.wall / 1e9;
  // the same by thread CPU time (robust to other tenants' time slices)
  state.counters["cpu_ns_per_pair"] = 1e9 * cpu / (pairs * it);
  state.counters["fma_fraction_cpu"] = pairs * L * it / cpu / peak.cpu;
  state.counters["peak_GFMA_per_s_cpu"] = peak.cpu / 1e9;
  state.counters["operators"] = static_cast<double>(n);
  state.counters["max_rss_MB"] = max_rss_mb();
  state.counters["rss_growth_MB"] = max_rss_mb() - rss_before;
}

void run_monte_carlo(benchmark::State& state, bool quantiles) {
  const std::size_t n = operators(state.range(0));
  const auto k = static_cast<std::size_t>(state.range(1));
  const er::scored& s = scored_of(n);
  es::monte_carlo_options o;
  o.draws = k;
  o.seed = 1;
  if (!quantiles) o.quantiles.clear();
  const double rss_before = max_rss_mb();
  std::size_t bytes = 0;
  double cpu = 0;
  for (auto _ : state) {
    const double c0 = thread_cpu_seconds();
    es::monte_carlo_result r = es::monte_carlo(s, o);
    cpu += thread_cpu_seconds() - c0;
    bytes = r.memory.total();
    benchmark::DoNotOptimize(r.counts.data());
  }
  counters(state, n, k, rss_before, cpu);
  state.counters["result_MB"] = static_cast<double>(bytes) / 1e6;
}

void BM_monte_carlo(benchmark::State& state) { run_monte_carlo(state, true); }
void BM_monte_carlo_grades(benchmark::State& state) { run_monte_carlo(state, false); }

void BM_regrade_many_counts(benchmark::State& state) {
  const std::size_t n = operators(state.range(0));
  const auto k = static_cast<std::size_t>(state.range(1));
  const er::scored& s = scored_of(n);
  es::monte_carlo_options o;
  o.draws = k;
  o.seed = 1;
  er::regrade_batch b;
  b.weights = es::draw_weights(default_model().weights(), o, 0, k);
  std::vector<std::uint32_t> counts(n * 6, 0);
  const double rss_before = max_rss_mb();
  double cpu = 0;
  for (auto _ : state) {
    const double c0 = thread_cpu_seconds();
    er::regrade_many(s, b, {}, [&](const er::regrade_tile& t) {
      for (std::size_t v = t.k0; v < t.k1; ++v) {
        const std::int8_t* g = t.grades + (v - t.k0) * t.stride;
        for (std::size_t r = 0; r < t.count; ++r) ++counts[t.rows[r] * 6 + static_cast<std::size_t>(g[r])];
      }
    });
    cpu += thread_cpu_seconds() - c0;
    benchmark::DoNotOptimize(counts.data());
  }
  counters(state, n, k, rss_before, cpu);
}

void BM_monte_carlo_sample(benchmark::State& state) {
  static const er::scored s = [] {
    er::dataset d = er::read_operators_csv(er::data_directory() + "/sample/operators.csv", default_model());
    d.set_facilities(er::read_facilities_csv(er::data_directory() + "/sample/facilities.csv", default_model(), d));
    return er::score(default_model(), d, as_of);
  }();
  es::monte_carlo_options o;
  o.draws = static_cast<std::size_t>(state.range(0));
  o.seed = 1;
  for (auto _ : state) {
    es::monte_carlo_result r = es::monte_carlo(s, o);
    benchmark::DoNotOptimize(r.counts.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(s.size() * o.draws));
  state.counters["target_ms"] = 50;
}

void BM_fma_peak(benchmark::State& state) {
  const std::size_t iterations = 1u << 22;
  for (auto _ : state) benchmark::DoNotOptimize(er::detail::fma_reference(iterations, 1.0));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(iterations) * 128);
  state.counters["GFMA_per_s"] = benchmark::Counter(static_cast<double>(iterations) * 128.0 * static_cast<double>(state.iterations()) / 1e9,
                                                    benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_fma_peak)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_monte_carlo_sample)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_monte_carlo)->Args({1000000, 1000})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_monte_carlo_grades)->Args({1000000, 1000})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_regrade_many_counts)->Args({1000000, 1000})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
