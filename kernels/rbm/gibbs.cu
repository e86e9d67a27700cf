// CUDA block Gibbs sweeps: one launch per partition update, states node-major so a warp reads
// contiguous chains. When chains % 4 == 0 (and the window's first chain and total are multiples of
// 4) a thread updates four consecutive chains of one node from one Philox block (the four words
// gibbs_uniform assigns them); otherwise one chain per thread.
// Field, update rule and RNG are the CALO_HD functions the CPU path runs. The launches go to the
// calling thread's current stream (kernels/launch_stream.cuh), the model's in training and
// generation.
#include <cuda_runtime.h>

#include "kernels/cuda_check.cuh"
#include "kernels/launch_stream.cuh"
#include "kernels/rbm/gibbs_launch.hpp"
#include "kernels/rbm/gibbs_math.hpp"

namespace calo {

namespace {

__global__ void gibbs_partition_kernel4(const int32_t* offsets, const int32_t* nbr, const float* w,
                                        const float* bias, uint8_t* z, int first_node, int n,
                                        int num_nodes, int chains, uint64_t seed, uint64_t sweep,
                                        float beta, int first_chain, int total_chains) {
  const int quads = chains / 4;
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= int64_t(n) * quads) return;
  const int node = first_node + int(t / quads), c4 = 4 * int(t % quads);
  const Quad q = gibbs_quad_update(offsets, nbr, w, bias, z, node, c4, num_nodes, chains, seed,
                                   sweep, beta, first_chain, total_chains);
  const uchar4 out = make_uchar4(q.v[0], q.v[1], q.v[2], q.v[3]);
  *reinterpret_cast<uchar4*>(z + int64_t(node) * chains + c4) =
      out;  // 4-byte aligned: chains % 4 == 0
}

__global__ void gibbs_partition_kernel(const int32_t* offsets, const int32_t* nbr, const float* w,
                                       const float* bias, uint8_t* z, int first_node, int n,
                                       int num_nodes, int chains, uint64_t seed, uint64_t sweep,
                                       float beta, int first_chain, int total_chains) {
  const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= int64_t(n) * chains) return;
  const int node = first_node + int(t / chains), c = int(t % chains);
  z[int64_t(node) * chains + c] =
      gibbs_chain_update(offsets, nbr, w, bias, z, node, c, num_nodes, chains, seed, sweep, beta,
                         first_chain, total_chains);
}

}  // namespace

void gibbs_sweeps_cuda(const int32_t* offsets, const int32_t* nbr, const float* w,
                       const float* bias, uint8_t* z, int n, int chains, uint64_t seed,
                       uint64_t first_sweep, int sweeps, float beta, int first_chain,
                       int total_chains) {
  const int threads = 256;
  const bool quad = chains % 4 == 0 && first_chain % 4 == 0 && total_chains % 4 == 0;
  const int64_t work = int64_t(n) * (quad ? chains / 4 : chains);
  const int blocks = int((work + threads - 1) / threads);
  for (int s = 0; s < sweeps; ++s)
    for (int p = 1; p < 4; ++p) {
      const uint64_t sweep = first_sweep + uint64_t(s);
      if (quad)
        gibbs_partition_kernel4<<<blocks, threads, 0, launch_stream()>>>(
            offsets, nbr, w, bias, z, p * n, n, 4 * n, chains, seed, sweep, beta, first_chain,
            total_chains);
      else
        gibbs_partition_kernel<<<blocks, threads, 0, launch_stream()>>>(
            offsets, nbr, w, bias, z, p * n, n, 4 * n, chains, seed, sweep, beta, first_chain,
            total_chains);
      CALO_CUDA_CHECK_LAUNCH();
    }
  // No synchronisation: whatever reads the states next (a kernel, or a download, which waits for
  // its stream) is queued behind these launches on the same stream.
}

}  // namespace calo
