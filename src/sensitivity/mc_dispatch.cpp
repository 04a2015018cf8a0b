// Run-time choice of the Monte Carlo tile kernels: mc_kernels.cpp is compiled once per instruction
// set (CMakeLists.txt); the best one this CPU runs is picked once. Every choice gives the same bits.
#include <cstring>

#include "mc_kernels.hpp"

namespace embedrating::sensitivity::detail {

#define EMBEDRATING_DECLARE_MC_KERNELS(isa)                  \
  namespace isa {                                            \
  void totals_tile(const totals_tile_args& a) noexcept;      \
  void count_tile(const count_tile_args& a) noexcept;        \
  void moments(const moments_args& a) noexcept;              \
  }
EMBEDRATING_DECLARE_MC_KERNELS(generic)
#if defined(EMBEDRATING_KERNELS_X86)
EMBEDRATING_DECLARE_MC_KERNELS(avx2)
EMBEDRATING_DECLARE_MC_KERNELS(avx512)
#endif
#undef EMBEDRATING_DECLARE_MC_KERNELS

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

isa_t isa = best_isa();  // set_kernel_isa() changes it in tests

}  // namespace

void run_totals_tile(const totals_tile_args& a) noexcept {
#if defined(EMBEDRATING_KERNELS_X86)
  if (isa == isa_t::avx512) return avx512::totals_tile(a);
  if (isa == isa_t::avx2) return avx2::totals_tile(a);
#endif
  generic::totals_tile(a);
}

void run_count_tile(const count_tile_args& a) noexcept {
#if defined(EMBEDRATING_KERNELS_X86)
  if (isa == isa_t::avx512) return avx512::count_tile(a);
  if (isa == isa_t::avx2) return avx2::count_tile(a);
#endif
  generic::count_tile(a);
}

void run_moments(const moments_args& a) noexcept {
#if defined(EMBEDRATING_KERNELS_X86)
  if (isa == isa_t::avx512) return avx512::moments(a);
  if (isa == isa_t::avx2) return avx2::moments(a);
#endif
  generic::moments(a);
}

bool set_kernel_isa(const char* name) noexcept {
  auto is = [name](const char* s) { return std::strcmp(name, s) == 0; };
  if (is("generic")) isa = isa_t::generic;
#if defined(EMBEDRATING_KERNELS_X86)
  else if (is("avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isa = isa_t::avx2;
  else if (is("avx512") && best_isa() == isa_t::avx512) isa = isa_t::avx512;
#endif
  else if (is("best")) isa = best_isa();
  else return false;
  return true;
}

const char* kernel_isa() noexcept {
  switch (isa) {
    case isa_t::avx512: return "avx512";
    case isa_t::avx2: return "avx2";
    case isa_t::generic: break;
  }
  return "generic";
}

}  // namespace embedrating::sensitivity::detail
