#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "host/backend.hpp"
#include "samplers/rbm.hpp"

namespace calo {

class PriorSampler {
 public:
  virtual ~PriorSampler() = default;
  // one latent state (4n uint8, partition order, partition 0 = energy_code(E)) per energy
  virtual std::vector<uint8_t> sample(const Rbm&, std::span<const float> energies_mev,
                                      uint64_t seed) = 0;
  virtual std::string name() const = 0;
};

std::unique_ptr<PriorSampler> make_gibbs_prior_sampler(Backend backend, int sweeps,
                                                       float beta = 1.0f);

}  // namespace calo
