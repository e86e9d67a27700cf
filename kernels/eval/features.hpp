#pragma once
// CaloChallenge high-level features of one shower layer (HP code/HighLevelFeatures.py), computed
// on thresholded voxels: energy, centres of energy and widths in eta = r cos a, phi = r sin a and
// r, sparsity. The constants are Dataset 2's (45 x 16 x 9; voxel centres r_i = 2.325 + 4.65 i mm,
// a_j = -pi + (j+0.5) 2pi/16); other datasets take their centres from the binning XML
// (host/eval/dataset.hpp).
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

// One layer's features from its `n` thresholded voxel energies `e` and their centres x ("eta"),
// y ("phi") and r in mm (HighLevelFeatures.py: EC = sum e x / (sum e + 1e-16), width = sqrt(max(0,
// sum e x^2 / (sum e + 1e-16) - EC^2)), sparsity = 1 - mean(e > 0)).
CALO_HD_INLINE LayerFeatures layer_features(const float* e_in, const double* xs, const double* ys,
                                            const double* rs, int n) {
  double e = 0, se = 0, sp = 0, sr = 0, se2 = 0, sp2 = 0, sr2 = 0;
  int nonzero = 0;
  for (int k = 0; k < n; ++k) {
    const double v = e_in[k];
    if (v > 0) ++nonzero;
    const double rr = rs[k], x = xs[k], y = ys[k];
    e += v;
    se += v * x;
    sp += v * y;
    sr += v * rr;
    se2 += v * x * x;
    sp2 += v * y * y;
    sr2 += v * rr * rr;
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
  f.sparsity = 1.0 - static_cast<double>(nonzero) / n;
  return f;
}

}  // namespace calo::eval
