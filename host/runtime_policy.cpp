#include "host/runtime_policy.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace calo {
namespace {
bool set_if_unset(const char* name, const char* value) {
  if (std::getenv(name) != nullptr) return false;
  return setenv(name, value, 0) == 0;
}
}  // namespace

void apply_runtime_policy(int /*argc*/, char** argv, BlasThreads blas) {
  const char* mode = std::getenv("CALO_RUNTIME_POLICY");
  if (mode != nullptr) return;  // "off", or "applied" after the re-exec below
  bool changed = false;
  if (std::getenv("GOMP_SPINCOUNT") == nullptr)
    changed |= set_if_unset("OMP_WAIT_POLICY", "passive");
  if (blas == BlasThreads::serial) changed |= set_if_unset("OPENBLAS_NUM_THREADS", "1");
  setenv("CALO_RUNTIME_POLICY", "applied", 1);
  if (!changed) return;
  // /proc/self/exe is this binary even when argv[0] is a relative path or a symlink.
  execv("/proc/self/exe", argv);
  // execv failed (no /proc): carry on with the settings inherited at start.
}

}  // namespace calo
