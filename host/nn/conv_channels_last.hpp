#pragma once
// Channels-last convolutions for CPU inference (host/nn/decoder_tail_cpu.hpp). One item's
// activation is a matrix of rows: row p is voxel (d, h, w) in order, `ld` floats apart, channel c
// at offset c. A transposed conv is then one GEMM, G (L, taps x Co) = x^T Wp, whose rows scatter
// into the output in runs of Co contiguous floats (the channels-first col2im adds runs of a few
// voxels and ran at a sixth of the GEMM's rate), and a conv to one channel is a dot product per
// output voxel. No padding (the decoder's layers have none).
#include <cstdint>
#include <vector>

#include "host/nn/conv3d.hpp"

namespace calo::nn::cpu {

// Geometry of a transposed conv without padding: input (Din, Hin, Win), kernel k, stride s.
struct TransposedConvShape {
  int64_t ci = 0, co = 0;
  Dims3 in, k, s;
  Dims3 out() const {
    return {(in.d - 1) * s.d + k.d, (in.h - 1) * s.h + k.h, (in.w - 1) * s.w + k.w};
  }
  int64_t in_voxels() const { return int64_t{in.d} * in.h * in.w; }
  int64_t out_voxels() const {
    const Dims3 o = out();
    return int64_t{o.d} * o.h * o.w;
  }
  int64_t taps() const { return int64_t{k.d} * k.h * k.w; }
};

// ConvTranspose3d weight (ci, co, kd, kh, kw) as Wp (ci, taps x co): Wp[i][t co + o] = W[i][o][t].
std::vector<float> pack_transposed_weight(const TransposedConvShape& c, const float* W);

// y (out_voxels rows, ld_y apart; columns 0..co-1 written, the rest untouched) = the transposed
// conv of one item x without bias. x is channels-first (ci, in_voxels) when x_channels_first, else
// rows of ld_x floats. G is scratch of in_voxels x taps x co floats.
void conv_transpose_rows(const TransposedConvShape& c, const float* Wp, const float* x,
                         bool x_channels_first, int64_t ld_x, float* G, float* y, int64_t ld_y);

// Per channel c of `rows` rows: y = prelu(gamma (y + bias - mean) inv_std + beta, slope), with the
// same float operations, in the same order, as add_channel_bias, BatchNorm's eval forward and
// PReLU one after the other.
struct ChannelAffinePrelu {
  std::vector<float> bias, mean, inv_std, gamma, beta, slope;  // slope: one per channel
};
void bias_bn_prelu_rows(const ChannelAffinePrelu& p, float* y, int64_t rows, int64_t ld);

// Valid, stride-1 conv of one item to one channel: y (out voxels) = bias + sum over taps t and
// channels i of x[row(voxel + t)][i] Wf[t][i], x rows of ld floats with ci channels over `in`
// voxels, Wf (taps, ci) from Conv3d's weight (1, ci, kd, kh, kw). The sum per voxel runs in 16
// fixed lanes, so every CPU clone rounds the same way.
std::vector<float> pack_one_channel_weight(const float* W, int64_t ci, Dims3 k);
void conv_one_channel_rows(const float* x, int64_t ld, int64_t ci, Dims3 in, Dims3 k,
                           const float* Wf, float bias, float* y);

}  // namespace calo::nn::cpu
