#include "host/eval/prdc.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "host/error.hpp"
#include "kernels/eval/features.hpp"

namespace calo::eval {
namespace {

constexpr int64_t kTile = 512;

struct Block {
  std::vector<double> x;     // rows x d
  std::vector<double> norm;  // rows
};

Block to_double(const std::vector<float>& a, int64_t first, int64_t rows, int d) {
  Block b;
  b.x.resize(static_cast<size_t>(rows * d));
  b.norm.assign(static_cast<size_t>(rows), 0.0);
  for (int64_t i = 0; i < rows; ++i) {
    double s = 0;
    for (int j = 0; j < d; ++j) {
      const double v = a[static_cast<size_t>((first + i) * d + j)];
      b.x[static_cast<size_t>(i * d + j)] = v;
      s += v * v;
    }
    b.norm[static_cast<size_t>(i)] = s;
  }
  return b;
}

// Calls f(i, j, distance) for every row i of `a` (global index) and j of `b`, tile by tile.
template <class F>
void for_all_pairs(const std::vector<float>& a, int64_t na, const std::vector<float>& b, int64_t nb,
                   int d, F f) {
  std::vector<double> g;
  for (int64_t ia = 0; ia < na; ia += kTile) {
    const int64_t ca = std::min(kTile, na - ia);
    const Block ta = to_double(a, ia, ca, d);
    for (int64_t ib = 0; ib < nb; ib += kTile) {
      const int64_t cb = std::min(kTile, nb - ib);
      const Block tb = to_double(b, ib, cb, d);
      g.resize(static_cast<size_t>(ca * cb));
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(ca),
                  static_cast<int>(cb), d, 1.0, ta.x.data(), d, tb.x.data(), d, 0.0, g.data(),
                  static_cast<int>(cb));
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < ca; ++i)
        for (int64_t j = 0; j < cb; ++j) {
          const double d2 = ta.norm[static_cast<size_t>(i)] + tb.norm[static_cast<size_t>(j)] -
                            2.0 * g[static_cast<size_t>(i * cb + j)];
          f(ia + i, ib + j, std::sqrt(std::max(d2, 0.0)));
        }
    }
  }
}

// Distance of every row to its k-th nearest neighbour within the same sample (itself excluded:
// the (k+1)-th smallest distance, the row's own 0 being the first, as the prdc package does).
std::vector<double> kth_radii(const std::vector<float>& a, int64_t n, int d, int k) {
  // per row, the k+1 smallest distances seen so far (max-heap)
  std::vector<std::vector<double>> best(static_cast<size_t>(n));
  for (auto& h : best) h.reserve(static_cast<size_t>(k + 1));
  for_all_pairs(a, n, a, n, d, [&](int64_t i, int64_t j, double dist) {
    if (i == j) dist = 0.0;  // exact, whatever the rounding of |x|^2 + |x|^2 - 2 x.x
    auto& h = best[static_cast<size_t>(i)];
    if (h.size() < static_cast<size_t>(k + 1)) {
      h.push_back(dist);
      std::push_heap(h.begin(), h.end());
    } else if (dist < h.front()) {
      std::pop_heap(h.begin(), h.end());
      h.back() = dist;
      std::push_heap(h.begin(), h.end());
    }
  });
  std::vector<double> r(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) r[static_cast<size_t>(i)] = best[static_cast<size_t>(i)].front();
  return r;
}

}  // namespace

PrdcResult prdc(const std::vector<float>& real, int64_t n, const std::vector<float>& fake,
                int64_t m, int d, int k) {
  if (k < 1) fail_input("PRDC: nearest_k must be >= 1 (got {})", k);
  if (n <= k || m <= k)
    fail_input("PRDC: need more than k = {} showers in each sample (got {} and {})", k, n, m);
  if (real.size() != static_cast<size_t>(n * d) || fake.size() != static_cast<size_t>(m * d))
    fail("PRDC: matrix sizes do not match {} x {} and {} x {}", n, d, m, d);
  const std::vector<double> rr = kth_radii(real, n, d, k);
  const std::vector<double> rf = kth_radii(fake, m, d, k);
  // real-fake pass: per fake, how many real balls hold it; per real, whether some fake ball holds
  // it and its nearest fake distance.
  std::vector<int64_t> fake_in_real(static_cast<size_t>(m), 0);
  std::vector<char> real_in_fake(static_cast<size_t>(n), 0);
  std::vector<double> nearest_fake(static_cast<size_t>(n), std::numeric_limits<double>::infinity());
  for_all_pairs(real, n, fake, m, d, [&](int64_t i, int64_t j, double dist) {
    // rows i of a tile are split across threads; j runs serially within a row, so the per-real
    // entries are race-free; the per-fake counter needs an atomic.
    if (dist < rr[static_cast<size_t>(i)]) {
#pragma omp atomic
      ++fake_in_real[static_cast<size_t>(j)];
    }
    if (dist < rf[static_cast<size_t>(j)]) real_in_fake[static_cast<size_t>(i)] = 1;
    nearest_fake[static_cast<size_t>(i)] = std::min(nearest_fake[static_cast<size_t>(i)], dist);
  });
  PrdcResult r;
  int64_t prec = 0, dens = 0, rec = 0, cov = 0;
  for (int64_t j = 0; j < m; ++j) {
    prec += fake_in_real[static_cast<size_t>(j)] > 0 ? 1 : 0;
    dens += fake_in_real[static_cast<size_t>(j)];
  }
  for (int64_t i = 0; i < n; ++i) {
    rec += real_in_fake[static_cast<size_t>(i)];
    cov += nearest_fake[static_cast<size_t>(i)] < rr[static_cast<size_t>(i)] ? 1 : 0;
  }
  r.precision = static_cast<double>(prec) / static_cast<double>(m);
  r.recall = static_cast<double>(rec) / static_cast<double>(n);
  r.density = static_cast<double>(dens) / (static_cast<double>(k) * static_cast<double>(m));
  r.coverage = static_cast<double>(cov) / static_cast<double>(n);
  return r;
}

std::vector<float> prdc_features(const std::vector<float>& voxels, double threshold_mev) {
  std::vector<float> out(voxels.size());
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < voxels.size(); ++i) {
    const double e = voxels[i] < threshold_mev ? 0.0 : double(voxels[i]);
    out[i] = static_cast<float>(std::log10(e == 0.0 ? 0.1 : e));
  }
  return out;
}

}  // namespace calo::eval
