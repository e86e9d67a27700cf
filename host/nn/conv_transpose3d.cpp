#include "host/nn/conv_transpose3d.hpp"

#include "host/error.hpp"
#include "host/nn/conv_cpu.hpp"
#include "host/nn/init.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

ConvTranspose3d::ConvTranspose3d(int in_ch, int out_ch, Dims3 kernel, Dims3 stride, uint64_t seed,
                                 bool bias, std::string name)
    : in_ch_(in_ch),
      out_ch_(out_ch),
      kernel_(kernel),
      stride_(stride),
      has_bias_(bias),
      name_(std::move(name)) {
  if (in_ch <= 0 || out_ch <= 0 || kernel.d <= 0 || kernel.h <= 0 || kernel.w <= 0 ||
      stride.d <= 0 || stride.h <= 0 || stride.w <= 0)
    fail_input("{}: channels, kernel and stride must be positive", name_);
  // PyTorch computes fan_in from weight dim 1 (out_ch) times the kernel volume.
  const int64_t fan_in = static_cast<int64_t>(out_ch) * kernel.d * kernel.h * kernel.w;
  weight_ = make_uniform_param(name_ + ".weight", {in_ch, out_ch, kernel.d, kernel.h, kernel.w},
                               fan_in, seed, 0);
  if (has_bias_) bias_ = make_uniform_param(name_ + ".bias", {out_ch}, fan_in, seed, 1);
}

Shape ConvTranspose3d::output_shape(const Shape& in) const {
  if (in.size() != 5 || in[1] != in_ch_)
    fail_input("{}: expected input (B, {}, D, H, W), got {}", name_, in_ch_, shape_string(in));
  return {in[0], out_ch_, (in[2] - 1) * stride_.d + kernel_.d, (in[3] - 1) * stride_.h + kernel_.h,
          (in[4] - 1) * stride_.w + kernel_.w};
}

namespace {
// The transposed conv is the adjoint of a valid conv from the output (as conv input) to the input.
ConvGeom adjoint_geom(const Shape& in, const Shape& out, Dims3 k, Dims3 s) {
  return conv_geom(out, in, k, s, PadMode::none);
}
}  // namespace

Tensor ConvTranspose3d::forward(const Tensor& input, bool /*training*/) {
  const Backend where = input.backend();
  require_same_backend(weight_.value, where, name_, "the weight");
  const Shape out_shape = output_shape(input.shape());
  const ConvGeom g = adjoint_geom(input.shape(), out_shape, kernel_, stride_);
  const int64_t B = input.dim(0),
                rows = static_cast<int64_t>(out_ch_) * kernel_.d * kernel_.h * kernel_.w;
  const int64_t L = input.dim(2) * input.dim(3) * input.dim(4);
  const int64_t out_stride = shape_numel(out_shape) / B;
  Tensor out(out_shape, where);
  if (where == Backend::cpu && cpu::blas_is_serial()) {
    cpu::conv_transpose_forward(g, weight_.value.data(), in_ch_, input.data(), out.data(),
                                out_stride, B);
  } else {
    Tensor col({rows, L}, where);
    for (int64_t b = 0; b < B; ++b) {
      ops::gemm(where, true, false, rows, L, in_ch_, 1.0f, weight_.value.data(),
                input.data() + b * in_ch_ * L, 0.0f, col.data());
      ops::col2im(where, g, col.data(), out.data() + b * out_stride);
    }
  }
  if (has_bias_)
    ops::add_channel_bias(where, out.data(), bias_.value.data(), B, out_ch_, out_stride / out_ch_);
  input_ = keep_for_backward(input);
  return out;
}

Tensor ConvTranspose3d::backward(const Tensor& grad_output) {
  require_kept(input_);
  const Backend where = input_.backend();
  const Shape out_shape = output_shape(input_.shape());
  if (grad_output.shape() != out_shape || grad_output.backend() != where)
    fail_input("{}: backward got gradient {} but forward produced {}", name_,
               shape_string(grad_output.shape()), shape_string(out_shape));
  const ConvGeom g = adjoint_geom(input_.shape(), out_shape, kernel_, stride_);
  const int64_t B = input_.dim(0),
                rows = static_cast<int64_t>(out_ch_) * kernel_.d * kernel_.h * kernel_.w;
  const int64_t L = input_.dim(2) * input_.dim(3) * input_.dim(4);
  const int64_t out_stride = shape_numel(out_shape) / B;
  Tensor grad_in(input_.shape(), where);
  if (where == Backend::cpu && cpu::blas_is_serial()) {
    cpu::conv_transpose_backward(g, weight_.value.data(), in_ch_, input_.data(), grad_output.data(),
                                 out_stride, weight_.grad.data(), grad_in.data(), B);
  } else {
    Tensor col({rows, L}, where);
    for (int64_t b = 0; b < B; ++b) {
      ops::im2col(where, g, grad_output.data() + b * out_stride, col.data());
      ops::gemm(where, false, true, in_ch_, rows, L, 1.0f, input_.data() + b * in_ch_ * L,
                col.data(), 1.0f, weight_.grad.data());
      ops::gemm(where, false, false, in_ch_, L, rows, 1.0f, weight_.value.data(), col.data(), 0.0f,
                grad_in.data() + b * in_ch_ * L);
    }
  }
  if (has_bias_)
    ops::channel_sum_acc(where, grad_output.data(), bias_.grad.data(), B, out_ch_,
                         out_stride / out_ch_);
  return grad_in;
}

std::vector<Param*> ConvTranspose3d::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

}  // namespace calo::nn
