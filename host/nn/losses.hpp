#pragma once
// Losses and the hit-mask x energy output combination. Values are returned as double (summed in
// double on the CPU), gradients as tensors on the input's backend.
#include <cstdint>

#include "host/tensor.hpp"

namespace calo::nn {

struct LossResult {
  double value = 0.0;
  Tensor grad;  // d value / d prediction
};

// coefficient * sum((u - uhat)^2 * exp(w * u)) / batch; grad w.r.t. uhat. u, uhat: (B, ...).
LossResult weighted_mse_u(const Tensor& u, const Tensor& uhat, float coefficient, float w);

// sum over voxels of BCE-with-logits(logits, targets) / batch; grad w.r.t. logits.
LossResult bce_with_logits(const Tensor& logits, const Tensor& targets);

// Training combination: LeakyReLU(slope)(acts) * 1[u_true > 0] (teacher-forced true hit mask).
Tensor combine_train(const Tensor& acts, const Tensor& u_true, float slope);
// Gradient w.r.t. acts of combine_train.
Tensor combine_train_backward(const Tensor& grad_output, const Tensor& acts, const Tensor& u_true,
                              float slope);
// Eval/generation: ReLU(acts) * H(hits + logistic noise) = ReLU(acts) * Bernoulli(sigmoid(hits)),
// noise from Philox (seed, stream, offset + element index).
Tensor combine_eval(const Tensor& acts, const Tensor& hit_logits, uint64_t seed, uint64_t stream,
                    uint64_t offset = 0);

}  // namespace calo::nn
