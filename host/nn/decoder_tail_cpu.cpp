#include "host/nn/decoder_tail_cpu.hpp"

#include <omp.h>

#include <algorithm>

#include "host/nn/activations.hpp"
#include "host/nn/conv_cpu.hpp"
#include "host/nn/conv_transpose3d.hpp"
#include "host/nn/norm.hpp"
#include "kernels/nn/activations.hpp"

namespace calo::nn {

std::optional<DecoderTailCpu::Stage> DecoderTailCpu::stage_at(Sequential& seq, size_t i, Dims3 in,
                                                              int64_t in_ch) {
  if (seq.size() < i + 3) return std::nullopt;
  auto* conv = dynamic_cast<ConvTranspose3d*>(&seq.at(i));
  auto* bn = dynamic_cast<BatchNorm*>(&seq.at(i + 1));
  auto* act = dynamic_cast<PReLU*>(&seq.at(i + 2));
  if (conv == nullptr || bn == nullptr || act == nullptr || conv->in_channels() != in_ch ||
      !conv->weight().value.on_host())
    return std::nullopt;
  Stage s;
  s.shape = {conv->in_channels(), conv->out_channels(), in, conv->kernel(), conv->stride()};
  const int64_t C = s.shape.co;
  if (bn->gamma().value.numel() != C) return std::nullopt;
  const std::vector<float> slope = act->weight().value.to_vector();
  if (slope.size() != 1 && static_cast<int64_t>(slope.size()) != C) return std::nullopt;
  s.packed = cpu::pack_transposed_weight(s.shape, conv->weight().value.data());
  cpu::ChannelAffinePrelu& p = s.post;
  p.bias = conv->bias() ? conv->bias()->value.to_vector() : std::vector<float>(C, 0.0f);
  p.mean = bn->running_mean().to_vector();
  p.inv_std = bn->running_var().to_vector();
  for (float& v : p.inv_std) v = bn_inv_std(v, bn->eps());
  p.gamma = bn->gamma().value.to_vector();
  p.beta = bn->beta().value.to_vector();
  p.slope = slope.size() == 1 ? std::vector<float>(C, slope[0]) : slope;
  return s;
}

std::optional<DecoderTailCpu> DecoderTailCpu::build(Sequential& trunk, size_t first,
                                                    Sequential& energy, Sequential& hits,
                                                    const Shape& in) {
  if (!cpu::blas_is_serial() || in.size() != 4 || trunk.size() != first + 3) return std::nullopt;
  DecoderTailCpu t;
  auto s = stage_at(trunk, first, Dims3{int(in[1]), int(in[2]), int(in[3])}, in[0]);
  if (!s) return std::nullopt;
  t.trunk_ = std::move(*s);
  Sequential* seqs[2] = {&energy, &hits};
  for (int h = 0; h < 2; ++h) {
    Sequential& seq = *seqs[h];
    if (seq.size() != 4) return std::nullopt;  // e.g. attention in the head
    auto up = stage_at(seq, 0, t.trunk_.shape.out(), t.trunk_.shape.co + 1);
    auto* out = dynamic_cast<Conv3d*>(&seq.at(3));
    if (!up || out == nullptr || out->out_channels() != 1 || out->in_channels() != up->shape.co ||
        out->padding() != Padding3d::none || out->stride().d != 1 || out->stride().h != 1 ||
        out->stride().w != 1 || !out->weight().value.on_host())
      return std::nullopt;
    Head& hd = t.heads_[h];
    hd.up = std::move(*up);
    hd.out_kernel = out->kernel();
    const Dims3 o = hd.up.shape.out();
    if (o.d < hd.out_kernel.d || o.h < hd.out_kernel.h || o.w < hd.out_kernel.w)
      return std::nullopt;
    hd.out_weight =
        cpu::pack_one_channel_weight(out->weight().value.data(), hd.up.shape.co, hd.out_kernel);
    hd.out_bias = out->bias() ? out->bias()->value.to_vector()[0] : 0.0f;
  }
  return t;
}

int64_t DecoderTailCpu::out_voxels() const {
  const Dims3 o = heads_[0].up.shape.out();
  const Dims3 k = heads_[0].out_kernel;
  return int64_t{o.d - k.d + 1} * (o.h - k.h + 1) * (o.w - k.w + 1);
}

DecoderTailCpu::ScratchLayout DecoderTailCpu::scratch_layout() const {
  const cpu::TransposedConvShape& ts = trunk_.shape;
  ScratchLayout l;
  l.gemm = ts.in_voxels() * ts.taps() * ts.co;
  l.body = ts.out_voxels() * (ts.co + 1);
  for (const Head& h : heads_) {
    const cpu::TransposedConvShape& hs = h.up.shape;
    l.gemm = std::max(l.gemm, hs.in_voxels() * hs.taps() * hs.co);
    l.head = std::max(l.head, hs.out_voxels() * hs.co);
  }
  return l;
}

void DecoderTailCpu::run_item(const float* x, float le, float* acts, float* hits,
                              const ScratchLayout& l, float* scratch) const {
  const cpu::TransposedConvShape& ts = trunk_.shape;
  const int64_t body_rows = ts.out_voxels(), body_ld = ts.co + 1;
  float* G = scratch;
  float* body = G + l.gemm;
  float* y = body + l.body;

  cpu::conv_transpose_rows(ts, trunk_.packed.data(), x, true, 0, G, body, body_ld);
  cpu::bias_bn_prelu_rows(trunk_.post, body, body_rows, body_ld);
  for (int64_t r = 0; r < body_rows; ++r) body[r * body_ld + ts.co] = le;  // the energy channel
  float* outs[2] = {acts, hits};
  for (int h = 0; h < 2; ++h) {
    const Stage& up = heads_[h].up;
    cpu::conv_transpose_rows(up.shape, up.packed.data(), body, false, body_ld, G, y, up.shape.co);
    cpu::bias_bn_prelu_rows(up.post, y, up.shape.out_voxels(), up.shape.co);
    cpu::conv_one_channel_rows(y, up.shape.co, up.shape.co, up.shape.out(), heads_[h].out_kernel,
                               heads_[h].out_weight.data(), heads_[h].out_bias, outs[h]);
  }
}

void DecoderTailCpu::run(const float* x, const float* le, int64_t B, float* acts, float* hits,
                         int64_t out_stride) const {
  const int64_t in_size = trunk_.shape.ci * trunk_.shape.in_voxels();
  const ScratchLayout l = scratch_layout();
#pragma omp parallel
  {
    std::vector<float> scratch(static_cast<size_t>(l.gemm + l.body + l.head));
    // Items are independent and each costs the same, but a thread that shares its core with
    // another process runs slower: dynamic hands the other threads more items.
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < B; ++b)
      run_item(x + b * in_size, le[b], acts + b * out_stride, hits + b * out_stride, l,
               scratch.data());
  }
}

}  // namespace calo::nn
