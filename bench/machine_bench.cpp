// Machine references for bench/run.py (issue 14): what one core of this machine can do at best, so
// embedrating's throughputs can be given as a fraction of the machine limit.
//
//   build/bench/machine_bench --benchmark_format=json --benchmark_repetitions=3
//
// BM_stream_read/<MiB>   reads a buffer of uint64 once per iteration (xor reduction, vectorised):
//                        bytes_per_second is the streaming read bandwidth of one core
// BM_stream_copy/<MiB>   memcpy of a buffer into another: bytes_per_second counts read + written bytes
// BM_fma_peak            the library's FMA-bound reference loop (embedrating::detail::fma_reference,
//                        the ISA the kernels dispatch to; 128 independent FMAs per iteration):
//                        GFMA_per_s and GFLOP_per_s (2 flops per FMA)
// Buffers of 256 MiB are well beyond the last-level cache; 1 MiB shows the cache for contrast.
// Rates are per CPU second (Google Benchmark's default): the machine is shared.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include <embedrating/detail/kernels.hpp>

namespace {

std::vector<std::uint64_t> buffer(std::size_t mib) {
  std::vector<std::uint64_t> v(mib * (1u << 20) / 8);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = i * 0x9E3779B97F4A7C15ull;  // touched: resident before timing
  return v;
}

void BM_stream_read(benchmark::State& state) {
  const auto mib = static_cast<std::size_t>(state.range(0));
  const std::vector<std::uint64_t> v = buffer(mib);
  for (auto _ : state) {
    std::uint64_t x = 0;
    for (std::uint64_t w : v) x ^= w;
    benchmark::DoNotOptimize(x);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(v.size() * 8));
}

void BM_stream_copy(benchmark::State& state) {
  const auto mib = static_cast<std::size_t>(state.range(0));
  const std::vector<std::uint64_t> src = buffer(mib);
  std::vector<std::uint64_t> dst = buffer(mib);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size() * 8);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(src.size() * 16));
}

void BM_fma_peak(benchmark::State& state) {
  const std::size_t iterations = 1u << 22;
  for (auto _ : state) benchmark::DoNotOptimize(embedrating::detail::fma_reference(iterations, 1.0));
  const double fmas = static_cast<double>(iterations) * 128.0 * static_cast<double>(state.iterations());
  state.counters["GFMA_per_s"] = benchmark::Counter(fmas / 1e9, benchmark::Counter::kIsRate);
  state.counters["GFLOP_per_s"] = benchmark::Counter(2.0 * fmas / 1e9, benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_stream_read)->Arg(1)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_stream_copy)->Arg(1)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_fma_peak)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
