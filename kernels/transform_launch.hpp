#pragma once
// Launcher of the inverse-transform kernel (kernels/transform_rows.cu; host/
// inverse_transform_nocuda.cpp throws without CUDA). host/inverse_transform.hpp dispatches to it.
#include <cstdint>

namespace calo {

// out[i] = u_to_voxel_in_rows(u, e_inc, i, voxels) for i < rows * voxels; device pointers.
void u_to_voxel_rows_cuda(const float* u, const float* e_inc, float* out, int64_t rows,
                          int64_t voxels);

}  // namespace calo
