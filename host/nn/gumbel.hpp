#pragma once
// Gumbel-sigmoid relaxation of Bernoulli latents (reference gumbelmod.py), rho ~ U(0,1) from Philox
// addressed by (seed, stream, offset + element index):
//   training: zeta = sigmoid(beta * (l + log rho - log(1 - rho)))
//   eval:     zeta = H(l + log rho - log(1 - rho)) (heaviside, 0 -> 0), an exact
//   Bernoulli(sigmoid(l)).
#include <cstdint>

#include "host/tensor.hpp"

namespace calo::nn {

Tensor gumbel_sigmoid_forward(const Tensor& logits, float beta, bool training, uint64_t seed,
                              uint64_t stream, uint64_t offset = 0);
// d zeta / d l = beta * zeta * (1 - zeta) (training output); eval output has zero gradient.
Tensor gumbel_sigmoid_backward(const Tensor& grad_output, const Tensor& output, float beta);

}  // namespace calo::nn
