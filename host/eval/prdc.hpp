#pragma once
// Precision, recall, density and coverage (Naeem et al. 2020, arXiv:2002.09797) as CaloChallenge
// evaluate.py -m prdc runs them through the `prdc` package: Euclidean distances, the radius of a
// point is the distance to its k-th nearest neighbour in its own sample (itself excluded), and
// "inside" means strictly closer than the radius.
//   precision = fraction of fake points inside some real point's ball
//   recall    = fraction of real points inside some fake point's ball
//   density   = (1/k) mean over fake points of the number of real balls containing them
//   coverage  = fraction of real points whose nearest fake point is inside their own ball
// Cost: three all-pairs distance passes (real-real, fake-fake, real-fake), each a tiled double
// GEMM of N x M x D flops (10k vs 10k showers, D = 6480: ~4e12 flops), memory O(tile x N).
#include <cstdint>
#include <vector>

namespace calo::eval {

struct PrdcResult {
  double precision = 0, recall = 0, density = 0, coverage = 0;
};

// `real` (n x d) and `fake` (m x d), row-major floats; needs n, m > k.
PrdcResult prdc(const std::vector<float>& real, int64_t n, const std::vector<float>& fake,
                int64_t m, int d, int k);

// The CaloChallenge input: log10 of the thresholded voxel energies, zeros replaced by 0.1 MeV
// (so an empty voxel sits at -1). `voxels` are raw energies; the dataset's threshold (dataset 2:
// 15.15 keV) is applied.
std::vector<float> prdc_features(const std::vector<float>& voxels,
                                 double threshold_mev = 0.5e-3 / 0.033);

}  // namespace calo::eval
