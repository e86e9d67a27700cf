#include "host/eval/voxel_summary.hpp"

#include <algorithm>
#include <cmath>

#include <omp.h>

#include "host/error.hpp"
#include "host/eval/block_stream.hpp"

namespace calo::eval {
namespace {

void start(VoxelSummary& s, const EvalDataset& d, const std::vector<double>& edges) {
  CALO_ASSERT(edges.size() >= 2);
  const auto nv = static_cast<size_t>(d.n_voxels());
  s.mean.assign(nv, 0.0);
  s.mean_e.assign(d.avg_ranges_mev.size(), std::vector<double>(nv, 0.0));
  s.rows_e.assign(d.avg_ranges_mev.size(), 0);
  s.voxel_counts.assign(edges.size() - 1, 0.0);
}

// Sums of one block: each thread owns a slice of the voxels (and of the mean arrays) and adds
// the rows in order, so the sums do not depend on the thread count.
void add(VoxelSummary& s, const ShowerBlock& b, const EvalDataset& d,
         const std::vector<double>& edges) {
  const int nv = d.n_voxels();
  if (b.num_voxels != nv)
    fail_input("voxel summary: {} voxels per shower, dataset {} has {}", b.num_voxels, d.name, nv);
  std::vector<int> range(static_cast<size_t>(b.rows), -1);
  for (int64_t i = 0; i < b.rows; ++i) {
    const double e = b.energies[static_cast<size_t>(i)];
    for (size_t r = 0; r < d.avg_ranges_mev.size(); ++r)
      if (e >= d.avg_ranges_mev[r].first && e < d.avg_ranges_mev[r].second)
        range[size_t(i)] = static_cast<int>(r);
    if (range[size_t(i)] >= 0) ++s.rows_e[static_cast<size_t>(range[size_t(i)])];
  }
  const size_t bins = s.voxel_counts.size();
  int64_t entries = 0;
  std::vector<double> counts(bins, 0.0);
#pragma omp parallel
  {
    std::vector<double> my_counts(bins, 0.0);
    int64_t my_entries = 0;
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int k0 = static_cast<int>(int64_t(nv) * t / nt),
              k1 = static_cast<int>(int64_t(nv) * (t + 1) / nt);
    for (int64_t i = 0; i < b.rows; ++i) {
      const float* v = b.showers.data() + i * nv;
      const int r = range[size_t(i)];
      for (int k = k0; k < k1; ++k) {
        const double x = d.thresholded(v[k]);
        s.mean[size_t(k)] += x;
        if (r >= 0) s.mean_e[size_t(r)][size_t(k)] += x;
        if (x > 0 && x >= edges.front() && x <= edges.back()) {
          auto it = std::upper_bound(edges.begin(), edges.end(), x);
          size_t bin = static_cast<size_t>(it - edges.begin()) - 1;
          if (bin >= bins) bin = bins - 1;
          my_counts[bin] += 1;
          ++my_entries;
        }
      }
    }
#pragma omp critical(calo_voxel_summary)
    {
      for (size_t j = 0; j < bins; ++j) counts[j] += my_counts[j];  // integers: order-free
      entries += my_entries;
    }
  }
  for (size_t j = 0; j < bins; ++j) s.voxel_counts[j] += counts[j];
  s.voxel_entries += entries;
  s.rows += b.rows;
}

void finish(VoxelSummary& s) {
  for (auto& m : s.mean) m /= static_cast<double>(std::max<int64_t>(s.rows, 1));
  for (size_t r = 0; r < s.mean_e.size(); ++r)
    for (auto& m : s.mean_e[r]) m /= static_cast<double>(std::max<int64_t>(s.rows_e[r], 1));
}

}  // namespace

VoxelSummary summarize_voxels(const std::string& path, const EvalDataset& d,
                              const std::vector<double>& edges, int64_t block_rows) {
  ShowerFileReader reader(path, d.n_voxels());
  VoxelSummary s;
  start(s, d, edges);
  for_each_block(reader, block_rows, [&](const ShowerBlock& b) { add(s, b, d, edges); });
  finish(s);
  return s;
}

VoxelSummary summarize_voxels(const ShowerBlock& showers, const EvalDataset& d,
                              const std::vector<double>& edges) {
  VoxelSummary s;
  start(s, d, edges);
  add(s, showers, d, edges);
  finish(s);
  return s;
}

}  // namespace calo::eval
