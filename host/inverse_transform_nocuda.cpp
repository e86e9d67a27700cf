// CPU-only build: the CUDA inverse transform throws.
#include "kernels/error_raise.hpp"
#include "kernels/transform_launch.hpp"

namespace calo {

void u_to_voxel_rows_cuda(const float*, const float*, float*, int64_t, int64_t) {
  raise_error(
      "inverse transform: a CUDA tensor was given, but this build has no CUDA backend; rebuild "
      "with -DCALO_WITH_CUDA=ON or use --backend cpu");
}

}  // namespace calo
