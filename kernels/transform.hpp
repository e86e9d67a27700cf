#pragma once
// The reference data transform (CaloQVAE engineAtlas _reduce/_reduceinv) and the incident-energy
// encodings, shared by CPU and GPU.
//   eps = E_vox / E_inc,  x = R + (1 - 2R) eps,  u = logit(x) - logit(R),  R = 1e-7.
// Empty voxels map to exactly u = 0 and every deposit to u > 0; the inverse maps u <= 0 to 0.
#include <cmath>
#include <cstdint>

#include "kernels/hd.hpp"

namespace calo {

constexpr double kTransformR = 1e-7;

CALO_HD_INLINE double logit_of_r(double R) {
  return log(R) - log1p(-R);
}

CALO_HD_INLINE float voxel_to_u(float e_vox, float e_inc, double R = kTransformR) {
  if (!(e_vox > 0.0f)) return 0.0f;
  const double eps = static_cast<double>(e_vox) / static_cast<double>(e_inc);
  const double x = R + (1.0 - 2.0 * R) * eps;
  return static_cast<float>((log(x) - log1p(-x)) - logit_of_r(R));
}

CALO_HD_INLINE float u_to_voxel(float u, float e_inc, double R = kTransformR) {
  if (!(u > 0.0f)) return 0.0f;
  const double z = static_cast<double>(u) + logit_of_r(R);
  const double x = z >= 0.0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
  const double eps = (x - R) / (1.0 - 2.0 * R);
  return static_cast<float>(eps * static_cast<double>(e_inc));
}

// Element i of a (rows, voxels) batch of decoder outputs u, with e_inc[row] MeV per row: the
// voxel energy. The CPU loop and the CUDA kernel of the inverse transform (host/inverse_transform)
// both call this.
CALO_HD_INLINE float u_to_voxel_in_rows(const float* u, const float* e_inc, int64_t i,
                                        int64_t voxels) {
  return u_to_voxel(u[i], e_inc[i / voxels]);
}

// Scalar conditioning channel of the networks: (ln E - 6) / 8, E in MeV (about 0.11 .. 0.98 for
// 1 GeV .. 1 TeV).
CALO_HD_INLINE float log_energy_scalar(float e_inc_mev) {
  return static_cast<float>((log(static_cast<double>(e_inc_mev)) - 6.0) / 8.0);
}

// Binary code of the incident energy for RBM partition 0 (reference binary_energy): three 20-bit
// unsigned integers, least significant bit first: int(E), int(sqrt(E) sqrt(10)), int(ln(E) e^10),
// E in MeV. The 60-bit block is tiled floor(n / 60) times; the remainder is zero.
constexpr int kEnergyCodeBits = 60;

CALO_HD_INLINE void energy_code_words(double e_mev, uint32_t words[3]) {
  const double e10 = 22026.465794806718;  // e^10
  const double v[3] = {e_mev, sqrt(e_mev) * sqrt(10.0), log(e_mev) * e10};
  for (int i = 0; i < 3; ++i) {
    const double c = v[i] < 0.0 ? 0.0 : (v[i] > 1048575.0 ? 1048575.0 : v[i]);  // 20 bits
    words[i] = static_cast<uint32_t>(c);
  }
}

// Bit `slot` (0..n-1) of partition 0 for an event of energy e_mev.
CALO_HD_INLINE uint8_t energy_code_bit(double e_mev, int slot, int n) {
  const int reps = n / kEnergyCodeBits;
  if (slot >= reps * kEnergyCodeBits) return 0;
  uint32_t words[3];
  energy_code_words(e_mev, words);
  const int b = slot % kEnergyCodeBits;
  return static_cast<uint8_t>((words[b / 20] >> (b % 20)) & 1u);
}

CALO_HD_INLINE void energy_code(double e_mev, int n, uint8_t* out) {
  uint32_t words[3];
  energy_code_words(e_mev, words);
  const int reps = n / kEnergyCodeBits;
  for (int i = 0; i < n; ++i) {
    const int b = i % kEnergyCodeBits;
    out[i] =
        i < reps * kEnergyCodeBits ? static_cast<uint8_t>((words[b / 20] >> (b % 20)) & 1u) : 0;
  }
}

}  // namespace calo
