#include "host/memory_limit.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "host/error.hpp"

namespace calo {

namespace {
std::atomic<uint64_t> g_budget{0};

uint64_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return uint64_t{1} << 40;  // unknown: do not get in the way
  return uint64_t(pages) * uint64_t(page);
}
}  // namespace

uint64_t memory_budget_bytes() {
  if (const uint64_t b = g_budget.load()) return b;
  uint64_t budget = physical_memory();
  if (const char* env = std::getenv("CALO_MEMORY_LIMIT_MB"); env && *env) {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (end && *end == '\0' && mb > 0 && mb < (uint64_t{1} << 44)) budget = mb << 20;
  }
  return budget;
}

void set_memory_budget_bytes(uint64_t bytes) {
  g_budget.store(bytes);
}

void require_memory(double bytes, std::string_view what) {
  const uint64_t budget = memory_budget_bytes();
  if (!(bytes <= double(budget))) {
    constexpr double gib = 1024.0 * 1024.0 * 1024.0;
    fail_input(
        "{} needs {:.3g} GiB of memory but this machine has {:.3g} GiB{}; use a smaller "
        "input or a bigger machine",
        what, bytes / gib, double(budget) / gib,
        std::getenv("CALO_MEMORY_LIMIT_MB") ? " (CALO_MEMORY_LIMIT_MB)" : "");
  }
}

}  // namespace calo
