#pragma once
// Backend-dispatching primitives the layers are written in: one layer implementation, two
// backends. Every pointer refers to memory on `where` (host for Backend::cpu, device for cuda).
// The CPU versions are the reference; the CUDA versions (ops.cu) call the same CALO_HD functions.
#include <cstdint>

#include "host/backend.hpp"
#include "kernels/nn/adam.hpp"
#include "kernels/nn/cylindrical_index.hpp"
#include "kernels/nn/gpu_ops.hpp"

namespace calo::nn::ops {

// Row-major C (M x N) = alpha * op(A) * op(B) + beta * C, op(A) is M x K, op(B) is K x N.
void gemm(Backend where, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, const float* B, float beta, float* C);

// col (C*kd*kh*kw, Do*Ho*Wo) from one batch item x (C, D, H, W); pads read as 0.
void im2col(Backend where, const ConvGeom& g, const float* x, float* col);
// x (C, D, H, W) += scatter of col (the adjoint of im2col). Caller zeroes x first when needed.
void col2im(Backend where, const ConvGeom& g, const float* col, float* x);

// y (B, C, S) += bias[c].
void add_channel_bias(Backend where, float* y, const float* bias, int64_t B, int64_t C, int64_t S);
// gbias[c] += sum over b, s of gy (B, C, S).
void channel_sum_acc(Backend where, const float* gy, float* gbias, int64_t B, int64_t C, int64_t S);

enum class Unary : int { relu = 0, leaky_relu = 1, silu = 2, sigmoid = 3 };
// y = f(x).
void unary_forward(Backend where, Unary op, float param, const float* x, float* y, int64_t n);
// gx = gy * f'(.) where `saved` is x (relu, leaky, silu) or y (sigmoid).
void unary_backward(Backend where, Unary op, float param, const float* saved, const float* gy,
                    float* gx, int64_t n);

// PReLU on (B, C, S) with slopes a[C]: y = x > 0 ? x : a[c] x; backward gx and ga[c] += sum gy x
// [x<=0].
void prelu_forward(Backend where, const float* x, const float* a, float* y, int64_t B, int64_t C,
                   int64_t S);
void prelu_backward(Backend where, const float* x, const float* a, const float* gy, float* gx,
                    float* ga, int64_t B, int64_t C, int64_t S);

// BatchNorm on (B, C, S). Training: batch statistics -> mean[C], inv_std[C] (biased variance),
// var_unbiased[C]; eval: pass the running mean/var. y = gamma * xhat + beta; xhat is stored for
// backward.
void batchnorm_forward(Backend where, const float* x, const float* gamma, const float* beta,
                       float* y, float* xhat, float* mean, float* inv_std, float* var_unbiased,
                       bool use_batch_stats, float eps, int64_t B, int64_t C, int64_t S);
// Training-mode backward (through the batch statistics) or eval-mode (fixed statistics).
void batchnorm_backward(Backend where, const float* gy, const float* xhat, const float* gamma,
                        const float* inv_std, float* gx, float* ggamma, float* gbeta,
                        bool batch_stats, int64_t B, int64_t C, int64_t S);
// running = (1 - momentum) * running + momentum * batch, elementwise over n.
void lerp_inplace(Backend where, float* running, const float* batch, float momentum, int64_t n);

// Gumbel-sigmoid (kernels/nn/activations.hpp) with rho = uniform(seed, stream, offset + i).
void gumbel_forward(Backend where, const float* logits, float* y, int64_t n, float beta,
                    bool training, uint64_t seed, uint64_t stream, uint64_t offset);
// gx = gy * beta * y * (1 - y).
void gumbel_backward(Backend where, const float* gy, const float* y, float* gx, int64_t n,
                     float beta);
// y += x over n elements.
void add_inplace(Backend where, float* y, const float* x, int64_t n);
// t = 1 where u > 0 else 0 (the hit head's target).
void hit_target(Backend where, const float* u, float* t, int64_t n);
// codes (B x n) = the energy code of partition 0 as 0/1 floats, codes[b * n + i] =
// energy_code_bit(energies[b], i, n) (kernels/transform.hpp, what LatentLayout::codes writes).
void energy_code_rows(Backend where, const float* energies, int64_t B, int n, float* codes);
// Loss sums (double) and gradients (grad = scale * d term / d prediction).
double wmse_sum(Backend where, const float* u, const float* uhat, float* grad, int64_t n, float w,
                float scale);
double bce_sum(Backend where, const float* logits, const float* targets, float* grad, int64_t n,
               float scale);
// KL entropy over n posterior units (kernels/nn/kl_math.hpp kl_entropy_unit); gradients into
// grad_logits and grad_z (overwritten) unless they are null.
double kl_entropy_sum(Backend where, const float* logits, const float* z, float* grad_logits,
                      float* grad_z, int64_t n, double scale);
// KL energy of a (rows x n) partition block z with coupling fields f and per-unit bias (null: no
// bias, the clamped partition 0) (kl_energy_unit); the gradient is added to grad_z unless null.
double kl_energy_sum(Backend where, const float* z, const float* f, const float* bias,
                     float* grad_z, int64_t rows, int64_t n, double scale);
void combine_train(Backend where, const float* acts, const float* u_true, float* y, int64_t n,
                   float slope);
void combine_train_backward(Backend where, const float* gy, const float* acts, const float* u_true,
                            float* gx, int64_t n, float slope);
// CPU, inference: x = PReLU(BatchNorm(x)) in place with the running statistics, rounded as
// batchnorm_forward (use_batch_stats = false) then prelu_forward round it; slopes per channel or
// one for all (per_channel false). host/nn/fused_eval.hpp.
void batchnorm_prelu_eval_inplace(float* x, const float* running_mean, const float* running_var,
                                  const float* gamma, const float* beta, const float* slope,
                                  bool per_channel, float eps, int64_t B, int64_t C, int64_t S);
void combine_eval(Backend where, const float* acts, const float* hits, float* y, int64_t n,
                  uint64_t seed, uint64_t stream, uint64_t offset);
// dst[r * dst_stride + j] = src[r * src_stride + j] for r < rows, j < len.
void copy_strided(Backend where, const float* src, int64_t src_stride, float* dst,
                  int64_t dst_stride, int64_t rows, int64_t len);
// dst[b * S + s] = v[b].
void broadcast_rows(Backend where, const float* v, float* dst, int64_t B, int64_t S);
// y[i] = value for n elements (on the device without an upload).
void fill(Backend where, float* y, float value, int64_t n);
// Adam update over n elements (kernels/nn/adam.hpp).
void adam_step(Backend where, const AdamScalars& s, float* p, const float* g, float* m, float* v,
               int64_t n);
// Per-channel affine on (B, C, S): y = g[c] * x + b[c]; backward gx = gy * g[c], gg[c] += sum gy *
// x, gb[c] += sum gy.
void affine_forward(Backend where, const float* x, const float* g, const float* b, float* y,
                    int64_t B, int64_t C, int64_t S);
void affine_backward(Backend where, const float* x, const float* g, const float* gy, float* gx,
                     float* gg, float* gb, int64_t B, int64_t C, int64_t S);
}  // namespace calo::nn::ops
