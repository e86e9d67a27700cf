#include "samplers/prior_sampler.hpp"

#include <memory>

#include "host/error.hpp"
#include "samplers/gibbs.hpp"

namespace calo {

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
    // Chain i of this call is chain first_event + i of one virtual sampler over every event.
    g.set_chain_window(int(first_event), int(kMaxPriorEvents));
    g.randomize(seed ^ 0xA5A5A5A5A5A5A5A5ull);
    g.clamp_energies(energies_mev);
    g.run(sweeps_, beta_);
    return g.states();
  }
  std::string name() const override { return "gibbs-" + to_string(backend_); }

 private:
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
