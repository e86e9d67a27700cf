// CUDA inverse transform of a batch of decoder outputs: one thread per voxel, each calling the
// CALO_HD function the CPU loop calls (kernels/transform.hpp u_to_voxel_in_rows).
#include "kernels/cuda_check.cuh"
#include "kernels/grid_stride.cuh"
#include "kernels/launch_stream.cuh"
#include "kernels/transform.hpp"
#include "kernels/transform_launch.hpp"

namespace calo {
namespace {

__global__ void k_u_to_voxel_rows(const float* u, const float* e_inc, float* out, int64_t n,
                                  int64_t voxels) {
  CALO_GRID_LOOP(i, n) out[i] = u_to_voxel_in_rows(u, e_inc, i, voxels);
}

}  // namespace

void u_to_voxel_rows_cuda(const float* u, const float* e_inc, float* out, int64_t rows,
                          int64_t voxels) {
  const int64_t n = rows * voxels;
  if (n == 0) return;
  k_u_to_voxel_rows<<<grid_blocks(n), kGridThreads, 0, launch_stream()>>>(u, e_inc, out, n, voxels);
  CALO_CUDA_CHECK_LAUNCH();
}

}  // namespace calo
