#include "host/eval/voxel_summary.hpp"

#include <algorithm>
#include <cmath>

#include "host/error.hpp"
#include "kernels/eval/features.hpp"

namespace calo::eval {
namespace {

void start(VoxelSummary& s, const std::vector<double>& edges) {
  CALO_ASSERT(edges.size() >= 2);
  s.mean.assign(kVoxels, 0.0);
  for (auto& m : s.mean_e) m.assign(kVoxels, 0.0);
  s.voxel_counts.assign(edges.size() - 1, 0.0);
}

void add(VoxelSummary& s, const ShowerBlock& b, const std::vector<double>& edges) {
  if (b.num_voxels != kVoxels)
    fail_input("voxel summary: {} voxels per shower, Dataset 2 has {}", b.num_voxels, kVoxels);
  for (int64_t i = 0; i < b.rows; ++i) {
    const double e = b.energies[static_cast<size_t>(i)];
    int range = -1;
    for (int r = 0; r < kAvgRanges; ++r)
      if (e >= avg_range_mev(r).first && e < avg_range_mev(r).second) range = r;
    if (range >= 0) ++s.rows_e[static_cast<size_t>(range)];
    const float* v = b.showers.data() + i * kVoxels;
    for (int k = 0; k < kVoxels; ++k) {
      const double x = thresholded(v[k]);
      s.mean[static_cast<size_t>(k)] += x;
      if (range >= 0) s.mean_e[static_cast<size_t>(range)][static_cast<size_t>(k)] += x;
      if (x > 0 && x >= edges.front() && x <= edges.back()) {
        auto it = std::upper_bound(edges.begin(), edges.end(), x);
        size_t bin = static_cast<size_t>(it - edges.begin()) - 1;
        if (bin >= s.voxel_counts.size()) bin = s.voxel_counts.size() - 1;
        s.voxel_counts[bin] += 1;
        ++s.voxel_entries;
      }
    }
  }
  s.rows += b.rows;
}

void finish(VoxelSummary& s) {
  for (auto& m : s.mean) m /= static_cast<double>(std::max<int64_t>(s.rows, 1));
  for (int r = 0; r < kAvgRanges; ++r)
    for (auto& m : s.mean_e[static_cast<size_t>(r)])
      m /= static_cast<double>(std::max<int64_t>(s.rows_e[static_cast<size_t>(r)], 1));
}

}  // namespace

std::pair<double, double> avg_range_mev(int r) {
  return {std::pow(10.0, 3 + r), std::pow(10.0, 4 + r)};
}

VoxelSummary summarize_voxels(const std::string& path, const std::vector<double>& edges,
                              int64_t block_rows) {
  ShowerFileReader reader(path, kVoxels);
  VoxelSummary s;
  start(s, edges);
  ShowerBlock b;
  for (int64_t f = 0; f < reader.num_events(); f += block_rows) {
    reader.read(f, std::min(block_rows, reader.num_events() - f), b);
    add(s, b, edges);
  }
  finish(s);
  return s;
}

VoxelSummary summarize_voxels(const ShowerBlock& showers, const std::vector<double>& edges) {
  VoxelSummary s;
  start(s, edges);
  add(s, showers, edges);
  finish(s);
  return s;
}

}  // namespace calo::eval
