#pragma once
// CaloChallenge high-level features of one Dataset-2 shower (HP code/HighLevelFeatures.py),
// computed per layer on thresholded voxels: energy, centres of energy and widths in eta = r cos a,
// phi = r sin a and r, sparsity. Voxel centres: r_i = 2.325 + 4.65 i mm, a_j = -pi + (j+0.5)
// 2pi/16.
#include <cmath>

#include "kernels/hd.hpp"

namespace calo::eval {

constexpr double kThresholdMeV = 0.5e-3 / 0.033;  // 0.0151515 MeV, evaluate.py min_energy
constexpr int kLayers = 45, kAlpha = 16, kRadii = 9, kVoxels = kLayers * kAlpha * kRadii;
constexpr double kRadialCell = 4.65;

CALO_HD_INLINE double voxel_r(int r) {
  return 0.5 * kRadialCell + kRadialCell * r;
}
CALO_HD_INLINE double voxel_alpha(int a) {
  return -M_PI + (a + 0.5) * 2.0 * M_PI / kAlpha;
}
CALO_HD_INLINE double thresholded(double e) {
  return e < kThresholdMeV ? 0.0 : e;
}

struct LayerFeatures {
  double energy, ec_eta, ec_phi, width_eta, width_phi, ec_r, width_r, sparsity;
};

// `layer` points at the 144 voxels (alpha-major, radius fastest) of one layer, already thresholded.
CALO_HD_INLINE LayerFeatures layer_features(const float* layer) {
  double e = 0, se = 0, sp = 0, sr = 0, se2 = 0, sp2 = 0, sr2 = 0;
  int nonzero = 0;
  for (int a = 0; a < kAlpha; ++a) {
    const double ca = std::cos(voxel_alpha(a)), sa = std::sin(voxel_alpha(a));
    for (int r = 0; r < kRadii; ++r) {
      const double v = layer[a * kRadii + r];
      if (v > 0) ++nonzero;
      const double rr = voxel_r(r), x = rr * ca, y = rr * sa;
      e += v;
      se += v * x;
      sp += v * y;
      sr += v * rr;
      se2 += v * x * x;
      sp2 += v * y * y;
      sr2 += v * rr * rr;
    }
  }
  const double norm = e + 1e-16;
  LayerFeatures f;
  f.energy = e;
  f.ec_eta = se / norm;
  f.ec_phi = sp / norm;
  f.ec_r = sr / norm;
  auto width = [norm](double s2, double c) {
    const double w = s2 / norm - c * c;
    return std::sqrt(w > 0 ? w : 0.0);
  };
  f.width_eta = width(se2, f.ec_eta);
  f.width_phi = width(sp2, f.ec_phi);
  f.width_r = width(sr2, f.ec_r);
  f.sparsity = 1.0 - static_cast<double>(nonzero) / (kAlpha * kRadii);
  return f;
}

}  // namespace calo::eval
