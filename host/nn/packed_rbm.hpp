#pragma once
// The KL terms' copy of an RBM prior held on the host (host/nn/losses.hpp kl_terms), in the packed
// layout of kernels/rbm/packed_layout.hpp (Rbm::pack; 2.2 MB at the dataset2_zephyr size), on the
// model's backend and replaced only when the prior changed since. It serves the steps whose prior
// is trained on the host (several CUDA ranks) and callers outside the trainer; the one-rank CUDA
// trainer passes the parameters its DeviceRbm keeps on the device instead
// (samplers/device_rbm.hpp).
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
