#pragma once
// Persistent-chain block Gibbs sampler for the 4-partite RBM with partition 0 clamped.
// States: chains x 4n uint8 (chain-major, partition order) at the interface; internally
// node-major with chains contiguous. RNG: Philox(seed, kGibbsStream, gibbs_rng_index(...)), the
// same on every path, so CPU sparse, CPU dense and CUDA give the same chains (dense up to float
// summation order).
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "host/backend.hpp"
#include "host/device_memory.hpp"
#include "kernels/rbm/gibbs_launch.hpp"
#include "samplers/device_rbm_graph.hpp"
#include "samplers/rbm.hpp"

namespace calo {

enum class GibbsPath { cpu_sparse, cpu_dense, cuda };

class BlockGibbsSampler {
 public:
  BlockGibbsSampler(const Rbm& rbm, int chains, uint64_t seed,
                    GibbsPath path = GibbsPath::cpu_sparse);
  // Re-reads the RBM parameters (after a learning update); keeps the chain states. On the CUDA
  // path the graph goes up at the next run(), and only the parts that changed.
  void set_rbm(const Rbm& rbm);
  // CUDA path: keep the device graph in `graph`, shared with other samplers of the same RBM (the
  // trainer's per-batch samplers, a generation job's blocks), so what is already on the device is
  // not uploaded again. No effect on the CPU paths or with a null graph.
  void share_device_graph(std::shared_ptr<DeviceRbmGraph> graph);
  // Initial states: chain-major chains x 4n. Partition 0 of each chain is the clamp.
  void set_states(std::span<const uint8_t> states);
  // CUDA path: initial states from device memory, node-major 4n x chains (a device copy; the
  // host copy is fetched only if the host reads the states).
  void set_states_device(const uint8_t* node_major);
  // CUDA path: the device states (node-major 4n x chains) and graph, current after run().
  const uint8_t* device_states() const;
  const DeviceRbmGraph& device_graph() const;
  // Clamp partition 0 of every chain to energy_code(energies[c]). On the CUDA path with the
  // states on the device it runs there (only the energies go up).
  void clamp_energies(std::span<const float> energies_mev);
  // The draws of a fresh sampler with this seed from here on (seed, sweep counter 0); the states
  // stay. The trainer's persistent CUDA chains take each batch's seed this way.
  void restart_draws(uint64_t seed);
  // Random (Bernoulli 1/2) free partitions.
  void randomize(uint64_t seed);
  // Data-parallel shards: these chains are chains first .. first + chains() - 1 of a global set of
  // `total`, and every random draw (sweeps, randomize) is the one that chain gets in one sampler
  // of `total` chains. Default: first 0 of chains(). Every path (CPU and CUDA).
  void set_chain_window(int first, int total);
  // `sweeps` sweeps over partitions 1, 2, 3 at inverse temperature beta.
  void run(int sweeps, float beta = 1.0f);
  std::vector<uint8_t> states() const;  // chain-major chains x 4n
  int chains() const { return chains_; }
  int n() const { return n_; }
  uint64_t sweeps_done() const { return sweep_; }
  GibbsPath path() const { return path_; }

  // Sparse neighbour lists (CSR over the 4n nodes, neighbours as node indices).
  using Sparse = RbmSparseGraph;
  const Sparse& sparse() const { return sp_; }

 private:
  void run_cpu_sparse(int sweeps, float beta);
  void run_cpu_dense(int sweeps, float beta);
  void run_cuda(int sweeps, float beta);
  // CUDA path: the graph and the states stay on the device between run() calls; host z_ is
  // brought up to date only when the host reads or writes states.
  void host_states_current() const;
  const Rbm* rbm_ = nullptr;
  int chains_, n_;
  int first_chain_ = 0, total_chains_;
  uint64_t seed_, sweep_ = 0;
  GibbsPath path_;
  Sparse sp_;
  mutable std::vector<uint8_t> z_;  // node-major: z_[node * chains + c]
  // CUDA path: brought up to sp_ at every run() (a cheap host comparison; a shared graph may
  // hold another sampler's parameters).
  std::shared_ptr<DeviceRbmGraph> graph_;
  DeviceArray<uint8_t> d_z_;
  // Which copy of the states has changes the other lacks (CUDA path only).
  enum class Newer { neither, host, device };
  mutable Newer newer_ = Newer::host;
};

}  // namespace calo
