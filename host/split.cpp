#include "host/split.hpp"

#include <cmath>

#include "host/error.hpp"

namespace calo {

DataSplit split_rows(int64_t n, double train_fraction, double test_fraction) {
  if (n <= 0) fail_input("cannot split an empty data set");
  if (train_fraction <= 0 || test_fraction < 0 || train_fraction + test_fraction > 1.0 + 1e-12) {
    fail_input("split fractions train={} test={} must be > 0, >= 0 and sum to <= 1", train_fraction, test_fraction);
  }
  DataSplit s;
  s.train = {0, static_cast<int64_t>(std::floor(train_fraction * n))};
  if (s.train.count == 0) s.train.count = 1;
  int64_t test = static_cast<int64_t>(std::floor(test_fraction * n));
  if (test_fraction > 0 && test == 0 && n - s.train.count > 1) test = 1;
  if (s.train.count + test > n) test = n - s.train.count;
  s.test = {s.train.count, test};
  s.validation = {s.train.count + test, n - s.train.count - test};
  return s;
}

}  // namespace calo
