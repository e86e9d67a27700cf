#pragma once
// CPU convolutions over a whole batch in one OpenMP region (research: issue 18). Each thread takes
// whole batch items and runs them serially: its own im2col buffer, a single-threaded GEMM, and the
// scatter of a transposed conv without atomics (an item only writes its own output). Weight
// gradients accumulate per fixed chunk of items and are then summed in chunk order, so the result
// does not depend on the thread count. The padding map is the CALO_HD one the CUDA kernels use
// (kernels/nn/cylindrical_index.hpp).
//
// Used when OpenBLAS runs one thread (the apps set OPENBLAS_NUM_THREADS=1,
// host/runtime_policy.hpp); with a threaded OpenBLAS the layers keep the per-item loop and let
// OpenBLAS parallelise each GEMM.
#include <cstdint>

#include "kernels/nn/cylindrical_index.hpp"

namespace calo::nn::cpu {

// True when OpenBLAS runs its GEMMs on the calling thread only.
bool blas_is_serial();

// Serial im2col / col2im of one item (the bodies of ops::im2col / ops::col2im).
void im2col_item(const ConvGeom& g, const float* x, float* col);
void col2im_item(const ConvGeom& g, const float* col, float* x);

// Conv: y (B, Co, L) = W (Co, rows) * im2col(x_b), x items of `in_stride` floats.
void conv_forward(const ConvGeom& g, const float* W, int64_t Co, const float* x, int64_t in_stride,
                  float* y, int64_t B);
// gW (Co, rows) += sum_b gy_b * im2col(x_b)^T; gx (if not null) = col2im(W^T gy_b), zeroed first
// by the caller.
void conv_backward(const ConvGeom& g, const float* W, int64_t Co, const float* x, int64_t in_stride,
                   const float* gy, float* gW, float* gx, int64_t B);

// Transposed conv with `g` the geometry of its adjoint conv (output -> input):
// y_b = col2im(W^T x_b), W (Ci, rows), x items (Ci, L), y items of `out_stride` floats (zeroed).
void conv_transpose_forward(const ConvGeom& g, const float* W, int64_t Ci, const float* x, float* y,
                            int64_t out_stride, int64_t B);
// gW (Ci, rows) += sum_b x_b * im2col(gy_b)^T; gx_b = W im2col(gy_b).
void conv_transpose_backward(const ConvGeom& g, const float* W, int64_t Ci, const float* x,
                             const float* gy, int64_t out_stride, float* gW, float* gx, int64_t B);

}  // namespace calo::nn::cpu
