#pragma once
// Neighbour-index function of the 3D convolution gather (im2col) and scatter (col2im), shared by
// the CPU path and the CUDA kernels. Maps an output position and a kernel offset to the flat
// spatial index d*H*W + h*W + w of the input voxel it reads, or -1 for a zero pad.
//
// Cylindrical padding (reference PeriodicConv3d_v2 with p=1): the padded input has shape
// (D, H + 2, W + 1). Padded column wp = 0 is r = -1, which equals r = 0 at alpha + H/2 (the voxel
// on the opposite side of the axis); padded row hp maps to alpha = (hp - 1) mod H. z (D) and the
// outer r edge are not padded.
#include <cstdint>

#include "kernels/hd.hpp"

namespace calo::nn {

enum class PadMode : int { none = 0, zero = 1, cylindrical = 2 };

struct ConvGeom {
  int C;           // input channels
  int D, H, W;     // input spatial dims
  int kd, kh, kw;  // kernel
  int sd, sh, sw;  // stride
  int Do, Ho, Wo;  // output spatial dims
  PadMode mode;
};

// Padded extent of an input axis for the given mode: axis 0 = D, 1 = H, 2 = W.
CALO_HD_INLINE int conv_padded_extent(PadMode mode, int axis, int n) {
  if (mode == PadMode::zero) return n + 2;
  if (mode == PadMode::cylindrical) return axis == 0 ? n : (axis == 1 ? n + 2 : n + 1);
  return n;
}

// The padding map in two steps, so a loop over r can hoist the (z, phi) part: the row (pd, ph)
// gives the flat index of its voxel (d, h, 0) and, for the cylindrical r = -1 column, of the
// voxel (d, h + H/2, 0); base = -1 when the whole padded row is outside the input.
struct PaddedRow {
  int64_t base, opposite;
};

CALO_HD_INLINE PaddedRow conv_padded_row(const ConvGeom& g, int pd, int ph) {
  int d = pd, h = ph;
  if (g.mode == PadMode::zero) {
    d -= 1;
    h -= 1;
    if (h < 0 || h >= g.H) d = -1;
  } else if (g.mode == PadMode::cylindrical) {
    h = ((ph - 1) % g.H + g.H) % g.H;  // phi periodic
  } else if (h < 0 || h >= g.H) {
    d = -1;
  }
  if (d < 0 || d >= g.D) return {-1, -1};
  const int64_t plane = static_cast<int64_t>(d) * g.H;
  const int64_t opposite = (plane + (h + g.H / 2) % g.H) * g.W;  // r = -1: r = 0 at 180 degrees
  return {(plane + h) * g.W, opposite};
}

// Flat index of padded column pw in `row`, or -1 (zero pad).
CALO_HD_INLINE int64_t conv_padded_in_row(const ConvGeom& g, const PaddedRow& row, int pw) {
  if (row.base < 0) return -1;
  int w = pw;
  if (g.mode == PadMode::zero) {
    w -= 1;
  } else if (g.mode == PadMode::cylindrical) {
    w -= 1;
    if (w < 0) return row.opposite;
  }
  if (w < 0 || w >= g.W) return -1;
  return row.base + w;
}

// Input coordinate of padded coordinates (pd, ph, pw) -> flat spatial index or -1 (zero pad).
CALO_HD_INLINE int64_t conv_padded_to_input(const ConvGeom& g, int pd, int ph, int pw) {
  return conv_padded_in_row(g, conv_padded_row(g, pd, ph), pw);
}

// The input voxel read by output (od, oh, ow) at kernel offset (kz, ky, kx), or -1.
CALO_HD_INLINE int64_t conv_neighbour_index(const ConvGeom& g, int od, int oh, int ow, int kz,
                                            int ky, int kx) {
  return conv_padded_to_input(g, od * g.sd + kz, oh * g.sh + ky, ow * g.sw + kx);
}

// im2col element: row = (c, kz, ky, kx) in the weight's flattening order, col = (od, oh, ow).
// Returns the flat input index (within one batch item) or -1.
CALO_HD_INLINE int64_t conv_col_source(const ConvGeom& g, int64_t row, int64_t col) {
  const int kx = static_cast<int>(row % g.kw);
  const int ky = static_cast<int>((row / g.kw) % g.kh);
  const int kz = static_cast<int>((row / (static_cast<int64_t>(g.kw) * g.kh)) % g.kd);
  const int64_t c = row / (static_cast<int64_t>(g.kw) * g.kh * g.kd);
  const int ow = static_cast<int>(col % g.Wo);
  const int oh = static_cast<int>((col / g.Wo) % g.Ho);
  const int od = static_cast<int>(col / (static_cast<int64_t>(g.Wo) * g.Ho));
  const int64_t s = conv_neighbour_index(g, od, oh, ow, kz, ky, kx);
  return s < 0 ? -1 : c * (static_cast<int64_t>(g.D) * g.H * g.W) + s;
}

}  // namespace calo::nn
