#pragma once
// The RBM prior as the KL terms of the loss read it (host/nn/losses.hpp kl_terms): the six
// coupling matrices in kRbmPairs order (n x n each), then the biases b_0..b_3, 6n^2 + 4n floats
// (2.2 MB at the dataset2_zephyr size). The CUDA training step keeps one copy on the device and
// replaces it only when the prior changed since (once per RBM update; the validation batches and
// a frozen-prior step upload nothing), as DeviceRbmGraph does for the samplers' sparse graph.
#include <cstdint>
#include <span>
#include <vector>

#include "host/tensor.hpp"
#include "samplers/rbm.hpp"

namespace calo::nn {

// Whether the copy made from `held` (nullptr: none yet) must be replaced to equal `next`: the
// sizes or any value's bits differ (so a NaN, or -0 against 0, counts as a change too).
bool packed_rbm_changed(const std::vector<float>* held, std::span<const float> next);

class PackedRbm {
 public:
  // The packed prior on `where`, refreshed only when packed_rbm_changed says so.
  const Tensor& on(const Rbm& prior, Backend where);
  // Copies made so far (uploads on the device): what the once-per-update promise is tested on.
  uint64_t refreshes() const { return refreshes_; }

 private:
  std::vector<float> held_;  // the values `tensor_` holds (empty: no copy yet)
  Tensor tensor_;
  uint64_t refreshes_ = 0;
};

}  // namespace calo::nn
