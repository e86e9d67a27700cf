// CPU-only build: LinearAttention's CUDA softmaxes throw.
#include "kernels/error_raise.hpp"
#include "kernels/nn/attention_launch.hpp"

namespace calo::nn::gpu {
namespace {
[[noreturn]] void no_cuda() {
  raise_error(
      "LinearAttention was run on a CUDA tensor, but this build has no CUDA backend; rebuild with "
      "-DCALO_WITH_CUDA=ON or use --backend cpu");
}
}  // namespace
void attention_softmax(float*, int64_t, int64_t, int64_t, float) {
  no_cuda();
}
void attention_softmax_backward(const float*, float*, int64_t, int64_t, int64_t, float) {
  no_cuda();
}
}  // namespace calo::nn::gpu
