#pragma once
// Launchers of the device CD-k pieces (kernels/rbm/cd.cu; samplers/cd_device_nocuda.cpp throws
// without CUDA). Device pointers; the math is kernels/rbm/moment_math.hpp.
#include <cstdint>

namespace calo {

// data (B x 4n floats, row-major) = prior_data_unit(...), chains (4n x B bytes, node-major) =
// chain_start_bit(data) unless chains is null.
void prior_data_cuda(const float* posterior, const float* energies, int64_t rows, int n,
                     float* data, uint8_t* chains);

// mu[a] = node_moment_sum(a) for a < num_nodes and pair[e] = pair_moment_sum(a, nbr[e]) for every
// CSR entry e of node a (offsets, nbr: the RBM graph). One version per state type.
void moment_sums_cuda(const float* z, int64_t row_stride, int64_t node_stride, int64_t rows,
                      int num_nodes, const int32_t* offsets, const int32_t* nbr, double* mu,
                      double* pair);
void moment_sums_cuda(const uint8_t* z, int64_t row_stride, int64_t node_stride, int64_t rows,
                      int num_nodes, const int32_t* offsets, const int32_t* nbr, double* mu,
                      double* pair);

// Partition 0 of node-major chains (4n x chains) set to the energy codes: z[i * chains + c] =
// energy_code_bit(energies[c], i, n) for i < n (what BlockGibbsSampler::clamp_energies does on
// the host).
void clamp_energy_codes_cuda(uint8_t* chains_node_major, const float* energies, int n, int chains);

}  // namespace calo
