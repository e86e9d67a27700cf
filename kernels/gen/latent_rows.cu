// The decoder's latent rows of one decode chunk from a block's device chains: one thread per
// value, each calling the CALO_HD function the host generator's test checks
// (kernels/gen/latent_rows_math.hpp).
#include "kernels/cuda_check.cuh"
#include "kernels/gen/latent_rows_launch.hpp"
#include "kernels/gen/latent_rows_math.hpp"
#include "kernels/grid_stride.cuh"
#include "kernels/launch_stream.cuh"

namespace calo {
namespace {

__global__ void k_latent_rows(const uint8_t* z, int64_t chains, int units, int64_t c0,
                              int64_t count, int64_t lo, int64_t hi, int64_t first, float* out) {
  CALO_GRID_LOOP(i, count) out[i] = latent_row_value(z, chains, units, c0, lo, hi, first, i);
}

}  // namespace

void latent_rows_cuda(const uint8_t* z, int64_t chains, int units, int64_t c0, int64_t rows,
                      int64_t lo, int64_t hi, int64_t first, float* out) {
  const int64_t count = rows * units;
  if (count == 0) return;
  k_latent_rows<<<grid_blocks(count), kGridThreads, 0, launch_stream()>>>(
      z, chains, units, c0, count, lo, hi, first, out);
  CALO_CUDA_CHECK_LAUNCH();
}

}  // namespace calo
