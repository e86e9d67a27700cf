#include <atomic>

#include "kernels/device_memory.hpp"

namespace calo {
namespace {
// Process-wide like the device itself; relaxed atomics, read only for reports and tests.
std::atomic<uint64_t> h2d_calls{0}, h2d_bytes{0}, d2h_calls{0}, d2h_bytes{0};
std::atomic<uint64_t> alloc_calls{0}, alloc_bytes{0};
}  // namespace

void count_transfer(bool to_device, uint64_t bytes) {
  (to_device ? h2d_calls : d2h_calls).fetch_add(1, std::memory_order_relaxed);
  (to_device ? h2d_bytes : d2h_bytes).fetch_add(bytes, std::memory_order_relaxed);
}

void count_device_allocation(uint64_t bytes) {
  alloc_calls.fetch_add(1, std::memory_order_relaxed);
  alloc_bytes.fetch_add(bytes, std::memory_order_relaxed);
}

TransferCounts transfer_counts() {
  return {h2d_calls.load(std::memory_order_relaxed),   h2d_bytes.load(std::memory_order_relaxed),
          d2h_calls.load(std::memory_order_relaxed),   d2h_bytes.load(std::memory_order_relaxed),
          alloc_calls.load(std::memory_order_relaxed), alloc_bytes.load(std::memory_order_relaxed)};
}

TransferCounts operator-(const TransferCounts& a, const TransferCounts& b) {
  return {a.h2d_calls - b.h2d_calls, a.h2d_bytes - b.h2d_bytes,     a.d2h_calls - b.d2h_calls,
          a.d2h_bytes - b.d2h_bytes, a.alloc_calls - b.alloc_calls, a.alloc_bytes - b.alloc_bytes};
}

}  // namespace calo
