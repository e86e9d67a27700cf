#include "host/nn/schedule.hpp"

#include <numeric>

#include "kernels/philox.hpp"

namespace calo::nn {

std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t{0});
  const uint64_t stream = (uint64_t{0x5348} << 32) + static_cast<uint64_t>(epoch);
  for (int64_t i = n - 1; i > 0; --i) {
    const float u = uniform(seed, stream, static_cast<uint64_t>(i));  // (0, 1)
    int64_t j = static_cast<int64_t>(static_cast<double>(u) * static_cast<double>(i + 1));
    if (j > i) j = i;
    std::swap(p[size_t(i)], p[size_t(j)]);
  }
  return p;
}

}  // namespace calo::nn
