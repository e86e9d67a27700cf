#include "host/nn/activations.hpp"

#include "host/error.hpp"
#include "host/nn/init.hpp"
#include "host/nn/ops.hpp"
#include "kernels/nn/activations.hpp"

namespace calo::nn {

namespace {
Tensor unary_fwd(ops::Unary op, float p, const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), x.backend());
  ops::unary_forward(x.backend(), op, p, x.data(), y.data(), x.numel());
  return y;
}
Tensor unary_bwd(ops::Unary op, float p, const Tensor& saved, const Tensor& gy,
                 const std::string& name) {
  if (gy.shape() != saved.shape() || gy.backend() != saved.backend())
    fail_input("{}: backward got gradient {} but forward produced {}", name,
               shape_string(gy.shape()), shape_string(saved.shape()));
  Tensor gx = Tensor::empty(gy.shape(), gy.backend());
  ops::unary_backward(gy.backend(), op, p, saved.data(), gy.data(), gx.data(), gy.numel());
  return gx;
}
}  // namespace

Tensor ReLU::forward(const Tensor& input, bool) {
  input_ = keep_for_backward(input);
  return unary_fwd(ops::Unary::relu, 0.0f, input);
}
Tensor ReLU::backward(const Tensor& g) {
  require_kept(input_);
  return unary_bwd(ops::Unary::relu, 0.0f, input_, g, name_);
}

Tensor LeakyReLU::forward(const Tensor& input, bool) {
  input_ = keep_for_backward(input);
  return unary_fwd(ops::Unary::leaky_relu, slope_, input);
}
Tensor LeakyReLU::backward(const Tensor& g) {
  require_kept(input_);
  return unary_bwd(ops::Unary::leaky_relu, slope_, input_, g, name_);
}

Tensor SiLU::forward(const Tensor& input, bool) {
  input_ = keep_for_backward(input);
  return unary_fwd(ops::Unary::silu, 0.0f, input);
}
Tensor SiLU::backward(const Tensor& g) {
  require_kept(input_);
  return unary_bwd(ops::Unary::silu, 0.0f, input_, g, name_);
}

Tensor Sigmoid::forward(const Tensor& input, bool) {
  Tensor y = unary_fwd(ops::Unary::sigmoid, 0.0f, input);
  output_ = keep_for_backward(y);
  return y;
}
Tensor Sigmoid::backward(const Tensor& g) {
  require_kept(output_);
  return unary_bwd(ops::Unary::sigmoid, 0.0f, output_, g, name_);
}

PReLU::PReLU(int num_parameters, float init, std::string name)
    : num_(num_parameters), name_(std::move(name)) {
  if (num_parameters <= 0) fail_input("{}: num_parameters must be positive", name_);
  weight_.name = name_ + ".weight";
  weight_.value = Tensor({num_parameters});
  weight_.value.fill(init);
  weight_.grad = Tensor({num_parameters});
}

namespace {
// Channel count C and inner size S of (B, C, ...) for a PReLU with `num` slopes.
void prelu_dims(const Tensor& x, int num, const std::string& name, int64_t& C, int64_t& S) {
  if (num == 1) {
    C = 1;
    S = x.numel() / (x.rank() > 0 ? x.dim(0) : 1);
    return;
  }
  if (x.rank() < 2 || x.dim(1) != num)
    fail_input("{}: {} slopes need input (B, {}, ...), got {}", name, num, num,
               shape_string(x.shape()));
  C = num;
  S = x.numel() / (x.dim(0) * num);
}
}  // namespace

Tensor PReLU::forward(const Tensor& input, bool) {
  const Backend where = input.backend();
  require_same_backend(weight_.value, where, name_, "the slope");
  int64_t C = 0, S = 0;
  prelu_dims(input, num_, name_, C, S);
  Tensor y = Tensor::empty(input.shape(), where);
  ops::prelu_forward(where, input.data(), weight_.value.data(), y.data(), input.dim(0), C, S);
  input_ = keep_for_backward(input);
  return y;
}

Tensor PReLU::backward(const Tensor& g) {
  require_kept(input_);
  if (g.shape() != input_.shape() || g.backend() != input_.backend())
    fail_input("{}: backward got gradient {} but forward produced {}", name_,
               shape_string(g.shape()), shape_string(input_.shape()));
  int64_t C = 0, S = 0;
  prelu_dims(input_, num_, name_, C, S);
  Tensor gx = Tensor::empty(g.shape(), g.backend());
  ops::prelu_backward(g.backend(), input_.data(), weight_.value.data(), g.data(), gx.data(),
                      weight_.grad.data(), input_.dim(0), C, S);
  return gx;
}

}  // namespace calo::nn
