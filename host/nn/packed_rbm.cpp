#include "host/nn/packed_rbm.hpp"

#include <cstring>

namespace calo::nn {

std::vector<float> pack_rbm(const Rbm& prior) {
  const size_t n = size_t(prior.n());
  std::vector<float> packed;
  packed.reserve(6 * n * n + 4 * n);
  for (const auto& [p, q] : kRbmPairs) {
    const auto& w = prior.weights(p, q);
    packed.insert(packed.end(), w.begin(), w.end());
  }
  for (int p = 0; p < 4; ++p)
    packed.insert(packed.end(), prior.bias(p).begin(), prior.bias(p).end());
  return packed;
}

bool packed_rbm_changed(const std::vector<float>* held, std::span<const float> next) {
  if (!held || held->size() != next.size()) return true;
  return std::memcmp(held->data(), next.data(), next.size() * sizeof(float)) != 0;
}

const Tensor& PackedRbm::on(const Rbm& prior, Backend where) {
  std::vector<float> next = pack_rbm(prior);
  // Before the first copy held_ is empty, which never equals a packed prior (6n^2 + 4n > 0).
  if (tensor_.backend() != where || packed_rbm_changed(&held_, next)) {
    tensor_ = Tensor::from_host({int64_t(next.size())}, next).to(where);
    held_ = std::move(next);
    ++refreshes_;
  }
  return tensor_;
}

}  // namespace calo::nn
