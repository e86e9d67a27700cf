#include "host/nn/conv3d.hpp"

#include "host/error.hpp"
#include "host/nn/conv_cpu.hpp"
#include "host/nn/init.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

void require_same_backend(const Tensor& t, Backend where, const std::string& layer,
                          const char* what) {
  if (t.backend() != where)
    fail_input("{}: {} lives on the {} but the input lives on the {}; call to() on the layer first",
               layer, what, t.on_host() ? "host" : "GPU", where == Backend::cpu ? "host" : "GPU");
}

namespace {
PadMode pad_mode(Padding3d p) {
  return p == Padding3d::zero
             ? PadMode::zero
             : (p == Padding3d::cylindrical ? PadMode::cylindrical : PadMode::none);
}
}  // namespace

Conv3d::Conv3d(int in_ch, int out_ch, Dims3 kernel, Dims3 stride, Padding3d padding, bool bias,
               uint64_t seed, std::string name)
    : in_ch_(in_ch),
      out_ch_(out_ch),
      kernel_(kernel),
      stride_(stride),
      padding_(padding),
      has_bias_(bias),
      name_(std::move(name)) {
  if (in_ch <= 0 || out_ch <= 0 || kernel.d <= 0 || kernel.h <= 0 || kernel.w <= 0 ||
      stride.d <= 0 || stride.h <= 0 || stride.w <= 0)
    fail_input("{}: channels, kernel and stride must be positive", name_);
  // z is never padded, so any kd; phi and r are padded by one (the reference's p=1) and need 3.
  if (padding == Padding3d::cylindrical && (kernel.h != 3 || kernel.w != 3))
    fail_input("{}: cylindrical padding needs a kernel of 3 in phi and r (reference p=1)", name_);
  const int64_t fan_in = static_cast<int64_t>(in_ch) * kernel.d * kernel.h * kernel.w;
  weight_ = make_uniform_param(name_ + ".weight", {out_ch, in_ch, kernel.d, kernel.h, kernel.w},
                               fan_in, seed, 0);
  if (has_bias_) bias_ = make_uniform_param(name_ + ".bias", {out_ch}, fan_in, seed, 1);
}

Shape Conv3d::output_shape(const Shape& in) const {
  if (in.size() != 5 || in[1] != in_ch_)
    fail_input("{}: expected input (B, {}, D, H, W), got {}", name_, in_ch_, shape_string(in));
  const PadMode m = pad_mode(padding_);
  if (m == PadMode::cylindrical && in[3] % 2 != 0)
    fail_input("{}: cylindrical padding needs an even number of phi bins, got H={}", name_, in[3]);
  const int k[3] = {kernel_.d, kernel_.h, kernel_.w}, s[3] = {stride_.d, stride_.h, stride_.w};
  Shape out{in[0], out_ch_, 0, 0, 0};
  for (int a = 0; a < 3; ++a) {
    const int p = conv_padded_extent(m, a, static_cast<int>(in[2 + a]));
    if (p < k[a])
      fail_input("{}: input {} too small for kernel along axis {}", name_, shape_string(in), a);
    out[2 + a] = (p - k[a]) / s[a] + 1;
  }
  return out;
}

ConvGeom conv_geom(const Shape& in, const Shape& out, Dims3 k, Dims3 s, PadMode m) {
  return ConvGeom{static_cast<int>(in[1]),
                  static_cast<int>(in[2]),
                  static_cast<int>(in[3]),
                  static_cast<int>(in[4]),
                  k.d,
                  k.h,
                  k.w,
                  s.d,
                  s.h,
                  s.w,
                  static_cast<int>(out[2]),
                  static_cast<int>(out[3]),
                  static_cast<int>(out[4]),
                  m};
}

Tensor Conv3d::forward(const Tensor& input, bool /*training*/) {
  const Backend where = input.backend();
  require_same_backend(weight_.value, where, name_, "the weight");
  const Shape out_shape = output_shape(input.shape());
  const ConvGeom g = conv_geom(input.shape(), out_shape, kernel_, stride_, pad_mode(padding_));
  const int64_t B = input.dim(0),
                rows = static_cast<int64_t>(in_ch_) * kernel_.d * kernel_.h * kernel_.w;
  const int64_t L = out_shape[2] * out_shape[3] * out_shape[4];
  const int64_t in_stride = input.numel() / B;
  Tensor out(out_shape, where);
  if (where == Backend::cpu && cpu::blas_is_serial()) {
    cpu::conv_forward(g, weight_.value.data(), out_ch_, input.data(), in_stride, out.data(), B);
  } else {
    Tensor col({rows, L}, where);
    for (int64_t b = 0; b < B; ++b) {
      ops::im2col(where, g, input.data() + b * in_stride, col.data());
      ops::gemm(where, false, false, out_ch_, L, rows, 1.0f, weight_.value.data(), col.data(), 0.0f,
                out.data() + b * out_ch_ * L);
    }
  }
  if (has_bias_) ops::add_channel_bias(where, out.data(), bias_.value.data(), B, out_ch_, L);
  input_ = keep_for_backward(input);
  return out;
}

Tensor Conv3d::backward(const Tensor& grad_output) {
  require_kept(input_);
  const Backend where = input_.backend();
  const Shape out_shape = output_shape(input_.shape());
  if (grad_output.shape() != out_shape || grad_output.backend() != where)
    fail_input("{}: backward got gradient {} but forward produced {}", name_,
               shape_string(grad_output.shape()), shape_string(out_shape));
  const ConvGeom g = conv_geom(input_.shape(), out_shape, kernel_, stride_, pad_mode(padding_));
  const int64_t B = input_.dim(0),
                rows = static_cast<int64_t>(in_ch_) * kernel_.d * kernel_.h * kernel_.w;
  const int64_t L = out_shape[2] * out_shape[3] * out_shape[4];
  const int64_t in_stride = input_.numel() / B;
  Tensor grad_in(input_.shape(), where);
  if (where == Backend::cpu && cpu::blas_is_serial()) {
    cpu::conv_backward(g, weight_.value.data(), out_ch_, input_.data(), in_stride,
                       grad_output.data(), weight_.grad.data(),
                       input_gradient_ ? grad_in.data() : nullptr, B);
    if (has_bias_)
      ops::channel_sum_acc(where, grad_output.data(), bias_.grad.data(), B, out_ch_, L);
    return grad_in;
  }
  Tensor col({rows, L}, where);
  for (int64_t b = 0; b < B; ++b) {
    const float* gy = grad_output.data() + b * out_ch_ * L;
    ops::im2col(where, g, input_.data() + b * in_stride, col.data());
    ops::gemm(where, false, true, out_ch_, rows, L, 1.0f, gy, col.data(), 1.0f,
              weight_.grad.data());
    if (!input_gradient_) continue;
    ops::gemm(where, true, false, rows, L, out_ch_, 1.0f, weight_.value.data(), gy, 0.0f,
              col.data());
    ops::col2im(where, g, col.data(), grad_in.data() + b * in_stride);
  }
  if (has_bias_) ops::channel_sum_acc(where, grad_output.data(), bias_.grad.data(), B, out_ch_, L);
  return grad_in;
}

std::vector<Param*> Conv3d::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

}  // namespace calo::nn
