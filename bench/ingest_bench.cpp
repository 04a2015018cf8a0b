// Ingestion (issue 10): CSV files → dataset, facility table and review aggregator, stage by stage,
// against reading the same bytes.
//
//   build-bench/bench/ingest_bench --benchmark_min_time=1 --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// Input: the directory EMBEDRATING_BENCH_DATA holding operators.csv, facilities.csv and reviews.csv
// (e.g. the files bench/python/bench_ingest.py generates: 2·10^6 operators, 2·10^6 facilities,
// 2·10^6 events). Without it, the shipped sample tiled to EMBEDRATING_BENCH_N operators (default
// 10^5; CI smoke: 2000) with unique ids is written to a temporary directory first (not timed).
//
// BM_read_bytes     read() of the whole file into one reused 4 MiB buffer: the I/O floor
// BM_split          open_csv(): decode (UTF-8 validation) and split into cells, nothing converted
// BM_operators      read_operators_csv for the default model (every cell parsed and checked)
// BM_facilities     read_facilities_csv (the operators read once, outside the timed region)
// BM_events         add_csv of the review events into a fresh aggregator (the model's settings)
// BM_rate           rate() with the input hash on the dataset read by BM_operators + facilities
// Counters: bytes_per_second (of the file), rows.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <embedrating/embedrating.hpp>

namespace er = embedrating;
namespace fs = std::filesystem;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

/// The sample tiled to n operators: ids get "#k" appended (operator ids in every file).
std::string make_inputs(std::size_t n) {
  const fs::path dir = fs::temp_directory_path() / ("embedrating-ingest-bench-" + std::to_string(n));
  if (fs::exists(dir / "done")) return dir.string();
  fs::create_directories(dir);
  const std::string sample = er::data_directory() + "/sample/";
  const auto ops = lines_of(sample + "operators.csv");
  const auto fac = lines_of(sample + "facilities.csv");
  const auto rev = lines_of(sample + "reviews.csv");
  const std::size_t per = ops.size() - 1, tiles = (n + per - 1) / per;
  auto suffix_field = [](const std::string& line, std::size_t field, const std::string& sfx) {
    std::size_t start = 0;
    for (std::size_t k = 0; k < field; ++k) start = line.find(',', start) + 1;
    const std::size_t end = line.find(',', start);
    return line.substr(0, end) + sfx + line.substr(end);
  };
  std::ofstream o(dir / "operators.csv", std::ios::binary), f(dir / "facilities.csv", std::ios::binary),
      r(dir / "reviews.csv", std::ios::binary);
  o << ops[0] << '\n';
  f << fac[0] << '\n';
  r << rev[0] << '\n';
  std::size_t written = 0;
  for (std::size_t t = 0; t < tiles; ++t) {
    const std::string sfx = "#" + std::to_string(t);
    std::vector<std::string> kept;
    for (std::size_t i = 1; i < ops.size() && written < n; ++i, ++written) {
      o << suffix_field(ops[i], 0, sfx) << '\n';
      kept.push_back(ops[i].substr(0, ops[i].find(',')));
    }
    for (std::size_t i = 1; i < fac.size(); ++i) {
      const std::string owner = fac[i].substr(fac[i].find(',') + 1, fac[i].find(',', fac[i].find(',') + 1) - fac[i].find(',') - 1);
      if (std::find(kept.begin(), kept.end(), owner) == kept.end()) continue;
      f << suffix_field(suffix_field(fac[i], 1, sfx), 0, sfx) << '\n';
    }
    for (std::size_t i = 1; i < rev.size(); ++i) {
      const std::size_t a = rev[i].find(',') + 1, b = rev[i].find(',', a) + 1, c = rev[i].find(',', b);
      const std::string owner = rev[i].substr(b, c - b);
      if (std::find(kept.begin(), kept.end(), owner) == kept.end()) continue;
      r << suffix_field(suffix_field(rev[i], 2, sfx), 0, std::to_string(t)) << '\n';
    }
  }
  std::ofstream(dir / "done") << n;
  return dir.string();
}

const std::string& inputs() {
  static const std::string dir = [] {
    const std::string given = env_or("EMBEDRATING_BENCH_DATA", "");
    if (!given.empty()) return given;
    return make_inputs(static_cast<std::size_t>(std::stod(env_or("EMBEDRATING_BENCH_N", "1e5"))));
  }();
  return dir;
}

std::string file(const char* name) { return inputs() + "/" + name; }

std::int64_t file_bytes(const std::string& path) { return static_cast<std::int64_t>(fs::file_size(path)); }

void BM_read_bytes(benchmark::State& state, const char* name) {
  const std::string path = file(name);
  std::vector<char> buf(std::size_t{4} << 20);
  for (auto _ : state) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    std::size_t total = 0;
    for (;;) {
      const ssize_t k = ::read(fd, buf.data(), buf.size());
      if (k <= 0) break;
      total += static_cast<std::size_t>(k);
    }
    ::close(fd);
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(state.iterations() * file_bytes(path));
}

void BM_split(benchmark::State& state, const char* name) {
  const std::string path = file(name);
  std::size_t rows = 0;
  for (auto _ : state) {
    const auto src = er::open_csv(path);
    er::table_chunk chunk;
    rows = 0;
    while (src->next(chunk)) rows += chunk.rows;
    benchmark::DoNotOptimize(rows);
  }
  state.SetBytesProcessed(state.iterations() * file_bytes(path));
  state.counters["rows"] = static_cast<double>(rows);
}

void BM_operators(benchmark::State& state) {
  const std::string path = file("operators.csv");
  static const er::model m = er::model::default_model();
  for (auto _ : state) {
    er::dataset d = er::read_operators_csv(path, m);
    benchmark::DoNotOptimize(d.size());
    state.counters["rows"] = static_cast<double>(d.size());
  }
  state.SetBytesProcessed(state.iterations() * file_bytes(path));
}

void BM_facilities(benchmark::State& state) {
  static const er::model m = er::model::default_model();
  const er::dataset d = er::read_operators_csv(file("operators.csv"), m);
  const std::string path = file("facilities.csv");
  for (auto _ : state) {
    er::facility_table f = er::read_facilities_csv(path, m, d);
    benchmark::DoNotOptimize(f.facility_ids.size());
    state.counters["rows"] = static_cast<double>(f.facility_ids.size());
  }
  state.SetBytesProcessed(state.iterations() * file_bytes(path));
}

void BM_events(benchmark::State& state) {
  static const er::model m = er::model::default_model();
  const er::dataset d = er::read_operators_csv(file("operators.csv"), m);
  const std::string path = file("reviews.csv");
  for (auto _ : state) {
    state.PauseTiming();
    auto agg = std::make_unique<er::review_aggregator>(m, d);
    state.ResumeTiming();
    agg->add_csv(path);
    benchmark::DoNotOptimize(agg->events_seen());
    state.counters["rows"] = static_cast<double>(agg->events_seen());
    state.PauseTiming();
    agg.reset();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * file_bytes(path));
}

void BM_rate(benchmark::State& state) {
  static const er::model m = er::model::default_model();
  er::dataset d = er::read_operators_csv(file("operators.csv"), m);
  d.set_facilities(er::read_facilities_csv(file("facilities.csv"), m, d));
  for (auto _ : state) {
    state.PauseTiming();
    er::dataset fresh = d;  // the input hash is cached with a dataset: a fresh copy computes it
    state.ResumeTiming();
    const er::ratings r = er::rate(m, fresh, er::make_date(2025, 12, 31));
    benchmark::DoNotOptimize(r.size());
  }
  state.counters["rows"] = static_cast<double>(d.size());
}

}  // namespace

BENCHMARK_CAPTURE(BM_read_bytes, operators, "operators.csv")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_split, operators, "operators.csv")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_operators)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_read_bytes, facilities, "facilities.csv")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_split, facilities, "facilities.csv")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_facilities)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_read_bytes, reviews, "reviews.csv")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_split, reviews, "reviews.csv")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_events)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_rate)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
