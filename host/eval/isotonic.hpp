#pragma once
// Isotonic calibration with scikit-learn's IsotonicRegression semantics (increasing, y_min/y_max
// clipping, out_of_bounds='clip'), as CaloChallenge evaluate.py calibrates its classifiers:
// fit() sorts by x, averages y over equal x, runs pool-adjacent-violators with the counts as
// weights and clips to [y_min, y_max]; predict() interpolates linearly between the fitted points
// (np.interp) after clipping x to the fitted range.
#include <vector>

namespace calo::eval {

class IsotonicCalibrator {
 public:
  IsotonicCalibrator(double y_min, double y_max) : y_min_(y_min), y_max_(y_max) {}
  void fit(const std::vector<double>& x, const std::vector<double>& y);
  double predict(double x) const;
  std::vector<double> predict(const std::vector<double>& x) const;
  const std::vector<double>& thresholds_x() const { return xs_; }
  const std::vector<double>& thresholds_y() const { return ys_; }

 private:
  double y_min_, y_max_;
  std::vector<double> xs_, ys_;  // unique sorted x and their fitted values
};

}  // namespace calo::eval
