#pragma once
// Synthetic Dataset-2 electron showers: Grindhammer-Peters (hep-ex/0001020) parameterisation with
// effective W/Si constants, correlated per-event longitudinal parameters, core/tail radial profile,
// compound-Poisson MIP-sized hits. Every formula and RNG draw of the generator lives here as
// CALO_HD code (see docs/synthetic_data.md for the formulas and their sources).
#include <cmath>
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/philox.hpp"

namespace calo::synth {

// Dataset-2 readout grid (45 layers x 16 alpha x 9 r, flat index layer*144 + alpha*9 + r).
constexpr int kLayers = 45;
constexpr int kAlpha = 16;
constexpr int kRadii = 9;
constexpr int kVoxels = kLayers * kAlpha * kRadii;
constexpr double kRingMm = 4.65;  // radial bin width
constexpr double kLayerMm = 3.4;  // readout layer = 2 x (1.4 mm W + 0.3 mm Si)
constexpr double kPi = 3.14159265358979323846;

// Everything the per-event generator reads; filled on the host by make_params().
struct GpParams {
  // effective W/Si medium (research/shower_generator.md section 2)
  double x0_mm = 4.219, ec_mev = 8.23, rm_mm = 10.87, z_eff = 72.5, fs = 2.482, ehat = 0.704;
  double visible_fraction = 0.98;  // <E_vis>/E before leakage, stored units
  // hit model (stored units = E_Si / 0.033)
  double mpv = 2.55, xi = 0.16, cos_min = 0.4, soft_fraction = 0.1, soft_low = 0.01515;
  double smear_mm = 0.5;
  double hits_per_spot = 4.0;  // m, derived from the stochastic term
  double hit_mean = 4.2;       // E[h]
  double hit_second = 20.0;    // E[h^2]
  double dense_hits = 30.0;    // per-voxel expected hits above which a Gamma law is used
  double primary_hits = 2.0;   // mean MIP hits of the primary track in layer 0
  double threshold = 0.01515;  // readout threshold, stored MeV
};

// ---------------------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------------------

// Regularised lower incomplete gamma P(a, x) (Numerical Recipes gser/gcf, relative eps 1e-12).
CALO_HD_INLINE double gamma_p(double a, double x) {
  if (x <= 0.0) return 0.0;
  const double gln = lgamma(a);
  if (x < a + 1.0) {
    double ap = a, del = 1.0 / a, sum = del;
    for (int n = 0; n < 500; ++n) {
      ap += 1.0;
      del *= x / ap;
      sum += del;
      if (fabs(del) < fabs(sum) * 1e-12) break;
    }
    return sum * exp(-x + a * log(x) - gln);
  }
  const double fpmin = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / fpmin, d = 1.0 / b, h = d;
  for (int i = 1; i < 500; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (fabs(d) < fpmin) d = fpmin;
    c = b + an / c;
    if (fabs(c) < fpmin) c = fpmin;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (fabs(del - 1.0) < 1e-12) break;
  }
  return 1.0 - exp(-x + a * log(x) - gln) * h;
}

// ---------------------------------------------------------------------------------------------
// Random variates, all from one Philox cursor
// ---------------------------------------------------------------------------------------------

CALO_HD_INLINE double draw_normal(PhiloxCursor& rng) {
  const double u1 = rng.next_uniform_double();
  const double u2 = rng.next_uniform_double();
  return sqrt(-2.0 * log(u1)) * cos(2.0 * kPi * u2);
}

// Poisson(lambda): multiplication method below 60, rounded normal approximation above
// (callers only reach the approximation for the primary/edge cases; the hit loop stays below).
CALO_HD_INLINE int draw_poisson(PhiloxCursor& rng, double lambda) {
  if (!(lambda > 0.0)) return 0;
  if (lambda < 60.0) {
    const double limit = exp(-lambda);
    double prod = rng.next_uniform_double();
    int k = 0;
    while (prod > limit) {
      prod *= rng.next_uniform_double();
      ++k;
    }
    return k;
  }
  const double x = floor(lambda + sqrt(lambda) * draw_normal(rng) + 0.5);
  return x > 0.0 ? static_cast<int>(x) : 0;
}

// Gamma(shape, scale 1) by Marsaglia-Tsang; shape < 1 via the boost G(a+1) U^(1/a).
CALO_HD_INLINE double draw_gamma(PhiloxCursor& rng, double shape) {
  double boost = 1.0;
  if (shape < 1.0) {
    boost = pow(rng.next_uniform_double(), 1.0 / shape);
    shape += 1.0;
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = draw_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.next_uniform_double();
    if (u < 1.0 - 0.0331 * x * x * x * x) return boost * d * v;
    if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return boost * d * v;
  }
}

// Energy of one hit (stored MeV): with probability soft_fraction log-uniform in [soft_low, mpv]
// (stopping electrons, Compton), else Moyal ~ Landau: (mpv + xi X) / cos(theta), X = -ln Z^2.
CALO_HD_INLINE double draw_hit_energy(PhiloxCursor& rng, const GpParams& p) {
  const double u = rng.next_uniform_double();
  if (u < p.soft_fraction) {
    const double v = rng.next_uniform_double();
    return p.soft_low * exp(v * log(p.mpv / p.soft_low));
  }
  const double z = draw_normal(rng);
  double x = -log(z * z);
  if (x > 30.0) x = 30.0;
  const double c = p.cos_min + (1.0 - p.cos_min) * rng.next_uniform_double();
  return (p.mpv + p.xi * x) / c;
}

// Closed-form first two moments of draw_hit_energy (Moyal: mean gamma_E + ln 2, variance pi^2/2;
// 1/c with c ~ U(cmin, 1): E = ln(1/cmin)/(1-cmin), E[1/c^2] = 1/cmin).
CALO_HD_INLINE void hit_moments(const GpParams& p, double* mean, double* second) {
  const double mx = 0.5772156649015329 + 0.6931471805599453, vx = kPi * kPi / 2.0;
  const double l1 = log(1.0 / p.cos_min) / (1.0 - p.cos_min), l2 = 1.0 / p.cos_min;
  const double hard1 = (p.mpv + p.xi * mx) * l1;
  const double hard2 = ((p.mpv + p.xi * mx) * (p.mpv + p.xi * mx) + p.xi * p.xi * vx) * l2;
  const double lr = log(p.mpv / p.soft_low);
  const double soft1 = (p.mpv - p.soft_low) / lr;
  const double soft2 = (p.mpv * p.mpv - p.soft_low * p.soft_low) / (2.0 * lr);
  *mean = p.soft_fraction * soft1 + (1.0 - p.soft_fraction) * hard1;
  *second = p.soft_fraction * soft2 + (1.0 - p.soft_fraction) * hard2;
}

// ---------------------------------------------------------------------------------------------
// Grindhammer-Peters sampling-calorimeter parameters
// ---------------------------------------------------------------------------------------------

struct Longitudinal {
  double mu_ln_t, mu_ln_a, sigma_ln_t, sigma_ln_a, rho;
};

// Individual-shower lognormal parameters (GP sampling set, G4 GFlashSamplingShowerTuning, with the
// G4 clamps: logs of at least 0.1, sigmas capped at 0.5).
CALO_HD_INLINE Longitudinal gp_longitudinal(const GpParams& p, double e_mev) {
  const double ln_y = log(e_mev / p.ec_mev);
  const double th = fmax(ln_y - 0.812, 0.1);
  const double ah = fmax(0.81 + (0.458 + 2.26 / p.z_eff) * ln_y, 0.1);
  const double ts = fmax(th - 0.55 / p.fs - 0.69 * (1.0 - p.ehat), 1e-3);
  const double as = fmax(ah - 0.476 / p.fs, 1e-3);
  Longitudinal l;
  l.mu_ln_t = fmax(log(ts), 0.1);
  l.mu_ln_a = fmax(log(as), 0.1);
  const double dt = -2.5 + 1.25 * ln_y, da = -0.82 + 0.79 * ln_y;
  l.sigma_ln_t = dt > 2.0 ? 1.0 / dt : 0.5;
  l.sigma_ln_a = da > 2.0 ? 1.0 / da : 0.5;
  l.rho = fmin(fmax(0.784 - 0.023 * ln_y, -0.99), 0.99);
  return l;
}

struct Radial {
  double rc, rt, p;  // core and tail radii (Moliere units), core probability
};

// GP radial profile at depth tau (units of T), E in MeV, with the sampling corrections.
CALO_HD_INLINE Radial gp_radial(const GpParams& p, double e_mev, double tau) {
  const double ln_e = log(e_mev / 1000.0), z = p.z_eff, one_e = 1.0 - p.ehat, inv_fs = 1.0 / p.fs;
  const double z1 = 0.0251 + 0.00319 * ln_e, z2 = 0.1162 - 0.000381 * z;
  const double k1 = 0.659 - 0.00309 * z, k2 = 0.645, k3 = -2.59, k4 = 0.3585 + 0.0421 * ln_e;
  const double p1 = 2.632 - 0.00094 * z, p2 = 0.401 + 0.00187 * z, p3 = 1.313 - 0.0686 * ln_e;
  Radial r;
  r.rc = z1 + z2 * tau - 0.0203 * one_e + 0.0397 * inv_fs * exp(-tau);
  r.rt = k1 * (exp(k3 * (tau - k2)) + exp(k4 * (tau - k2))) - 0.14 * one_e -
         0.495 * inv_fs * exp(-tau);
  const double w = (p2 - tau) / p3;
  r.p = p1 * exp(w - exp(w)) + one_e * (0.348 - 0.642 * inv_fs * exp(-(tau - 1.0) * (tau - 1.0)));
  r.rc = fmax(r.rc, 1e-3);
  r.rt = fmax(r.rt, r.rc);
  r.p = fmin(fmax(r.p, 0.0), 1.0);
  return r;
}

// CDF of the single-component radial law 2rR^2/(r^2+R^2)^2 (both r, R in Moliere units).
CALO_HD_INLINE double radial_cdf(double r, double big_r) {
  return r * r / (r * r + big_r * big_r);
}

CALO_HD_INLINE int voxel_of(int layer, int alpha, int ring) {
  return (layer * kAlpha + alpha) * kRadii + ring;
}

// Adds one hit at (x, y) mm to the voxel grid; hits outside the outer ring are lost.
CALO_HD_INLINE void deposit(float* vox, int layer, double x, double y, double e) {
  const double r = sqrt(x * x + y * y);
  const int ring = static_cast<int>(r / kRingMm);
  if (ring >= kRadii) return;
  int a = static_cast<int>((atan2(y, x) + kPi) / (2.0 * kPi / kAlpha));
  a = a < 0 ? 0 : (a >= kAlpha ? kAlpha - 1 : a);
  vox[voxel_of(layer, a, ring)] += static_cast<float>(e);
}

// One shower of incident energy e_mev into vox[kVoxels] (overwritten), drawing from rng only.
CALO_HD_INLINE void generate_shower(const GpParams& p, double e_mev, PhiloxCursor& rng,
                                    float* vox) {
  for (int i = 0; i < kVoxels; ++i) vox[i] = 0.0f;
  // 1. correlated (ln T, ln alpha)
  const Longitudinal l = gp_longitudinal(p, e_mev);
  const double z1 = draw_normal(rng), z2 = draw_normal(rng);
  const double cp = sqrt((1.0 + l.rho) / 2.0), cm = sqrt((1.0 - l.rho) / 2.0);
  const double t_max = fmax(exp(l.mu_ln_t + l.sigma_ln_t * (cp * z1 + cm * z2)), 1.0);
  const double alpha = fmax(exp(l.mu_ln_a + l.sigma_ln_a * (cp * z1 - cm * z2)), 1.1);
  const double beta = (alpha - 1.0) / t_max;
  const double alpha_bar = fmax(exp(l.mu_ln_a), 1.1);
  const double dz = kLayerMm / p.x0_mm;
  const double spot_e = p.hits_per_spot * p.hit_mean;
  const double spot_var =
      p.hits_per_spot * p.hit_second + p.hits_per_spot * p.hits_per_spot * p.hit_mean * p.hit_mean;
  // 2. primary track: MIP hits on the axis of layer 0
  const int n_prim = draw_poisson(rng, p.primary_hits);
  for (int h = 0; h < n_prim; ++h) {
    const double ex = p.smear_mm * draw_normal(rng), ey = p.smear_mm * draw_normal(rng);
    deposit(vox, 0, ex, ey, draw_hit_energy(rng, p));
  }
  double p_lo = 0.0;
  for (int k = 0; k < kLayers; ++k) {
    const double p_hi = gamma_p(alpha, beta * (k + 1) * dz);
    const double f = p_hi - p_lo;
    p_lo = p_hi;
    if (!(f > 0.0)) continue;
    const double tau =
        ((k + 0.5) * dz / t_max) * ((alpha - 1.0) / alpha) * (alpha_bar / (alpha_bar - 1.0));
    const Radial rad = gp_radial(p, e_mev, tau);
    double c_lo = 0.0, t_lo = 0.0;
    for (int j = 0; j < kRadii; ++j) {
      const double edge = (j + 1) * kRingMm / p.rm_mm;
      const double c_hi = radial_cdf(edge, rad.rc), t_hi = radial_cdf(edge, rad.rt);
      const double wc = rad.p * (c_hi - c_lo), wt = (1.0 - rad.p) * (t_hi - t_lo);
      const double c0 = c_lo, t0 = t_lo;
      c_lo = c_hi;
      t_lo = t_hi;
      const double mean_e = p.visible_fraction * e_mev * f * (wc + wt);
      const double spots = mean_e / spot_e;
      if (!(spots > 0.0)) continue;
      if (spots * p.hits_per_spot / kAlpha >= p.dense_hits) {
        // compound Poisson per voxel (Poisson splitting over alpha), Gamma with matched moments
        const double m = mean_e / kAlpha, v = spots / kAlpha * spot_var;
        const double shape = m * m / v, scale = v / m;
        for (int a = 0; a < kAlpha; ++a)
          vox[voxel_of(k, a, j)] += static_cast<float>(scale * draw_gamma(rng, shape));
        continue;
      }
      // explicit spots inside ring j, each split into MIP-sized hits with a small smear
      const int n_spots = draw_poisson(rng, spots);
      const double p_core = wc / (wc + wt);
      for (int s = 0; s < n_spots; ++s) {
        const bool core = rng.next_uniform_double() < p_core;
        const double lo = core ? c0 : t0, hi = core ? c_hi : t_hi, big_r = core ? rad.rc : rad.rt;
        const double u = lo + (hi - lo) * rng.next_uniform_double();
        const double r_mm = p.rm_mm * big_r * sqrt(u / (1.0 - u));
        const double phi = -kPi + 2.0 * kPi * rng.next_uniform_double();
        const double sx = r_mm * cos(phi), sy = r_mm * sin(phi);
        const int n_hits = draw_poisson(rng, p.hits_per_spot);
        for (int h = 0; h < n_hits; ++h) {
          const double ex = p.smear_mm * draw_normal(rng), ey = p.smear_mm * draw_normal(rng);
          deposit(vox, k, sx + ex, sy + ey, draw_hit_energy(rng, p));
        }
      }
    }
  }
  // 3. readout threshold
  for (int i = 0; i < kVoxels; ++i)
    if (vox[i] < static_cast<float>(p.threshold)) vox[i] = 0.0f;
}

}  // namespace calo::synth
