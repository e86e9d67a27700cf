#pragma once
// What evaluate.py's `avg`, `avg-E` and voxel-distribution plots need from one shower file, in one
// streamed pass: the mean thresholded shower, the mean shower per incident-energy range of the
// dataset (datasets 2/3: [1, 10), [10, 100), [100, 1000) GeV, evaluate.py's 10^linspace(3, 6, 4)
// MeV edges; dataset 1: its 15 discrete energies 2^8 .. 2^22 MeV; upper edge open), and the
// histogram of all thresholded non-zero voxel energies over given edges.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/eval/dataset.hpp"
#include "host/h5io.hpp"

namespace calo::eval {

struct VoxelSummary {
  int64_t rows = 0;
  std::vector<double> mean;                 // n_voxels
  std::vector<std::vector<double>> mean_e;  // per E_inc range, n_voxels each (zeros: no shower)
  std::vector<int64_t> rows_e;              // showers per range
  std::vector<double> voxel_counts;         // edges.size() - 1 bins
  int64_t voxel_entries = 0;                // non-zero voxels inside the edges
};

VoxelSummary summarize_voxels(const std::string& path, const EvalDataset& dataset,
                              const std::vector<double>& voxel_edges, int64_t block_rows = 2048);
// The same from voxels already in memory.
VoxelSummary summarize_voxels(const ShowerBlock& showers, const EvalDataset& dataset,
                              const std::vector<double>& voxel_edges);

}  // namespace calo::eval
