// Device start of the prior's Gibbs chains: one thread per (node, chain), each calling the
// CALO_HD draw of kernels/rbm/random_chains_math.hpp that the CPU test checks against randomize().
#include "kernels/cuda_check.cuh"
#include "kernels/grid_stride.cuh"
#include "kernels/launch_stream.cuh"
#include "kernels/rbm/random_chains_launch.hpp"
#include "kernels/rbm/random_chains_math.hpp"

namespace calo {
namespace {

__global__ void k_random_chain_states(uint8_t* z, int n, int64_t chains, uint64_t seed,
                                      int64_t first_chain, int64_t total_chains) {
  const int64_t count = 4 * static_cast<int64_t>(n) * chains;
  CALO_GRID_LOOP(i, count) {
    const int node = static_cast<int>(i / chains);
    z[i] = random_chain_bit(seed, node, n, first_chain + i % chains, total_chains);
  }
}

}  // namespace

void random_chain_states_cuda(uint8_t* z, int n, int64_t chains, uint64_t seed, int64_t first_chain,
                              int64_t total_chains) {
  const int64_t count = 4 * static_cast<int64_t>(n) * chains;
  if (count == 0) return;
  k_random_chain_states<<<grid_blocks(count), kGridThreads, 0, launch_stream()>>>(
      z, n, chains, seed, first_chain, total_chains);
  CALO_CUDA_CHECK_LAUNCH();
}

}  // namespace calo
