#pragma once
// The CaloChallenge binary classifier test (evaluate.py -m cls-low / cls-low-normed / cls-high)
// on calo4pq's nn layers: a DNN Linear(in, H) -> LeakyReLU, `layers` x [Linear(H, H) ->
// LeakyReLU], Linear(H, 1) (evaluate.py's defaults: H = 2048, layers = 2, dropout 0), trained
// with BCE-with-logits and Adam (lr 2e-4) in batches of 1000 for up to 50 epochs. Generated
// showers are label 0, reference showers label 1; each class is split 60/20/20 into train / test /
// val (both classes cut to the smaller size: the official script asserts equal sizes). After each
// epoch the test accuracy is measured and the best epoch's weights kept (training stops at test
// accuracy 1, or after `patience` epochs without improvement when patience > 0). The kept model's
// sigmoid outputs are calibrated by isotonic regression fitted on the test set and scored on val:
// AUC and JSD = (ln 2 - BCE) / ln 2.
// Differences from the official run: float32 instead of float64, Philox shuffles (seeded, so runs
// repeat) instead of unseeded numpy ones. Cost per epoch ~ rows x (6 x parameters - 2 x inputs x
// H) flops, the input layer computing no gradient for its input (cls-low with H = 2048: 21.7M
// parameters, 120k training rows: ~1.2e13 flops per epoch).
#include <cstdint>
#include <vector>

#include "host/backend.hpp"
#include "host/eval/classifier_inputs.hpp"

namespace calo::eval {

struct ClassifierOptions {
  int hidden = 2048, layers = 2, epochs = 50, batch_size = 1000, patience = 0;
  float lr = 2e-4f;
  uint64_t seed = 42;
  Backend backend = Backend::cpu;
  int64_t max_per_class = 0;  // > 0: use at most this many showers of each class
};

struct ClassifierResult {
  double auc = 0.5, jsd = 0;                            // calibrated, on val (the reported pair)
  double auc_uncalibrated = 0.5, jsd_uncalibrated = 0;  // raw sigmoid outputs, on val
  double test_accuracy = 0;                             // best epoch's
  int best_epoch = 0, epochs_run = 0;
  int64_t per_class = 0, train_rows = 0, test_rows = 0, val_rows = 0;  // rows per class / split
  int64_t parameters = 0;
  double seconds = 0;
  std::vector<double> train_loss, test_acc;  // per epoch
  std::vector<double> epoch_seconds;         // per epoch: training + test accuracy + best copy
};

ClassifierResult train_classifier(const ClassifierData& generated, const ClassifierData& reference,
                                  const ClassifierOptions& o);

}  // namespace calo::eval
