#pragma once
// The metrics that compare two samples as wholes: FPD and KPD on the 362 features, PRDC on log10
// voxels, and the DNN classifiers. calo_eval runs them for reference vs generated and, with
// --floor, again for two Geant4 samples of the generated sample's size (the measured floor).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/eval/classifier.hpp"
#include "host/eval/features.hpp"
#include "host/eval/metrics.hpp"
#include "host/h5io.hpp"

namespace calo::eval {

struct PairOptions {
  bool fpd_kpd = true;
  FpdOptions fpd{10000, 50000, 20, 10, true, 42};  // CaloChallenge evaluate.py call
  KpdOptions kpd{10, 10000, true, 42};
  bool prdc = false;
  int prdc_k = 5;
  int64_t prdc_samples = 0;              // > 0: the first N showers of each sample
  std::vector<std::string> classifiers;  // cls-low, cls-low-normed, cls-high
  ClassifierOptions cls;
};

// One side of a comparison: features always, voxels (raw energies) when PRDC or a voxel
// classifier runs.
struct SampleView {
  const FeatureTable* features = nullptr;
  const ShowerBlock* voxels = nullptr;
};

bool pair_needs_voxels(const PairOptions& o);

// {"fpd": {...}, "kpd": {...}, "prdc": {...}, "classifier": {"cls-low": {...}}, "timing_s": {...}}
// `label` names the pair in log lines ("generated", "floor").
nlohmann::json pair_metrics(const SampleView& reference, const SampleView& other,
                            const PairOptions& o, const std::string& label);

}  // namespace calo::eval
