#pragma once
// The decoder from its first transposed conv to the two heads' outputs, for CPU inference, in
// channels-last layout (host/nn/conv_channels_last.hpp): ConvT + BatchNorm + PReLU of the trunk,
// the energy channel written into the row padding instead of concatenated, and per head ConvT +
// BatchNorm + PReLU + the valid conv to one channel. Each thread runs whole items with a serial
// GEMM, as host/nn/conv_cpu.hpp does; nothing is cloned or kept for backward. The result equals
// the layers' own forward up to float summation order (tests/nn/test_decoder_tail_cpu.cpp).
#include <cstdint>
#include <optional>
#include <vector>

#include "host/nn/conv_channels_last.hpp"
#include "host/nn/sequential.hpp"

namespace calo::nn {

class DecoderTailCpu {
 public:
  // From trunk layers [first, first + 3) = ConvT, BatchNorm, PReLU and two heads of exactly ConvT,
  // BatchNorm, PReLU, Conv3d (valid, stride 1, one output channel), all on the host; `in` is one
  // item's input to the trunk's ConvT, (C, D, H, W). nullopt when the layers are not that pattern
  // (a head with attention, a threaded BLAS, CUDA), and the caller runs the layers instead.
  static std::optional<DecoderTailCpu> build(Sequential& trunk, size_t first, Sequential& energy,
                                             Sequential& hits, const Shape& in);

  // x: B items of the trunk ConvT's input (channels first), le: B energy-channel values; writes
  // each item's energy-head output to acts + b * out_stride and hit logits to hits + b * out_stride
  // (out_voxels() floats each).
  void run(const float* x, const float* le, int64_t B, float* acts, float* hits,
           int64_t out_stride) const;
  int64_t out_voxels() const;

 private:
  struct Stage {
    cpu::TransposedConvShape shape;
    std::vector<float> packed;  // pack_transposed_weight
    cpu::ChannelAffinePrelu post;
  };
  struct Head {
    Stage up;
    std::vector<float> out_weight;  // pack_one_channel_weight
    float out_bias = 0.0f;
    Dims3 out_kernel;
  };
  // Floats of one thread's scratch: the largest GEMM output, the trunk's output rows (with the
  // energy column), the largest head activation.
  struct ScratchLayout {
    int64_t gemm = 0, body = 0, head = 0;
  };
  DecoderTailCpu() = default;
  // ConvT + BatchNorm + PReLU at layers i, i+1, i+2 of `seq` as a stage, or nullopt.
  static std::optional<Stage> stage_at(Sequential& seq, size_t i, Dims3 in, int64_t in_ch);
  ScratchLayout scratch_layout() const;
  void run_item(const float* x, float le, float* acts, float* hits, const ScratchLayout& l,
                float* scratch) const;

  Stage trunk_;
  Head heads_[2];  // energy, hits
};

}  // namespace calo::nn
