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

namespace er = embedrating;
namespace es = embedrating::sensitivity;

namespace {

const er::model& default_model() {
  static const er::model m = er::model::default_model();
  return m;
}

const er::civil_date as_of = er::make_date(2025, 12, 31);

// The synthetic dataset of bench/rate_bench.cpp (same generator, same seed).
/// A synthetic dataset with realistic spreads for every column the default model reads.
std::unique_ptr<er::dataset> make_dataset(std::size_t n, std::uint64_t seed = 42) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::string> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = "OP" + std::to_string(i);
  auto d = std::make_unique<er::dataset>(std::move(ids), "synthetic");
  const er::model& m = default_model();
  for (const er::measure& me : m.spec().measures) {
    if (me.kind == er::measure_kind::number) {
      std::vector<double> v(n);
      const double lo = me.min.value_or(0.0), hi = me.max.value_or(1.0);
      const bool count = me.unit == "count";
      for (auto& x : v) {
        if (count) x = u(rng) < 0.8 ? 0.0 : std::floor(u(rng) * 4.0);
        else if (hi <= 1.0) x = 0.7 + 0.3 * u(rng);
        else if (hi <= 10.0) x = 0.5 + 0.7 * u(rng);
        else x = lo + (hi - lo) * (0.55 + 0.45 * u(rng));
      }
      d->set_number(me.id, std::move(v));
    } else {
      std::vector<std::string> v(n);
      for (auto& x : v) x = me.levels[static_cast<std::size_t>(u(rng) * 0.999 * static_cast<double>(me.levels.size()))];
      d->set_category(me.id, v);
    }
  }
  const char* all[] = {"elderly_care", "infant_care", "child_care", "meals", "housekeeping", "service_hall", "retail"};
  std::vector<std::vector<std::string>> sc(n);
  for (auto& s : sc)
    for (const char* a : all)
      if (u(rng) < 0.7) s.emplace_back(a);
  d->set_scenarios(sc);
  std::vector<er::operator_status> st(n, er::operator_status::active);
  for (auto& s : st)
    if (u(rng) < 0.02) s = er::operator_status::suspended;
  d->set_status(std::move(st));
  const char* flags[] = {"unauthorised_change_of_use", "unauthorised_demolition", "services_not_provided",
                         "maintenance_failure",        "major_safety_accident",   "refused_supervision",
                         "credit_blacklist",           "mass_complaints",         "subsidy_fraud",
                         "other_illegal_act",          "fire_auto_fail",          "special_equipment_overdue"};
  for (const char* f : flags) {
    std::vector<std::uint8_t> v(n);
    for (auto& x : v) x = u(rng) < 0.003 ? 1 : 0;
    d->set_flag(f, std::move(v));
  }
  const er::civil_date base = er::make_date(2025, 12, 31);
  const char* dates[] = {"opened_on", "last_serious_accident_on", "last_food_incident_on", "last_penalty_on"};
  for (const char* name : dates) {
    std::vector<er::civil_date> v(n);
    const bool opened = std::strcmp(name, "opened_on") == 0;
    for (auto& x : v) {
      if (!opened && u(rng) < 0.95) x = er::civil_date::missing();
      else x = er::civil_date(base.days() - static_cast<std::int32_t>(u(rng) * 1500));
    }
    d->set_date(name, std::move(v));
  }
  std::map<std::string, std::vector<double>> rv;
  for (const char* c : er::review_input_columns) rv[c].resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double total = std::floor(20 + 300 * u(rng));
    const double q = 0.75 + 0.25 * u(rng);
    rv["stars_5"][i] = std::floor(total * q * 0.7);
    rv["stars_4"][i] = std::floor(total * q * 0.3);
    rv["stars_3"][i] = std::floor(total * (1 - q) * 0.5);
    rv["stars_2"][i] = std::floor(total * (1 - q) * 0.3);
    rv["stars_1"][i] = std::floor(total * (1 - q) * 0.2);
    const double bad = rv["stars_1"][i] + rv["stars_2"][i];
    rv["bad_overdue"][i] = u(rng) < 0.1 ? 1 : 0;
    rv["bad_open"][i] = 0;
    rv["bad_closed_in_time"][i] = std::max(0.0, bad - rv["bad_overdue"][i]);
    rv["bad_followed_up"][i] = rv["bad_closed_in_time"][i];
  }
  for (auto& [k, v] : rv) d->set_review_column(k, std::move(v));
  std::vector<std::optional<er::grade>> prev(n);
  std::vector<er::civil_date> on(n, er::make_date(2024, 12, 31)), down(n, er::civil_date::missing());
  for (auto& g : prev)
    if (u(rng) < 0.9) g = er::grade_from_level(1 + static_cast<int>(u(rng) * 4.99));
  d->set_history(prev, std::move(on), std::move(down));
  return d;
}

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

double max_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

/// CPU time of the calling thread (the machine is shared: wall time includes other tenants' slices).
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// FMAs per second of the FMA-bound reference loop on one core, measured once per process, by
/// wall time and by thread CPU time (best of 5).
struct fma_peak {
  double wall = 0, cpu = 0;
};
fma_peak fma_peak_per_second() {
  static const fma_peak peak = [] {
    std::size_t iterations = 1u << 20;
    fma_peak best;
    for (int rep = 0; rep < 7; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = thread_cpu_seconds();
      benchmark::DoNotOptimize(er::detail::fma_reference(iterations, 1.0));
      const double c = thread_cpu_seconds() - c0;
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best.wall = std::max(best.wall, static_cast<double>(iterations) * 128.0 / s);
      best.cpu = std::max(best.cpu, static_cast<double>(iterations) * 128.0 / c);
      if (s < 0.05) iterations *= 4;
    }
    return best;
  }();
  return peak;
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
