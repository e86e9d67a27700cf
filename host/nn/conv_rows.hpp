#pragma once
// The im2col row walker of the CPU convolutions (host/nn/ops.cpp, host/nn/conv_cpu.cpp).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/nn/cylindrical_index.hpp"

namespace calo::nn {

// Walks the columns (od, oh, ow) of im2col row `r` in order, calling f(col, source) with the
// source from the CALO_HD padding map the CUDA kernel uses; the row's kernel offsets are decoded
// once instead of dividing per element.
template <class F>
inline void for_row_columns(const ConvGeom& g, int64_t r, F f) {
  const int kx = static_cast<int>(r % g.kw);
  const int ky = static_cast<int>((r / g.kw) % g.kh);
  const int kz = static_cast<int>((r / (static_cast<int64_t>(g.kw) * g.kh)) % g.kd);
  const int64_t ch = r / (static_cast<int64_t>(g.kw) * g.kh * g.kd);
  const int64_t chan_base = ch * (static_cast<int64_t>(g.D) * g.H * g.W);
  int64_t col = 0;
  for (int od = 0; od < g.Do; ++od) {
    const int pd = od * g.sd + kz;
    for (int oh = 0; oh < g.Ho; ++oh) {
      const PaddedRow row = conv_padded_row(g, pd, oh * g.sh + ky);
      for (int ow = 0; ow < g.Wo; ++ow, ++col) {
        const int64_t s = conv_padded_in_row(g, row, ow * g.sw + kx);
        f(col, s < 0 ? int64_t{-1} : chan_base + s);
      }
    }
  }
}

// Stride-1 r axis (every conv of the model): calls run(col, source, len) for each stretch of im2col
// row `r` whose columns read the contiguous inputs source..source+len (source -1: zeros). The
// same map as conv_padded_in_row: padded column pw reads w = pw - 1 (pw - 0 without padding);
// w = -1 is the voxel at 180 degrees with cylindrical padding and a zero with zero padding.
template <class Run>
inline void for_row_runs(const ConvGeom& g, int64_t r, Run run) {
  const int kx = static_cast<int>(r % g.kw);
  const int ky = static_cast<int>((r / g.kw) % g.kh);
  const int kz = static_cast<int>((r / (static_cast<int64_t>(g.kw) * g.kh)) % g.kd);
  const int64_t chan_base =
      r / (static_cast<int64_t>(g.kw) * g.kh * g.kd) * (static_cast<int64_t>(g.D) * g.H * g.W);
  int64_t col = 0;
  if (g.mode == PadMode::none) {  // no padding: every output reads inside the input
    for (int od = 0; od < g.Do; ++od)
      for (int oh = 0; oh < g.Ho; ++oh, col += g.Wo)
        run(col,
            chan_base + (static_cast<int64_t>(od * g.sd + kz) * g.H + (oh * g.sh + ky)) * g.W + kx,
            int64_t{g.Wo});
    return;
  }
  const int off = 1;
  const int lo = std::clamp(off - kx, 0, g.Wo), hi = std::clamp(g.W + off - kx, lo, g.Wo);
  for (int od = 0; od < g.Do; ++od) {
    const int pd = od * g.sd + kz;
    for (int oh = 0; oh < g.Ho; ++oh, col += g.Wo) {
      const PaddedRow row = conv_padded_row(g, pd, oh * g.sh + ky);
      if (row.base < 0) {
        run(col, int64_t{-1}, g.Wo);
        continue;
      }
      for (int ow = 0; ow < lo; ++ow)
        run(col + ow, g.mode == PadMode::cylindrical ? chan_base + row.opposite : int64_t{-1}, 1);
      if (hi > lo) run(col + lo, chan_base + row.base + (lo + kx - off), hi - lo);
      if (g.Wo > hi) run(col + hi, int64_t{-1}, g.Wo - hi);
    }
  }
}

// Row r of im2col of one item: out (Do*Ho*Wo) gathers x.
inline void im2col_row(const ConvGeom& g, const float* x, float* out, int64_t r) {
  if (g.sw != 1)
    return for_row_columns(g, r, [&](int64_t c, int64_t s) { out[c] = s < 0 ? 0.0f : x[s]; });
  for_row_runs(g, r, [&](int64_t c, int64_t s, int64_t len) {
    if (s < 0)
      std::fill_n(out + c, len, 0.0f);
    else
      std::memcpy(out + c, x + s, static_cast<size_t>(len) * sizeof(float));
  });
}

// The adjoint: x += scatter of row r of col (in).
inline void col2im_row(const ConvGeom& g, const float* in, float* x, int64_t r) {
  if (g.sw != 1)
    return for_row_columns(g, r, [&](int64_t c, int64_t s) {
      if (s >= 0) x[s] += in[c];
    });
  for_row_runs(g, r, [&](int64_t c, int64_t s, int64_t len) {
    if (s < 0) return;
    for (int64_t i = 0; i < len; ++i) x[s + i] += in[c + i];
  });
}

}  // namespace calo::nn
