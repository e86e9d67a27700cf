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

// Every weight and bias gradient of `got` equal to `ref`'s, bit for bit.
inline void expect_gradient_equal(const RbmGradient& got, const RbmGradient& ref) {
  for (int k = 0; k < 6; ++k) EXPECT_EQ(got.w[size_t(k)], ref.w[size_t(k)]) << "pair " << k;
  for (int p = 0; p < 4; ++p) EXPECT_EQ(got.b[size_t(p)], ref.b[size_t(p)]) << "partition " << p;
}

}  // namespace calo::testing
