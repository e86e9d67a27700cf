#pragma once
// Finite-difference gradient check shared by the layer tests. The loss is L = sum(out * R) with a
// fixed random R, accumulated in double; analytic gradients come from backward(R).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "host/nn/layer.hpp"
#include "kernels/philox.hpp"

namespace calo::nn::testing {

inline Tensor random_tensor(Shape shape, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(shape);
  float* d = t.data();
  for (int64_t i = 0; i < t.numel(); ++i)
    d[i] = lo + (hi - lo) * uniform(seed, 7, static_cast<uint64_t>(i));
  return t;
}

inline double dot(const Tensor& a, const Tensor& b) {
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) s += static_cast<double>(a.data()[i]) * b.data()[i];
  return s;
}

struct GradCheckOptions {
  float eps = 1e-2f;
  double abs_tol = 2e-3;
  double rel_tol = 2e-2;
  int64_t max_checks = 4000;  // per tensor; strided subset beyond this
};

// Checks d/dinput and d/dparams of sum(layer(x) * R) against central differences.
inline void grad_check(Layer& layer, Tensor& x, bool training, uint64_t seed,
                       GradCheckOptions o = {}) {
  Tensor out = layer.forward(x, training);
  Tensor R = random_tensor(out.shape(), seed + 1);
  for (Param* p : layer.params()) p->grad.zero();
  Tensor gx = layer.backward(R);
  ASSERT_EQ(gx.shape(), x.shape());
  auto loss = [&]() { return dot(layer.forward(x, training), R); };
  auto check = [&](float* v, const float* analytic, int64_t n, const char* what) {
    const int64_t step = std::max<int64_t>(1, n / o.max_checks);
    int bad = 0;
    for (int64_t i = 0; i < n; i += step) {
      const float keep = v[i];
      v[i] = keep + o.eps;
      const double lp = loss();
      v[i] = keep - o.eps;
      const double lm = loss();
      v[i] = keep;
      const double fd = (lp - lm) / (2.0 * o.eps);
      const double tol = o.abs_tol + o.rel_tol * std::fabs(fd);
      if (std::fabs(fd - analytic[i]) > tol && bad++ < 5)
        ADD_FAILURE() << layer.name() << " " << what << "[" << i << "]: analytic " << analytic[i]
                      << " finite difference " << fd;
    }
    EXPECT_EQ(bad, 0) << what;
  };
  check(x.data(), gx.data(), x.numel(), "input");
  for (Param* p : layer.params()) {
    std::vector<float> g = p->grad.to_vector();
    check(p->value.data(), g.data(), p->value.numel(), p->name.c_str());
  }
}

}  // namespace calo::nn::testing
