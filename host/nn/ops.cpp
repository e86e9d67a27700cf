#include "host/nn/ops.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>

#include "host/cpu_dispatch.hpp"
#include "host/nn/conv_cpu.hpp"
#include "host/nn/conv_rows.hpp"
#include "kernels/nn/activations.hpp"
#include "kernels/nn/batchnorm_math.hpp"
#include "kernels/nn/kl_math.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"

namespace calo::nn::ops {

// The op codes kernels/nn/activations.hpp dispatches on.
static_assert(static_cast<int>(Unary::relu) == 0 && static_cast<int>(Unary::leaky_relu) == 1 &&
              static_cast<int>(Unary::silu) == 2 && static_cast<int>(Unary::sigmoid) == 3);

void gemm(Backend where, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, const float* B, float beta, float* C) {
  if (where == Backend::cuda) return gpu::gemm(trans_a, trans_b, M, N, K, alpha, A, B, beta, C);
  const auto lda = static_cast<int>(trans_a ? M : K);
  const auto ldb = static_cast<int>(trans_b ? K : N);
  const auto call = [&](int64_t m0, int64_t m, int64_t n0, int64_t n) {
    const float* a = A + (trans_a ? m0 : m0 * K);
    const float* b = B + (trans_b ? n0 * K : n0);
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(K), alpha, a, lda, b, ldb, beta, C + m0 * N + n0,
                static_cast<int>(N));
  };
  // A threaded OpenBLAS parallelises itself; a serial one (the apps' setting, see
  // host/runtime_policy.hpp) gets blocks of C in one OpenMP region. The blocks are fixed, not one
  // per thread, and each element keeps its K order, so the result does not depend on the threads.
  // Every block packs the whole other operand again (the decoder's first Linear: 1.2 MB of
  // activations per block of its 102400 outputs), so blocks grow until there are at most 64.
  constexpr int64_t kMinBlock = 64, kMaxBlock = 1024, kTargetBlocks = 64, kMinFlops = 1 << 20;
  const bool split_m = M >= N;
  const int64_t extent = split_m ? M : N;
  int64_t kBlock = kMinBlock;
  while (kBlock < kMaxBlock && extent > kTargetBlocks * kBlock) kBlock *= 2;
  const int64_t blocks = (extent + kBlock - 1) / kBlock;
  if (!cpu::blas_is_serial() || omp_in_parallel() || blocks < 2 || 2 * M * N * K < kMinFlops)
    return call(0, M, 0, N);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < blocks; ++i) {
    const int64_t lo = i * kBlock, len = std::min(kBlock, extent - lo);
    if (split_m)
      call(lo, len, 0, N);
    else
      call(0, M, lo, len);
  }
}

CALO_CPU_CLONES
void im2col(Backend where, const ConvGeom& g, const float* x, float* col) {
  if (where == Backend::cuda) return gpu::im2col(g, x, col);
  const int64_t rows = static_cast<int64_t>(g.C) * g.kd * g.kh * g.kw;
  const int64_t cols = static_cast<int64_t>(g.Do) * g.Ho * g.Wo;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) im2col_row(g, x, col + r * cols, r);
}

CALO_CPU_CLONES
void col2im(Backend where, const ConvGeom& g, const float* col, float* x) {
  if (where == Backend::cuda) return gpu::col2im(g, col, x);
  const int64_t rows = static_cast<int64_t>(g.C) * g.kd * g.kh * g.kw;
  const int64_t cols = static_cast<int64_t>(g.Do) * g.Ho * g.Wo;
  const int64_t per_channel = rows / g.C;
  // Parallel over input channels: a channel's rows only ever scatter into that channel.
#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < g.C; ++ch) {
    for (int64_t r = ch * per_channel; r < (ch + 1) * per_channel; ++r)
      col2im_row(g, col + r * cols, x, r);
  }
}

CALO_CPU_CLONES
void add_channel_bias(Backend where, float* y, const float* bias, int64_t B, int64_t C, int64_t S) {
  if (where == Backend::cuda) return gpu::add_channel_bias(y, bias, B, C, S);
#pragma omp parallel for schedule(static)
  for (int64_t bc = 0; bc < B * C; ++bc) {
    const float v = bias[bc % C];
    for (int64_t s = 0; s < S; ++s) y[bc * S + s] += v;
  }
}

CALO_CPU_CLONES
void channel_sum_acc(Backend where, const float* gy, float* gbias, int64_t B, int64_t C,
                     int64_t S) {
  if (where == Backend::cuda) return gpu::channel_sum_acc(gy, gbias, B, C, S);
  // Blocks of channels, each summed row by row: contiguous reads (a (B, C) gradient with S = 1
  // read column by column touches a cache line per element) and, per channel, the same order
  // (b, then s) as a plain loop, so the sums do not depend on the threads. With long spatial
  // rows (convolutions) a block is one channel: rows are contiguous already and every channel
  // is a task.
  constexpr int64_t kMaxBlock = 64;
  const int64_t block = S >= 16 ? 1 : kMaxBlock, blocks = (C + block - 1) / block;
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t c0 = blk * block, nc = std::min(block, C - c0);
    double acc[kMaxBlock] = {};
    for (int64_t b = 0; b < B; ++b) {
      const float* row = gy + (b * C + c0) * S;
      for (int64_t c = 0; c < nc; ++c)
        for (int64_t s = 0; s < S; ++s) acc[c] += row[c * S + s];
    }
    for (int64_t c = 0; c < nc; ++c) gbias[c0 + c] += static_cast<float>(acc[c]);
  }
}

CALO_CPU_CLONES
void unary_forward(Backend where, Unary op, float param, const float* x, float* y, int64_t n) {
  if (where == Backend::cuda) return gpu::unary_forward(static_cast<int>(op), param, x, y, n);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = unary_f(static_cast<int>(op), param, x[i]);
}

CALO_CPU_CLONES
void unary_backward(Backend where, Unary op, float param, const float* saved, const float* gy,
                    float* gx, int64_t n) {
  if (where == Backend::cuda)
    return gpu::unary_backward(static_cast<int>(op), param, saved, gy, gx, n);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) gx[i] = gy[i] * unary_df(static_cast<int>(op), param, saved[i]);
}

}  // namespace calo::nn::ops

namespace calo::nn::ops {

CALO_CPU_CLONES
void prelu_forward(Backend where, const float* x, const float* a, float* y, int64_t B, int64_t C,
                   int64_t S) {
  if (where == Backend::cuda) return gpu::prelu_forward(x, a, y, B, C, S);
#pragma omp parallel for schedule(static)
  for (int64_t bc = 0; bc < B * C; ++bc) {
    const float slope = a[bc % C];
    for (int64_t i = bc * S; i < (bc + 1) * S; ++i) y[i] = leaky_relu_f(x[i], slope);
  }
}

CALO_CPU_CLONES
void prelu_backward(Backend where, const float* x, const float* a, const float* gy, float* gx,
                    float* ga, int64_t B, int64_t C, int64_t S) {
  if (where == Backend::cuda) return gpu::prelu_backward(x, a, gy, gx, ga, B, C, S);
#pragma omp parallel for schedule(static)
  for (int64_t bc = 0; bc < B * C; ++bc) {
    const float slope = a[bc % C];
    for (int64_t i = bc * S; i < (bc + 1) * S; ++i) gx[i] = gy[i] * leaky_relu_df(x[i], slope);
  }
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    PreluSlopeGradSum sum{x, gy};
    channel_for_each(c, B, C, S, 0, 1, sum);
    ga[c] += static_cast<float>(sum.sum);
  }
}

CALO_CPU_CLONES
void batchnorm_forward(Backend where, const float* x, const float* gamma, const float* beta,
                       float* y, float* xhat, float* mean, float* inv_std, float* var_unbiased,
                       bool use_batch_stats, float eps, int64_t B, int64_t C, int64_t S) {
  if (where == Backend::cuda)
    return gpu::batchnorm_forward(x, gamma, beta, y, xhat, mean, inv_std, var_unbiased,
                                  use_batch_stats, eps, B, C, S);
  const int64_t n = B * S;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    float m = 0.0f, istd = 0.0f;
    if (use_batch_stats) {
      ChannelSum sum{x};
      channel_for_each(c, B, C, S, 0, 1, sum);
      const double mu = sum.sum / static_cast<double>(n);
      CentredSquares sq{x, mu};
      channel_for_each(c, B, C, S, 0, 1, sq);
      const BnStats st = bn_stats(mu, sq.sum, static_cast<double>(n), eps);
      m = mean[c] = st.mean;
      istd = inv_std[c] = st.inv_std;
      var_unbiased[c] = st.var_unbiased;
    } else {
      m = mean[c];
      istd = inv_std[c] = bn_inv_std(var_unbiased[c], eps);
    }
    BnNormalise norm{x, xhat, y, m, istd, gamma[c], beta[c]};
    channel_for_each(c, B, C, S, 0, 1, norm);
  }
}

CALO_CPU_CLONES
void batchnorm_prelu_eval_inplace(float* x, const float* running_mean, const float* running_var,
                                  const float* gamma, const float* beta, const float* slope,
                                  bool per_channel, float eps, int64_t B, int64_t C, int64_t S) {
#pragma omp parallel for schedule(static)
  for (int64_t bc = 0; bc < B * C; ++bc) {
    const int64_t c = bc % C;
    const float m = running_mean[c], istd = bn_inv_std(running_var[c], eps), g = gamma[c],
                be = beta[c], a = slope[per_channel ? c : 0];
    float* p = x + bc * S;
    for (int64_t s = 0; s < S; ++s) p[s] = bn_prelu_eval_f(p[s], m, istd, g, be, a);
  }
}

CALO_CPU_CLONES
void batchnorm_backward(Backend where, const float* gy, const float* xhat, const float* gamma,
                        const float* inv_std, float* gx, float* ggamma, float* gbeta,
                        bool batch_stats, int64_t B, int64_t C, int64_t S) {
  if (where == Backend::cuda)
    return gpu::batchnorm_backward(gy, xhat, gamma, inv_std, gx, ggamma, gbeta, batch_stats, B, C,
                                   S);
  const double n = static_cast<double>(B * S);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    GradSums sums{gy, xhat};
    channel_for_each(c, B, C, S, 0, 1, sums);
    ggamma[c] += static_cast<float>(sums.sgx);
    gbeta[c] += static_cast<float>(sums.sg);
    const BnGradMeans gm = bn_grad_means(sums.sg, sums.sgx, n);
    BnInputGrad grad{gy, xhat, gx, gamma[c], inv_std[c], gm.mg, gm.mgx, batch_stats};
    channel_for_each(c, B, C, S, 0, 1, grad);
  }
}

CALO_CPU_CLONES
void lerp_inplace(Backend where, float* running, const float* batch, float momentum, int64_t n) {
  if (where == Backend::cuda) return gpu::lerp_inplace(running, batch, momentum, n);
  for (int64_t i = 0; i < n; ++i) running[i] = (1.0f - momentum) * running[i] + momentum * batch[i];
}

}  // namespace calo::nn::ops

namespace calo::nn::ops {

CALO_CPU_CLONES
void gumbel_forward(Backend where, const float* logits, float* y, int64_t n, float beta,
                    bool training, uint64_t seed, uint64_t stream, uint64_t offset) {
  if (where == Backend::cuda)
    return gpu::gumbel_forward(logits, y, n, beta, training, seed, stream, offset);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float rho = uniform(seed, stream, offset + static_cast<uint64_t>(i));
    y[i] =
        training ? gumbel_sigmoid_train(logits[i], rho, beta) : gumbel_sigmoid_eval(logits[i], rho);
  }
}

CALO_CPU_CLONES
void gumbel_backward(Backend where, const float* gy, const float* y, float* gx, int64_t n,
                     float beta) {
  if (where == Backend::cuda) return gpu::gumbel_backward(gy, y, gx, n, beta);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) gx[i] = gy[i] * beta * sigmoid_dy(y[i]);
}

CALO_CPU_CLONES
void add_inplace(Backend where, float* y, const float* x, int64_t n) {
  if (where == Backend::cuda) return gpu::add_inplace(y, x, n);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

CALO_CPU_CLONES
void hit_target(Backend where, const float* u, float* t, int64_t n) {
  if (where == Backend::cuda) return gpu::hit_target(u, t, n);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) t[i] = hit_target_f(u[i]);
}

void energy_code_rows(Backend where, const float* energies, int64_t B, int n, float* codes) {
  if (where == Backend::cuda) return gpu::energy_code_rows(energies, B, n, codes);
  for (int64_t i = 0; i < B * n; ++i)
    codes[i] = float(energy_code_bit(double(energies[i / n]), static_cast<int>(i % n), n));
}

double wmse_sum(Backend where, const float* u, const float* uhat, float* grad, int64_t n, float w,
                float scale) {
  if (where == Backend::cuda) return gpu::wmse_sum(u, uhat, grad, n, w, scale);
  double acc = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : acc)
  for (int64_t i = 0; i < n; ++i) {
    acc += wmse_term(u[i], uhat[i], w);
    grad[i] = wmse_grad(u[i], uhat[i], w, scale);
  }
  return acc;
}

double bce_sum(Backend where, const float* logits, const float* targets, float* grad, int64_t n,
               float scale) {
  if (where == Backend::cuda) return gpu::bce_sum(logits, targets, grad, n, scale);
  double acc = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : acc)
  for (int64_t i = 0; i < n; ++i) {
    acc += bce_logits_term(logits[i], targets[i]);
    grad[i] = bce_logits_grad(logits[i], targets[i], scale);
  }
  return acc;
}

double kl_entropy_sum(Backend where, const float* logits, const float* z, float* grad_logits,
                      float* grad_z, int64_t n, double scale) {
  if (where == Backend::cuda) return gpu::kl_entropy_sum(logits, z, grad_logits, grad_z, n, scale);
  double acc = 0.0;  // in index order, as kl_terms sums
  for (int64_t i = 0; i < n; ++i)
    acc += kl_entropy_unit(logits[i], z[i], scale, grad_logits ? grad_logits + i : nullptr,
                           grad_z ? grad_z + i : nullptr);
  return acc;
}

double kl_energy_sum(Backend where, const float* z, const float* f, const float* bias,
                     float* grad_z, int64_t rows, int64_t n, double scale) {
  if (where == Backend::cuda) return gpu::kl_energy_sum(z, f, bias, grad_z, rows, n, scale);
  double acc = 0.0;
  for (int64_t k = 0; k < rows * n; ++k)
    acc +=
        kl_energy_unit(z[k], f[k], bias ? bias[k % n] : 0.0f, scale, grad_z ? grad_z + k : nullptr);
  return acc;
}

CALO_CPU_CLONES
void combine_train(Backend where, const float* acts, const float* u_true, float* y, int64_t n,
                   float slope) {
  if (where == Backend::cuda) return gpu::combine_train(acts, u_true, y, n, slope);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = combine_train_f(acts[i], u_true[i], slope);
}

CALO_CPU_CLONES
void combine_train_backward(Backend where, const float* gy, const float* acts, const float* u_true,
                            float* gx, int64_t n, float slope) {
  if (where == Backend::cuda) return gpu::combine_train_backward(gy, acts, u_true, gx, n, slope);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) gx[i] = gy[i] * combine_train_df(acts[i], u_true[i], slope);
}

CALO_CPU_CLONES
void combine_eval(Backend where, const float* acts, const float* hits, float* y, int64_t n,
                  uint64_t seed, uint64_t stream, uint64_t offset) {
  if (where == Backend::cuda) return gpu::combine_eval(acts, hits, y, n, seed, stream, offset);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    y[i] = combine_eval_at(acts[i], hits[i], seed, stream, offset + static_cast<uint64_t>(i));
}

}  // namespace calo::nn::ops

namespace calo::nn::ops {

CALO_CPU_CLONES
void copy_strided(Backend where, const float* src, int64_t src_stride, float* dst,
                  int64_t dst_stride, int64_t rows, int64_t len) {
  if (where == Backend::cuda) return gpu::copy_strided(src, src_stride, dst, dst_stride, rows, len);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < len; ++j) dst[r * dst_stride + j] = src[r * src_stride + j];
}

CALO_CPU_CLONES
void broadcast_rows(Backend where, const float* v, float* dst, int64_t B, int64_t S) {
  if (where == Backend::cuda) return gpu::broadcast_rows(v, dst, B, S);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s) dst[b * S + s] = v[b];
}

void fill(Backend where, float* y, float value, int64_t n) {
  if (where == Backend::cuda) return gpu::fill(y, value, n);
  std::fill_n(y, n, value);
}

CALO_CPU_CLONES
void adam_step(Backend where, const AdamScalars& s, float* p, const float* g, float* m, float* v,
               int64_t n) {
  if (where == Backend::cuda) return gpu::adam_step(s, p, g, m, v, n);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) adam_update(s, p[i], g[i], m[i], v[i]);
}

}  // namespace calo::nn::ops

namespace calo::nn::ops {

CALO_CPU_CLONES
void affine_forward(Backend where, const float* x, const float* g, const float* b, float* y,
                    int64_t B, int64_t C, int64_t S) {
  if (where == Backend::cuda) return gpu::affine_forward(x, g, b, y, B, C, S);
#pragma omp parallel for schedule(static)
  for (int64_t bc = 0; bc < B * C; ++bc) {
    const float gc = g[bc % C], bias = b[bc % C];
    for (int64_t i = bc * S; i < (bc + 1) * S; ++i) y[i] = channel_affine_f(x[i], gc, bias);
  }
}

CALO_CPU_CLONES
void affine_backward(Backend where, const float* x, const float* g, const float* gy, float* gx,
                     float* gg, float* gb, int64_t B, int64_t C, int64_t S) {
  if (where == Backend::cuda) return gpu::affine_backward(x, g, gy, gx, gg, gb, B, C, S);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    AffineBackward back{x, gy, gx, g[c]};
    channel_for_each(c, B, C, S, 0, 1, back);
    gg[c] += static_cast<float>(back.sgx);
    gb[c] += static_cast<float>(back.sg);
  }
}

}  // namespace calo::nn::ops
