// CUDA versions of the nn primitives (host/nn/ops.hpp). Every kernel calls the same CALO_HD
// functions as the CPU loops in host/nn/ops.cpp, which are the reference they are tested against.
// Reductions use fixed-size blocks and a fixed tree order and col2im is a gather, so no kernel
// uses atomics and results are deterministic.
#include <cublas_v2.h>

#include <string>
#include <vector>

#include "kernels/cuda_check.cuh"
#include "kernels/device_memory.hpp"
#include "kernels/grid_stride.cuh"
#include "kernels/launch_stream.cuh"
#include "kernels/nn/activations.hpp"
#include "kernels/nn/batchnorm_math.hpp"
#include "kernels/nn/col2im_gather.hpp"
#include "kernels/nn/gpu_ops.hpp"
#include "kernels/nn/kl_math.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"

namespace calo::nn::gpu {
namespace {

constexpr int kThreads = kGridThreads;  // also the reductions' block size (block_sum)

cublasHandle_t cublas() {
  static thread_local cublasHandle_t handle = nullptr;
  if (handle == nullptr) {
    if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS)
      raise_error("cublasCreate failed: no usable CUDA device?");
  }
  return handle;
}

// Sum of `v` over the block (blockDim.x == kThreads), valid in thread 0.
__device__ double block_sum(double v) {
  __shared__ double buf[kThreads];
  buf[threadIdx.x] = v;
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) buf[threadIdx.x] += buf[threadIdx.x + s];
    __syncthreads();
  }
  const double r = buf[0];
  __syncthreads();
  return r;
}

__global__ void k_im2col(ConvGeom g, const float* x, float* col, int64_t rows, int64_t cols) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < rows * cols;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t s = conv_col_source(g, i / cols, i % cols);
    col[i] = s < 0 ? 0.0f : x[s];
  }
}

// A thread per input element gathers what the scatter would add, in the CPU's order: no atomics,
// so the result is the same on every run (and equals the CPU's).
__global__ void k_col2im(ConvGeom g, const float* col, float* x, int64_t cols, int64_t n) {
  CALO_GRID_LOOP(i, n) x[i] = col2im_gather(g, col, cols, i, x[i]);
}

__global__ void k_add_bias(float* y, const float* bias, int64_t B, int64_t C, int64_t S) {
  CALO_GRID_LOOP(i, B * C * S) {
    y[i] += bias[(i / S) % C];
  }
}

// One block per channel: gbias[c] += sum_{b,s} gy.
__global__ void k_channel_sum(const float* gy, float* gbias, int64_t B, int64_t C, int64_t S) {
  const int64_t c = blockIdx.x;
  ChannelSum sum{gy};
  channel_for_each(c, B, C, S, threadIdx.x, blockDim.x, sum);
  const double acc = block_sum(sum.sum);
  if (threadIdx.x == 0) gbias[c] += static_cast<float>(acc);
}

__global__ void k_unary_fwd(int op, float p, const float* x, float* y, int64_t n) {
  CALO_GRID_LOOP(i, n) {
    y[i] = unary_f(op, p, x[i]);
  }
}
__global__ void k_unary_bwd(int op, float p, const float* saved, const float* gy, float* gx,
                            int64_t n) {
  CALO_GRID_LOOP(i, n) {
    gx[i] = gy[i] * unary_df(op, p, saved[i]);
  }
}

__global__ void k_prelu_fwd(const float* x, const float* a, float* y, int64_t B, int64_t C,
                            int64_t S) {
  CALO_GRID_LOOP(i, B * C * S) {
    y[i] = leaky_relu_f(x[i], a[(i / S) % C]);
  }
}
__global__ void k_prelu_bwd_x(const float* x, const float* a, const float* gy, float* gx, int64_t B,
                              int64_t C, int64_t S) {
  CALO_GRID_LOOP(i, B * C * S) {
    gx[i] = gy[i] * leaky_relu_df(x[i], a[(i / S) % C]);
  }
}
__global__ void k_prelu_bwd_a(const float* x, const float* gy, float* ga, int64_t B, int64_t C,
                              int64_t S) {
  const int64_t c = blockIdx.x;
  PreluSlopeGradSum sum{x, gy};
  channel_for_each(c, B, C, S, threadIdx.x, blockDim.x, sum);
  const double acc = block_sum(sum.sum);
  if (threadIdx.x == 0) ga[c] += static_cast<float>(acc);
}

// One block per channel.
__global__ void k_bn_fwd(const float* x, const float* gamma, const float* beta, float* y,
                         float* xhat, float* mean, float* inv_std, float* var_unbiased, bool batch,
                         float eps, int64_t B, int64_t C, int64_t S) {
  const int64_t c = blockIdx.x, n = B * S;
  float m, istd;
  if (batch) {
    ChannelSum sum{x};
    channel_for_each(c, B, C, S, threadIdx.x, blockDim.x, sum);
    const double mu = block_sum(sum.sum) / static_cast<double>(n);
    CentredSquares sq{x, mu};
    channel_for_each(c, B, C, S, threadIdx.x, blockDim.x, sq);
    const BnStats st = bn_stats(mu, block_sum(sq.sum), static_cast<double>(n), eps);
    m = st.mean;
    istd = st.inv_std;
    if (threadIdx.x == 0) {
      mean[c] = m;
      inv_std[c] = istd;
      var_unbiased[c] = st.var_unbiased;
    }
  } else {
    m = mean[c];
    istd = bn_inv_std(var_unbiased[c], eps);
    if (threadIdx.x == 0) inv_std[c] = istd;
  }
  BnNormalise norm{x, xhat, y, m, istd, gamma[c], beta[c]};
  channel_for_each(c, B, C, S, threadIdx.x, blockDim.x, norm);
}

__global__ void k_bn_bwd(const float* gy, const float* xhat, const float* gamma,
                         const float* inv_std, float* gx, float* ggamma, float* gbeta, bool batch,
                         int64_t B, int64_t C, int64_t S) {
  const int64_t c = blockIdx.x;
  GradSums sums{gy, xhat};
  channel_for_each(c, B, C, S, threadIdx.x, blockDim.x, sums);
  const double sg = block_sum(sums.sg), sgx = block_sum(sums.sgx);
  if (threadIdx.x == 0) {
    ggamma[c] += static_cast<float>(sgx);
    gbeta[c] += static_cast<float>(sg);
  }
  const BnGradMeans gm = bn_grad_means(sg, sgx, static_cast<double>(B * S));
  BnInputGrad grad{gy, xhat, gx, gamma[c], inv_std[c], gm.mg, gm.mgx, batch};
  channel_for_each(c, B, C, S, threadIdx.x, blockDim.x, grad);
}

__global__ void k_lerp(float* r, const float* b, float momentum, int64_t n) {
  CALO_GRID_LOOP(i, n) {
    r[i] = (1.0f - momentum) * r[i] + momentum * b[i];
  }
}

__global__ void k_gumbel_fwd(const float* l, float* y, int64_t n, float beta, bool training,
                             uint64_t seed, uint64_t stream, uint64_t offset) {
  CALO_GRID_LOOP(i, n) {
    const float rho = uniform(seed, stream, offset + static_cast<uint64_t>(i));
    y[i] = training ? gumbel_sigmoid_train(l[i], rho, beta) : gumbel_sigmoid_eval(l[i], rho);
  }
}
__global__ void k_gumbel_bwd(const float* gy, const float* y, float* gx, int64_t n, float beta) {
  CALO_GRID_LOOP(i, n) {
    gx[i] = gy[i] * beta * sigmoid_dy(y[i]);
  }
}

__global__ void k_add_inplace(float* y, const float* x, int64_t n) {
  CALO_GRID_LOOP(i, n) {
    y[i] += x[i];
  }
}
__global__ void k_hit_target(const float* u, float* t, int64_t n) {
  CALO_GRID_LOOP(i, n) {
    t[i] = hit_target_f(u[i]);
  }
}

__global__ void k_energy_code_rows(const float* energies, int64_t B, int n, float* codes) {
  CALO_GRID_LOOP(i, B * n) {
    codes[i] = float(energy_code_bit(double(energies[i / n]), static_cast<int>(i % n), n));
  }
}

// Per-block partial sums (fixed grid) for deterministic loss reductions.
__global__ void k_wmse(const float* u, const float* uh, float* grad, int64_t n, float w,
                       float scale, double* part) {
  double acc = 0.0;
  CALO_GRID_LOOP(i, n) {
    acc += wmse_term(u[i], uh[i], w);
    grad[i] = wmse_grad(u[i], uh[i], w, scale);
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) part[blockIdx.x] = acc;
}
__global__ void k_bce(const float* x, const float* t, float* grad, int64_t n, float scale,
                      double* part) {
  double acc = 0.0;
  CALO_GRID_LOOP(i, n) {
    acc += bce_logits_term(x[i], t[i]);
    grad[i] = bce_logits_grad(x[i], t[i], scale);
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) part[blockIdx.x] = acc;
}

__global__ void k_kl_entropy(const float* l, const float* z, float* gl, float* gz, int64_t n,
                             double scale, double* part) {
  double acc = 0.0;
  CALO_GRID_LOOP(i, n) {
    acc += kl_entropy_unit(l[i], z[i], scale, gl ? gl + i : nullptr, gz ? gz + i : nullptr);
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) part[blockIdx.x] = acc;
}
__global__ void k_kl_energy(const float* z, const float* f, const float* bias, float* gz,
                            int64_t total, int64_t n, double scale, double* part) {
  double acc = 0.0;
  CALO_GRID_LOOP(k, total) {
    acc += kl_energy_unit(z[k], f[k], bias ? bias[k % n] : 0.0f, scale, gz ? gz + k : nullptr);
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) part[blockIdx.x] = acc;
}

__global__ void k_combine_train(const float* a, const float* u, float* y, int64_t n, float slope) {
  CALO_GRID_LOOP(i, n) {
    y[i] = combine_train_f(a[i], u[i], slope);
  }
}
__global__ void k_combine_train_bwd(const float* gy, const float* a, const float* u, float* gx,
                                    int64_t n, float slope) {
  CALO_GRID_LOOP(i, n) {
    gx[i] = gy[i] * combine_train_df(a[i], u[i], slope);
  }
}
__global__ void k_combine_eval(const float* a, const float* h, float* y, int64_t n, uint64_t seed,
                               uint64_t stream, uint64_t offset) {
  CALO_GRID_LOOP(i, n) {
    y[i] = combine_eval_at(a[i], h[i], seed, stream, offset + static_cast<uint64_t>(i));
  }
}

__global__ void k_copy_strided(const float* src, int64_t ss, float* dst, int64_t ds, int64_t rows,
                               int64_t len) {
  CALO_GRID_LOOP(i, rows * len) {
    dst[(i / len) * ds + i % len] = src[(i / len) * ss + i % len];
  }
}
__global__ void k_fill(float* y, float value, int64_t n) {
  CALO_GRID_LOOP(i, n) {
    y[i] = value;
  }
}

__global__ void k_broadcast_rows(const float* v, float* dst, int64_t B, int64_t S) {
  CALO_GRID_LOOP(i, B * S) {
    dst[i] = v[i / S];
  }
}
__global__ void k_adam(AdamScalars s, float* p, const float* g, float* m, float* v, int64_t n) {
  CALO_GRID_LOOP(i, n) {
    adam_update(s, p[i], g[i], m[i], v[i]);
  }
}

__global__ void k_affine_fwd(const float* x, const float* g, const float* b, float* y, int64_t B,
                             int64_t C, int64_t S) {
  CALO_GRID_LOOP(i, B * C * S) {
    y[i] = channel_affine_f(x[i], g[(i / S) % C], b[(i / S) % C]);
  }
}
// One block per channel.
__global__ void k_affine_bwd(const float* x, const float* g, const float* gy, float* gx, float* gg,
                             float* gb, int64_t B, int64_t C, int64_t S) {
  const int64_t c = blockIdx.x;
  AffineBackward back{x, gy, gx, g[c]};
  channel_for_each(c, B, C, S, threadIdx.x, blockDim.x, back);
  const double sg = block_sum(back.sg), sgx = block_sum(back.sgx);
  if (threadIdx.x == 0) {
    gg[c] += static_cast<float>(sgx);
    gb[c] += static_cast<float>(sg);
  }
}

constexpr int kLossBlocks = 128;

// The loss kernels' per-block partial sums: a pooled device block (no cudaMalloc per loss), brought
// to the host in one counted download and summed there in block order.
double finish_partials(double* part) {
  std::vector<double> host(kLossBlocks);
  copy_device_to_host(host.data(), part, kLossBlocks * sizeof(double));
  device_free(part);
  double s = 0.0;
  for (double v : host) s += v;
  return s;
}

double* alloc_partials() {
  return static_cast<double*>(device_malloc(kLossBlocks * sizeof(double)));
}

}  // namespace

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          const float* B, float beta, float* C) {
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
  const int lda = static_cast<int>(ta ? M : K), ldb = static_cast<int>(tb ? K : N);
  cublasHandle_t handle = cublas();
  if (cublasSetStream(handle, launch_stream()) != CUBLAS_STATUS_SUCCESS)
    raise_error("cublasSetStream failed");
  const cublasStatus_t st =
      cublasSgemm(handle, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                  static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &alpha, B, ldb, A,
                  lda, &beta, C, static_cast<int>(N));
  if (st != CUBLAS_STATUS_SUCCESS)
    raise_error("cublasSgemm failed with status " + std::to_string(static_cast<int>(st)));
}

void im2col(const ConvGeom& g, const float* x, float* col) {
  const int64_t rows = static_cast<int64_t>(g.C) * g.kd * g.kh * g.kw,
                cols = static_cast<int64_t>(g.Do) * g.Ho * g.Wo;
  k_im2col<<<grid_blocks(rows * cols), kThreads, 0, launch_stream()>>>(g, x, col, rows, cols);
  CALO_CUDA_CHECK_LAUNCH();
}

void col2im(const ConvGeom& g, const float* col, float* x) {
  const int64_t cols = static_cast<int64_t>(g.Do) * g.Ho * g.Wo;
  const int64_t inputs = static_cast<int64_t>(g.C) * g.D * g.H * g.W;
  k_col2im<<<grid_blocks(inputs), kThreads, 0, launch_stream()>>>(g, col, x, cols, inputs);
  CALO_CUDA_CHECK_LAUNCH();
}

void add_channel_bias(float* y, const float* bias, int64_t B, int64_t C, int64_t S) {
  k_add_bias<<<grid_blocks(B * C * S), kThreads, 0, launch_stream()>>>(y, bias, B, C, S);
  CALO_CUDA_CHECK_LAUNCH();
}

void channel_sum_acc(const float* gy, float* gbias, int64_t B, int64_t C, int64_t S) {
  k_channel_sum<<<static_cast<unsigned>(C), kThreads, 0, launch_stream()>>>(gy, gbias, B, C, S);
  CALO_CUDA_CHECK_LAUNCH();
}

void unary_forward(int op, float param, const float* x, float* y, int64_t n) {
  k_unary_fwd<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(op, param, x, y, n);
  CALO_CUDA_CHECK_LAUNCH();
}

void unary_backward(int op, float param, const float* saved, const float* gy, float* gx,
                    int64_t n) {
  k_unary_bwd<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(op, param, saved, gy, gx, n);
  CALO_CUDA_CHECK_LAUNCH();
}

void prelu_forward(const float* x, const float* a, float* y, int64_t B, int64_t C, int64_t S) {
  k_prelu_fwd<<<grid_blocks(B * C * S), kThreads, 0, launch_stream()>>>(x, a, y, B, C, S);
  CALO_CUDA_CHECK_LAUNCH();
}

void prelu_backward(const float* x, const float* a, const float* gy, float* gx, float* ga,
                    int64_t B, int64_t C, int64_t S) {
  k_prelu_bwd_x<<<grid_blocks(B * C * S), kThreads, 0, launch_stream()>>>(x, a, gy, gx, B, C, S);
  CALO_CUDA_CHECK_LAUNCH();
  k_prelu_bwd_a<<<static_cast<unsigned>(C), kThreads, 0, launch_stream()>>>(x, gy, ga, B, C, S);
  CALO_CUDA_CHECK_LAUNCH();
}

void batchnorm_forward(const float* x, const float* gamma, const float* beta, float* y, float* xhat,
                       float* mean, float* inv_std, float* var_unbiased, bool use_batch_stats,
                       float eps, int64_t B, int64_t C, int64_t S) {
  k_bn_fwd<<<static_cast<unsigned>(C), kThreads, 0, launch_stream()>>>(
      x, gamma, beta, y, xhat, mean, inv_std, var_unbiased, use_batch_stats, eps, B, C, S);
  CALO_CUDA_CHECK_LAUNCH();
}

void batchnorm_backward(const float* gy, const float* xhat, const float* gamma,
                        const float* inv_std, float* gx, float* ggamma, float* gbeta,
                        bool batch_stats, int64_t B, int64_t C, int64_t S) {
  k_bn_bwd<<<static_cast<unsigned>(C), kThreads, 0, launch_stream()>>>(
      gy, xhat, gamma, inv_std, gx, ggamma, gbeta, batch_stats, B, C, S);
  CALO_CUDA_CHECK_LAUNCH();
}

void lerp_inplace(float* running, const float* batch, float momentum, int64_t n) {
  k_lerp<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(running, batch, momentum, n);
  CALO_CUDA_CHECK_LAUNCH();
}

void gumbel_forward(const float* logits, float* y, int64_t n, float beta, bool training,
                    uint64_t seed, uint64_t stream, uint64_t offset) {
  k_gumbel_fwd<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(logits, y, n, beta, training, seed,
                                                                 stream, offset);
  CALO_CUDA_CHECK_LAUNCH();
}

void gumbel_backward(const float* gy, const float* y, float* gx, int64_t n, float beta) {
  k_gumbel_bwd<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(gy, y, gx, n, beta);
  CALO_CUDA_CHECK_LAUNCH();
}

void add_inplace(float* y, const float* x, int64_t n) {
  k_add_inplace<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(y, x, n);
  CALO_CUDA_CHECK_LAUNCH();
}

void hit_target(const float* u, float* t, int64_t n) {
  k_hit_target<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(u, t, n);
  CALO_CUDA_CHECK_LAUNCH();
}

void energy_code_rows(const float* energies, int64_t B, int n, float* codes) {
  k_energy_code_rows<<<grid_blocks(B * n), kThreads, 0, launch_stream()>>>(energies, B, n, codes);
  CALO_CUDA_CHECK_LAUNCH();
}

double wmse_sum(const float* u, const float* uhat, float* grad, int64_t n, float w, float scale) {
  double* part = alloc_partials();
  k_wmse<<<kLossBlocks, kThreads, 0, launch_stream()>>>(u, uhat, grad, n, w, scale, part);
  CALO_CUDA_CHECK_LAUNCH();
  return finish_partials(part);
}

double bce_sum(const float* logits, const float* targets, float* grad, int64_t n, float scale) {
  double* part = alloc_partials();
  k_bce<<<kLossBlocks, kThreads, 0, launch_stream()>>>(logits, targets, grad, n, scale, part);
  CALO_CUDA_CHECK_LAUNCH();
  return finish_partials(part);
}

double kl_entropy_sum(const float* logits, const float* z, float* grad_logits, float* grad_z,
                      int64_t n, double scale) {
  double* part = alloc_partials();
  k_kl_entropy<<<kLossBlocks, kThreads, 0, launch_stream()>>>(logits, z, grad_logits, grad_z, n,
                                                              scale, part);
  CALO_CUDA_CHECK_LAUNCH();
  return finish_partials(part);
}

double kl_energy_sum(const float* z, const float* f, const float* bias, float* grad_z, int64_t rows,
                     int64_t n, double scale) {
  double* part = alloc_partials();
  k_kl_energy<<<kLossBlocks, kThreads, 0, launch_stream()>>>(z, f, bias, grad_z, rows * n, n, scale,
                                                             part);
  CALO_CUDA_CHECK_LAUNCH();
  return finish_partials(part);
}

void combine_train(const float* acts, const float* u_true, float* y, int64_t n, float slope) {
  k_combine_train<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(acts, u_true, y, n, slope);
  CALO_CUDA_CHECK_LAUNCH();
}

void combine_train_backward(const float* gy, const float* acts, const float* u_true, float* gx,
                            int64_t n, float slope) {
  k_combine_train_bwd<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(gy, acts, u_true, gx, n,
                                                                        slope);
  CALO_CUDA_CHECK_LAUNCH();
}

void combine_eval(const float* acts, const float* hits, float* y, int64_t n, uint64_t seed,
                  uint64_t stream, uint64_t offset) {
  k_combine_eval<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(acts, hits, y, n, seed, stream,
                                                                   offset);
  CALO_CUDA_CHECK_LAUNCH();
}

void copy_strided(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                  int64_t rows, int64_t len) {
  k_copy_strided<<<grid_blocks(rows * len), kThreads, 0, launch_stream()>>>(src, src_stride, dst,
                                                                            dst_stride, rows, len);
  CALO_CUDA_CHECK_LAUNCH();
}

void broadcast_rows(const float* v, float* dst, int64_t B, int64_t S) {
  k_broadcast_rows<<<grid_blocks(B * S), kThreads, 0, launch_stream()>>>(v, dst, B, S);
  CALO_CUDA_CHECK_LAUNCH();
}

void fill(float* y, float value, int64_t n) {
  k_fill<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(y, value, n);
  CALO_CUDA_CHECK_LAUNCH();
}

void adam_step(const AdamScalars& s, float* p, const float* g, float* m, float* v, int64_t n) {
  k_adam<<<grid_blocks(n), kThreads, 0, launch_stream()>>>(s, p, g, m, v, n);
  CALO_CUDA_CHECK_LAUNCH();
}

void affine_forward(const float* x, const float* g, const float* b, float* y, int64_t B, int64_t C,
                    int64_t S) {
  k_affine_fwd<<<grid_blocks(B * C * S), kThreads, 0, launch_stream()>>>(x, g, b, y, B, C, S);
  CALO_CUDA_CHECK_LAUNCH();
}

void affine_backward(const float* x, const float* g, const float* gy, float* gx, float* gg,
                     float* gb, int64_t B, int64_t C, int64_t S) {
  k_affine_bwd<<<static_cast<unsigned>(C), kThreads, 0, launch_stream()>>>(x, g, gy, gx, gg, gb, B,
                                                                           C, S);
  CALO_CUDA_CHECK_LAUNCH();
}

}  // namespace calo::nn::gpu
