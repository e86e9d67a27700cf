#pragma once
// Toy CaloChallenge showers for tests that cannot link the synth module: a longitudinal Gaussian
// profile times a radial exponential, about 30% of voxels hit, log-uniform 1-100 GeV.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "host/h5io.hpp"
#include "kernels/philox.hpp"

namespace calo::testing {

inline void write_toy_showers(const std::string& path, int rows) {
  const int nv = 6480;
  std::vector<float> e(static_cast<size_t>(rows)), x(static_cast<size_t>(rows) * nv, 0.0f);
  for (int i = 0; i < rows; ++i) {
    e[size_t(i)] = float(1e3 * std::pow(100.0, calo::uniform(5, 1, uint64_t(i))));
    for (int v = 0; v < nv; ++v) {
      const int l = v / 144, r = v % 9;
      const uint64_t k = uint64_t(i) * nv + uint64_t(v);
      if (calo::uniform(5, 2, k) > 0.3f) continue;
      const double prof = std::exp(-0.5 * (l - 15.0) * (l - 15.0) / 36.0) * std::exp(-0.7 * r);
      x[k] = float(e[size_t(i)] * 0.01 * prof * (0.5 + calo::uniform(5, 3, k)));
    }
  }
  calo::write_shower_file(path, e, x, nv);
}

}  // namespace calo::testing
