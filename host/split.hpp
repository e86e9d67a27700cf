#pragma once
// Train / validation / test split, sequential over the file as the reference does (no shuffling of
// the file; training batches are shuffled by the trainer).
#include <cstdint>

namespace calo {

struct RowRange {
  int64_t first = 0;
  int64_t count = 0;
};

struct DataSplit {
  RowRange train, validation, test;
};

// Fractions must be >= 0 and sum to <= 1; the validation set takes the remainder.
// Every non-empty fraction gets at least one row when n allows.
DataSplit split_rows(int64_t n, double train_fraction, double test_fraction);

}  // namespace calo
