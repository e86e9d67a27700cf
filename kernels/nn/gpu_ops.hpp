#pragma once
// CUDA entry points of the nn ops (kernels/nn/nn_ops.cu; host/nn/ops_nocuda.cpp throws in
// CPU-only builds). host/nn/ops.hpp dispatches to them for Backend::cuda; every pointer is a device
// pointer.
#include <cstdint>

#include "kernels/nn/adam.hpp"
#include "kernels/nn/cylindrical_index.hpp"

namespace calo::nn::gpu {
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          const float* B, float beta, float* C);
void im2col(const ConvGeom& g, const float* x, float* col);
void col2im(const ConvGeom& g, const float* col, float* x);
void add_channel_bias(float* y, const float* bias, int64_t B, int64_t C, int64_t S);
void channel_sum_acc(const float* gy, float* gbias, int64_t B, int64_t C, int64_t S);
void unary_forward(int op, float param, const float* x, float* y, int64_t n);
void unary_backward(int op, float param, const float* saved, const float* gy, float* gx, int64_t n);
void prelu_forward(const float* x, const float* a, float* y, int64_t B, int64_t C, int64_t S);
void prelu_backward(const float* x, const float* a, const float* gy, float* gx, float* ga,
                    int64_t B, int64_t C, int64_t S);
void batchnorm_forward(const float* x, const float* gamma, const float* beta, float* y, float* xhat,
                       float* mean, float* inv_std, float* var_unbiased, bool use_batch_stats,
                       float eps, int64_t B, int64_t C, int64_t S);
void batchnorm_backward(const float* gy, const float* xhat, const float* gamma,
                        const float* inv_std, float* gx, float* ggamma, float* gbeta,
                        bool batch_stats, int64_t B, int64_t C, int64_t S);
void lerp_inplace(float* running, const float* batch, float momentum, int64_t n);
void gumbel_forward(const float* logits, float* y, int64_t n, float beta, bool training,
                    uint64_t seed, uint64_t stream, uint64_t offset);
void gumbel_backward(const float* gy, const float* y, float* gx, int64_t n, float beta);
void add_inplace(float* y, const float* x, int64_t n);
void hit_target(const float* u, float* t, int64_t n);
void energy_code_rows(const float* energies, int64_t B, int n, float* codes);
double wmse_sum(const float* u, const float* uhat, float* grad, int64_t n, float w, float scale);
double bce_sum(const float* logits, const float* targets, float* grad, int64_t n, float scale);
double kl_entropy_sum(const float* logits, const float* z, float* grad_logits, float* grad_z,
                      int64_t n, double scale);
double kl_energy_sum(const float* z, const float* f, const float* bias, float* grad_z, int64_t rows,
                     int64_t n, double scale);
void combine_train(const float* acts, const float* u_true, float* y, int64_t n, float slope);
void combine_train_backward(const float* gy, const float* acts, const float* u_true, float* gx,
                            int64_t n, float slope);
void combine_eval(const float* acts, const float* hits, float* y, int64_t n, uint64_t seed,
                  uint64_t stream, uint64_t offset);
void copy_strided(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                  int64_t rows, int64_t len);
void broadcast_rows(const float* v, float* dst, int64_t B, int64_t S);
void fill(float* y, float value, int64_t n);
void adam_step(const AdamScalars& s, float* p, const float* g, float* m, float* v, int64_t n);
void affine_forward(const float* x, const float* g, const float* b, float* y, int64_t B, int64_t C,
                    int64_t S);
void affine_backward(const float* x, const float* g, const float* gy, float* gx, float* gg,
                     float* gb, int64_t B, int64_t C, int64_t S);
}  // namespace calo::nn::gpu
