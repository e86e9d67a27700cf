#include "host/nn/linear.hpp"

#include "host/error.hpp"
#include "host/nn/init.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

Linear::Linear(int in, int out, uint64_t seed, bool bias, std::string name)
    : in_(in), out_(out), has_bias_(bias), name_(std::move(name)) {
  if (in <= 0 || out <= 0) fail_input("{}: in and out features must be positive", name_);
  weight_ = make_uniform_param(name_ + ".weight", {out, in}, in, seed, 0);
  if (has_bias_) bias_ = make_uniform_param(name_ + ".bias", {out}, in, seed, 1);
}

Tensor Linear::forward(const Tensor& input, bool /*training*/) {
  if (input.rank() != 2 || input.dim(1) != in_)
    fail_input("{}: expected input (B, {}), got {}", name_, in_, shape_string(input.shape()));
  const Backend where = input.backend();
  require_same_backend(weight_.value, where, name_, "the weight");
  const int64_t B = input.dim(0);
  Tensor out = Tensor::empty({B, out_}, where);  // beta = 0: the GEMM writes every element
  ops::gemm(where, false, true, B, out_, in_, 1.0f, input.data(), weight_.value.data(), 0.0f,
            out.data());
  if (has_bias_) ops::add_channel_bias(where, out.data(), bias_.value.data(), B, out_, 1);
  input_ = keep_for_backward(input);
  return out;
}

Tensor Linear::backward(const Tensor& grad_output) {
  require_kept(input_);
  const int64_t B = input_.dim(0);
  if (grad_output.shape() != Shape{B, out_} || grad_output.backend() != input_.backend())
    fail_input("{}: backward got gradient {} but forward produced ({}, {})", name_,
               shape_string(grad_output.shape()), B, out_);
  const Backend where = input_.backend();
  ops::gemm(where, true, false, out_, in_, B, 1.0f, grad_output.data(), input_.data(), 1.0f,
            weight_.grad.data());
  if (has_bias_) ops::channel_sum_acc(where, grad_output.data(), bias_.grad.data(), B, out_, 1);
  if (!input_gradient_) return Tensor({B, in_}, where);  // zeros: the input gets no gradient
  Tensor grad_in = Tensor::empty({B, in_}, where);
  ops::gemm(where, false, false, B, in_, out_, 1.0f, grad_output.data(), weight_.value.data(), 0.0f,
            grad_in.data());
  return grad_in;
}

std::vector<Param*> Linear::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

}  // namespace calo::nn
