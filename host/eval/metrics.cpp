#include "host/eval/metrics.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>

#include "host/error.hpp"
#include "host/eval/serial_blas.hpp"
#include "kernels/eval/resample.hpp"

extern "C" void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                       double* w, double* work, const int* lwork, int* info, size_t, size_t);

namespace calo::eval {
namespace {

// Eigen-decomposition of a symmetric row-major n x n matrix (symmetric, so layout is irrelevant).
// On return `a` holds the eigenvectors as columns (column-major) = rows (row-major).
std::vector<double> sym_eig(std::vector<double>& a, int n, bool vectors) {
  std::vector<double> w(static_cast<size_t>(n));
  if (n == 0) return w;
  int info = 0, lwork = -1;
  double query = 0;
  const char jobz = vectors ? 'V' : 'N', uplo = 'U';
  dsyev_(&jobz, &uplo, &n, a.data(), &n, w.data(), &query, &lwork, &info, 1, 1);
  lwork = std::max(1, static_cast<int>(query));
  std::vector<double> work(static_cast<size_t>(lwork));
  dsyev_(&jobz, &uplo, &n, a.data(), &n, w.data(), work.data(), &lwork, &info, 1, 1);
  if (info != 0) fail("FPD: the symmetric eigensolver (LAPACK dsyev) failed with info = {}", info);
  return w;
}

std::vector<int64_t> draw(uint64_t seed, uint64_t batch, int which, int64_t count, int64_t n) {
  std::vector<int64_t> idx(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k)
    idx[static_cast<size_t>(k)] = resample_index(seed, batch, which, static_cast<uint64_t>(k), n);
  return idx;
}

void gather(const Samples& s, const std::vector<int64_t>& idx, int64_t first, int64_t count,
            std::vector<double>& out) {
  out.resize(static_cast<size_t>(count * s.dims));
  for (int64_t i = 0; i < count; ++i) {
    const int64_t r = idx.empty() ? first + i : idx[static_cast<size_t>(first + i)];
    std::copy_n(s.row(r), s.dims, out.data() + i * s.dims);
  }
}

void check_pair(const Samples& a, const Samples& b, const char* what) {
  if (a.dims != b.dims)
    fail_input("{}: the reference has {} features per event but the generated sample has {}", what,
               a.dims, b.dims);
  if (a.rows < 2 || b.rows < 2)
    fail_input("{}: need at least 2 events in each sample (got {} and {})", what, a.rows, b.rows);
}

}  // namespace

void normalise_by_reference(Samples& reference, Samples& other) {
  const int d = reference.dims;
  std::vector<double> mx(static_cast<size_t>(d), 0.0);
  for (int64_t i = 0; i < reference.rows; ++i)
    for (int j = 0; j < d; ++j) mx[j] = std::max(mx[j], std::abs(reference.row(i)[j]));
  for (auto& m : mx)
    if (m == 0) m = 1;
  for (Samples* s : {&reference, &other})
    for (int64_t i = 0; i < s->rows; ++i)
      for (int j = 0; j < d; ++j) s->data[static_cast<size_t>(i * d + j)] /= mx[j];
}

void mean_cov(const Samples& s, const std::vector<int64_t>& idx, std::vector<double>& mean,
              std::vector<double>& cov) {
  const int d = s.dims;
  const int64_t n = idx.empty() ? s.rows : static_cast<int64_t>(idx.size());
  CALO_ASSERT(n >= 2);
  // A bootstrap draw repeats rows: sum_k x_k x_k^T over the draw is sum_i c_i x_i x_i^T over the
  // distinct rows i with multiplicity c_i, so the GEMM runs over distinct rows only (at 10k rows
  // and a 50k draw, 5x fewer). Rows are visited in row order.
  std::vector<uint32_t> count;
  if (!idx.empty()) {
    count.assign(static_cast<size_t>(s.rows), 0u);
    for (const int64_t i : idx) ++count[static_cast<size_t>(i)];
  }
  auto weight = [&](int64_t i) { return idx.empty() ? 1.0 : double(count[size_t(i)]); };
  mean.assign(static_cast<size_t>(d), 0.0);
  cov.assign(static_cast<size_t>(d) * d, 0.0);
  for (int64_t i = 0; i < s.rows; ++i) {
    const double c = weight(i);
    if (c == 0) continue;
    const double* r = s.row(i);
    for (int j = 0; j < d; ++j) mean[j] += c * r[j];
  }
  for (auto& m : mean) m /= static_cast<double>(n);
  constexpr int64_t kTile = 1024;
  std::vector<double> buf(static_cast<size_t>(kTile * d));
  int64_t filled = 0;
  auto flush = [&] {
    if (filled == 0) return;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, static_cast<int>(filled), 1.0, buf.data(),
                d, 1.0, cov.data(), d);
    filled = 0;
  };
  for (int64_t i = 0; i < s.rows; ++i) {
    const double c = weight(i);
    if (c == 0) continue;
    const double w = std::sqrt(c);  // (sqrt(c) (x - mu)) (sqrt(c) (x - mu))^T = c (x-mu)(x-mu)^T
    const double* r = s.row(i);
    double* o = buf.data() + filled * d;
    for (int j = 0; j < d; ++j) o[j] = w * (r[j] - mean[j]);
    if (++filled == kTile) flush();
  }
  flush();
  const double inv = 1.0 / static_cast<double>(n - 1);
  for (int i = 0; i < d; ++i)
    for (int j = i; j < d; ++j) {
      const double v = cov[static_cast<size_t>(i * d + j)] * inv;
      cov[static_cast<size_t>(i * d + j)] = v;
      cov[static_cast<size_t>(j * d + i)] = v;
    }
}

double frechet_distance(const std::vector<double>& mu1, const std::vector<double>& s1,
                        const std::vector<double>& mu2, const std::vector<double>& s2, int d) {
  double diff2 = 0, tr1 = 0, tr2 = 0;
  for (int i = 0; i < d; ++i) {
    diff2 += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
    tr1 += s1[static_cast<size_t>(i * d + i)];
    tr2 += s2[static_cast<size_t>(i * d + i)];
  }
  std::vector<double> v = s1;
  const std::vector<double> l = sym_eig(v, d, true);  // v rows = eigenvectors (column-major cols)
  // S1^1/2 = sum_k sqrt(l_k) v_k v_k^T = W^T W with rows w_k = l_k^(1/4) v_k.
  std::vector<double> vs(static_cast<size_t>(d) * d);
  for (int k = 0; k < d; ++k) {
    const double q = std::sqrt(std::sqrt(std::max(l[k], 0.0)));
    for (int i = 0; i < d; ++i)
      vs[static_cast<size_t>(k * d + i)] = q * v[static_cast<size_t>(k * d + i)];
  }
  std::vector<double> root(static_cast<size_t>(d) * d), tmp(static_cast<size_t>(d) * d),
      m(static_cast<size_t>(d) * d);
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, d, 1.0, vs.data(), d, vs.data(), d,
              0.0, root.data(), d);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, root.data(), d, s2.data(), d,
              0.0, tmp.data(), d);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, tmp.data(), d, root.data(),
              d, 0.0, m.data(), d);
  for (int i = 0; i < d; ++i)
    for (int j = i + 1; j < d; ++j) {
      const double a =
          0.5 * (m[static_cast<size_t>(i * d + j)] + m[static_cast<size_t>(j * d + i)]);
      m[static_cast<size_t>(i * d + j)] = m[static_cast<size_t>(j * d + i)] = a;
    }
  const std::vector<double> ev = sym_eig(m, d, false);
  double tr_sqrt = 0;
  for (double e : ev) tr_sqrt += std::sqrt(std::max(e, 0.0));
  return diff2 + tr1 + tr2 - 2.0 * tr_sqrt;
}

LinearFit fit_nonneg_linear(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n < 3 || y.size() != n) fail("FPD fit: need at least 3 points (got {})", n);
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  const double nn = static_cast<double>(n);
  auto ssr = [&](double a, double b) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += (y[i] - a - b * x[i]) * (y[i] - a - b * x[i]);
    return s;
  };
  // Non-negative least squares in 2 parameters: the best of the feasible stationary points of
  // the unconstrained problem and the two faces a = 0, b = 0 (and the corner).
  const double det = nn * sxx - sx * sx;
  std::vector<std::pair<double, double>> cands{
      {0.0, 0.0}, {std::max(0.0, sy / nn), 0.0}, {0.0, sxx > 0 ? std::max(0.0, sxy / sxx) : 0.0}};
  if (det > 0) {
    const double b = (nn * sxy - sx * sy) / det, a = (sy - b * sx) / nn;
    if (a >= 0 && b >= 0) cands.emplace_back(a, b);
  }
  LinearFit f;
  double best = std::numeric_limits<double>::infinity();
  for (auto [a, b] : cands) {
    const double s = ssr(a, b);
    if (s < best) {
      best = s;
      f.a = a;
      f.b = b;
    }
  }
  // pcov = (J^T J)^-1 * SSR / (n - 2), J = [1, x]; (J^T J)^-1[0,0] = sxx / det.
  f.a_err =
      det > 0 ? std::sqrt(sxx / det * best / (nn - 2.0)) : std::numeric_limits<double>::infinity();
  return f;
}

double mmd_poly4_unbiased(const Samples& X, const std::vector<int64_t>& idx_x, const Samples& Y,
                          const std::vector<int64_t>& idx_y) {
  check_pair(X, Y, "KPD");
  const int d = X.dims;
  const int64_t m = idx_x.empty() ? X.rows : static_cast<int64_t>(idx_x.size());
  const int64_t n = idx_y.empty() ? Y.rows : static_cast<int64_t>(idx_y.size());
  std::vector<double> xs, ys;
  gather(X, idx_x, 0, m, xs);
  gather(Y, idx_y, 0, n, ys);
  // The three Gram matrices in square tiles, one tile per OpenMP task with a single-threaded
  // GEMM; K_XX and K_YY are symmetric, so only tiles on or above the diagonal are computed and
  // the pairs i < j counted twice. Per-tile sums are added in tile order: the result does not
  // depend on the thread count.
  constexpr int64_t kTile = 512;
  struct Task {
    int which;  // 0: XX, 1: YY, 2: XY
    int64_t i0, j0;
  };
  std::vector<Task> tasks;
  const int64_t tm = (m + kTile - 1) / kTile, tn = (n + kTile - 1) / kTile;
  for (int64_t a = 0; a < tm; ++a)
    for (int64_t b = a; b < tm; ++b) tasks.push_back({0, a * kTile, b * kTile});
  for (int64_t a = 0; a < tn; ++a)
    for (int64_t b = a; b < tn; ++b) tasks.push_back({1, a * kTile, b * kTile});
  for (int64_t a = 0; a < tm; ++a)
    for (int64_t b = 0; b < tn; ++b) tasks.push_back({2, a * kTile, b * kTile});
  std::vector<double> partial(tasks.size(), 0.0);
  const SerialBlas serial;
#pragma omp parallel
  {
    std::vector<double> g(static_cast<size_t>(kTile * kTile));
#pragma omp for schedule(dynamic, 1)
    for (size_t t = 0; t < tasks.size(); ++t) {
      const Task& k = tasks[t];
      const std::vector<double>& a = k.which == 1 ? ys : xs;
      const std::vector<double>& b = k.which == 0 ? xs : ys;
      const int64_t na = k.which == 1 ? n : m, nb = k.which == 0 ? m : n;
      const int64_t ca = std::min(kTile, na - k.i0), cb = std::min(kTile, nb - k.j0);
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(ca),
                  static_cast<int>(cb), d, 1.0, a.data() + k.i0 * d, d, b.data() + k.j0 * d, d, 0.0,
                  g.data(), static_cast<int>(cb));
      const bool diagonal = k.which != 2 && k.i0 == k.j0;
      const double factor = k.which == 2 ? 1.0 : 2.0;
      double s = 0;
      for (int64_t i = 0; i < ca; ++i) {
        const double* row = g.data() + i * cb;
        double r = 0;
        const int64_t j_first = diagonal ? i + 1 : 0;
#pragma omp simd reduction(+ : r)
        for (int64_t j = j_first; j < cb; ++j) r += poly4_kernel(row[j], d);
        s += r;
      }
      partial[t] = factor * s;
    }
  }
  double kxx = 0, kyy = 0, kxy = 0;
  for (size_t t = 0; t < tasks.size(); ++t)
    (tasks[t].which == 0 ? kxx : tasks[t].which == 1 ? kyy : kxy) += partial[t];
  const double md = static_cast<double>(m), nd = static_cast<double>(n);
  return kxx / (md * (md - 1)) + kyy / (nd * (nd - 1)) - 2.0 * kxy / (md * nd);
}

namespace {
// The two samples FPD and KPD compare: the inputs themselves, or copies normalised by the
// reference's feature scales.
struct ComparedPair {
  Samples xn, yn;
  const Samples *x, *y;
  ComparedPair(const Samples& real, const Samples& gen, bool normalise) : x(&real), y(&gen) {
    if (!normalise) return;
    xn = real;
    yn = gen;
    normalise_by_reference(xn, yn);
    x = &xn;
    y = &yn;
  }
  ComparedPair(const ComparedPair&) = delete;
  ComparedPair& operator=(const ComparedPair&) = delete;
};
}  // namespace

FpdResult fpd(const Samples& real_in, const Samples& gen_in, const FpdOptions& o) {
  check_pair(real_in, gen_in, "FPD");
  if (o.min_samples < 2 || o.max_samples < o.min_samples || o.num_points < 3 || o.num_batches < 1)
    fail_input("FPD: bad options (min_samples {}, max_samples {}, num_points {}, num_batches {})",
               o.min_samples, o.max_samples, o.num_points, o.num_batches);
  const ComparedPair pair(real_in, gen_in, o.normalise);
  const Samples *X = pair.x, *Y = pair.y;
  FpdResult r;
  std::vector<double> inv_n;
  const double lo = 1.0 / static_cast<double>(o.min_samples),
               hi = 1.0 / static_cast<double>(o.max_samples);
  for (int p = 0; p < o.num_points; ++p) {
    // np.linspace: start + i * step, with the last point set to stop exactly
    const double step = (hi - lo) / (o.num_points - 1);
    const double t = p == o.num_points - 1 ? hi : lo + p * step;
    r.batch_sizes.push_back(static_cast<int64_t>(1.0 / t));  // astype(int32) truncates
    inv_n.push_back(1.0 / static_cast<double>(r.batch_sizes.back()));
  }
  // Every draw (batch size p, repeat b) is independent: one OpenMP task each, largest batches
  // first; draw t = p * num_batches + b has its own Philox stream, so the values do not depend
  // on the thread count.
  const int draws = o.num_points * o.num_batches;
  std::vector<double> distance(static_cast<size_t>(draws), 0.0);
  std::exception_ptr error;
  const SerialBlas serial;
#pragma omp parallel
  {
    std::vector<double> mu1, s1, mu2, s2;
#pragma omp for schedule(dynamic, 1)
    for (int k = 0; k < draws; ++k) {
      const int t = draws - 1 - k;
      const int64_t bs = r.batch_sizes[static_cast<size_t>(t / o.num_batches)];
      try {
        const auto batch = static_cast<uint64_t>(t);
        mean_cov(*X, draw(o.seed, batch, 0, bs, X->rows), mu1, s1);
        mean_cov(*Y, draw(o.seed, batch, 1, bs, Y->rows), mu2, s2);
        distance[static_cast<size_t>(t)] = frechet_distance(mu1, s1, mu2, s2, X->dims);
      } catch (...) {
#pragma omp critical(calo_fpd_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
  for (int p = 0; p < o.num_points; ++p) {
    double sum = 0;
    for (int b = 0; b < o.num_batches; ++b)
      sum += distance[static_cast<size_t>(p * o.num_batches + b)];
    r.mean_values.push_back(sum / o.num_batches);
  }
  const LinearFit f = fit_nonneg_linear(inv_n, r.mean_values);
  r.value = f.a;
  r.error = f.a_err;
  return r;
}

double percentile(std::vector<double> v, double q) {
  CALO_ASSERT(!v.empty());
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

KpdResult kpd(const Samples& real_in, const Samples& gen_in, const KpdOptions& o) {
  check_pair(real_in, gen_in, "KPD");
  if (o.batch_size < 2 || o.num_batches < 1)
    fail_input("KPD: bad options (batch_size {}, num_batches {})", o.batch_size, o.num_batches);
  const ComparedPair pair(real_in, gen_in, o.normalise);
  const Samples *X = pair.x, *Y = pair.y;
  KpdResult r;
  for (int b = 0; b < o.num_batches; ++b) {
    const auto seed = o.seed + 1000u * static_cast<uint64_t>(b);
    r.batch_values.push_back(mmd_poly4_unbiased(*X, draw(seed, 0, 0, o.batch_size, X->rows), *Y,
                                                draw(seed, 0, 1, o.batch_size, Y->rows)));
  }
  r.value = percentile(r.batch_values, 50.0);
  r.error = 0.5 * (percentile(r.batch_values, 83.725) - percentile(r.batch_values, 16.275));
  return r;
}

std::vector<double> bin_probabilities(const std::vector<double>& values,
                                      const std::vector<double>& edges) {
  CALO_ASSERT(edges.size() >= 2);
  std::vector<double> p(edges.size() - 1, 0.0);
  double total = 0;
  for (double v : values) {
    if (!(v >= edges.front() && v <= edges.back())) continue;
    auto it = std::upper_bound(edges.begin(), edges.end(), v);
    size_t bin = static_cast<size_t>(it - edges.begin()) - 1;
    if (bin >= p.size()) bin = p.size() - 1;  // v == last edge
    p[bin] += 1;
    total += 1;
  }
  if (total > 0)
    for (auto& x : p) x /= total;
  return p;
}

double separation_power(const std::vector<double>& p, const std::vector<double>& q) {
  CALO_ASSERT(p.size() == q.size());
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) s += (p[i] - q[i]) * (p[i] - q[i]) / (p[i] + q[i] + 1e-16);
  return 0.5 * s;
}

std::vector<double> linspace(double a, double b, int n) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[i] = n == 1 ? a : a + (b - a) * i / (n - 1);
  return v;
}

std::vector<double> logspace10(double log_a, double log_b, int n) {
  auto v = linspace(log_a, log_b, n);
  for (auto& x : v) x = std::pow(10.0, x);
  return v;
}

}  // namespace calo::eval
