// Rating throughput with the default model, against a streaming copy of the same bytes.
//
//   build/bench/rate_bench --benchmark_filter='BM_' --benchmark_min_time=1
//
// BM_rate/N rates N synthetic operators (one core). BM_stream/N reads the same number of input
// bytes and writes the same number of output bytes with a vectorised streaming copy: the memory
// bandwidth floor, once into fresh buffers (as rate() allocates its result) and once into buffers
// allocated before the loop (BM_stream_prealloc, the strict floor). The ratio BM_rate / BM_stream
// at N = 10^6 is the target (≤ 3×); bench/README.md reports both ratios.
#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>

#include <embedrating/detail/compiled_model.hpp>
#include <embedrating/detail/kernels.hpp>
#include <embedrating/embedrating.hpp>

namespace er = embedrating;

namespace {

const er::model& default_model() {
  static const er::model m = er::model::default_model();
  return m;
}

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

void BM_rate(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const fixture& f = get(n);
  er::rate_options opt;
  opt.compute_input_hash = false;
  for (auto _ : state) {
    er::ratings r = er::rate(default_model(), *f.data, er::make_date(2025, 12, 31), opt);
    benchmark::DoNotOptimize(r.total_centi.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(f.in_bytes + f.out_bytes));
  state.counters["in_MB"] = static_cast<double>(f.in_bytes) / 1e6;
  state.counters["out_MB"] = static_cast<double>(f.out_bytes) / 1e6;
}

void BM_rate_with_input_hash(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const fixture& f = get(n);
  for (auto _ : state) {
    er::ratings r = er::rate(default_model(), *f.data, er::make_date(2025, 12, 31));
    benchmark::DoNotOptimize(r.total_centi.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(f.in_bytes + f.out_bytes));
}

/// The bandwidth floor: read in_bytes and write out_bytes (fresh output buffers, as rate allocates).
void BM_stream(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const fixture& f = get(n);
  const std::size_t in_words = f.in_bytes / 8, out_words = f.out_bytes / 8;
  std::vector<double> src(in_words, 1.0);
  for (auto _ : state) {
    std::vector<double> dst(out_words);
    const std::size_t common = std::min(in_words, out_words);
    er::detail::stream_copy(src.data(), common, dst.data());
    benchmark::ClobberMemory();
    double extra = 0;
    for (std::size_t i = common; i < in_words; ++i) extra += src[i];
    benchmark::DoNotOptimize(extra);
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(f.in_bytes + f.out_bytes));
}

/// The same copy into buffers allocated once (pure bandwidth, no page faults): the strict floor.
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
  const fixture& f = get(1000);
  er::rate_options opt;
  opt.compute_input_hash = false;
  std::size_t row = 0;
  for (auto _ : state) {
    er::ratings r = er::rate_one(default_model(), *f.data, row, er::make_date(2025, 12, 31), opt);
    benchmark::DoNotOptimize(r.total_centi.data());
    row = (row + 1) % 1000;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

BENCHMARK(BM_rate)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_stream)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_stream_prealloc)->Arg(1000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_rate_with_input_hash)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_rate_one)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
