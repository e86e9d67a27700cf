#pragma once
// Pieces of the RBM learning update (samplers/rbm_learning.hpp) that the device CD-k path
// (samplers/cd_device.hpp, kernels/rbm/cd.cu) and its CPU reference share: the prior's data rows
// built from the posterior and the incident energy, and the moment sums over a batch of states.
// The sums are exactly those of moment_sums() (the same products added in the same row order,
// in double), restricted to the RBM's couplings: only those enter the learning gradient.
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/transform.hpp"

namespace calo {

// Where unit `node` of row r lies: z[r * row_stride + node * node_stride]. Training data is
// row-major (B x 4n: node_stride 1), the Gibbs chains node-major (4n x B: row_stride 1).
struct StateLayout {
  int64_t row_stride, node_stride;
};

// Sum over the rows of unit a.
template <class T>
CALO_HD_INLINE double node_moment_sum(const T* z, StateLayout s, int64_t rows, int a) {
  double acc = 0.0;
  for (int64_t r = 0; r < rows; ++r) acc += double(z[r * s.row_stride + a * s.node_stride]);
  return acc;
}

// Sum over the rows of z_a z_b.
template <class T>
CALO_HD_INLINE double pair_moment_sum(const T* z, StateLayout s, int64_t rows, int a, int b) {
  double acc = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const double za = double(z[r * s.row_stride + a * s.node_stride]);
    if (za == 0.0) continue;  // as moment_sums(): the row adds nothing
    acc += za * double(z[r * s.row_stride + b * s.node_stride]);
  }
  return acc;
}

// Unit `node` (of 4n) of the prior's data row r: partition 0 the energy code of energies[r],
// partitions 1-3 the posterior (B x 3n, row-major), as LatentLayout::float_states builds it.
CALO_HD_INLINE float prior_data_unit(const float* posterior, const float* energies, int64_t r,
                                     int node, int n) {
  if (node < n) return float(energy_code_bit(double(energies[r]), node, n));
  return posterior[r * 3 * n + (node - n)];
}

// The CD chains start at the data's bits.
CALO_HD_INLINE uint8_t chain_start_bit(float data_unit) {
  return data_unit > 0.5f ? 1 : 0;
}

}  // namespace calo
