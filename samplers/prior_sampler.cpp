#include "samplers/prior_sampler.hpp"

#include <memory>

#include "host/error.hpp"
#include "kernels/rbm/random_chains_launch.hpp"
#include "samplers/gibbs.hpp"

namespace calo {

DeviceLatents PriorSampler::sample_device(const Rbm& rbm, std::span<const float> energies_mev,
                                          uint64_t seed, int64_t first_event) {
  return DeviceLatents::upload(sample(rbm, energies_mev, seed, first_event), rbm.n());
}

namespace {

class GibbsPriorSampler final : public PriorSampler {
 public:
  GibbsPriorSampler(Backend backend, int sweeps, float beta)
      : backend_(backend), sweeps_(sweeps), beta_(beta) {
    if (sweeps < 1) fail_input("Gibbs prior sampler: sweeps = {} must be >= 1", sweeps);
    require_backend(backend);
  }
  std::vector<uint8_t> sample(const Rbm& rbm, std::span<const float> energies_mev, uint64_t seed,
                              int64_t first_event) override {
    if (energies_mev.empty()) return {};
    BlockGibbsSampler g = sampler(rbm, energies_mev, seed, first_event);
    g.randomize(start_seed(seed));
    g.clamp_energies(energies_mev);
    g.run(sweeps_, beta_);
    return g.states();
  }
  DeviceLatents sample_device(const Rbm& rbm, std::span<const float> energies_mev, uint64_t seed,
                              int64_t first_event) override {
    if (backend_ != Backend::cuda || energies_mev.empty())
      return PriorSampler::sample_device(rbm, energies_mev, seed, first_event);
    BlockGibbsSampler g = sampler(rbm, energies_mev, seed, first_event);
    // randomize()'s start, drawn on the device (kernels/rbm/random_chains_math.hpp); the clamp
    // then runs there too, so of the states nothing crosses.
    const int64_t chains = g.chains();
    {
      DeviceArray<uint8_t> start(4 * size_t(rbm.n()) * size_t(chains));
      random_chain_states_cuda(start.data(), rbm.n(), chains, start_seed(seed), first_event,
                               kMaxPriorEvents);
      g.set_states_device(start.data());
    }
    g.clamp_energies(energies_mev);
    g.run(sweeps_, beta_);
    return DeviceLatents::copy_of(g.device_states(), rbm.n(), chains);
  }
  std::string name() const override { return "gibbs-" + to_string(backend_); }

 private:
  static uint64_t start_seed(uint64_t seed) { return seed ^ 0xA5A5A5A5A5A5A5A5ull; }
  // A sampler of chains first_event .. of one virtual sampler over every event of the job.
  BlockGibbsSampler sampler(const Rbm& rbm, std::span<const float> energies_mev, uint64_t seed,
                            int64_t first_event) {
    const int64_t count = static_cast<int64_t>(energies_mev.size());
    if (first_event < 0 || first_event + count > kMaxPriorEvents)
      fail_input("prior sampler: events {}..{} are outside the {} a job can number (split the job)",
                 first_event, first_event + count - 1, kMaxPriorEvents);
    BlockGibbsSampler g(rbm, int(count), seed,
                        backend_ == Backend::cuda ? GibbsPath::cuda : GibbsPath::cpu_sparse);
    // A job's blocks share one device graph: the RBM goes up once, not once per block.
    if (backend_ == Backend::cuda) {
      if (!graph_) graph_ = std::make_shared<DeviceRbmGraph>();
      g.share_device_graph(graph_);
    }
    g.set_chain_window(int(first_event), int(kMaxPriorEvents));
    return g;
  }
  Backend backend_;
  int sweeps_;
  float beta_;
  std::shared_ptr<DeviceRbmGraph> graph_;  // CUDA: the RBM's device copy across sample() calls
};

}  // namespace

std::unique_ptr<PriorSampler> make_gibbs_prior_sampler(Backend backend, int sweeps, float beta) {
  return std::make_unique<GibbsPriorSampler>(backend, sweeps, beta);
}

}  // namespace calo
