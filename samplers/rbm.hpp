#pragma once
// 4-partite RBM on a qubit graph: partitions of n nodes, per-pair weight blocks masked by couplers,
// partition 0 clamped to the energy code (kernels/transform.hpp energy_code).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/topology/graph.hpp"
#include "kernels/rbm/packed_layout.hpp"

namespace calo {

constexpr std::array<std::pair<int, int>, 6> kRbmPairs = {
    {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}}};

class Rbm {
 public:
  Rbm() = default;
  // Partitions by four_color, ascending qubit index, each truncated to nodes_per_partition (a
  // partition with fewer qubits is an InputError). Zero weights and biases.
  static Rbm from_graph(const QubitGraph& g, int nodes_per_partition);
  // Explicit qubit lists per partition (each of size n, qubits of g).
  static Rbm from_partitions(const QubitGraph& g,
                             const std::array<std::vector<int64_t>, 4>& qubits);
  void init_random(uint64_t seed, const std::array<float, 6>& w_std, float b_std);

  int n() const { return n_; }
  int num_nodes() const { return 4 * n_; }
  const QubitGraph& graph() const { return graph_; }

  // dense n x n row-major block W_pq (rows: partition p slot, cols: partition q slot), p < q
  std::vector<float>& weights(int p, int q) { return w_[size_t(rbm_pair_index(p, q))]; }
  const std::vector<float>& weights(int p, int q) const { return w_[size_t(rbm_pair_index(p, q))]; }
  const std::vector<uint8_t>& mask(int p, int q) const {
    return mask_[size_t(rbm_pair_index(p, q))];
  }
  std::vector<float>& bias(int p) { return b_[size_t(p)]; }
  const std::vector<float>& bias(int p) const { return b_[size_t(p)]; }
  int64_t qubit(int p, int slot) const { return qubits_[size_t(p)][size_t(slot)]; }
  const std::vector<int64_t>& qubits(int p) const { return qubits_[size_t(p)]; }
  std::optional<std::pair<int, int>> slot_of(int64_t qubit) const;
  // Zeroes masked weight entries (after an update).
  void apply_mask();
  // The parameters as one flat array (kernels/rbm/packed_layout.hpp) and back; unpack checks the
  // size and that masked couplings are 0 (a packed array made for another graph is an error).
  std::vector<float> pack() const;
  void unpack(std::span<const float> packed);

  // E(z) = -sum b.z - sum z_p W_pq z_q, z = 4n values in partition order
  double energy(const uint8_t* z) const;
  double energy_conditional(const uint8_t* z) const;  // without the partition-0 bias term

  void save(const std::string& path) const;  // HDF5, written atomically
  static Rbm load(const std::string& path);
  // Named float arrays for the model checkpoint (host/nn/checkpoint.hpp params.bin):
  // <prefix>qubits_<p> (n, qubit labels as exact floats), <prefix>bias_<p> (n),
  // <prefix>weights_<pq> (n x n). from_named_arrays rebuilds the RBM on graph `g`, checking masks.
  std::vector<std::pair<std::string, std::vector<float>>> to_named_arrays(
      const std::string& prefix = "prior.") const;
  static Rbm from_named_arrays(
      const QubitGraph& g, const std::vector<std::pair<std::string, std::vector<float>>>& arrays,
      const std::string& prefix = "prior.");

 private:
  void build_masks();
  QubitGraph graph_;
  int n_ = 0;
  std::array<std::vector<int64_t>, 4> qubits_;
  std::unordered_map<int64_t, std::pair<int, int>> slot_;
  std::array<std::vector<float>, 6> w_;
  std::array<std::vector<uint8_t>, 6> mask_;
  std::array<std::vector<float>, 4> b_;
};

}  // namespace calo
