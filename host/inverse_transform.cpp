#include "host/inverse_transform.hpp"

#include "host/error.hpp"
#include "kernels/transform.hpp"
#include "kernels/transform_launch.hpp"

namespace calo {

Tensor u_to_voxels(const Tensor& u, std::span<const float> e_inc) {
  if (u.rank() != 2 || u.dim(0) != static_cast<int64_t>(e_inc.size()))
    fail_input(
        "inverse transform: expected u (rows, voxels) with one incident energy per row, "
        "got u {} and {} energies",
        shape_string(u.shape()), e_inc.size());
  const int64_t rows = u.dim(0), voxels = u.dim(1);
  Tensor out(u.shape(), u.backend());
  if (u.backend() == Backend::cuda) {
    const Tensor e = Tensor::from_host({rows}, e_inc).to(Backend::cuda);
    u_to_voxel_rows_cuda(u.data(), e.data(), out.data(), rows, voxels);
    return out;
  }
  const float* src = u.data();
  float* dst = out.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < rows * voxels; ++i)
    dst[i] = u_to_voxel_in_rows(src, e_inc.data(), i, voxels);
  return out;
}

}  // namespace calo
