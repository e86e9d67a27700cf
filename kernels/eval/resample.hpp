#pragma once
// Bootstrap row indices for FPD/KPD: draw k of batch b picks row floor(u * n) of a sample of n
// rows, u from Philox (seed, stream = 2*batch + which_sample, index = k). Pure function of its
// arguments, so results do not depend on thread count or backend.
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/philox.hpp"

namespace calo::eval {

CALO_HD_INLINE int64_t resample_index(uint64_t seed, uint64_t batch, int which, uint64_t k,
                                      int64_t n) {
  const Uniform2d u = uniform2_double(seed, 2 * batch + static_cast<uint64_t>(which), k >> 1);
  int64_t i = static_cast<int64_t>(u.u[k & 1u] * static_cast<double>(n));
  return i >= n ? n - 1 : i;
}

// JetNet's polynomial kernel of degree 4: k(x, y) = (x.y / d + 1)^4.
CALO_HD_INLINE double poly4_kernel(double dot, int dims) {
  const double t = dot / static_cast<double>(dims) + 1.0;
  const double t2 = t * t;
  return t2 * t2;
}

}  // namespace calo::eval
