// Run-time choice of the regrade_many kernel: src/kernels/regrade_kernels.cpp is compiled once per
// instruction set (CMakeLists.txt); the best one this CPU runs is picked once.
#include "embedrating/detail/kernels.hpp"

namespace embedrating::detail {

#define EMBEDRATING_DECLARE_KERNELS(isa)                                   \
  namespace isa {                                                          \
  void regrade_tile(const regrade_tile_args& args) noexcept;               \
  double fma_loop(std::size_t iterations, double seed) noexcept;           \
  }
EMBEDRATING_DECLARE_KERNELS(generic)
#if defined(EMBEDRATING_KERNELS_X86)
EMBEDRATING_DECLARE_KERNELS(avx2)
EMBEDRATING_DECLARE_KERNELS(avx512)
#endif
#undef EMBEDRATING_DECLARE_KERNELS

namespace {

enum class isa_t { generic, avx2, avx512 };

isa_t best_isa() noexcept {
#if defined(EMBEDRATING_KERNELS_X86)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl"))
    return isa_t::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return isa_t::avx2;
#endif
  return isa_t::generic;
}

const isa_t isa = best_isa();

}  // namespace

void run_regrade_tile(const regrade_tile_args& args) noexcept {
#if defined(EMBEDRATING_KERNELS_X86)
  if (isa == isa_t::avx512) return avx512::regrade_tile(args);
  if (isa == isa_t::avx2) return avx2::regrade_tile(args);
#endif
  generic::regrade_tile(args);
}

double fma_reference(std::size_t iterations, double seed) noexcept {
#if defined(EMBEDRATING_KERNELS_X86)
  if (isa == isa_t::avx512) return avx512::fma_loop(iterations, seed);
  if (isa == isa_t::avx2) return avx2::fma_loop(iterations, seed);
#endif
  return generic::fma_loop(iterations, seed);
}

const char* regrade_kernel_isa() noexcept {
  switch (isa) {
    case isa_t::avx512: return "avx512";
    case isa_t::avx2: return "avx2";
    case isa_t::generic: break;
  }
  return "generic";
}

}  // namespace embedrating::detail
