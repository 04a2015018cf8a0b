#pragma once
// What the benchmarks share: the default model, the synthetic dataset (realistic spreads for
// every column the default model reads, fixed seed), the process's peak memory, thread CPU time
// and the FMA-bound reference loop that measures the machine's FMA peak on one core.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <embedrating/detail/kernels.hpp>
#include <embedrating/embedrating.hpp>

namespace embedrating::bench {

namespace er = embedrating;

inline const er::model& default_model() {
  static const er::model m = er::model::default_model();
  return m;
}

/// A synthetic dataset with realistic spreads for every column the default model reads.
inline std::unique_ptr<er::dataset> make_dataset(std::size_t n, std::uint64_t seed = 42) {
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

/// Peak resident memory of the process so far (ru_maxrss), in MB.
inline double max_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

/// CPU time of the calling thread (the machine is shared: wall time includes other tenants' slices).
inline double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// FMAs per second of the FMA-bound reference loop on one core, measured once per process, by
/// wall time and by thread CPU time (best of 5).
struct fma_peak {
  double wall = 0, cpu = 0;
};
inline fma_peak fma_peak_per_second() {
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

}  // namespace embedrating::bench
