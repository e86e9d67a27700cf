#pragma once
// The random start of the prior's Gibbs chains (BlockGibbsSampler::randomize: Bernoulli 1/2 free
// partitions), one CALO_HD function that randomize() and the device start
// (kernels/rbm/random_chains.cu) both call; a CPU test checks the two give the same states.
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/philox.hpp"
#include "kernels/rbm/gibbs_math.hpp"

namespace calo {

// Start bit of node `node` (of 4n) of global chain `chain` of a set of `total` chains: draw
// node x total + chain of Philox stream kGibbsStream + 1, the one randomize() takes. Partition 0
// (node < n) starts at 0 and is the clamp's (clamp_energies) to set.
CALO_HD_INLINE uint8_t random_chain_bit(uint64_t seed, int node, int n, int64_t chain,
                                        int64_t total) {
  if (node < n) return 0;
  return uniform(seed, kGibbsStream + 1, uint64_t(node) * uint64_t(total) + uint64_t(chain)) < 0.5f
             ? 1
             : 0;
}

}  // namespace calo
