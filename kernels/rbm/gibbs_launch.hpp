#pragma once
// Launcher of the CUDA block Gibbs kernels (kernels/rbm/gibbs.cu; samplers/gibbs_nocuda.cpp throws
// without CUDA). BlockGibbsSampler (samplers/gibbs.hpp) calls it on the GPU path.
#include <cstdint>

namespace calo {

// `sweeps` block Gibbs sweeps on the device (kernels/rbm/gibbs.cu; throws without CUDA). All
// pointers are device pointers: CSR graph over the 4n nodes and node-major states (4n x chains).
// The chains are chains first_chain .. of a set of total_chains, which numbers the draws.
void gibbs_sweeps_cuda(const int32_t* offsets, const int32_t* nbr, const float* w,
                       const float* bias, uint8_t* z, int n, int chains, uint64_t seed,
                       uint64_t first_sweep, int sweeps, float beta, int first_chain,
                       int total_chains);

}  // namespace calo
