#include "host/eval/roc.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "host/error.hpp"

namespace calo::eval {

double roc_auc(const std::vector<double>& scores, const std::vector<double>& labels) {
  if (scores.size() != labels.size())
    fail("roc_auc: {} scores, {} labels", scores.size(), labels.size());
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0, n1 = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mid = 0.5 * static_cast<double>(i + 1 + j);  // mean of ranks i+1 .. j
    for (size_t t = i; t < j; ++t)
      if (labels[order[t]] > 0.5) {
        rank_sum += mid;
        n1 += 1;
      }
    i = j;
  }
  const double n0 = static_cast<double>(scores.size()) - n1;
  if (n1 == 0 || n0 == 0)
    fail_input("roc_auc: need showers of both classes (got {} reference, {} generated)", n1, n0);
  return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0);
}

double bce_probabilities(const std::vector<double>& p, const std::vector<double>& labels) {
  CALO_ASSERT(p.size() == labels.size() && !p.empty());
  double s = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double lp = std::max(std::log(p[i]), -100.0), lq = std::max(std::log1p(-p[i]), -100.0);
    s -= labels[i] * lp + (1 - labels[i]) * lq;
  }
  return s / static_cast<double>(p.size());
}

double bce_logits(const std::vector<double>& logits, const std::vector<double>& labels) {
  CALO_ASSERT(logits.size() == labels.size() && !logits.empty());
  double s = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double z = logits[i];
    s += std::max(z, 0.0) - z * labels[i] + std::log1p(std::exp(-std::abs(z)));
  }
  return s / static_cast<double>(logits.size());
}

double jsd_from_bce(double bce) {
  return (std::log(2.0) - bce) / std::log(2.0);
}

}  // namespace calo::eval
