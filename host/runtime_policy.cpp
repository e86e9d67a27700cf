#include "host/runtime_policy.hpp"

#include <cblas.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace calo {
namespace {
bool set_if_unset(const char* name, const char* value) {
  if (std::getenv(name) != nullptr) return false;
  return setenv(name, value, 0) == 0;
}

// OpenBLAS 0.3.21 (Debian 12) does not know every recent x86 model; on an unknown one it runs
// its SSE3 "Prescott" kernels. On the project's AVX-512 VM that made calo_eval's double GEMMs
// (FPD/KPD) 3-5x slower than the SkylakeX kernels. Only that fallback is overridden, with the
// kernels the CPU's instruction set supports.
const char* openblas_core_for_this_cpu() {
#if defined(__x86_64__)
  const char* core = openblas_get_corename();
  if (core == nullptr || std::strcmp(core, "Prescott") != 0) return nullptr;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}
}  // namespace

const char* const kMallocTunables =
    "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728";

void apply_runtime_policy(int /*argc*/, char** argv, BlasThreads blas) {
  const char* mode = std::getenv("CALO_RUNTIME_POLICY");
  if (mode != nullptr) return;  // "off", or "applied" after the re-exec below
  bool changed = false;
  if (std::getenv("GOMP_SPINCOUNT") == nullptr)
    changed |= set_if_unset("OMP_WAIT_POLICY", "passive");
  if (blas == BlasThreads::serial) changed |= set_if_unset("OPENBLAS_NUM_THREADS", "1");
  if (const char* core = openblas_core_for_this_cpu())
    changed |= set_if_unset("OPENBLAS_CORETYPE", core);
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr &&
      std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr)
    changed |= set_if_unset("GLIBC_TUNABLES", kMallocTunables);
  setenv("CALO_RUNTIME_POLICY", "applied", 1);
  if (!changed) return;
  // /proc/self/exe is this binary even when argv[0] is a relative path or a symlink.
  execv("/proc/self/exe", argv);
  // execv failed (no /proc): carry on with the settings inherited at start.
}

}  // namespace calo
