#pragma once
// Deterministic PyTorch-default-like initialisation from Philox: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
// (kaiming_uniform with a = sqrt(5)) for weights and biases. Element i of stream `stream` of
// `seed`.
#include <cmath>
#include <cstdint>
#include <string>

#include "host/nn/layer.hpp"
#include "kernels/philox.hpp"

namespace calo::nn {

inline Param make_uniform_param(std::string name, Shape shape, int64_t fan_in, uint64_t seed,
                                uint64_t stream) {
  Param p;
  p.name = std::move(name);
  p.value = Tensor(shape);
  p.grad = Tensor(shape);
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  float* v = p.value.data();
  for (int64_t i = 0; i < p.value.numel(); ++i)
    v[i] = (2.0f * uniform(seed, stream, static_cast<uint64_t>(i)) - 1.0f) * bound;
  return p;
}

// Throws InputError when `t` is not on `where` (tensors are never moved implicitly).
void require_same_backend(const Tensor& t, Backend where, const std::string& layer,
                          const char* what);

}  // namespace calo::nn
