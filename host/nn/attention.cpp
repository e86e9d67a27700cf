#include "host/nn/attention.hpp"

#include <algorithm>
#include <cmath>

#include "host/error.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

namespace {

// x[i * stride], i < count  <-  scale * softmax(x) (max-subtracted, sums in double).
void softmax_strided(float* x, int64_t count, int64_t stride, float scale) {
  float m = -INFINITY;
  for (int64_t i = 0; i < count; ++i) m = std::max(m, x[i * stride]);
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i) sum += std::exp(double(x[i * stride] - m));
  for (int64_t i = 0; i < count; ++i)
    x[i * stride] = float(std::exp(double(x[i * stride] - m)) / sum) * scale;
}

// Gradient through y = scale * softmax(x) along the same strided slice: g <- y (g - sum y g /
// scale).
void softmax_strided_backward(const float* y, float* g, int64_t count, int64_t stride,
                              float scale) {
  double dot = 0.0;
  for (int64_t i = 0; i < count; ++i) dot += double(y[i * stride]) * g[i * stride];
  dot /= scale;
  for (int64_t i = 0; i < count; ++i) g[i * stride] = float(y[i * stride] * (g[i * stride] - dot));
}

}  // namespace

LinearAttention::LinearAttention(int channels, uint64_t seed, std::string name)
    : channels_(channels),
      name_(std::move(name)),
      to_qkv_(channels > 0 ? channels : 1, 3 * kDimHead, Dims3{1, 1, 1}, Dims3{1, 1, 1},
              Padding3d::none, false, seed, name_ + ".to_qkv"),
      to_out_(kDimHead, channels > 0 ? channels : 1, Dims3{1, 1, 1}, Dims3{1, 1, 1},
              Padding3d::none, true, seed + 1, name_ + ".to_out"),
      norm_(channels > 0 ? channels : 1, 1e-5f, name_ + ".norm") {
  if (channels <= 0) fail_input("{}: channels must be positive, got {}", name_, channels);
}

std::vector<Param*> LinearAttention::params() {
  std::vector<Param*> out = to_qkv_.params();
  for (Param* p : to_out_.params()) out.push_back(p);
  for (Param* p : norm_.params()) out.push_back(p);
  return out;
}

void LinearAttention::to(Backend where) {
  to_qkv_.to(where);
  to_out_.to(where);
  norm_.to(where);
}

Tensor LinearAttention::forward(const Tensor& input, bool training) {
  if (input.rank() != 5 || input.dim(1) != channels_)
    fail_input("{}: expected input (B, {}, D, H, W), got {}", name_, channels_,
               shape_string(input.shape()));
  where_ = input.backend();
  const Tensor qkv = to_qkv_.forward(input, training).to(Backend::cpu);
  const int64_t B = input.dim(0), S = input.numel() / (B * channels_), E = kDimHead;
  const float scale = 1.0f / std::sqrt(float(E));
  const size_t block = size_t(E * S);
  qs_.assign(size_t(B) * block, 0.0f);
  ks_.assign(size_t(B) * block, 0.0f);
  v_.assign(size_t(B) * block, 0.0f);
  ctx_.assign(size_t(B * E * E), 0.0f);
  mid_shape_ = {B, E, input.dim(2), input.dim(3), input.dim(4)};
  Tensor mid(mid_shape_);
  for (int64_t b = 0; b < B; ++b) {
    const float* src = qkv.data() + b * 3 * int64_t(block);
    float* q = qs_.data() + b * int64_t(block);
    float* k = ks_.data() + b * int64_t(block);
    float* v = v_.data() + b * int64_t(block);
    std::copy_n(src, block, q);
    std::copy_n(src + block, block, k);
    std::copy_n(src + 2 * block, block, v);
    for (int64_t n = 0; n < S; ++n) softmax_strided(q + n, E, S, scale);     // over channels
    for (int64_t d = 0; d < E; ++d) softmax_strided(k + d * S, S, 1, 1.0f);  // over positions
    float* ctx = ctx_.data() + b * E * E;
    ops::gemm(Backend::cpu, false, true, E, E, S, 1.0f, k, v, 0.0f, ctx);  // ctx = k v^T
    ops::gemm(Backend::cpu, true, false, E, S, E, 1.0f, ctx, q, 0.0f,
              mid.data() + b * int64_t(block));  // out = ctx^T q
  }
  return norm_.forward(to_out_.forward(mid.to(where_), training), training);
}

Tensor LinearAttention::backward(const Tensor& grad_output) {
  if (mid_shape_.empty()) fail_input("{}: backward before forward", name_);
  const Tensor gmid = to_out_.backward(norm_.backward(grad_output)).to(Backend::cpu);
  const int64_t B = mid_shape_[0], E = kDimHead, S = shape_numel(mid_shape_) / (B * E);
  const float scale = 1.0f / std::sqrt(float(E));
  const size_t block = size_t(E * S);
  Tensor gqkv({B, 3 * E, mid_shape_[2], mid_shape_[3], mid_shape_[4]});
  std::vector<float> gctx(size_t(E * E));
  for (int64_t b = 0; b < B; ++b) {
    const float* go = gmid.data() + b * int64_t(block);
    const float* q = qs_.data() + b * int64_t(block);
    const float* k = ks_.data() + b * int64_t(block);
    const float* v = v_.data() + b * int64_t(block);
    const float* ctx = ctx_.data() + b * E * E;
    float* gq = gqkv.data() + b * 3 * int64_t(block);
    float* gk = gq + block;
    float* gv = gk + block;
    // out = ctx^T q: gctx = q go^T, gq(scaled) = ctx go.
    ops::gemm(Backend::cpu, false, true, E, E, S, 1.0f, q, go, 0.0f, gctx.data());
    ops::gemm(Backend::cpu, false, false, E, S, E, 1.0f, ctx, go, 0.0f, gq);
    // ctx = k v^T: gk = gctx v, gv = gctx^T k.
    ops::gemm(Backend::cpu, false, false, E, S, E, 1.0f, gctx.data(), v, 0.0f, gk);
    ops::gemm(Backend::cpu, true, false, E, S, E, 1.0f, gctx.data(), k, 0.0f, gv);
    for (int64_t n = 0; n < S; ++n) softmax_strided_backward(q + n, gq + n, E, S, scale);
    for (int64_t d = 0; d < E; ++d) softmax_strided_backward(k + d * S, gk + d * S, S, 1, 1.0f);
  }
  return to_qkv_.backward(gqkv.to(where_));
}

}  // namespace calo::nn
