#include "host/nn/prior_training.hpp"

#include "host/error.hpp"
#include "host/latent_layout.hpp"
#include "host/nn/data_parallel.hpp"
#include "host/topology/graph.hpp"
#include "samplers/cd_device.hpp"
#include "samplers/rbm_learning.hpp"

namespace calo::nn {

namespace {
constexpr const char* kPcdChains = "pcd.chains";  // persistent chains in params.bin (0/1 floats)
constexpr uint64_t kPcdSeedTag = 0x50434443ull << 32;  // PCD sweeps use other draws than CD's
}  // namespace

PriorTraining::PriorTraining(const PriorConfig& cfg, int n, Backend backend,
                             dist::Communicator& comm, RowRange mine, int64_t global_batch)
    : cfg_(cfg),
      graph_(parse_topology(cfg.topology)),
      prior_(Rbm::from_graph(graph_, n)),
      // Sharded chains number their draws globally, which the CUDA kernels do not (yet): with
      // several ranks the chains run on the CPU path, which draws the same numbers.
      path_(backend == Backend::cuda && comm.size() == 1 ? GibbsPath::cuda : GibbsPath::cpu_sparse),
      comm_(comm),
      mine_(mine),
      global_batch_(global_batch) {
  prior_.init_random(cfg.seed, cfg.w_std, cfg.b_std);
}

void PriorTraining::restore(const NamedArrays& params, const std::string& where) {
  if (device_ || pcd_device_ || host_stale_)
    fail("PriorTraining::restore after the first update (the checkpoint is read before training)");
  prior_ = Rbm::from_named_arrays(graph_, params);
  const size_t nodes = size_t(prior_.num_nodes());
  for (const auto& [name, v] : params)
    if (name == kPcdChains) {
      if (v.size() != size_t(global_batch_) * nodes)
        fail_input("checkpoint '{}': {} has {} values, expected {} chains x {} nodes", where, name,
                   v.size(), global_batch_, nodes);
      // This rank's window of the global chains (all of them with one rank).
      pcd_chains_.resize(size_t(mine_.count) * nodes);
      for (size_t i = 0; i < pcd_chains_.size(); ++i)
        pcd_chains_[i] = v[size_t(mine_.first) * nodes + i] > 0.5f ? 1 : 0;
    }
}

DeviceRbm* PriorTraining::device() {
  if (path_ != GibbsPath::cuda) return nullptr;
  if (!device_) device_ = std::make_unique<DeviceRbm>(prior_);
  return device_.get();
}

const Rbm& PriorTraining::host() {
  if (device_ && host_stale_) device_->download_to(prior_);
  host_stale_ = false;
  return prior_;
}

const float* PriorTraining::on_device() {
  DeviceRbm* d = device();
  return d ? d->packed() : nullptr;
}

void PriorTraining::update(const Calo4pQVAE& model, std::span<const float> energies, uint64_t step,
                           bool pcd) {
  const int Bl = static_cast<int>(mine_.count), K = comm_.size();
  const int k = cfg_.cd_sweeps;
  const float lr = static_cast<float>(cfg_.learning_rate);
  const uint64_t seed = cfg_.seed ^ (step * 0x9E3779B97F4A7C15ull);
  DeviceRbm* dev = device();
  // The device path reads the posterior where the encoder left it; only the first PCD batch,
  // whose chains start at the data's bits, brings it to the host.
  const Tensor* device_post = dev ? model.last_posterior_on_device() : nullptr;
  if (dev && !device_post)
    fail("the CUDA training step left no posterior on the device for the RBM update");
  const std::vector<float> data =
      device_post && !(pcd && pcd_chains_.empty())
          ? std::vector<float>()
          : LatentLayout(prior_.n()).float_states(energies, model.last_posterior());
  RbmGradient g;
  if (!pcd) {
    if (dev) {
      cd_k_update_device(*dev, prior_, device_post->data(), energies, Bl, k, seed, lr);
      host_stale_ = true;
      return;
    }
    if (K == 1) {
      g = cd_k_gradient(prior_, data, Bl, k, seed, path_);
    } else {
      BlockGibbsSampler chains(prior_, Bl, seed, path_);
      chains.set_chain_window(static_cast<int>(mine_.first), static_cast<int>(global_batch_));
      chains.set_states(chain_start_states(data));
      chains.run(k);
      g = sharded_centred_gradient(comm_, prior_, data, chains.states(), Bl, global_batch_);
    }
  } else {
    if (pcd_chains_.empty())
      pcd_chains_ = chain_start_states(data);  // first PCD batch: at the data
    if (dev) {  // the chains stay on the device; each batch draws as a fresh sampler would
      if (!pcd_device_) {
        pcd_device_ = std::make_unique<BlockGibbsSampler>(prior_, Bl, 0, path_);
        pcd_device_->share_device_graph(dev->graph());
        pcd_device_->set_states(pcd_chains_);
      }
      pcd_device_->restart_draws(seed ^ kPcdSeedTag);
      pcd_device_->clamp_energies(energies);
      pcd_update_device(*dev, *pcd_device_, device_post->data(), energies, Bl, k, lr);
      host_stale_ = true;
      return;
    }
    BlockGibbsSampler chains(prior_, Bl, seed ^ kPcdSeedTag, path_);
    if (K > 1)
      chains.set_chain_window(static_cast<int>(mine_.first), static_cast<int>(global_batch_));
    chains.set_states(pcd_chains_);
    // The model's chains are conditioned on this batch's energies, as its data are.
    chains.clamp_energies(energies);
    if (K == 1) {
      g = pcd_gradient(prior_, chains, data, Bl, k);
    } else {
      chains.set_rbm(prior_);
      chains.run(k);
      g = sharded_centred_gradient(comm_, prior_, data, chains.states(), Bl, global_batch_);
    }
    pcd_chains_ = chains.states();
  }
  apply_gradient(prior_, g, lr, false);
}

NamedArrays PriorTraining::checkpoint_arrays() {
  NamedArrays out = host().to_named_arrays();
  if (pcd_device_) pcd_chains_ = pcd_device_->states();
  if (pcd_chains_.empty()) return out;
  const std::vector<uint8_t> all =
      comm_.size() == 1
          ? pcd_chains_
          : gather_chains(comm_, pcd_chains_, mine_.first, global_batch_, prior_.num_nodes());
  if (comm_.is_root()) out.emplace_back(kPcdChains, std::vector<float>(all.begin(), all.end()));
  return out;
}

}  // namespace calo::nn
