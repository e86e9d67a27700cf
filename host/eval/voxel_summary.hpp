#pragma once
// What evaluate.py's `avg`, `avg-E` and voxel-distribution plots need from one shower file, in one
// streamed pass: the mean thresholded shower (6480 voxels), the mean shower per incident-energy
// range [1, 10), [10, 100), [100, 1000) GeV (evaluate.py's 10^linspace(3, 6, 4) MeV edges, upper
// edge open), and the histogram of all thresholded non-zero voxel energies over given edges.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "host/h5io.hpp"

namespace calo::eval {

constexpr int kAvgRanges = 3;

struct VoxelSummary {
  int64_t rows = 0;
  std::vector<double> mean;                            // 6480
  std::array<std::vector<double>, kAvgRanges> mean_e;  // 6480 each (zeros when no shower)
  std::array<int64_t, kAvgRanges> rows_e{};            // showers per range
  std::vector<double> voxel_counts;                    // edges.size() - 1 bins
  int64_t voxel_entries = 0;                           // non-zero voxels inside the edges
};

// Incident-energy range r in MeV: [10^(3+r), 10^(4+r)).
std::pair<double, double> avg_range_mev(int r);

VoxelSummary summarize_voxels(const std::string& path, const std::vector<double>& voxel_edges,
                              int64_t block_rows = 2048);
// The same from voxels already in memory.
VoxelSummary summarize_voxels(const ShowerBlock& showers, const std::vector<double>& voxel_edges);

}  // namespace calo::eval
