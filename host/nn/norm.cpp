#include "host/nn/norm.hpp"

#include <vector>

#include "host/dist/communicator.hpp"
#include "host/error.hpp"
#include "host/nn/init.hpp"
#include "host/nn/ops.hpp"
#include "kernels/nn/activations.hpp"
#include "kernels/nn/batchnorm_math.hpp"

namespace calo::nn {

namespace {
struct Dims {
  int64_t B, C, S;
};
// (batch, channels, positions) of an input (B, channels, ...) on the scale's backend.
Dims forward_dims(const Tensor& input, const Tensor& scale, int channels, const std::string& name) {
  if (input.rank() < 2 || input.dim(1) != channels)
    fail_input("{}: expected input (B, {}, ...), got {}", name, channels,
               shape_string(input.shape()));
  require_same_backend(scale, input.backend(), name, "the scale");
  const int64_t B = input.dim(0), C = channels;
  return {B, C, input.numel() / (B * C)};
}
// (batch, channels, positions) of a gradient, which must match the cached normalised input.
Dims backward_dims(const Tensor& grad_output, const Tensor& xhat, int channels,
                   const std::string& name) {
  if (grad_output.shape() != xhat.shape() || grad_output.backend() != xhat.backend())
    fail_input("{}: backward got gradient {} but forward produced {}", name,
               shape_string(grad_output.shape()), shape_string(xhat.shape()));
  const int64_t B = grad_output.dim(0), C = channels;
  return {B, C, grad_output.numel() / (B * C)};
}
}  // namespace

BatchNorm::BatchNorm(int channels, float eps, float momentum, std::string name)
    : channels_(channels), eps_(eps), momentum_(momentum), name_(std::move(name)) {
  if (channels <= 0) fail_input("{}: channels must be positive", name_);
  gamma_ = Param{name_ + ".weight", Tensor({channels}), Tensor({channels}), true};
  gamma_.value.fill(1.0f);
  beta_ = Param{name_ + ".bias", Tensor({channels}), Tensor({channels}), true};
  running_mean_ = Tensor({channels});
  running_var_ = Tensor({channels});
  running_var_.fill(1.0f);
}

std::vector<Buffer> BatchNorm::buffers() {
  return {Buffer{name_ + ".running_mean", &running_mean_},
          Buffer{name_ + ".running_var", &running_var_}};
}

bool BatchNorm::synced() const {
  return comm_ != nullptr && comm_->size() > 1;
}

// Global batch statistics: the count, then the mean, then the centred sum of squares, each summed
// over the ranks (two passes, as the one-process path computes them), in double. The normalisation
// itself is the eval-mode kernel with those statistics.
Tensor BatchNorm::forward_synced(const Tensor& input) {
  // Named variables, not a structured binding: clang before 16 cannot capture those in the
  // OpenMP region below.
  const auto dims = forward_dims(input, gamma_.value, channels_, name_);
  const int64_t B = dims.B, C = dims.C, S = dims.S;
  const Backend where = input.backend();
  const Tensor host = where == Backend::cpu ? Tensor() : input.to(Backend::cpu);
  const float* x = where == Backend::cpu ? input.data() : host.data();
  std::vector<double> sums(size_t(C) + 1, 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    ChannelSum sum{x};
    channel_for_each(c, B, C, S, 0, 1, sum);
    sums[size_t(c)] = sum.sum;
  }
  sums[size_t(C)] = double(B * S);
  comm_->allreduce_sum(sums);
  const double n = sums[size_t(C)];
  if (n < 2) fail_input("{}: training batch norm needs more than one value per channel", name_);
  global_count_ = n;
  const size_t nc = static_cast<size_t>(C);
  std::vector<double> mu(nc), sq(nc, 0.0);
  for (int64_t c = 0; c < C; ++c) mu[size_t(c)] = sums[size_t(c)] / n;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    CentredSquares q{x, mu[size_t(c)]};
    channel_for_each(c, B, C, S, 0, 1, q);
    sq[size_t(c)] = q.sum;
  }
  comm_->allreduce_sum(sq);
  std::vector<float> mean(nc), var(nc), var_unbiased(nc);
  for (int64_t c = 0; c < C; ++c) {
    const BnStats st = bn_stats(mu[size_t(c)], sq[size_t(c)], n, eps_);
    mean[size_t(c)] = st.mean;
    var[size_t(c)] = st.var;
    var_unbiased[size_t(c)] = st.var_unbiased;
  }
  Tensor m = Tensor::from_host({C}, mean).to(where), v = Tensor::from_host({C}, var).to(where);
  const Tensor vu = Tensor::from_host({C}, var_unbiased).to(where);
  Tensor y = Tensor::empty(input.shape(), where);
  xhat_ = Tensor::empty(input.shape(), where);
  inv_std_ = Tensor::empty({C}, where);
  ops::batchnorm_forward(where, input.data(), gamma_.value.data(), beta_.value.data(), y.data(),
                         xhat_.data(), m.data(), inv_std_.data(), v.data(), false, eps_, B, C, S);
  ops::lerp_inplace(where, running_mean_.data(), m.data(), momentum_, C);
  ops::lerp_inplace(where, running_var_.data(), vu.data(), momentum_, C);
  cached_training_ = true;
  return y;
}

// dx = gamma inv_std (gy - mean(gy) - xhat mean(gy xhat)) with the means over the global batch;
// the parameter gradients stay this rank's sums (the trainer all-reduces every gradient).
Tensor BatchNorm::backward_synced(const Tensor& grad_output) {
  // Named variables: see forward_synced.
  const auto dims = backward_dims(grad_output, xhat_, channels_, name_);
  const int64_t B = dims.B, C = dims.C, S = dims.S;
  const Backend where = grad_output.backend();
  Tensor gx = Tensor::empty(grad_output.shape(), where);
  ops::batchnorm_backward(where, grad_output.data(), xhat_.data(), gamma_.value.data(),
                          inv_std_.data(), gx.data(), gamma_.grad.data(), beta_.grad.data(), false,
                          B, C, S);
  // Host views (copies only on the CUDA backend, which has no fused kernel for this yet).
  const bool cpu = where == Backend::cpu;
  const Tensor gy_h = cpu ? Tensor() : grad_output.to(Backend::cpu);
  const Tensor xhat_h = cpu ? Tensor() : xhat_.to(Backend::cpu);
  const Tensor gamma_h = cpu ? Tensor() : gamma_.value.to(Backend::cpu);
  const Tensor istd_h = cpu ? Tensor() : inv_std_.to(Backend::cpu);
  const float* gy = cpu ? grad_output.data() : gy_h.data();
  const float* xh = cpu ? xhat_.data() : xhat_h.data();
  const float* gam = cpu ? gamma_.value.data() : gamma_h.data();
  const float* istd = cpu ? inv_std_.data() : istd_h.data();
  std::vector<double> sums(2 * size_t(C), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    GradSums g{gy, xh};
    channel_for_each(c, B, C, S, 0, 1, g);
    sums[size_t(c)] = g.sg;
    sums[size_t(C + c)] = g.sgx;
  }
  comm_->allreduce_sum(sums);
  Tensor out = cpu ? std::move(gx) : Tensor::empty(grad_output.shape());
  float* g = out.data();
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    const BnGradMeans gm = bn_grad_means(sums[size_t(c)], sums[size_t(C + c)], global_count_);
    BnInputGrad grad{gy, xh, g, gam[c], istd[c], gm.mg, gm.mgx, true};
    channel_for_each(c, B, C, S, 0, 1, grad);
  }
  return out.to(where);
}

Tensor BatchNorm::forward(const Tensor& input, bool training) {
  if (training && synced()) return forward_synced(input);
  const auto [B, C, S] = forward_dims(input, gamma_.value, channels_, name_);
  const Backend where = input.backend();
  if (training && B * S < 2)
    fail_input("{}: training batch norm needs more than one value per channel", name_);
  Tensor y = Tensor::empty(input.shape(), where);
  xhat_ = Tensor::empty(input.shape(), where);
  inv_std_ = Tensor::empty({C}, where);
  if (training) {
    Tensor mean = Tensor::empty({C}, where), var = Tensor::empty({C}, where);
    ops::batchnorm_forward(where, input.data(), gamma_.value.data(), beta_.value.data(), y.data(),
                           xhat_.data(), mean.data(), inv_std_.data(), var.data(), true, eps_, B, C,
                           S);
    ops::lerp_inplace(where, running_mean_.data(), mean.data(), momentum_, C);
    ops::lerp_inplace(where, running_var_.data(), var.data(), momentum_, C);
  } else {
    ops::batchnorm_forward(where, input.data(), gamma_.value.data(), beta_.value.data(), y.data(),
                           xhat_.data(), running_mean_.data(), inv_std_.data(), running_var_.data(),
                           false, eps_, B, C, S);
  }
  cached_training_ = training;
  return y;
}

Tensor BatchNorm::backward(const Tensor& grad_output) {
  if (cached_training_ && synced()) return backward_synced(grad_output);
  const auto [B, C, S] = backward_dims(grad_output, xhat_, channels_, name_);
  const Backend where = grad_output.backend();
  Tensor gx = Tensor::empty(grad_output.shape(), where);
  ops::batchnorm_backward(where, grad_output.data(), xhat_.data(), gamma_.value.data(),
                          inv_std_.data(), gx.data(), gamma_.grad.data(), beta_.grad.data(),
                          cached_training_, B, C, S);
  return gx;
}

}  // namespace calo::nn

namespace calo::nn {

GroupNorm1::GroupNorm1(int channels, float eps, std::string name)
    : channels_(channels), eps_(eps), name_(std::move(name)) {
  if (channels <= 0) fail_input("{}: channels must be positive", name_);
  gamma_ = Param{name_ + ".weight", Tensor({channels}), Tensor({channels}), true};
  gamma_.value.fill(1.0f);
  beta_ = Param{name_ + ".bias", Tensor({channels}), Tensor({channels}), true};
}

Tensor GroupNorm1::forward(const Tensor& input, bool /*training*/) {
  const auto [B, C, S] = forward_dims(input, gamma_.value, channels_, name_);
  const Backend where = input.backend();
  // Per-sample statistics = batch-norm statistics of the (1, B, C*S) view with unit scale (filled
  // where the input is: no upload).
  Tensor ones = Tensor::empty({B}, where), zeros({B}, where);
  ops::fill(where, ones.data(), 1.0f, B);
  Tensor mean = Tensor::empty({B}, where), var = Tensor::empty({B}, where);
  xhat_ = Tensor::empty(input.shape(), where);
  inv_std_ = Tensor::empty({B}, where);
  Tensor normed = Tensor::empty(input.shape(), where);
  ops::batchnorm_forward(where, input.data(), ones.data(), zeros.data(), normed.data(),
                         xhat_.data(), mean.data(), inv_std_.data(), var.data(), true, eps_, 1, B,
                         C * S);
  Tensor y = Tensor::empty(input.shape(), where);
  ops::affine_forward(where, xhat_.data(), gamma_.value.data(), beta_.value.data(), y.data(), B, C,
                      S);
  return y;
}

Tensor GroupNorm1::backward(const Tensor& grad_output) {
  const auto [B, C, S] = backward_dims(grad_output, xhat_, channels_, name_);
  const Backend where = grad_output.backend();
  Tensor gxhat = Tensor::empty(grad_output.shape(), where);
  ops::affine_backward(where, xhat_.data(), gamma_.value.data(), grad_output.data(), gxhat.data(),
                       gamma_.grad.data(), beta_.grad.data(), B, C, S);
  Tensor ones = Tensor::empty({B}, where), dummy_g({B}, where), dummy_b({B}, where);
  ops::fill(where, ones.data(), 1.0f, B);
  Tensor gx = Tensor::empty(grad_output.shape(), where);
  ops::batchnorm_backward(where, gxhat.data(), xhat_.data(), ones.data(), inv_std_.data(),
                          gx.data(), dummy_g.data(), dummy_b.data(), true, 1, B, C * S);
  return gx;
}

}  // namespace calo::nn
