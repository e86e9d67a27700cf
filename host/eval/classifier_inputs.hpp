#pragma once
// Inputs of the CaloChallenge DNN classifiers (evaluate.py prepare_*_data_for_classifier), one
// row per shower, built on demand so a 100k-shower file is never copied into a second matrix:
//   cls-low         [log10 E_inc, voxel / E_inc x V]                  (dataset 2: 6481 inputs)
//   cls-low-normed  [log10 E_inc, voxel / (E_layer + 1e-16) x V,
//                    log10(E_layer + 1e-8) x L]                         (dataset 2: 6526 inputs)
//   cls-high        the FPD vector (features.hpp)                       (dataset 2: 362 inputs)
// with V voxels and L layers with voxels. cls-low thresholds the voxels (dataset 2: 15.15 keV).
// cls-low-normed divides the voxels as read from the file (evaluate.py passes no threshold there)
// by the thresholded layer energies, exactly as the official script does.
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
