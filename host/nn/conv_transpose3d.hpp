#pragma once
// Transposed 3D convolution (no padding, no output padding), PyTorch ConvTranspose3d semantics:
// output size (n - 1) * stride + kernel per axis. Weight (in_ch, out_ch, kd, kh, kw), bias
// (out_ch).
#include <cstdint>
#include <string>
#include <vector>

#include "host/nn/conv3d.hpp"
#include "host/nn/layer.hpp"

namespace calo::nn {

class ConvTranspose3d : public Layer {
 public:
  ConvTranspose3d(int in_ch, int out_ch, Dims3 kernel, Dims3 stride, uint64_t seed,
                  bool bias = true, std::string name = "convt3d");

  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::vector<Param*> params() override;
  std::string name() const override { return name_; }

  Shape output_shape(const Shape& input) const;
  Param& weight() { return weight_; }
  Param* bias() { return has_bias_ ? &bias_ : nullptr; }
  int in_channels() const { return in_ch_; }
  int out_channels() const { return out_ch_; }
  Dims3 kernel() const { return kernel_; }
  Dims3 stride() const { return stride_; }

 private:
  int in_ch_, out_ch_;
  Dims3 kernel_, stride_;
  bool has_bias_;
  std::string name_;
  Param weight_, bias_;
  Tensor input_;
};

}  // namespace calo::nn
