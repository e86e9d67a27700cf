#include "qpu/qpu_prior_sampler.hpp"

#include "host/error.hpp"

namespace calo::qpu {

RbmParams rbm_params(const Rbm& rbm) {
  RbmParams r;
  r.n = rbm.n();
  const size_t n = size_t(r.n);
  for (int p = 0; p < 4; ++p) {
    const auto& b = rbm.bias(p);
    if (b.size() != n) fail_input("RBM partition {} has {} biases, expected {}", p, b.size(), n);
    r.bias[size_t(p)].assign(b.begin(), b.end());
    for (int64_t q : rbm.qubits(p)) r.qubit[size_t(p)].push_back(int(q));
    for (int q = p + 1; q < 4; ++q) {
      const auto& w = rbm.weights(p, q);
      const auto& mask = rbm.mask(p, q);
      auto& out = r.weights[size_t(p)][size_t(q)];
      out.assign(n * n, 0.0);
      for (size_t k = 0; k < n * n && k < w.size(); ++k)
        if (k < mask.size() && mask[k]) out[k] = w[k];
    }
  }
  return r;
}

namespace {
class QpuPriorSampler final : public PriorSampler {
 public:
  explicit QpuPriorSampler(const QpuOptions& o) : sampler_(o) {}
  std::vector<uint8_t> sample(const Rbm& rbm, std::span<const float> energies_mev, uint64_t,
                              int64_t) override {
    // The annealer has no seed: runs are not reproducible, unlike the classical samplers.
    return sampler_.sample(rbm_params(rbm), energies_mev);
  }
  std::string name() const override { return "qpu"; }

 private:
  QpuSampler sampler_;
};
}  // namespace

}  // namespace calo::qpu

namespace calo {

std::unique_ptr<PriorSampler> make_qpu_prior_sampler(const QpuOptions& options) {
  if (options.num_reads != 1)
    fail_input("the QPU prior returns one state per shower: num_reads must be 1, got {}",
               options.num_reads);
  return std::make_unique<qpu::QpuPriorSampler>(options);
}

}  // namespace calo
