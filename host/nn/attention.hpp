#pragma once
// LinearAttention(C) of the reference decoder's energy head (research/caloqvae.md section 3; the
// "denoising diffusion" linear attention with heads = 1, dim_head = 32, no residual):
//   qkv = Conv3d_1x1(C -> 96, no bias)(x); q, k, v = 32 channels each over S = D*H*W positions
//   q = softmax over channels, k = softmax over positions, q *= 32^-1/2
//   ctx = k v^T (32 x 32), out = ctx^T q (32 x S)
//   y = GroupNorm(1, C)(Conv3d_1x1(32 -> C, bias)(out))
// Everything runs on the input's backend: the convolutions and the GroupNorm through their own
// paths, the softmaxes through kernels/nn/attention_math.hpp (one CALO_HD function for the CPU
// loop and the CUDA kernel), the 32 x 32 context products through ops::gemm. Nothing crosses
// between host and device.
#include <cstdint>
#include <string>
#include <vector>

#include "host/nn/conv3d.hpp"
#include "host/nn/layer.hpp"
#include "host/nn/norm.hpp"

namespace calo::nn {

class LinearAttention : public Layer {
 public:
  static constexpr int kDimHead = 32;
  // Parameters: <name>.to_qkv.weight, <name>.to_out.weight/.bias, <name>.norm.weight/.bias.
  LinearAttention(int channels, uint64_t seed, std::string name = "attention");
  Tensor forward(const Tensor& input, bool training) override;  // (B, C, D, H, W)
  Tensor backward(const Tensor& grad_output) override;
  std::vector<Param*> params() override;
  std::string name() const override { return name_; }
  void to(Backend where) override;

 private:
  int channels_;
  std::string name_;
  Conv3d to_qkv_, to_out_;
  GroupNorm1 norm_;
  // The last forward on its backend: qkv (B, 96, D, H, W) after the softmaxes (scaled q, k, v)
  // and ctx (B, 32, 32).
  Tensor qkv_, ctx_;
  Backend where_ = Backend::cpu;
};

}  // namespace calo::nn
