#pragma once
// Losses and the hit-mask x energy output combination. Values are returned as double (summed in
// double on the CPU), gradients as tensors on the input's backend.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "host/tensor.hpp"
#include "samplers/rbm.hpp"

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

// KL terms of the reference loss (research/caloqvae.md section 5), on the host in double:
//   entropy    = mean_b sum_{3n} [z ln sigma(l) + (1 - z) ln(1 - sigma(l))]   (E_q ln q)
//   pos_energy = mean_b E_cond(code, z), E_cond(z) = -sum_{p>=1} b_p.z_p - sum_{p<q} z_p W_pq z_q
// (no partition-0 bias: partition 0 is the clamped energy code). logits l and relaxed posterior z
// are B x 3n (partitions 1..3), code is B x n (partition 0 bits). Gradients of
// grad_scale * (entropy + pos_energy): grad_logits at fixed z (= s/B (z - sigma(l))) and grad_z
// (= s/B (l + dE_cond/dz)); the caller chains grad_z through the Gumbel relaxation.
struct KlResult {
  double entropy = 0.0, pos_energy = 0.0;
  std::vector<float> grad_logits, grad_z;  // B x 3n each (empty unless gradients were asked for)
};
KlResult kl_terms(const Rbm& prior, std::span<const float> code, std::span<const float> logits,
                  std::span<const float> z, int64_t batch, bool gradients, float grad_scale = 1.0f);

// kl_terms on tensors of one backend (the CUDA training step keeps them on the device): code,
// logits[k] and z[k] (k = partitions 1..3) are (B, n); the prior goes up in one copy, into
// `packed` when given (which skips the copy while the prior is unchanged), or not at all when
// `packed_on_device` holds its packed parameters already (kernels/rbm/packed_layout.hpp; then
// `prior` gives only n). Same values and gradients as the span version (sums in another order:
// equal to rounding).
struct KlTensors {
  double entropy = 0.0, pos_energy = 0.0;
  std::array<Tensor, 3> grad_logits, grad_z;  // (B, n) each, empty unless gradients were asked for
};
class PackedRbm;
KlTensors kl_terms(const Rbm& prior, const Tensor& code, std::span<const Tensor> logits,
                   std::span<const Tensor> z, bool gradients, float grad_scale = 1.0f,
                   PackedRbm* packed = nullptr, const float* packed_on_device = nullptr);

// E_cond of one (possibly relaxed) state: code (n) and z (3n, partitions 1..3).
double conditional_energy(const Rbm& prior, const float* code, const float* z);

}  // namespace calo::nn
