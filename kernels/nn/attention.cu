// CUDA softmaxes of LinearAttention: one thread per slice (a q column or a k row), each running
// the CALO_HD function the CPU loop runs (kernels/nn/attention_math.hpp).
#include "kernels/cuda_check.cuh"
#include "kernels/launch_stream.cuh"
#include "kernels/nn/attention_launch.hpp"
#include "kernels/nn/attention_math.hpp"

namespace calo::nn::gpu {
namespace {

constexpr int kThreads = 128;

__global__ void k_attention_softmax(float* qkv, int64_t slices, int64_t S, int64_t E,
                                    float q_scale) {
  const int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (t < slices) calo::nn::attention_softmax(qkv, t, S, E, q_scale);
}

__global__ void k_attention_softmax_backward(const float* qkv, float* gqkv, int64_t slices,
                                             int64_t S, int64_t E, float q_scale) {
  const int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (t < slices) calo::nn::attention_softmax_backward(qkv, gqkv, t, S, E, q_scale);
}

unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

}  // namespace

void attention_softmax(float* qkv, int64_t B, int64_t S, int64_t E, float q_scale) {
  const int64_t slices = B * (S + E);
  if (slices == 0) return;
  k_attention_softmax<<<blocks_for(slices), kThreads, 0, launch_stream()>>>(qkv, slices, S, E,
                                                                            q_scale);
  CALO_CUDA_CHECK_LAUNCH();
}

void attention_softmax_backward(const float* qkv, float* gqkv, int64_t B, int64_t S, int64_t E,
                                float q_scale) {
  const int64_t slices = B * (S + E);
  if (slices == 0) return;
  k_attention_softmax_backward<<<blocks_for(slices), kThreads, 0, launch_stream()>>>(
      qkv, gqkv, slices, S, E, q_scale);
  CALO_CUDA_CHECK_LAUNCH();
}

}  // namespace calo::nn::gpu
