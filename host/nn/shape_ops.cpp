#include "host/nn/shape_ops.hpp"

#include "host/error.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

Tensor Reshape::forward(const Tensor& input, bool) {
  if (input.rank() < 1) fail_input("{}: input has no batch dimension", name_);
  Shape s{input.dim(0)};
  s.insert(s.end(), target_.begin(), target_.end());
  if (shape_numel(s) != input.numel())
    fail_input("{}: cannot reshape {} to {}", name_, shape_string(input.shape()), shape_string(s));
  input_shape_ = input.shape();
  Tensor y = input.clone();
  y.reshape(s);
  return y;
}

Tensor Reshape::backward(const Tensor& grad_output) {
  Tensor g = grad_output.clone();
  g.reshape(input_shape_);
  return g;
}

Tensor Flatten::forward(const Tensor& input, bool) {
  if (input.rank() < 1) fail_input("{}: input has no batch dimension", name_);
  input_shape_ = input.shape();
  Tensor y = input.clone();
  y.reshape({input.dim(0), input.numel() / std::max<int64_t>(input.dim(0), 1)});
  return y;
}

Tensor Flatten::backward(const Tensor& grad_output) {
  Tensor g = grad_output.clone();
  g.reshape(input_shape_);
  return g;
}

namespace {
// Copies `rows` blocks of `len` floats with strides (same backend on both sides).
void copy_blocks(Backend where, const float* src, int64_t src_stride, float* dst,
                 int64_t dst_stride, int64_t rows, int64_t len) {
  ops::copy_strided(where, src, src_stride, dst, dst_stride, rows, len);
}
void check_trailing(const Tensor& a, const Tensor& b) {
  if (a.rank() < 2 || b.rank() != a.rank() || a.dim(0) != b.dim(0) || a.backend() != b.backend())
    fail_input("concat_channels: tensors {} and {} must share batch size, rank and backend",
               shape_string(a.shape()), shape_string(b.shape()));
  for (size_t i = 2; i < a.rank(); ++i)
    if (a.dim(i) != b.dim(i))
      fail_input("concat_channels: spatial dims differ: {} vs {}", shape_string(a.shape()),
                 shape_string(b.shape()));
}
}  // namespace

Tensor concat_channels(const Tensor& a, const Tensor& b) {
  check_trailing(a, b);
  const int64_t B = a.dim(0), na = a.numel() / B, nb = b.numel() / B;
  Shape s = a.shape();
  s[1] = a.dim(1) + b.dim(1);
  Tensor out = Tensor::empty(s, a.backend());  // the two copies cover every row
  copy_blocks(a.backend(), a.data(), na, out.data(), na + nb, B, na);
  copy_blocks(a.backend(), b.data(), nb, out.data() + na, na + nb, B, nb);
  return out;
}

std::pair<Tensor, Tensor> split_channels(const Tensor& grad, int64_t channels_a) {
  if (grad.rank() < 2 || channels_a < 0 || channels_a > grad.dim(1))
    fail_input("split_channels: cannot split {} at channel {}", shape_string(grad.shape()),
               channels_a);
  const int64_t B = grad.dim(0), per_channel = grad.numel() / (B * grad.dim(1));
  const int64_t na = channels_a * per_channel, nb = (grad.dim(1) - channels_a) * per_channel;
  Shape sa = grad.shape(), sb = grad.shape();
  sa[1] = channels_a;
  sb[1] = grad.dim(1) - channels_a;
  Tensor a = Tensor::empty(sa, grad.backend()), b = Tensor::empty(sb, grad.backend());
  copy_blocks(grad.backend(), grad.data(), na + nb, a.data(), na, B, na);
  copy_blocks(grad.backend(), grad.data() + na, na + nb, b.data(), nb, B, nb);
  return {std::move(a), std::move(b)};
}

Tensor append_energy_channel(const Tensor& x, const Tensor& energy) {
  if (x.rank() < 2 || energy.numel() != x.dim(0) || energy.backend() != x.backend())
    fail_input(
        "append_energy_channel: need energy with one value per batch item ({}) on the same "
        "backend, got {}",
        x.dim(0), shape_string(energy.shape()));
  Shape s = x.shape();
  s[1] = 1;
  const int64_t B = x.dim(0), S = x.numel() / (B * x.dim(1));
  Tensor e = Tensor::empty(s, x.backend());
  ops::broadcast_rows(x.backend(), energy.data(), e.data(), B, S);
  return concat_channels(x, e);
}

std::pair<Tensor, Tensor> append_energy_channel_backward(const Tensor& grad) {
  auto [gx, ge] = split_channels(grad, grad.dim(1) - 1);
  const int64_t B = grad.dim(0), S = ge.numel() / B;
  Tensor g({B, 1}, grad.backend());
  ops::channel_sum_acc(grad.backend(), ge.data(), g.data(), 1, B, S);
  return {std::move(gx), std::move(g)};
}

}  // namespace calo::nn
