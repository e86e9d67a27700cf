#include "host/eval/isotonic.hpp"

#include <algorithm>
#include <numeric>

#include "host/error.hpp"

namespace calo::eval {

void IsotonicCalibrator::fit(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.empty())
    fail_input("isotonic calibration: need equally many (> 0) scores and labels (got {} and {})",
               x.size(), y.size());
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  // unique x, mean y and weight (count) per unique x
  std::vector<double> ux, uy, w;
  for (size_t i : order) {
    if (!ux.empty() && x[i] == ux.back()) {
      uy.back() += y[i];
      w.back() += 1;
    } else {
      ux.push_back(x[i]);
      uy.push_back(y[i]);
      w.push_back(1);
    }
  }
  for (size_t i = 0; i < ux.size(); ++i) uy[i] /= w[i];
  // pool adjacent violators: blocks of (weighted mean, weight, first index)
  std::vector<double> bm, bw;
  std::vector<size_t> bstart;
  for (size_t i = 0; i < ux.size(); ++i) {
    bm.push_back(uy[i]);
    bw.push_back(w[i]);
    bstart.push_back(i);
    while (bm.size() > 1 && bm[bm.size() - 2] >= bm.back()) {
      const double wsum = bw[bw.size() - 2] + bw.back();
      const double m = (bm[bm.size() - 2] * bw[bw.size() - 2] + bm.back() * bw.back()) / wsum;
      bm.pop_back();
      bw.pop_back();
      bstart.pop_back();
      bm.back() = m;
      bw.back() = wsum;
    }
  }
  xs_ = ux;
  ys_.assign(ux.size(), 0.0);
  for (size_t b = 0; b < bm.size(); ++b) {
    const size_t end = b + 1 < bm.size() ? bstart[b + 1] : ux.size();
    for (size_t i = bstart[b]; i < end; ++i) ys_[i] = std::clamp(bm[b], y_min_, y_max_);
  }
}

double IsotonicCalibrator::predict(double x) const {
  CALO_ASSERT(!xs_.empty());
  if (x <= xs_.front()) return ys_.front();
  if (x >= xs_.back()) return ys_.back();
  const auto it = std::upper_bound(xs_.begin(), xs_.end(), x);
  const size_t hi = static_cast<size_t>(it - xs_.begin()), lo = hi - 1;
  const double t = (x - xs_[lo]) / (xs_[hi] - xs_[lo]);
  return ys_[lo] + t * (ys_[hi] - ys_[lo]);
}

std::vector<double> IsotonicCalibrator::predict(const std::vector<double>& x) const {
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = predict(x[i]);
  return out;
}

}  // namespace calo::eval
