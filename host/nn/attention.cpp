#include "host/nn/attention.hpp"

#include <algorithm>
#include <cmath>

#include "host/error.hpp"
#include "host/nn/ops.hpp"
#include "kernels/nn/attention_launch.hpp"
#include "kernels/nn/attention_math.hpp"

namespace calo::nn {

namespace {

// Every softmax slice of the batch (kernels/nn/attention_math.hpp), on `where`.
void softmax_all(Backend where, float* qkv, int64_t B, int64_t S, int64_t E, float q_scale) {
  if (where == Backend::cuda) return gpu::attention_softmax(qkv, B, S, E, q_scale);
  for (int64_t t = 0; t < B * (S + E); ++t) attention_softmax(qkv, t, S, E, q_scale);
}

void softmax_all_backward(Backend where, const float* qkv, float* gqkv, int64_t B, int64_t S,
                          int64_t E, float q_scale) {
  if (where == Backend::cuda) return gpu::attention_softmax_backward(qkv, gqkv, B, S, E, q_scale);
  for (int64_t t = 0; t < B * (S + E); ++t) attention_softmax_backward(qkv, gqkv, t, S, E, q_scale);
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
  qkv_ = to_qkv_.forward(input, training);
  const int64_t B = input.dim(0), S = input.numel() / (B * channels_), E = kDimHead;
  const int64_t block = E * S;
  softmax_all(where_, qkv_.data(), B, S, E, 1.0f / std::sqrt(float(E)));
  ctx_ = Tensor({B, E, E}, where_);
  Tensor mid({B, E, input.dim(2), input.dim(3), input.dim(4)}, where_);
  for (int64_t b = 0; b < B; ++b) {
    const float* q = qkv_.data() + b * 3 * block;
    const float* k = q + block;
    const float* v = k + block;
    float* ctx = ctx_.data() + b * E * E;
    ops::gemm(where_, false, true, E, E, S, 1.0f, k, v, 0.0f, ctx);  // ctx = k v^T
    ops::gemm(where_, true, false, E, S, E, 1.0f, ctx, q, 0.0f,
              mid.data() + b * block);  // out = ctx^T q
  }
  return norm_.forward(to_out_.forward(mid, training), training);
}

Tensor LinearAttention::backward(const Tensor& grad_output) {
  if (qkv_.rank() != 5) fail_input("{}: backward before forward", name_);
  const Tensor gmid = to_out_.backward(norm_.backward(grad_output));
  if (gmid.backend() != where_)
    fail_input("{}: backward on {} after a forward on {}", name_, to_string(gmid.backend()),
               to_string(where_));
  const int64_t B = qkv_.dim(0), E = kDimHead, S = qkv_.numel() / (B * 3 * E);
  const int64_t block = E * S;
  Tensor gqkv(qkv_.shape(), where_);
  Tensor gctx({E, E}, where_);
  for (int64_t b = 0; b < B; ++b) {
    const float* go = gmid.data() + b * block;
    const float* q = qkv_.data() + b * 3 * block;
    const float* k = q + block;
    const float* v = k + block;
    const float* ctx = ctx_.data() + b * E * E;
    float* gq = gqkv.data() + b * 3 * block;
    float* gk = gq + block;
    float* gv = gk + block;
    // out = ctx^T q: gctx = q go^T, gq(scaled) = ctx go.
    ops::gemm(where_, false, true, E, E, S, 1.0f, q, go, 0.0f, gctx.data());
    ops::gemm(where_, false, false, E, S, E, 1.0f, ctx, go, 0.0f, gq);
    // ctx = k v^T: gk = gctx v, gv = gctx^T k.
    ops::gemm(where_, false, false, E, S, E, 1.0f, gctx.data(), v, 0.0f, gk);
    ops::gemm(where_, true, false, E, S, E, 1.0f, gctx.data(), k, 0.0f, gv);
  }
  softmax_all_backward(where_, qkv_.data(), gqkv.data(), B, S, E, 1.0f / std::sqrt(float(E)));
  return to_qkv_.backward(gqkv);
}

}  // namespace calo::nn
