#pragma once
// The softmaxes of LinearAttention (host/nn/attention.hpp), shared by the CPU loop and the CUDA
// kernels (kernels/nn/attention.cu). The q, k, v activations of one batch item sit in one
// (3E, S) block of the to_qkv output: q = rows [0, E), k = rows [E, 2E), v = rows [2E, 3E).
// Per batch item there are S + E independent slices: S columns of q (softmax over the E channels,
// times scale) and E rows of k (softmax over the S positions). Slice t of the whole batch,
// t < B (S + E), is described by attention_slice; sums run in double like the reference.
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/math.hpp"

namespace calo::nn {

struct AttentionSlice {
  int64_t offset;  // first element in the (B, 3E, S) qkv tensor
  int64_t count;   // elements in the slice
  int64_t stride;  // distance between them
  float scale;     // the softmax is multiplied by this (E^-1/2 for q, 1 for k)
};

CALO_HD_INLINE AttentionSlice attention_slice(int64_t t, int64_t S, int64_t E, float q_scale) {
  const int64_t b = t / (S + E), r = t % (S + E), base = b * 3 * E * S;
  if (r < S) return AttentionSlice{base + r, E, S, q_scale};    // q column r
  return AttentionSlice{base + (E + (r - S)) * S, S, 1, 1.0f};  // k row r - S
}

// x[i * stride], i < count  <-  scale * softmax(x) (max-subtracted).
CALO_HD_INLINE void softmax_strided(float* x, int64_t count, int64_t stride, float scale) {
  float m = x[0];
  for (int64_t i = 1; i < count; ++i) m = x[i * stride] > m ? x[i * stride] : m;
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i) sum += exp(double(x[i * stride] - m));
  for (int64_t i = 0; i < count; ++i)
    x[i * stride] = float(exp(double(x[i * stride] - m)) / sum) * scale;
}

// Gradient through y = scale * softmax(x) along the same slice: g <- y (g - sum y g / scale).
CALO_HD_INLINE void softmax_strided_backward(const float* y, float* g, int64_t count,
                                             int64_t stride, float scale) {
  double dot = 0.0;
  for (int64_t i = 0; i < count; ++i) dot += double(y[i * stride]) * g[i * stride];
  dot /= scale;
  for (int64_t i = 0; i < count; ++i) g[i * stride] = float(y[i * stride] * (g[i * stride] - dot));
}

// Slice t of the batch's qkv, in place.
CALO_HD_INLINE void attention_softmax(float* qkv, int64_t t, int64_t S, int64_t E, float q_scale) {
  const AttentionSlice s = attention_slice(t, S, E, q_scale);
  softmax_strided(qkv + s.offset, s.count, s.stride, s.scale);
}

// Slice t of the gradient gqkv (same layout), given the softmaxed qkv of the forward.
CALO_HD_INLINE void attention_softmax_backward(const float* qkv, float* gqkv, int64_t t, int64_t S,
                                               int64_t E, float q_scale) {
  const AttentionSlice s = attention_slice(t, S, E, q_scale);
  softmax_strided_backward(qkv + s.offset, gqkv + s.offset, s.count, s.stride, s.scale);
}

}  // namespace calo::nn
