#pragma once
// Inputs of the CaloChallenge DNN classifiers (evaluate.py prepare_*_data_for_classifier), one
// row per shower, built on demand so a 100k-shower file is never copied into a second matrix:
//   cls-low         [log10 E_inc, voxel / E_inc x 6480]                       6481 inputs
//   cls-low-normed  [log10 E_inc, voxel / (E_layer + 1e-16) x 6480,
//                    log10(E_layer + 1e-8) x 45]                                6526 inputs
//   cls-high        the 362-feature FPD vector (features.hpp)                    362 inputs
// cls-low thresholds the voxels at 15.15 keV. cls-low-normed divides the voxels as read from the
// file (evaluate.py passes no threshold there) by the thresholded layer energies, exactly as the
// official script does.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "host/eval/features.hpp"
#include "host/h5io.hpp"

namespace calo::eval {

struct ClassifierData {
  int64_t rows = 0;
  int dims = 0;
  std::function<void(int64_t row, float* out)> fill;  // writes `dims` values of row `row`
};

// "cls-low", "cls-low-normed", "cls-high"; showers/features must outlive the result (captured
// by reference); `voxels` may be empty for cls-high.
ClassifierData classifier_data(const std::string& mode, const ShowerBlock& voxels,
                               const FeatureTable& features);
// Rows [first, first + count) of `d`.
ClassifierData rows_of(const ClassifierData& d, int64_t first, int64_t count);
// Whether `mode` needs the voxels.
bool classifier_needs_voxels(const std::string& mode);
const std::vector<std::string>& classifier_modes();

}  // namespace calo::eval
