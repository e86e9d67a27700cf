#include "host/nn/gumbel.hpp"

#include "host/error.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

Tensor gumbel_sigmoid_forward(const Tensor& logits, float beta, bool training, uint64_t seed,
                              uint64_t stream, uint64_t offset) {
  Tensor y = Tensor::empty(logits.shape(), logits.backend());
  ops::gumbel_forward(logits.backend(), logits.data(), y.data(), logits.numel(), beta, training,
                      seed, stream, offset);
  return y;
}

Tensor gumbel_sigmoid_backward(const Tensor& grad_output, const Tensor& output, float beta) {
  if (grad_output.shape() != output.shape() || grad_output.backend() != output.backend())
    fail_input("gumbel_sigmoid_backward: gradient {} does not match output {}",
               shape_string(grad_output.shape()), shape_string(output.shape()));
  Tensor gx = Tensor::empty(output.shape(), output.backend());
  ops::gumbel_backward(output.backend(), grad_output.data(), output.data(), gx.data(),
                       output.numel(), beta);
  return gx;
}

}  // namespace calo::nn
