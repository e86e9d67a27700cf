#pragma once
// Launchers of LinearAttention's softmax kernels (kernels/nn/attention.cu; host/nn/
// attention_nocuda.cpp throws without CUDA). Pointers are device pointers into (B, 3E, S) tensors;
// the math is kernels/nn/attention_math.hpp, the same the CPU path runs.
#include <cstdint>

namespace calo::nn::gpu {

// Every q column and k row of the batch softmaxed in place.
void attention_softmax(float* qkv, int64_t B, int64_t S, int64_t E, float q_scale);
// gqkv's q and k parts taken back through those softmaxes (qkv holds the forward's output).
void attention_softmax_backward(const float* qkv, float* gqkv, int64_t B, int64_t S, int64_t E,
                                float q_scale);

}  // namespace calo::nn::gpu
