#include "host/nn/conv_channels_last.hpp"

#include <cblas.h>

#include <algorithm>

#include "host/cpu_dispatch.hpp"
#include "kernels/nn/activations.hpp"

namespace calo::nn::cpu {

std::vector<float> pack_transposed_weight(const TransposedConvShape& c, const float* W) {
  const int64_t taps = c.taps();
  std::vector<float> Wp(static_cast<size_t>(c.ci * taps * c.co));
  for (int64_t i = 0; i < c.ci; ++i)
    for (int64_t o = 0; o < c.co; ++o)
      for (int64_t t = 0; t < taps; ++t)
        Wp[static_cast<size_t>((i * taps + t) * c.co + o)] = W[(i * c.co + o) * taps + t];
  return Wp;
}

namespace {
CALO_CPU_CLONES
void scatter_rows(const TransposedConvShape& c, const float* G, float* y, int64_t ld_y) {
  const Dims3 o = c.out();
  const int64_t co = c.co, taps = c.taps();
  for (int64_t r = 0; r < c.out_voxels(); ++r) std::fill_n(y + r * ld_y, co, 0.0f);
  int64_t p = 0;
  for (int id = 0; id < c.in.d; ++id)
    for (int ih = 0; ih < c.in.h; ++ih)
      for (int iw = 0; iw < c.in.w; ++iw, ++p) {
        const float* g = G + p * taps * co;
        for (int kd = 0; kd < c.k.d; ++kd)
          for (int kh = 0; kh < c.k.h; ++kh) {
            const int64_t row0 =
                (int64_t{id * c.s.d + kd} * o.h + (ih * c.s.h + kh)) * o.w + iw * c.s.w;
            for (int kw = 0; kw < c.k.w; ++kw, g += co) {
              float* out = y + (row0 + kw) * ld_y;
              for (int64_t j = 0; j < co; ++j) out[j] += g[j];
            }
          }
      }
}
}  // namespace

void conv_transpose_rows(const TransposedConvShape& c, const float* Wp, const float* x,
                         bool x_channels_first, int64_t ld_x, float* G, float* y, int64_t ld_y) {
  const int64_t L = c.in_voxels(), N = c.taps() * c.co;
  cblas_sgemm(CblasRowMajor, x_channels_first ? CblasTrans : CblasNoTrans, CblasNoTrans,
              static_cast<int>(L), static_cast<int>(N), static_cast<int>(c.ci), 1.0f, x,
              static_cast<int>(x_channels_first ? L : ld_x), Wp, static_cast<int>(N), 0.0f, G,
              static_cast<int>(N));
  scatter_rows(c, G, y, ld_y);
}

CALO_CPU_CLONES
void bias_bn_prelu_rows(const ChannelAffinePrelu& p, float* y, int64_t rows, int64_t ld) {
  const int64_t C = static_cast<int64_t>(p.mean.size());
  const float *b = p.bias.data(), *m = p.mean.data(), *is = p.inv_std.data(), *g = p.gamma.data(),
              *be = p.beta.data(), *a = p.slope.data();
  for (int64_t r = 0; r < rows; ++r) {
    float* v = y + r * ld;
    for (int64_t c = 0; c < C; ++c) {
      v[c] = bn_prelu_eval_f(v[c] + b[c], m[c], is[c], g[c], be[c], a[c]);
    }
  }
}

std::vector<float> pack_one_channel_weight(const float* W, int64_t ci, Dims3 k) {
  const int64_t taps = int64_t{k.d} * k.h * k.w;
  std::vector<float> Wf(static_cast<size_t>(taps * ci));
  for (int64_t i = 0; i < ci; ++i)
    for (int64_t t = 0; t < taps; ++t) Wf[static_cast<size_t>(t * ci + i)] = W[i * taps + t];
  return Wf;
}

CALO_CPU_CLONES
void conv_one_channel_rows(const float* x, int64_t ld, int64_t ci, Dims3 in, Dims3 k,
                           const float* Wf, float bias, float* y) {
  constexpr int kLanes = 16;
  const int od_n = in.d - k.d + 1, oh_n = in.h - k.h + 1, ow_n = in.w - k.w + 1;
  const int64_t full = ci / kLanes * kLanes;
  int64_t o = 0;
  for (int od = 0; od < od_n; ++od)
    for (int oh = 0; oh < oh_n; ++oh)
      for (int ow = 0; ow < ow_n; ++ow, ++o) {
        float acc[kLanes] = {};
        float tail = 0.0f;
        const float* w = Wf;
        for (int kd = 0; kd < k.d; ++kd)
          for (int kh = 0; kh < k.h; ++kh)
            for (int kw = 0; kw < k.w; ++kw, w += ci) {
              const float* v = x + ((int64_t{od + kd} * in.h + (oh + kh)) * in.w + (ow + kw)) * ld;
              for (int64_t i = 0; i < full; i += kLanes)
                for (int j = 0; j < kLanes; ++j) acc[j] += v[i + j] * w[i + j];
              for (int64_t i = full; i < ci; ++i) tail += v[i] * w[i];
            }
        float s = tail;
        for (int j = 0; j < kLanes; ++j) s += acc[j];
        y[o] = s + bias;
      }
}

}  // namespace calo::nn::cpu
