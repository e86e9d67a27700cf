// CUDA pieces of the device CD-k update: the data rows from the posterior, and the moment sums
// over the RBM's couplings. Each thread runs a CALO_HD function of kernels/rbm/moment_math.hpp,
// the same the CPU reference (samplers/cd_device.cpp) runs.
#include "kernels/cuda_check.cuh"
#include "kernels/grid_stride.cuh"
#include "kernels/launch_stream.cuh"
#include "kernels/rbm/cd_launch.hpp"
#include "kernels/rbm/moment_math.hpp"

namespace calo {
namespace {

constexpr int kEntryThreads = 32;  // threads per node for its couplings (Zephyr degree <= 20)

__global__ void k_prior_data(const float* posterior, const float* energies, int64_t rows, int n,
                             float* data, uint8_t* chains) {
  const int N = 4 * n;
  CALO_GRID_LOOP(i, rows * N) {
    const int64_t r = i / N;
    const int node = static_cast<int>(i % N);
    const float v = prior_data_unit(posterior, energies, r, node, n);
    data[i] = v;
    if (chains != nullptr) chains[node * rows + r] = chain_start_bit(v);
  }
}

__global__ void k_clamp_energy_codes(uint8_t* z, const float* energies, int n, int chains) {
  CALO_GRID_LOOP(i, static_cast<int64_t>(n) * chains) {
    const int node = static_cast<int>(i / chains), c = static_cast<int>(i % chains);
    z[i] = energy_code_bit(double(energies[c]), node, n);
  }
}

// Block a: node a's sum (thread 0) and the sums of its CSR entries.
template <class T>
__global__ void k_moment_sums(const T* z, StateLayout s, int64_t rows, const int32_t* offsets,
                              const int32_t* nbr, double* mu, double* pair) {
  const int a = static_cast<int>(blockIdx.x);
  if (threadIdx.x == 0) mu[a] = node_moment_sum(z, s, rows, a);
  for (int32_t e = offsets[a] + static_cast<int32_t>(threadIdx.x); e < offsets[a + 1];
       e += static_cast<int32_t>(blockDim.x))
    pair[e] = pair_moment_sum(z, s, rows, a, nbr[e]);
}

template <class T>
void launch_moment_sums(const T* z, int64_t row_stride, int64_t node_stride, int64_t rows,
                        int num_nodes, const int32_t* offsets, const int32_t* nbr, double* mu,
                        double* pair) {
  if (num_nodes == 0) return;
  k_moment_sums<T><<<static_cast<unsigned>(num_nodes), kEntryThreads, 0, launch_stream()>>>(
      z, StateLayout{row_stride, node_stride}, rows, offsets, nbr, mu, pair);
  CALO_CUDA_CHECK_LAUNCH();
}

}  // namespace

void prior_data_cuda(const float* posterior, const float* energies, int64_t rows, int n,
                     float* data, uint8_t* chains) {
  const int64_t total = rows * 4 * n;
  if (total == 0) return;
  k_prior_data<<<grid_blocks(total), kGridThreads, 0, launch_stream()>>>(posterior, energies, rows,
                                                                         n, data, chains);
  CALO_CUDA_CHECK_LAUNCH();
}

void clamp_energy_codes_cuda(uint8_t* chains_node_major, const float* energies, int n, int chains) {
  const int64_t total = static_cast<int64_t>(n) * chains;
  if (total == 0) return;
  k_clamp_energy_codes<<<grid_blocks(total), kGridThreads, 0, launch_stream()>>>(
      chains_node_major, energies, n, chains);
  CALO_CUDA_CHECK_LAUNCH();
}

void moment_sums_cuda(const float* z, int64_t row_stride, int64_t node_stride, int64_t rows,
                      int num_nodes, const int32_t* offsets, const int32_t* nbr, double* mu,
                      double* pair) {
  launch_moment_sums(z, row_stride, node_stride, rows, num_nodes, offsets, nbr, mu, pair);
}

void moment_sums_cuda(const uint8_t* z, int64_t row_stride, int64_t node_stride, int64_t rows,
                      int num_nodes, const int32_t* offsets, const int32_t* nbr, double* mu,
                      double* pair) {
  launch_moment_sums(z, row_stride, node_stride, rows, num_nodes, offsets, nbr, mu, pair);
}

}  // namespace calo
