#pragma once
// Scalar activation rules (forward and derivative) shared by the CPU loops and the CUDA kernels.
#include <cmath>

#include "kernels/hd.hpp"
#include "kernels/math.hpp"
#include "kernels/philox.hpp"

namespace calo::nn {

CALO_HD_INLINE float leaky_relu_f(float x, float slope) {
  return x > 0.0f ? x : slope * x;
}
CALO_HD_INLINE float leaky_relu_df(float x, float slope) {
  return x > 0.0f ? 1.0f : slope;
}
CALO_HD_INLINE float relu_f(float x) {
  return x > 0.0f ? x : 0.0f;
}
CALO_HD_INLINE float relu_df(float x) {
  return x > 0.0f ? 1.0f : 0.0f;
}
CALO_HD_INLINE float silu_f(float x) {
  return x * sigmoidf(x);
}
CALO_HD_INLINE float silu_df(float x) {
  const float s = sigmoidf(x);
  return s * (1.0f + x * (1.0f - s));
}
// PReLU slope gradient contribution of one element.
CALO_HD_INLINE float prelu_slope_grad(float x, float gy) {
  return x > 0.0f ? 0.0f : gy * x;
}

// BatchNorm: 1/sqrt(var + eps) and the input gradient through the batch statistics, given
// mg = mean(gy) and mgx = mean(gy * xhat) over the channel.
CALO_HD_INLINE float bn_inv_std(float var, float eps) {
  return 1.0f / sqrtf(var + eps);
}
CALO_HD_INLINE float bn_grad_input(float gy, float xhat, float gamma, float inv_std, float mg,
                                   float mgx) {
  return gamma * inv_std * (gy - mg - xhat * mgx);
}

// BatchNorm's normalised value, and BatchNorm with fixed statistics followed by PReLU: the one
// definition of the eval pair for the CPU fusion (host/nn/ops.cpp), the channels-last decoder tail
// (host/nn/conv_channels_last.cpp) and BnNormalise, so all round alike.
CALO_HD_INLINE float bn_xhat_f(float x, float mean, float inv_std) {
  return (x - mean) * inv_std;
}
CALO_HD_INLINE float bn_prelu_eval_f(float x, float mean, float inv_std, float gamma, float beta,
                                     float slope) {
  return leaky_relu_f(gamma * bn_xhat_f(x, mean, inv_std) + beta, slope);
}

// Per-channel affine (GroupNorm scale and shift).
CALO_HD_INLINE float channel_affine_f(float x, float g, float b) {
  return g * x + b;
}

// Derivative of the sigmoid from its output y.
CALO_HD_INLINE float sigmoid_dy(float y) {
  return y * (1.0f - y);
}

// Logistic noise log(rho) - log(1 - rho) for rho in (0, 1).
CALO_HD_INLINE float logistic_noise(float rho) {
  return logf(rho) - log1pf(-rho);
}
// Gumbel-sigmoid: training relaxation and eval heaviside (0 maps to 0).
CALO_HD_INLINE float gumbel_sigmoid_train(float logit, float rho, float beta) {
  return sigmoidf(beta * (logit + logistic_noise(rho)));
}
CALO_HD_INLINE float gumbel_sigmoid_eval(float logit, float rho) {
  return logit + logistic_noise(rho) > 0.0f ? 1.0f : 0.0f;
}

// Losses per element. Weighted MSE on u with weight exp(w u) (u = truth).
CALO_HD_INLINE float wmse_term(float u, float uhat, float w) {
  const float d = u - uhat;
  return d * d * expf(w * u);
}
CALO_HD_INLINE float wmse_grad(float u, float uhat, float w, float scale) {
  return -2.0f * scale * (u - uhat) * expf(w * u);
}
// BCE with logits: softplus(x) - t x; gradient sigmoid(x) - t.
CALO_HD_INLINE float bce_logits_term(float x, float t) {
  return softplusf(x) - t * x;
}
CALO_HD_INLINE float bce_logits_grad(float x, float t, float scale) {
  return scale * (sigmoidf(x) - t);
}

// Hit-mask target of a transformed voxel value (u > 0 is a hit).
CALO_HD_INLINE float hit_target_f(float u) {
  return u > 0.0f ? 1.0f : 0.0f;
}

// Output combination.
CALO_HD_INLINE float combine_train_f(float act, float u_true, float slope) {
  return u_true > 0.0f ? leaky_relu_f(act, slope) : 0.0f;
}
CALO_HD_INLINE float combine_train_df(float act, float u_true, float slope) {
  return u_true > 0.0f ? leaky_relu_df(act, slope) : 0.0f;
}
CALO_HD_INLINE float combine_eval_f(float act, float hit_logit, float rho) {
  return relu_f(act) * gumbel_sigmoid_eval(hit_logit, rho);
}
// combine_eval_f with voxel `index`'s draw of (seed, stream). A voxel whose energy head is not
// positive is 0 whatever the draw says, so its draw and logarithms are skipped (draws are keyed by
// the index, so skipping one moves no other): same value, about half the work at generation.
CALO_HD_INLINE float combine_eval_at(float act, float hit_logit, uint64_t seed, uint64_t stream,
                                     uint64_t index) {
  if (!(act > 0.0f)) return 0.0f;
  return combine_eval_f(act, hit_logit, uniform(seed, stream, index));
}

// Elementwise op codes (host/nn/ops.hpp Unary): 0 relu, 1 leaky_relu(p), 2 silu, 3 sigmoid.
// One dispatch for the CPU loop and the CUDA kernel.
CALO_HD_INLINE float unary_f(int op, float p, float x) {
  switch (op) {
    case 0:
      return relu_f(x);
    case 1:
      return leaky_relu_f(x, p);
    case 2:
      return silu_f(x);
    default:
      return sigmoidf(x);
  }
}
// Derivative from what the forward saved: the input, or for sigmoid its output.
CALO_HD_INLINE float unary_df(int op, float p, float saved) {
  switch (op) {
    case 0:
      return relu_df(saved);
    case 1:
      return leaky_relu_df(saved, p);
    case 2:
      return silu_df(saved);
    default:
      return sigmoid_dy(saved);
  }
}

}  // namespace calo::nn
