#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "host/backend.hpp"
#include "samplers/device_latents.hpp"
#include "samplers/rbm.hpp"

namespace calo {

// Global event indices the classical prior numbers its random draws by (one virtual Gibbs chain
// per event of a job): a generation job holds fewer events.
constexpr int64_t kMaxPriorEvents = int64_t(1) << 30;

class PriorSampler {
 public:
  virtual ~PriorSampler() = default;
  // One latent state (4n uint8, partition order, partition 0 = energy_code(E)) per energy. The
  // showers are events first_event .. first_event + energies - 1 of a job: the classical samplers'
  // draws for event i depend only on (seed, i), so a job gives the same states however it is cut
  // into batches or ranks. first_event + energies <= kMaxPriorEvents.
  virtual std::vector<uint8_t> sample(const Rbm&, std::span<const float> energies_mev,
                                      uint64_t seed, int64_t first_event) = 0;
  std::vector<uint8_t> sample(const Rbm& rbm, std::span<const float> energies_mev, uint64_t seed) {
    return sample(rbm, energies_mev, seed, 0);
  }
  // The same states left on the device (node-major, DeviceLatents), for the CUDA generator. The
  // default samples on the host and uploads them (the QPU sampler, the CPU Gibbs); the CUDA Gibbs
  // sampler starts, clamps and runs its chains there, so only the energies go up.
  virtual DeviceLatents sample_device(const Rbm& rbm, std::span<const float> energies_mev,
                                      uint64_t seed, int64_t first_event);
  virtual std::string name() const = 0;
};

std::unique_ptr<PriorSampler> make_gibbs_prior_sampler(Backend backend, int sweeps,
                                                       float beta = 1.0f);

}  // namespace calo
