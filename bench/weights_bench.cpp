// Weights (issue 11 targets): `ahp` eigen on a 9×9 matrix without the inconsistency search (target
// < 5 µs), and entropy / CRITIC on a 10^6 × 32 decision matrix against a streaming read of the
// same matrix in the same run (target: within 2×).
//
//   build-bench/bench/weights_bench --benchmark_min_time=0.5 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// EMBEDRATING_BENCH_ROWS sets the rows (default 1e6; CI smoke: 1e4). The matrix is generated once,
// outside the timed region, with a fixed seed: leaf-score-like values in [0, 1] (some zeros), in
// column-major (Eigen, numpy F order) and row-major (numpy C order) copies. BM_stream_read_* sums
// every column in one vectorised pass (the same kernel dispatch as the weights): the floor for
// anything that reads the matrix once. Counter `x_stream` = time ÷ the streaming read's time of
// the same layout, measured in this run.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include <embedrating/weights.hpp>

#include "../src/kernels/weights_kernels.hpp"

namespace w = embedrating::weights;

namespace {

using row_major = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Eigen::Index rows_wanted() {
  const char* v = std::getenv("EMBEDRATING_BENCH_ROWS");
  return v ? static_cast<Eigen::Index>(std::atof(v)) : 1000000;
}

struct data {
  Eigen::MatrixXd col;
  row_major row;
  data() {
    const Eigen::Index m = rows_wanted(), n = 32;
    col.resize(m, n);
    std::mt19937_64 gen(20241);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (Eigen::Index j = 0; j < n; ++j)
      for (Eigen::Index i = 0; i < m; ++i) {
        const double v = u(gen);
        col(i, j) = v < 0.05 ? 0.0 : v * (0.5 + 0.5 * static_cast<double>(j % 4));
      }
    row = col;
  }
};

const data& input() {
  static const data d;
  return d;
}

std::map<std::string, double>& stream_time() {
  static std::map<std::string, double> t;
  return t;
}

w::matrix_view view(bool column_major) {
  const data& d = input();
  if (column_major) return {d.col.data(), d.col.rows(), d.col.cols(), 1, d.col.rows()};
  return {d.row.data(), d.row.rows(), d.row.cols(), d.row.cols(), 1};
}

const char* layout(bool column_major) { return column_major ? "colmajor" : "rowmajor"; }

template <class F>
void run_matrix(benchmark::State& state, bool column_major, F&& f, bool is_stream) {
  const w::matrix_view v = view(column_major);
  for (auto _ : state) benchmark::DoNotOptimize(f(v));
  const double bytes = static_cast<double>(v.rows * v.cols) * sizeof(double);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * v.rows);
  // mean time per iteration from the state's own clock is not exposed: time a few extra calls
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int reps = 3;
  for (int k = 0; k < reps; ++k) benchmark::DoNotOptimize(f(v));
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
  if (is_stream) stream_time()[layout(column_major)] = t;
  const auto it = stream_time().find(layout(column_major));
  if (it != stream_time().end()) state.counters["x_stream"] = t / it->second;
  state.counters["ms"] = t * 1e3;
}

void BM_stream_read(benchmark::State& state) {
  const bool cm = state.range(0) == 1;
  run_matrix(
      state, cm,
      [](const w::matrix_view& v) {
        Eigen::VectorXd s(v.cols);
        w::kernels::column_sums(v, s.data());
        return s[0];
      },
      true);
}

void BM_entropy(benchmark::State& state) {
  run_matrix(state, state.range(0) == 1, [](const w::matrix_view& v) { return w::entropy(v)[0]; }, false);
}

void BM_critic(benchmark::State& state) {
  run_matrix(state, state.range(0) == 1, [](const w::matrix_view& v) { return w::critic(v)[0]; }, false);
}

void BM_std_dev(benchmark::State& state) {
  run_matrix(state, state.range(0) == 1, [](const w::matrix_view& v) { return w::std_dev(v)[0]; }, false);
}

Eigen::MatrixXd matrix9() {
  std::mt19937_64 gen(9);
  std::uniform_int_distribution<int> scale(1, 9);
  std::bernoulli_distribution flip(0.5);
  Eigen::MatrixXd a = Eigen::MatrixXd::Ones(9, 9);
  for (int i = 0; i < 9; ++i)
    for (int j = i + 1; j < 9; ++j) {
      const double v = scale(gen);
      a(i, j) = flip(gen) ? v : 1.0 / v;
      a(j, i) = 1.0 / a(i, j);
    }
  return a;
}

void BM_ahp_eigen_9(benchmark::State& state) {
  const Eigen::MatrixXd a = matrix9();
  w::ahp_options o;
  o.find_worst = false;
  for (auto _ : state) benchmark::DoNotOptimize(w::ahp(a, o).cr);
  state.counters["cr"] = w::ahp(a, o).cr;
}

void BM_ahp_eigen_9_with_search(benchmark::State& state) {
  const Eigen::MatrixXd a = matrix9();
  for (auto _ : state) benchmark::DoNotOptimize(w::ahp(a).cr);
}

void BM_ahp_rgmm_9(benchmark::State& state) {
  const Eigen::MatrixXd a = matrix9();
  w::ahp_options o;
  o.find_worst = false;
  o.method = w::ahp_method::rgmm;
  for (auto _ : state) benchmark::DoNotOptimize(w::ahp(a, o).cr);
}

}  // namespace

BENCHMARK(BM_ahp_eigen_9);
BENCHMARK(BM_ahp_rgmm_9);
BENCHMARK(BM_ahp_eigen_9_with_search)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_stream_read)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_entropy)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_critic)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_std_dev)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
