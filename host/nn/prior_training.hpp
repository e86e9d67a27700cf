#pragma once
// The RBM prior's training beside the VAE (research/caloqvae.md section 6): after each batch the
// centred gradient of the batch's (energy code, posterior) rows against Gibbs chains steps the
// prior by prior.learning_rate, the partition-0 biases fixed (those units are always clamped).
// CD-k chains start at the data; PCD chains (prior.chains: persistent, or the frozen phase)
// persist across batches and checkpoints, partition 0 re-clamped to each batch's energy codes.
// Every draw is seeded by the global step, so a resumed run repeats the updates exactly.
//
// Where it runs: with CUDA and one rank the prior, its chains and the whole update stay on the
// device (samplers/device_rbm.hpp, samplers/cd_device.hpp), and the host copy is brought up to
// date only when read (host()). With several ranks each runs the chains of its slice of every
// batch on the CPU path (numbered globally, so the draws are those of one process) and the moment
// sums are added over the ranks.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "host/dist/communicator.hpp"
#include "host/nn/checkpoint.hpp"
#include "host/nn/model.hpp"
#include "host/nn/train_config.hpp"
#include "host/split.hpp"
#include "samplers/device_rbm.hpp"
#include "samplers/gibbs.hpp"
#include "samplers/rbm.hpp"

namespace calo::nn {

class PriorTraining {
 public:
  // A prior initialised from cfg (seed, spreads) with n nodes per partition; this rank runs the
  // chains of `mine` of every global batch of `global_batch` rows.
  PriorTraining(const PriorConfig& cfg, int n, Backend backend, dist::Communicator& comm,
                RowRange mine, int64_t global_batch);
  // The prior and the persistent chains (if stored) of a checkpoint's arrays; before any step.
  void restore(const NamedArrays& params, const std::string& where);
  // The host copy of the prior, current (on the device path: one download after updates there).
  const Rbm& host();
  // The host copy as it stands: current off the device path; on it, for its size and graph only
  // (the KL terms read on_device() there), without a download.
  const Rbm& held() const { return prior_; }
  // The packed parameters on the device for the model's KL terms (nullptr off the device path).
  const float* on_device();
  // One update on the batch the model just ran (its posterior, `energies` this rank's rows).
  void update(const Calo4pQVAE& model, std::span<const float> energies, uint64_t step, bool pcd);
  // The prior's arrays and the persistent chains of every rank, for the checkpoint (a
  // collective: every rank calls it; the chains are complete on the root).
  NamedArrays checkpoint_arrays();
  GibbsPath gibbs_path() const { return path_; }

 private:
  DeviceRbm* device();  // the device prior (made at first use), or nullptr
  PriorConfig cfg_;
  QubitGraph graph_;
  Rbm prior_;
  GibbsPath path_;
  dist::Communicator& comm_;
  RowRange mine_;
  int64_t global_batch_;
  // Chain-major (rows x 4n) persistent chains; empty until the first PCD batch starts them at its
  // data. On the device path they live in pcd_device_ from then on and come down for checkpoints.
  std::vector<uint8_t> pcd_chains_;
  std::unique_ptr<BlockGibbsSampler> pcd_device_;
  std::unique_ptr<DeviceRbm> device_;
  bool host_stale_ = false;  // device updates not yet in prior_
};

}  // namespace calo::nn
