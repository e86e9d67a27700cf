#include "host/nn/conv_cpu.hpp"

#include "host/cpu_dispatch.hpp"
#include "host/nn/conv_rows.hpp"

#include <cblas.h>

#include <algorithm>
#include <vector>

extern "C" int openblas_get_num_threads(void);

namespace calo::nn::cpu {
namespace {

int64_t col_rows(const ConvGeom& g) {
  return static_cast<int64_t>(g.C) * g.kd * g.kh * g.kw;
}
int64_t col_cols(const ConvGeom& g) {
  return static_cast<int64_t>(g.Do) * g.Ho * g.Wo;
}

// Row-major C (M x N) = op(A) op(B) + beta C on the calling thread.
void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B,
           float beta, float* C) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), 1.0f, A,
              static_cast<int>(ta ? M : K), B, static_cast<int>(tb ? K : N), beta, C,
              static_cast<int>(N));
}

// A fixed number of gradient chunks (not one per thread): the sum order, and so the result, is the
// same for every thread count.
constexpr int64_t kGradChunks = 16;

// Calls item(b, col, grad) for every item b, `col` a per-thread buffer of col_size floats and
// `grad` the chunk's partial weight gradient (w_size floats); then gW += the chunks in order.
template <class F>
void over_items_with_weight_grad(int64_t B, int64_t col_size, int64_t w_size, float* gW, F item) {
  const int64_t chunks = std::clamp<int64_t>(B, 1, kGradChunks);
  std::vector<float> partial(static_cast<size_t>(chunks * w_size), 0.0f);
#pragma omp parallel
  {
    std::vector<float> col(static_cast<size_t>(col_size));
#pragma omp for schedule(static)
    for (int64_t c = 0; c < chunks; ++c)
      for (int64_t b = c * B / chunks; b < (c + 1) * B / chunks; ++b)
        item(b, col.data(), partial.data() + c * w_size);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < w_size; ++i) {
      float s = 0.0f;
      for (int64_t c = 0; c < chunks; ++c) s += partial[static_cast<size_t>(c * w_size + i)];
      gW[i] += s;
    }
  }
}

}  // namespace

bool blas_is_serial() {
  static const bool serial = openblas_get_num_threads() == 1;
  return serial;
}

CALO_CPU_CLONES
void im2col_item(const ConvGeom& g, const float* x, float* col) {
  const int64_t rows = col_rows(g), cols = col_cols(g);
  for (int64_t r = 0; r < rows; ++r) im2col_row(g, x, col + r * cols, r);
}

CALO_CPU_CLONES
void col2im_item(const ConvGeom& g, const float* col, float* x) {
  const int64_t rows = col_rows(g), cols = col_cols(g);
  for (int64_t r = 0; r < rows; ++r) col2im_row(g, col + r * cols, x, r);
}

void conv_forward(const ConvGeom& g, const float* W, int64_t Co, const float* x, int64_t in_stride,
                  float* y, int64_t B) {
  const int64_t rows = col_rows(g), L = col_cols(g);
#pragma omp parallel
  {
    std::vector<float> col(static_cast<size_t>(rows * L));
#pragma omp for schedule(static)
    for (int64_t b = 0; b < B; ++b) {
      im2col_item(g, x + b * in_stride, col.data());
      sgemm(false, false, Co, L, rows, W, col.data(), 0.0f, y + b * Co * L);
    }
  }
}

void conv_backward(const ConvGeom& g, const float* W, int64_t Co, const float* x, int64_t in_stride,
                   const float* gy, float* gW, float* gx, int64_t B) {
  const int64_t rows = col_rows(g), L = col_cols(g);
  over_items_with_weight_grad(B, rows * L, Co * rows, gW, [&](int64_t b, float* col, float* gw) {
    const float* gyb = gy + b * Co * L;
    im2col_item(g, x + b * in_stride, col);
    sgemm(false, true, Co, rows, L, gyb, col, 1.0f, gw);
    if (gx == nullptr) return;
    sgemm(true, false, rows, L, Co, W, gyb, 0.0f, col);
    col2im_item(g, col, gx + b * in_stride);
  });
}

void conv_transpose_forward(const ConvGeom& g, const float* W, int64_t Ci, const float* x, float* y,
                            int64_t out_stride, int64_t B) {
  const int64_t rows = col_rows(g), L = col_cols(g);
#pragma omp parallel
  {
    std::vector<float> col(static_cast<size_t>(rows * L));
#pragma omp for schedule(static)
    for (int64_t b = 0; b < B; ++b) {
      sgemm(true, false, rows, L, Ci, W, x + b * Ci * L, 0.0f, col.data());
      col2im_item(g, col.data(), y + b * out_stride);
    }
  }
}

void conv_transpose_backward(const ConvGeom& g, const float* W, int64_t Ci, const float* x,
                             const float* gy, int64_t out_stride, float* gW, float* gx, int64_t B) {
  const int64_t rows = col_rows(g), L = col_cols(g);
  over_items_with_weight_grad(B, rows * L, Ci * rows, gW, [&](int64_t b, float* col, float* gw) {
    im2col_item(g, gy + b * out_stride, col);
    sgemm(false, true, Ci, rows, L, x + b * Ci * L, col, 1.0f, gw);
    sgemm(false, false, Ci, L, rows, W, col, 0.0f, gx + b * Ci * L);
  });
}

}  // namespace calo::nn::cpu
