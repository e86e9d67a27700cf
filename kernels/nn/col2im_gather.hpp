#pragma once
// col2im (the adjoint of im2col: a transposed conv's forward, a conv's input gradient) as a
// gather: input element i sums the im2col entries that read it, in the order the CPU's col2im_item
// adds them (rows r = (c, kz, ky, kx) ascending, then columns (od, oh, ow) ascending). The CUDA
// kernel runs one thread per input element on this function, so its result does not depend on
// thread timing (the atomicAdd scatter's did) and equals the CPU's bit for bit.
//
// Cost against the scatter: the same additions and reads of col, but each input element tests
// at most 1 (no/zero padding) or 6 (cylindrical) candidate outputs per kernel tap, each through
// the forward map conv_neighbour_index (kernels/nn/cylindrical_index.hpp), which stays the one
// definition of which input an output reads: integer work of kd*kh*kw*(1..6) index evaluations
// per input element instead of one per im2col entry, no atomics, no extra memory.
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/nn/cylindrical_index.hpp"

namespace calo::nn {

// Padded coordinates along `axis` (0 = D, 1 = H, 2 = W) that the padding map sends to input
// coordinate v in the ordinary (not the cylindrical r = -1) way: one along D and W, up to 3 along
// a cylindrical phi (the periodic rows).
struct PadPreimage {
  int v[3];
  int n;
};

CALO_HD_INLINE PadPreimage conv_pad_preimage(const ConvGeom& g, int axis, int v) {
  PadPreimage p{{0, 0, 0}, 0};
  if (g.mode == PadMode::none || (g.mode == PadMode::cylindrical && axis == 0)) {
    p.v[p.n++] = v;
  } else if (g.mode == PadMode::zero || axis == 2) {
    p.v[p.n++] = v + 1;
  } else {  // cylindrical phi: padded row ph reads alpha = (ph - 1) mod H, ph in [0, H + 2)
    const int extent = conv_padded_extent(g.mode, 1, g.H);
    for (int k = -1; k <= 1; ++k) {
      const int ph = v + 1 + k * g.H;
      if (ph >= 0 && ph < extent) p.v[p.n++] = ph;
    }
  }
  return p;
}

// Output index o along an axis whose padded coordinate is o * stride + tap, or -1.
CALO_HD_INLINE int conv_output_of_padded(int padded, int tap, int stride, int outputs) {
  const int t = padded - tap;
  if (t < 0 || t % stride != 0 || t / stride >= outputs) return -1;
  return t / stride;
}

// init + the sum, in col2im_item's order, of the entries of col (rows x Do*Ho*Wo, one batch item)
// that im2col maps to input element i (c, d, h, w) of that item.
CALO_HD_INLINE float col2im_gather(const ConvGeom& g, const float* col, int64_t i, float init) {
  const int64_t plane = static_cast<int64_t>(g.H) * g.W, volume = plane * g.D;
  const int64_t c = i / volume, s = i % volume;
  const int d = static_cast<int>(s / plane), h = static_cast<int>((s / g.W) % g.H),
            w = static_cast<int>(s % g.W);
  const int64_t cols = static_cast<int64_t>(g.Do) * g.Ho * g.Wo;
  const int pd = conv_pad_preimage(g, 0, d).v[0], pw = conv_pad_preimage(g, 2, w).v[0];
  // Cylindrical r = -1 (padded column 0) reads r = 0 at alpha + H/2: voxels at r = 0 are also read
  // from the padded rows of the opposite alpha.
  const bool opposite = g.mode == PadMode::cylindrical && w == 0;
  const PadPreimage ph[2] = {conv_pad_preimage(g, 1, h),
                             conv_pad_preimage(g, 1, opposite ? (h - g.H / 2 + g.H) % g.H : 0)};
  float acc = init;
  for (int kz = 0; kz < g.kd; ++kz) {
    const int od = conv_output_of_padded(pd, kz, g.sd, g.Do);
    if (od < 0) continue;
    for (int ky = 0; ky < g.kh; ++ky)
      for (int kx = 0; kx < g.kw; ++kx) {
        const int64_t row = ((c * g.kd + kz) * g.kh + ky) * g.kw + kx;
        int64_t hit[6] = {};  // this tap's columns that read element i: up to 3 rows x 2 columns
        int n = 0;
        for (int pass = 0; pass < (opposite ? 2 : 1); ++pass) {
          const int ow = conv_output_of_padded(pass == 0 ? pw : 0, kx, g.sw, g.Wo);
          if (ow < 0) continue;
          for (int b = 0; b < ph[pass].n; ++b) {
            const int oh = conv_output_of_padded(ph[pass].v[b], ky, g.sh, g.Ho);
            if (oh < 0 || conv_neighbour_index(g, od, oh, ow, kz, ky, kx) != s) continue;
            hit[n++] = (static_cast<int64_t>(od) * g.Ho + oh) * g.Wo + ow;
          }
        }
        for (int a = 1; a < n; ++a)  // ascending columns: col2im_item's order within a row
          for (int b = a; b > 0 && hit[b - 1] > hit[b]; --b) {
            const int64_t t = hit[b];
            hit[b] = hit[b - 1];
            hit[b - 1] = t;
          }
        for (int a = 0; a < n; ++a) acc += col[row * cols + hit[a]];
      }
  }
  return acc;
}

}  // namespace calo::nn
