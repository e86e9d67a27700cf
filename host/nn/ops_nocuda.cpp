// CPU-only build: the CUDA entry points of the nn layers throw.
#include "host/nn/ops.hpp"
#include "kernels/error_raise.hpp"

namespace calo::nn::gpu {
namespace {
[[noreturn]] void no_cuda(const char* what) {
  raise_error(std::string("nn layer op '") + what +
              "' was called on a CUDA tensor, but this build has no CUDA backend; rebuild with "
              "-DCALO_WITH_CUDA=ON or keep tensors on the host");
}
}  // namespace
void gemm(bool, bool, int64_t, int64_t, int64_t, float, const float*, const float*, float, float*) {
  no_cuda("gemm");
}
void im2col(const ConvGeom&, const float*, float*) {
  no_cuda("im2col");
}
void col2im(const ConvGeom&, const float*, float*) {
  no_cuda("col2im");
}
void add_channel_bias(float*, const float*, int64_t, int64_t, int64_t) {
  no_cuda("add_channel_bias");
}
void channel_sum_acc(const float*, float*, int64_t, int64_t, int64_t) {
  no_cuda("channel_sum_acc");
}
void unary_forward(int, float, const float*, float*, int64_t) {
  no_cuda("unary_forward");
}
void unary_backward(int, float, const float*, const float*, float*, int64_t) {
  no_cuda("unary_backward");
}
}  // namespace calo::nn::gpu

namespace calo::nn::gpu {
void prelu_forward(const float*, const float*, float*, int64_t, int64_t, int64_t) {
  no_cuda("prelu_forward");
}
void prelu_backward(const float*, const float*, const float*, float*, float*, int64_t, int64_t,
                    int64_t) {
  no_cuda("prelu_backward");
}
void batchnorm_forward(const float*, const float*, const float*, float*, float*, float*, float*,
                       float*, bool, float, int64_t, int64_t, int64_t) {
  no_cuda("batchnorm_forward");
}
void batchnorm_backward(const float*, const float*, const float*, const float*, float*, float*,
                        float*, bool, int64_t, int64_t, int64_t) {
  no_cuda("batchnorm_backward");
}
void lerp_inplace(float*, const float*, float, int64_t) {
  no_cuda("lerp_inplace");
}
}  // namespace calo::nn::gpu

namespace calo::nn::gpu {
void gumbel_forward(const float*, float*, int64_t, float, bool, uint64_t, uint64_t, uint64_t) {
  no_cuda("gumbel_forward");
}
void gumbel_backward(const float*, const float*, float*, int64_t, float) {
  no_cuda("gumbel_backward");
}
void add_inplace(float*, const float*, int64_t) {
  no_cuda("add_inplace");
}
void hit_target(const float*, float*, int64_t) {
  no_cuda("hit_target");
}
void energy_code_rows(const float*, int64_t, int, float*) {
  no_cuda("energy_code_rows");
}
double wmse_sum(const float*, const float*, float*, int64_t, float, float) {
  no_cuda("wmse_sum");
}
double bce_sum(const float*, const float*, float*, int64_t, float) {
  no_cuda("bce_sum");
}
double kl_entropy_sum(const float*, const float*, float*, float*, int64_t, double) {
  no_cuda("kl_entropy_sum");
}
double kl_energy_sum(const float*, const float*, const float*, float*, int64_t, int64_t, double) {
  no_cuda("kl_energy_sum");
}
void combine_train(const float*, const float*, float*, int64_t, float) {
  no_cuda("combine_train");
}
void combine_train_backward(const float*, const float*, const float*, float*, int64_t, float) {
  no_cuda("combine_train_backward");
}
void combine_eval(const float*, const float*, float*, int64_t, uint64_t, uint64_t, uint64_t) {
  no_cuda("combine_eval");
}
}  // namespace calo::nn::gpu

namespace calo::nn::gpu {
void copy_strided(const float*, int64_t, float*, int64_t, int64_t, int64_t) {
  no_cuda("copy_strided");
}
void broadcast_rows(const float*, float*, int64_t, int64_t) {
  no_cuda("broadcast_rows");
}
void fill(float*, float, int64_t) {
  no_cuda("fill");
}
void adam_step(const AdamScalars&, float*, const float*, float*, float*, int64_t) {
  no_cuda("adam_step");
}
}  // namespace calo::nn::gpu

namespace calo::nn::gpu {
void affine_forward(const float*, const float*, const float*, float*, int64_t, int64_t, int64_t) {
  no_cuda("affine_forward");
}
void affine_backward(const float*, const float*, const float*, float*, float*, float*, int64_t,
                     int64_t, int64_t) {
  no_cuda("affine_backward");
}
}  // namespace calo::nn::gpu
