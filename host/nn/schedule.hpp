#pragma once
// Training schedules: linear annealing of the Gumbel inverse temperature beta and of the
// activation-head LeakyReLU slope over epochs; the epoch permutation from Philox.
#include <cstdint>
#include <vector>

namespace calo::nn {

struct LinearSchedule {
  double start = 1.0, end = 1.0;
  int epochs = 1;  // reaches `end` at this epoch and stays there
  double at(double epoch) const {
    if (epochs <= 0) return end;
    const double t = epoch / epochs;
    return t >= 1.0 ? end : start + (end - start) * t;
  }
};

// Fisher-Yates permutation of 0..n-1 with uniforms Philox(seed, stream = epoch-tagged, i).
std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch);

}  // namespace calo::nn
