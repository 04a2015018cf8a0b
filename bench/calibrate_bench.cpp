// Calibration (issue 12 targets): fit_weights on 10^4 operators × 20 indicators with 10^3
// benchmark cases (target < 1 s), and leave-one-out cross-validation on the shipped 40-case sample
// (target < 2 s), each also for the joint fit. The data are scored once outside the timed region
// (one regrade of the 10^4 operators is timed on its own for comparison).
//
//   build/bench/calibrate_bench --benchmark_min_time=1 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//
// The synthetic model has 20 leaves under 4 dimensions, each scoring its raw input in [0, 1]
// linearly; inputs are drawn with a fixed seed (an operator quality plus noise); the agreed grades
// of the first 10^3 operators come from known weights and cut-offs with 2 points of Gaussian noise
// on the total, and the fit starts from equal weights.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <sstream>

#include <embedrating/calibrate.hpp>
#include <embedrating/embedrating.hpp>

namespace er = embedrating;
namespace cal = embedrating::calibrate;

namespace {

constexpr std::size_t leaves = 20;

er::model synthetic_model(bool truth) {
  std::ostringstream t;
  t << "[model]\nid = \"bench\"\nversion = \"1\"\n[history]\nfirst_rating_max = \"5A\"\n";
  for (std::size_t j = 0; j < leaves; ++j) t << "[[measures]]\nid = \"x" << j << "\"\nmin = 0\nmax = 1\n";
  for (int d = 0; d < 4; ++d) t << "[[dimensions]]\nid = \"d" << d << "\"\npoints = 250\n";
  for (std::size_t j = 0; j < leaves; ++j) {
    // truth: 30, 40, 50, 60, 70 points within each dimension; start: 50 each
    const double pts = truth ? 30.0 + 10.0 * static_cast<double>(j % 5) : 50.0;
    t << "[[indicators]]\nid = \"i" << j << "\"\nparent = \"d" << j / 5 << "\"\npoints = " << pts << "\ninput = \"raw.x" << j
      << "\"\nscoring = { kind = \"linear\", direction = \"benefit\", lower = 0, upper = 1 }\n";
  }
  const char* g[] = {"1A", "2A", "3A", "4A", "5A"};
  for (int l = 4; l >= 0; --l) t << "[[grades]]\ngrade = \"" << g[l] << "\"\nmin_total = " << 500 + 100 * l << "\n";
  return er::model::from_toml(t.str(), "bench.toml");
}

struct synthetic {
  er::scored s;
  cal::benchmark b;
};

const synthetic& large() {
  static const synthetic data = [] {
    const std::size_t n = 10000, cases = 1000;
    std::mt19937_64 rng(12);
    std::uniform_real_distribution<double> u(0.2, 1.0);
    std::normal_distribution<double> z(0.0, 1.0);
    std::vector<std::string> ids(n);
    for (std::size_t i = 0; i < n; ++i) ids[i] = "B" + std::to_string(i);
    er::dataset d(ids, "bench");
    d.set_status(std::vector<er::operator_status>(n, er::operator_status::active));
    std::vector<std::vector<double>> x(leaves, std::vector<double>(n));
    for (std::size_t i = 0; i < n; ++i) {
      const double q = u(rng);
      for (std::size_t j = 0; j < leaves; ++j) x[j][i] = std::clamp(q + 0.25 * z(rng), 0.0, 1.0);
    }
    for (std::size_t j = 0; j < leaves; ++j) d.set_number("x" + std::to_string(j), x[j]);
    const er::civil_date as_of = er::make_date(2025, 12, 31);
    const er::ratings truth = er::rate(synthetic_model(true), d, as_of);
    std::vector<std::string> bid;
    std::vector<er::grade> bg;
    for (std::size_t i = 0; i < cases; ++i) {
      const double t = truth.total(i) + 2.0 * z(rng);
      bid.push_back(ids[i]);
      bg.push_back(er::grade_from_level(t >= 900 ? 5 : t >= 800 ? 4 : t >= 700 ? 3 : t >= 600 ? 2 : t >= 500 ? 1 : 0));
    }
    return synthetic{er::score(synthetic_model(false), d, as_of), cal::make_benchmark(bid, bg)};
  }();
  return data;
}

const synthetic& sample() {
  static const synthetic data = [] {
    const er::model m = er::model::default_model();
    er::dataset d = er::read_operators_csv(er::data_directory() + "/sample/operators.csv", m);
    d.set_facilities(er::read_facilities_csv(er::data_directory() + "/sample/facilities.csv", m, d));
    return synthetic{er::score(m, d, er::make_date(2025, 12, 31)), cal::read_benchmark_csv(er::data_directory() + "/sample/benchmark.csv")};
  }();
  return data;
}

void BM_fit_weights_1e4x20_1e3_cases(benchmark::State& state) {
  const synthetic& s = large();
  double exact = 0.0;
  for (auto _ : state) {
    const cal::fit_result r = cal::fit_weights(s.s, s.b);
    exact = r.report.after.stats.exact;
    benchmark::DoNotOptimize(r.fitted.fingerprint());
  }
  state.counters["exact_after"] = exact;
}
BENCHMARK(BM_fit_weights_1e4x20_1e3_cases)->Unit(benchmark::kMillisecond);

void BM_fit_joint_1e4x20_1e3_cases(benchmark::State& state) {
  const synthetic& s = large();
  for (auto _ : state) benchmark::DoNotOptimize(cal::fit_joint(s.s, s.b).fitted.fingerprint());
}
BENCHMARK(BM_fit_joint_1e4x20_1e3_cases)->Unit(benchmark::kMillisecond);

void BM_regrade_1e4x20(benchmark::State& state) {
  const synthetic& s = large();
  for (auto _ : state) benchmark::DoNotOptimize(er::regrade(s.s, s.s.scoring_model()).size());
  state.SetLabel("regrade of the 10^4 operators once (a fit evaluates ~12 of these)");
}
BENCHMARK(BM_regrade_1e4x20)->Unit(benchmark::kMillisecond);

void BM_loo_sample(benchmark::State& state) {
  const synthetic& s = sample();
  cal::cv_options o;
  o.method = static_cast<cal::fit_method>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(cal::cross_validate(s.s, s.b, o).cross_validated.stats.exact);
  state.SetLabel(std::string("leave-one-out, 40 cases, fit ") + cal::to_string(o.method));
}
BENCHMARK(BM_loo_sample)->Arg(0)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
