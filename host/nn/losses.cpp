#include "host/nn/losses.hpp"

#include "host/error.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

namespace {
void check_pair(const Tensor& a, const Tensor& b, const char* what) {
  if (a.shape() != b.shape() || a.backend() != b.backend() || a.rank() < 1 || a.dim(0) == 0)
    fail_input("{}: tensors {} and {} must have the same non-empty shape and backend", what,
               shape_string(a.shape()), shape_string(b.shape()));
}
}  // namespace

LossResult weighted_mse_u(const Tensor& u, const Tensor& uhat, float coefficient, float w) {
  check_pair(u, uhat, "weighted_mse_u");
  const float scale = coefficient / static_cast<float>(u.dim(0));
  LossResult r;
  r.grad = Tensor(u.shape(), u.backend());
  const double sum =
      ops::wmse_sum(u.backend(), u.data(), uhat.data(), r.grad.data(), u.numel(), w, scale);
  r.value = sum * coefficient / static_cast<double>(u.dim(0));
  return r;
}

LossResult bce_with_logits(const Tensor& logits, const Tensor& targets) {
  check_pair(logits, targets, "bce_with_logits");
  const float scale = 1.0f / static_cast<float>(logits.dim(0));
  LossResult r;
  r.grad = Tensor(logits.shape(), logits.backend());
  const double sum = ops::bce_sum(logits.backend(), logits.data(), targets.data(), r.grad.data(),
                                  logits.numel(), scale);
  r.value = sum / static_cast<double>(logits.dim(0));
  return r;
}

Tensor combine_train(const Tensor& acts, const Tensor& u_true, float slope) {
  check_pair(acts, u_true, "combine_train");
  Tensor y(acts.shape(), acts.backend());
  ops::combine_train(acts.backend(), acts.data(), u_true.data(), y.data(), acts.numel(), slope);
  return y;
}

Tensor combine_train_backward(const Tensor& grad_output, const Tensor& acts, const Tensor& u_true,
                              float slope) {
  check_pair(acts, u_true, "combine_train_backward");
  check_pair(acts, grad_output, "combine_train_backward");
  Tensor gx(acts.shape(), acts.backend());
  ops::combine_train_backward(acts.backend(), grad_output.data(), acts.data(), u_true.data(),
                              gx.data(), acts.numel(), slope);
  return gx;
}

Tensor combine_eval(const Tensor& acts, const Tensor& hit_logits, uint64_t seed, uint64_t stream,
                    uint64_t offset) {
  check_pair(acts, hit_logits, "combine_eval");
  Tensor y(acts.shape(), acts.backend());
  ops::combine_eval(acts.backend(), acts.data(), hit_logits.data(), y.data(), acts.numel(), seed,
                    stream, offset);
  return y;
}

}  // namespace calo::nn
