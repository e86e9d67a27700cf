#include "host/eval/pair_metrics.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "host/error.hpp"
#include "host/eval/prdc.hpp"

namespace calo::eval {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<float> prdc_input(const ShowerBlock& v, int64_t rows, double threshold_mev) {
  std::vector<float> head(v.showers.begin(), v.showers.begin() + rows * v.num_voxels);
  return prdc_features(head, threshold_mev);
}

}  // namespace

bool pair_needs_voxels(const PairOptions& o) {
  if (o.prdc) return true;
  return std::any_of(o.classifiers.begin(), o.classifiers.end(), classifier_needs_voxels);
}

nlohmann::json pair_metrics(const SampleView& ref, const SampleView& other, const PairOptions& o,
                            const std::string& label) {
  using clock = std::chrono::steady_clock;
  nlohmann::json j;
  if (o.fpd_kpd) {
    // FPD and KPD normalise the same way (JetNet: by max |x| of the reference): once, in place
    Samples xr = fpd_vectors(*ref.features), xg = fpd_vectors(*other.features);
    if (o.fpd.normalise || o.kpd.normalise) normalise_by_reference(xr, xg);
    FpdOptions fo = o.fpd;
    KpdOptions ko = o.kpd;
    fo.normalise = ko.normalise = false;
    CALO_ASSERT(o.fpd.normalise == o.kpd.normalise);
    auto t0 = clock::now();
    spdlog::info("{}: FPD ({} draws per batch size, {} batch sizes)", label, o.fpd.num_batches,
                 o.fpd.num_points);
    const FpdResult f = fpd(xr, xg, fo);
    j["timing_s"]["fpd"] = seconds_since(t0);
    t0 = clock::now();
    spdlog::info("{}: KPD ({} batches of {})", label, o.kpd.num_batches, o.kpd.batch_size);
    const KpdResult k = kpd(xr, xg, ko);
    j["timing_s"]["kpd"] = seconds_since(t0);
    j["fpd"] = {{"value", f.value},
                {"error", f.error},
                {"value_x1e3", f.value * 1e3},
                {"error_x1e3", f.error * 1e3},
                {"batch_sizes", f.batch_sizes},
                {"mean_per_batch_size", f.mean_values},
                {"min_samples", o.fpd.min_samples},
                {"max_samples", o.fpd.max_samples},
                {"num_batches", o.fpd.num_batches},
                {"num_points", o.fpd.num_points}};
    j["kpd"] = {{"value", k.value},
                {"error", k.error},
                {"value_x1e3", k.value * 1e3},
                {"error_x1e3", k.error * 1e3},
                {"batch_values", k.batch_values},
                {"batch_size", o.kpd.batch_size},
                {"num_batches", o.kpd.num_batches},
                {"kernel", "(x.y/d+1)^4"}};
    spdlog::info("{}: FPD (x10^3): {:.4f} +- {:.4f}   KPD (x10^3): {:.5f} +- {:.5f}", label,
                 f.value * 1e3, f.error * 1e3, k.value * 1e3, k.error * 1e3);
  }
  if (o.prdc) {
    if (!ref.voxels || !other.voxels) fail("PRDC: voxels were not loaded");
    auto rows = [&](const ShowerBlock& v) {
      return o.prdc_samples > 0 ? std::min(o.prdc_samples, v.rows) : v.rows;
    };
    const int64_t n = rows(*ref.voxels), m = rows(*other.voxels);
    const auto t0 = clock::now();
    spdlog::info("{}: PRDC (k = {}) on {} vs {} showers", label, o.prdc_k, n, m);
    const double thr = ref.features->dataset->threshold_mev;
    const PrdcResult p = prdc(prdc_input(*ref.voxels, n, thr), n, prdc_input(*other.voxels, m, thr),
                              m, ref.voxels->num_voxels, o.prdc_k);
    j["timing_s"]["prdc"] = seconds_since(t0);
    j["prdc"] = {{"precision", p.precision}, {"recall", p.recall},    {"density", p.density},
                 {"coverage", p.coverage},   {"nearest_k", o.prdc_k}, {"reference_showers", n},
                 {"other_showers", m}};
    spdlog::info("{}: PRDC precision {:.4f} recall {:.4f} density {:.4f} coverage {:.4f}", label,
                 p.precision, p.recall, p.density, p.coverage);
  }
  for (const std::string& mode : o.classifiers) {
    if (classifier_needs_voxels(mode) && (!ref.voxels || !other.voxels))
      fail("classifier {}: voxels were not loaded", mode);
    static const ShowerBlock kNoVoxels;
    const ClassifierData dr =
        classifier_data(mode, ref.voxels ? *ref.voxels : kNoVoxels, *ref.features);
    const ClassifierData dg =
        classifier_data(mode, other.voxels ? *other.voxels : kNoVoxels, *other.features);
    spdlog::info("{}: classifier {} ({} inputs, {} x {} hidden, up to {} epochs, {})", label, mode,
                 dr.dims, o.cls.layers + 1, o.cls.hidden, o.cls.epochs, to_string(o.cls.backend));
    const ClassifierResult c = train_classifier(dg, dr, o.cls);
    j["classifier"][mode] = {{"auc", c.auc},
                             {"jsd", c.jsd},
                             {"auc_uncalibrated", c.auc_uncalibrated},
                             {"jsd_uncalibrated", c.jsd_uncalibrated},
                             {"test_accuracy", c.test_accuracy},
                             {"best_epoch", c.best_epoch},
                             {"epochs_run", c.epochs_run},
                             {"showers_per_class", c.per_class},
                             {"train_test_val_per_class", {c.train_rows, c.test_rows, c.val_rows}},
                             {"inputs", dr.dims},
                             {"parameters", c.parameters},
                             {"train_loss", c.train_loss},
                             {"test_accuracy_per_epoch", c.test_acc},
                             {"backend", to_string(o.cls.backend)},
                             {"epoch_seconds", c.epoch_seconds},
                             {"seconds", c.seconds}};
    j["timing_s"][mode] = c.seconds;
    spdlog::info("{}: {} AUC {:.4f}  JSD {:.4f} (best epoch {} of {}, {:.1f} s)", label, mode,
                 c.auc, c.jsd, c.best_epoch, c.epochs_run, c.seconds);
  }
  return j;
}

}  // namespace calo::eval
