#pragma once
// Binary-classifier scores: ROC AUC (scikit-learn roc_auc_score: the Mann-Whitney statistic with
// tied scores counted one half), mean binary cross-entropy (torch BCELoss, logs clamped at -100;
// BCEWithLogitsLoss for logits) and the CaloChallenge JSD estimate (ln 2 - BCE) / ln 2.
#include <vector>

namespace calo::eval {

// labels are 0 or 1; fails unless both classes are present.
double roc_auc(const std::vector<double>& scores, const std::vector<double>& labels);
double bce_probabilities(const std::vector<double>& p, const std::vector<double>& labels);
double bce_logits(const std::vector<double>& logits, const std::vector<double>& labels);
double jsd_from_bce(double bce);

}  // namespace calo::eval
