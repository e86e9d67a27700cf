#pragma once
// Pieces shared by the device RBM tests (test_cd_device.cpp, test_device_rbm_graph.cpp).
#include <gtest/gtest.h>

#include <cstdint>

#include "host/topology/graph.hpp"
#include "samplers/rbm.hpp"
#include "samplers/rbm_learning.hpp"

namespace calo::testing {

// A 4-partite RBM of n nodes per partition on Z(2,4), weights and biases drawn from `seed`.
inline Rbm small_rbm(int n, uint64_t seed) {
  Rbm r = Rbm::from_graph(zephyr_graph(2, 4), n);
  r.init_random(seed, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 0.3f);
  return r;
}

// Every weight and bias gradient of `got` within `tol` of `ref`.
inline void expect_gradient_near(const RbmGradient& got, const RbmGradient& ref, double tol) {
  for (int k = 0; k < 6; ++k)
    for (size_t i = 0; i < ref.w[size_t(k)].size(); ++i)
      EXPECT_NEAR(got.w[size_t(k)][i], ref.w[size_t(k)][i], tol) << k << " " << i;
  for (int p = 0; p < 4; ++p)
    for (size_t i = 0; i < ref.b[size_t(p)].size(); ++i)
      EXPECT_NEAR(got.b[size_t(p)][i], ref.b[size_t(p)][i], tol) << p << " " << i;
}

}  // namespace calo::testing
