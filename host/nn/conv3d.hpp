#pragma once
// 3D convolution on (B, C, D, H, W) tensors; for calorimeter showers D = z (layer), H = alpha
// (phi), W = r. CPU: im2col gather + cblas_sgemm; CUDA: im2col kernel + cuBLAS. The gather goes
// through the CALO_HD neighbour-index function in kernels/nn/cylindrical_index.hpp on both paths.
#include <cstdint>
#include <string>
#include <vector>

#include "host/nn/layer.hpp"
#include "kernels/nn/cylindrical_index.hpp"

namespace calo::nn {

// none: valid convolution. zero: PyTorch padding=1 on all three axes (zeros).
// cylindrical (kernel 3 in H and W, any in D; the reference's "p=1"): H padded circularly by 1 on
// both sides; W gets one extra row at r=-1 equal to r=0 at alpha+H/2 (180 degrees); D and the outer
// r edge unpadded.
enum class Padding3d { none, zero, cylindrical };

struct Dims3 {
  int d = 1, h = 1, w = 1;
};

class Conv3d : public Layer {
 public:
  // Weight (out_ch, in_ch, kd, kh, kw), bias (out_ch); PyTorch-default (kaiming uniform a=sqrt(5))
  // init from Philox with `seed`. Parameter names are "<name>.weight" and "<name>.bias".
  Conv3d(int in_ch, int out_ch, Dims3 kernel, Dims3 stride, Padding3d padding, bool bias,
         uint64_t seed, std::string name = "conv3d");

  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::vector<Param*> params() override;
  std::string name() const override { return name_; }

  // Output shape for an input of shape (B, C, D, H, W); throws InputError when it does not fit.
  Shape output_shape(const Shape& input) const;
  Param& weight() { return weight_; }
  Param* bias() { return has_bias_ ? &bias_ : nullptr; }
  Padding3d padding() const { return padding_; }
  int in_channels() const { return in_ch_; }
  int out_channels() const { return out_ch_; }
  Dims3 kernel() const { return kernel_; }
  Dims3 stride() const { return stride_; }
  // false for a first layer fed with data: backward then skips the input gradient (half its cost)
  // and returns zeros.
  void set_input_gradient(bool on) { input_gradient_ = on; }

 private:
  int in_ch_, out_ch_;
  Dims3 kernel_, stride_;
  Padding3d padding_;
  bool has_bias_;
  std::string name_;
  Param weight_, bias_;
  Tensor input_;  // cached for backward
  bool input_gradient_ = true;
};

// Geometry of a convolution from an input of shape `in` to an output of shape `out` (B, C, D, H,
// W), shared by Conv3d and ConvTranspose3d (which runs the adjoint of a valid conv).
ConvGeom conv_geom(const Shape& in, const Shape& out, Dims3 k, Dims3 s, PadMode m);

}  // namespace calo::nn
