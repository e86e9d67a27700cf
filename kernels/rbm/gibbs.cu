// CUDA block Gibbs sweeps: one launch per partition update, one thread per (node, chain), states
// node-major so a warp reads contiguous chains. Same CALO_HD field/update/RNG as the CPU path.
#include <cuda_runtime.h>

#include <vector>

#include "kernels/cuda_check.cuh"
#include "kernels/rbm/gibbs_math.hpp"
#include "samplers/gibbs.hpp"

namespace calo {

namespace {

__global__ void gibbs_partition_kernel(const int32_t* offsets, const int32_t* nbr, const float* w,
                                       const float* bias, uint8_t* z, int first_node, int n,
                                       int num_nodes, int chains, uint64_t seed, uint64_t sweep,
                                       float beta) {
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= int64_t(n) * chains) return;
  const int node = first_node + int(t / chains), c = int(t % chains);
  const float f = gibbs_sparse_field(offsets, nbr, w, bias, z, node, c, chains);
  z[int64_t(node) * chains + c] =
      gibbs_update(f, beta, gibbs_uniform(seed, sweep, node, num_nodes, c, chains));
}

template <class T>
struct Dev {
  T* p = nullptr;
  explicit Dev(const std::vector<T>& h) {
    CALO_CUDA_CHECK(cudaMalloc(&p, h.size() * sizeof(T) + 1));
    if (!h.empty())
      CALO_CUDA_CHECK(cudaMemcpy(p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
  ~Dev() { cudaFree(p); }
};

}  // namespace

void gibbs_run_cuda(const BlockGibbsSampler::Sparse& sp, int n, int chains, uint64_t seed,
                    uint64_t first_sweep, int sweeps, float beta, uint8_t* z_node_major) {
  const size_t total = size_t(4) * size_t(n) * size_t(chains);
  Dev<int32_t> off(sp.offsets), nbr(sp.nbr);
  Dev<float> w(sp.w), bias(sp.bias);
  Dev<uint8_t> z(std::vector<uint8_t>(z_node_major, z_node_major + total));
  const int threads = 256;
  const int blocks = int((int64_t(n) * chains + threads - 1) / threads);
  for (int s = 0; s < sweeps; ++s)
    for (int p = 1; p < 4; ++p) {
      gibbs_partition_kernel<<<blocks, threads>>>(off.p, nbr.p, w.p, bias.p, z.p, p * n, n, 4 * n,
                                                  chains, seed, first_sweep + uint64_t(s), beta);
      CALO_CUDA_CHECK_LAUNCH();
    }
  CALO_CUDA_CHECK(cudaMemcpy(z_node_major, z.p, total, cudaMemcpyDeviceToHost));
}

}  // namespace calo
