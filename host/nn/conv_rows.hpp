#pragma once
// The im2col row walker of the CPU convolutions (host/nn/ops.cpp, host/nn/conv_cpu.cpp).
#include <cstdint>

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

}  // namespace calo::nn
