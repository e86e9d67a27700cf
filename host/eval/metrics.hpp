#pragma once
// FPD and KPD (JetNet 0.2.4 algorithms, as run by CaloChallenge evaluate.py), the final
// non-negative linear fit, and CaloChallenge separation power. Matrices are row-major doubles.
#include <cstdint>
#include <vector>

namespace calo::eval {

struct Samples {
  int64_t rows = 0;
  int dims = 0;
  std::vector<double> data;  // rows * dims
  const double* row(int64_t i) const { return data.data() + i * dims; }
};

// Divides both samples, per feature, by max |x| over `reference` (0 -> 1), like JetNet.
void normalise_by_reference(Samples& reference, Samples& other);

// Mean and covariance (ddof = 1, like np.cov) of the rows `idx` of `s` (all rows when empty).
void mean_cov(const Samples& s, const std::vector<int64_t>& idx, std::vector<double>& mean,
              std::vector<double>& cov);

// ||mu1-mu2||^2 + tr S1 + tr S2 - 2 tr sqrtm(S1 S2), with tr sqrtm(S1 S2) = sum sqrt(eig(
// S1^1/2 S2 S1^1/2)) (symmetric eigendecompositions, LAPACK dsyev).
double frechet_distance(const std::vector<double>& mu1, const std::vector<double>& s1,
                        const std::vector<double>& mu2, const std::vector<double>& s2, int dims);

// y = a + b x with a, b >= 0 (least squares); a_err = sqrt(pcov[0,0]) as scipy curve_fit reports
// it (inverse of J^T J scaled by SSR / (n - 2)).
struct LinearFit {
  double a = 0, b = 0, a_err = 0;
};
LinearFit fit_nonneg_linear(const std::vector<double>& x, const std::vector<double>& y);

// Unbiased MMD^2 with the degree-4 polynomial kernel between rows idx_x of X and idx_y of Y
// (all rows when an index list is empty). Gram blocks through cblas_dgemm, tiled in rows.
double mmd_poly4_unbiased(const Samples& X, const std::vector<int64_t>& idx_x, const Samples& Y,
                          const std::vector<int64_t>& idx_y);

struct FpdOptions {
  int64_t min_samples = 20000, max_samples = 50000;
  int num_batches = 20, num_points = 10;
  bool normalise = true;
  uint64_t seed = 42;
};
struct FpdResult {
  double value = 0, error = 0;
  std::vector<int64_t> batch_sizes;
  std::vector<double> mean_values;  // mean Frechet distance per batch size
};
// `real` is the reference. Inputs are copied when normalising.
FpdResult fpd(const Samples& real, const Samples& gen, const FpdOptions& o);

struct KpdOptions {
  int num_batches = 10;
  int64_t batch_size = 5000;
  bool normalise = true;
  uint64_t seed = 42;
};
struct KpdResult {
  double value = 0, error = 0;
  std::vector<double> batch_values;
};
KpdResult kpd(const Samples& real, const Samples& gen, const KpdOptions& o);

// numpy.percentile with linear interpolation.
double percentile(std::vector<double> v, double q);

// CaloChallenge histograms: entries outside [edges.front(), edges.back()] are dropped (the last
// bin is closed), p_i = count_i / entries in range.
std::vector<double> bin_probabilities(const std::vector<double>& values,
                                      const std::vector<double>& edges);
// S = 1/2 sum (p - q)^2 / (p + q + 1e-16), p and q per-bin probabilities.
double separation_power(const std::vector<double>& p, const std::vector<double>& q);
std::vector<double> linspace(double a, double b, int n);
std::vector<double> logspace10(double log_a, double log_b, int n);

}  // namespace calo::eval
