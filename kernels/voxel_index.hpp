#pragma once
// CaloChallenge voxel ordering: flat = layer_offset + alpha * n_r + r (radius fastest, layer
// slowest). For Dataset 2: flat = layer * 144 + alpha * 9 + r.
#include "kernels/hd.hpp"

namespace calo {

CALO_HD_INLINE int voxel_index_regular(int layer, int alpha, int r, int n_alpha, int n_r) {
  return (layer * n_alpha + alpha) * n_r + r;
}

struct VoxelCoord {
  int layer;
  int alpha;
  int r;
};

CALO_HD_INLINE VoxelCoord voxel_coord_regular(int flat, int n_alpha, int n_r) {
  const int r = flat % n_r;
  const int rest = flat / n_r;
  return VoxelCoord{rest / n_alpha, rest % n_alpha, r};
}

}  // namespace calo
