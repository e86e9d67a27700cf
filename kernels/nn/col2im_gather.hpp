#pragma once
// col2im as a gather: the value one input element receives from the im2col matrix, summed in the
// order the CPU scatter (host/nn/conv_rows.hpp col2im_row) adds it -- rows ascending, then columns
// ascending -- so a CUDA thread per input element gives the CPU's bits without atomics (which
// add in whatever order the threads arrive: not reproducible).
//
// The padding map (kernels/nn/cylindrical_index.hpp) sends each padded coordinate to at most one
// input coordinate, so the outputs that read element (d, h, w) at a kernel offset are few: the
// padded d, h and w that map there (with cylindrical padding h also wraps, and the r = -1 column
// reads w = 0 of the opposite phi). Each candidate is checked against the forward map itself.
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/nn/cylindrical_index.hpp"

namespace calo::nn {

// Most candidate columns of one kernel offset: 3 direct rows (h, and its two phi wraps) and 3
// opposite ones (the r = -1 column).
constexpr int kGatherCandidates = 6;

// The padded rows ph whose (wrapped) phi is h: up to 3 when cylindrical, else 1. Returns how many.
CALO_HD_INLINE int padded_rows_of(const ConvGeom& g, int h, int* ph) {
  if (g.mode == PadMode::cylindrical) {
    int k = 0;
    for (int cand = h + 1 - g.H; cand <= h + 1 + g.H; cand += g.H)
      if (cand >= 0 && cand < g.H + 2) ph[k++] = cand;
    return k;
  }
  ph[0] = g.mode == PadMode::zero ? h + 1 : h;
  return 1;
}

// Column (od, oh, ow) of the im2col matrix, or -1 when padded (pd, ph, pw) is not reached by
// kernel offset (kz, ky, kx) with the geometry's strides, or does not read input element s.
CALO_HD_INLINE int64_t gather_column(const ConvGeom& g, int pd, int ph, int pw, int kz, int ky,
                                     int kx, int64_t s) {
  const int rd = pd - kz, rh = ph - ky, rw = pw - kx;
  if (rd < 0 || rh < 0 || rw < 0 || rd % g.sd || rh % g.sh || rw % g.sw) return -1;
  const int od = rd / g.sd, oh = rh / g.sh, ow = rw / g.sw;
  if (od >= g.Do || oh >= g.Ho || ow >= g.Wo) return -1;
  if (conv_neighbour_index(g, od, oh, ow, kz, ky, kx) != s) return -1;
  return (static_cast<int64_t>(od) * g.Ho + oh) * g.Wo + ow;
}

// x0 plus every col[row * cols + column] whose source is input element `index` (c * D*H*W +
// (d * H + h) * W + w, within one batch item), in ascending (row, column) order.
CALO_HD_INLINE float col2im_gather(const ConvGeom& g, const float* col, int64_t cols, int64_t index,
                                   float x0) {
  const int64_t plane = static_cast<int64_t>(g.D) * g.H * g.W;
  const int64_t c = index / plane, s = index % plane;
  const int w = static_cast<int>(s % g.W), h = static_cast<int>((s / g.W) % g.H),
            d = static_cast<int>(s / (static_cast<int64_t>(g.W) * g.H));
  const int pd = g.mode == PadMode::zero ? d + 1 : d;
  const int pw = g.mode == PadMode::none ? w : w + 1;
  int direct[3], opposite[3];
  const int nd = padded_rows_of(g, h, direct);
  // The r = -1 column (pw = 0) of the rows at phi + 180 degrees reads w = 0 here.
  const int no = g.mode == PadMode::cylindrical && w == 0
                     ? padded_rows_of(g, (h + g.H - g.H / 2) % g.H, opposite)
                     : 0;
  float acc = x0;
  for (int kz = 0; kz < g.kd; ++kz)
    for (int ky = 0; ky < g.kh; ++ky)
      for (int kx = 0; kx < g.kw; ++kx) {
        int64_t found[kGatherCandidates];
        int k = 0;
        for (int i = 0; i < nd; ++i) {
          const int64_t column = gather_column(g, pd, direct[i], pw, kz, ky, kx, s);
          if (column >= 0) found[k++] = column;
        }
        for (int i = 0; i < no; ++i) {
          const int64_t column = gather_column(g, pd, opposite[i], 0, kz, ky, kx, s);
          if (column >= 0) found[k++] = column;
        }
        for (int i = 1; i < k; ++i)  // columns ascending, as the scatter walks them
          for (int j = i; j > 0 && found[j - 1] > found[j]; --j) {
            const int64_t t = found[j];
            found[j] = found[j - 1];
            found[j - 1] = t;
          }
        const int64_t row = ((c * g.kd + kz) * g.kh + ky) * g.kw + kx;
        for (int i = 0; i < k; ++i) acc += col[row * cols + found[i]];
      }
  return acc;
}

}  // namespace calo::nn
