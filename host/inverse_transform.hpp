#pragma once
// The inverse data transform of a batch of decoder outputs on the batch's own backend: u (rows,
// voxels) -> voxel energies (MeV) with one incident energy per row. On cuda only the energies
// go up (rows floats); the result stays on the device until the caller copies the showers back.
#include <span>

#include "host/tensor.hpp"

namespace calo {

Tensor u_to_voxels(const Tensor& u, std::span<const float> e_inc);

}  // namespace calo
