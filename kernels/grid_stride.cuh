#pragma once
// Grid-stride launches of the elementwise kernels: blocks of kGridThreads threads, at most 65535
// blocks, and each thread walks its indices with CALO_GRID_LOOP, so any count fits one launch.
#include <cstdint>

namespace calo {

constexpr int kGridThreads = 256;

// Blocks for n elements (at least 1, at most 65535).
inline unsigned grid_blocks(int64_t n) {
  const int64_t b = (n + kGridThreads - 1) / kGridThreads;
  return static_cast<unsigned>(b < 1 ? 1 : (b < 65535 ? b : 65535));
}

}  // namespace calo

#define CALO_GRID_LOOP(i, n)                                                             \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
