#pragma once
// Launcher of the device start of the prior's chains (kernels/rbm/random_chains.cu;
// samplers/random_chains_nocuda.cpp throws without CUDA). The math is
// kernels/rbm/random_chains_math.hpp.
#include <cstdint>

namespace calo {

// z (4n x chains bytes, node-major, device) = random_chain_bit(seed, node, n, first_chain + c,
// total_chains) for chain c: the states BlockGibbsSampler::randomize(seed) gives a sampler of
// these chains with set_chain_window(first_chain, total_chains), made where the chains run.
void random_chain_states_cuda(uint8_t* z, int n, int64_t chains, uint64_t seed, int64_t first_chain,
                              int64_t total_chains);

}  // namespace calo
