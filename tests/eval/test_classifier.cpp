// The CaloChallenge classifier test: isotonic calibration and ROC AUC against scikit-learn
// (tests/peer/make_classifier_prdc_fixtures.py), classifier inputs, and the trained DNN: AUC ~ 0.5
// for two samples of one distribution, ~ 1 for clearly different ones; CPU vs CUDA when a device
// exists.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "host/backend.hpp"
#include "host/error.hpp"
#include "host/eval/classifier.hpp"
#include "host/eval/isotonic.hpp"
#include "host/eval/roc.hpp"
#include "kernels/philox.hpp"

namespace ce = calo::eval;

namespace {

nlohmann::json fixture() {
  std::ifstream in(std::string(CALO_TEST_DATA_DIR) + "/eval/classifier_prdc_fixture.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

std::vector<double> vec(const nlohmann::json& a) {
  std::vector<double> v;
  for (const auto& x : a) v.push_back(x.get<double>());
  return v;
}

// Gaussian rows; `shift` moves the mean of the first 4 inputs, `scale` widens all of them.
ce::ClassifierData gaussian(int64_t n, int d, uint64_t seed, double shift, double scale = 1.0) {
  ce::ClassifierData c;
  c.rows = n;
  c.dims = d;
  c.fill = [=](int64_t i, float* out) {
    for (int j = 0; j < d; ++j) {
      const auto u =
          calo::uniform2_double(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(j));
      const double z = std::sqrt(-2.0 * std::log(u.u[0])) * std::cos(2.0 * M_PI * u.u[1]);
      out[j] = static_cast<float>(scale * z + (j < 4 ? shift : 0.0));
    }
  };
  return c;
}

ce::ClassifierOptions small() {
  ce::ClassifierOptions o;
  o.hidden = 32;
  o.layers = 1;
  o.epochs = 8;
  o.batch_size = 100;
  o.lr = 2e-3f;
  return o;
}

}  // namespace

TEST(EvalClassifier, IsotonicMatchesScikitLearn) {
  const auto j = fixture()["isotonic"];
  ce::IsotonicCalibrator iso(1e-6, 1 - 1e-6);
  iso.fit(vec(j["x"]), vec(j["y"]));
  const auto got = iso.predict(vec(j["queries"])), want = vec(j["predictions"]);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
}

TEST(EvalClassifier, IsotonicPoolsViolatorsAndClips) {
  ce::IsotonicCalibrator iso(0.1, 0.9);
  iso.fit({1, 2, 3, 4}, {0, 1, 0, 1});
  EXPECT_DOUBLE_EQ(iso.predict(1.0), 0.1);  // clipped at y_min
  EXPECT_DOUBLE_EQ(iso.predict(2.0), 0.5);  // 1 and 0 pooled
  EXPECT_DOUBLE_EQ(iso.predict(3.0), 0.5);
  EXPECT_DOUBLE_EQ(iso.predict(3.5), 0.7);   // linear between 0.5 and 0.9
  EXPECT_DOUBLE_EQ(iso.predict(10.0), 0.9);  // out of bounds: clip
}

TEST(EvalClassifier, RocAucMatchesScikitLearnWithTies) {
  const auto j = fixture()["auc"];
  EXPECT_NEAR(ce::roc_auc(vec(j["scores"]), vec(j["labels"])), j["auc"].get<double>(), 1e-12);
  EXPECT_DOUBLE_EQ(ce::roc_auc({0.1, 0.2, 0.3, 0.4}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(ce::roc_auc({0.5, 0.5}, {0, 1}), 0.5);
  EXPECT_THROW(ce::roc_auc({0.1, 0.2}, {1, 1}), calo::InputError);
  EXPECT_NEAR(ce::jsd_from_bce(std::log(2.0)), 0.0, 1e-15);
  EXPECT_NEAR(ce::bce_logits({0.0}, {1.0}), std::log(2.0), 1e-15);
}

TEST(EvalClassifier, SameDistributionHalfDifferentNearOne) {
  const int d = 12;
  const auto a = gaussian(1500, d, 1, 0.0), b = gaussian(1500, d, 2, 0.0);
  const ce::ClassifierResult same = ce::train_classifier(a, b, small());
  EXPECT_NEAR(same.auc, 0.5, 0.06);
  EXPECT_LT(same.jsd, 0.05);
  EXPECT_EQ(same.per_class, 1500);
  EXPECT_EQ(same.train_rows, 900);
  EXPECT_EQ(same.test_rows, 300);
  EXPECT_EQ(same.val_rows, 300);
  EXPECT_EQ(same.parameters, (d * 32 + 32) + (32 * 32 + 32) + (32 + 1));
  const auto shifted = gaussian(1500, d, 3, 1.5);
  const ce::ClassifierResult diff = ce::train_classifier(shifted, b, small());
  EXPECT_GT(diff.auc, 0.95);
  EXPECT_GT(diff.jsd, 0.5);
  EXPECT_GT(diff.test_accuracy, 0.85);
  // a width difference only a non-linear classifier sees (same means)
  const auto wide = gaussian(1500, d, 4, 0.0, 1.6);
  const ce::ClassifierResult w = ce::train_classifier(wide, b, small());
  EXPECT_GT(w.auc, 0.8);
}

TEST(EvalClassifier, SeededRunsRepeatAndUnequalClassesAreCut) {
  const auto a = gaussian(400, 5, 5, 0.3), b = gaussian(300, 5, 6, 0.0);
  auto o = small();
  o.epochs = 3;
  const auto r1 = ce::train_classifier(a, b, o), r2 = ce::train_classifier(a, b, o);
  EXPECT_EQ(r1.per_class, 300);
  EXPECT_EQ(r1.auc, r2.auc);
  EXPECT_EQ(r1.train_loss, r2.train_loss);
  EXPECT_EQ(r1.epochs_run, 3);
  o.patience = 1;
  o.epochs = 50;
  const auto r3 = ce::train_classifier(a, b, o);
  EXPECT_LT(r3.epochs_run, 50);  // stops once the test accuracy stops improving
  EXPECT_THROW(ce::train_classifier(gaussian(4, 5, 1, 0), b, o), calo::InputError);
  EXPECT_THROW(ce::train_classifier(gaussian(100, 4, 1, 0), b, o), calo::InputError);
}

TEST(EvalClassifier, CudaMatchesCpu) {
  if (calo::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const auto a = gaussian(600, 8, 7, 0.8), b = gaussian(600, 8, 8, 0.0);
  auto o = small();
  o.epochs = 4;
  const auto cpu = ce::train_classifier(a, b, o);
  o.backend = calo::Backend::cuda;
  const auto gpu = ce::train_classifier(a, b, o);
  ASSERT_EQ(cpu.train_loss.size(), gpu.train_loss.size());
  for (size_t e = 0; e < cpu.train_loss.size(); ++e)
    EXPECT_NEAR(cpu.train_loss[e], gpu.train_loss[e], 1e-3) << e;
  EXPECT_NEAR(cpu.auc, gpu.auc, 0.02);
}
