#pragma once
// The RBM prior's parameters kept on the device through CUDA training, so the learning update
// sends nothing to the host: the packed parameters (kernels/rbm/packed_layout.hpp) that the KL
// terms read, and the Gibbs kernels' sparse graph (a DeviceRbmGraph whose weights and biases this
// writes). Each update takes the data's and the chains' moment sums, made on the device
// (samplers/cd_device.hpp), forms the centred gradient there and steps the parameters there; the
// host Rbm is brought up to date only when asked (checkpoints, the files and logs of an epoch).
// Every step of the update is a CALO_HD function (kernels/rbm/centred_math.hpp) that
// centred_update_reference runs on the host, and that equals centred_gradient + apply_gradient
// (samplers/rbm_learning.hpp) bit for bit.
#include <cstdint>
#include <memory>
#include <span>

#include "host/device_memory.hpp"
#include "kernels/rbm/centred_math.hpp"
#include "samplers/device_rbm_graph.hpp"
#include "samplers/rbm.hpp"

namespace calo {

// Moment sums on the device over a graph's couplings, and how many rows they sum.
struct DeviceMomentSums {
  DeviceArray<double> mu, pair;
  int64_t rows = 0;
  MomentSumsView view() const { return {mu.data(), pair.data(), rows}; }
};

class DeviceRbm {
 public:
  // Uploads the parameters and the graph (once); the graph's parameters are the device's from
  // then on (DeviceRbmGraph::own_parameters_on_device).
  explicit DeviceRbm(const Rbm& rbm);
  int n() const { return n_; }
  const float* packed() const { return packed_.data(); }
  // The sparse graph, for the samplers of this RBM (BlockGibbsSampler::share_device_graph).
  const std::shared_ptr<DeviceRbmGraph>& graph() const { return graph_; }
  // Buffers for the moment sums of the data rows and of the chains, sized for this graph.
  DeviceMomentSums& data_sums() { return data_; }
  DeviceMomentSums& model_sums() { return model_; }
  // theta += lr * (centred gradient of data_sums() against model_sums()), the partition-0
  // biases only if update_bias0; then the sparse graph is refreshed from the new parameters.
  void apply_centred_update(float lr, bool update_bias0);
  // The host RBM's weights and biases set to the device's (one download of 6n^2 + 4n floats).
  void download_to(Rbm& rbm) const;
  uint64_t updates() const { return updates_; }

 private:
  int n_;
  DeviceArray<float> packed_;
  std::shared_ptr<DeviceRbmGraph> graph_;
  DeviceMomentSums data_, model_;
  DeviceArray<double> dw_;  // coupling gradients, one per CSR entry
  uint64_t updates_ = 0;
};

// The update of apply_centred_update on host arrays: `packed` (6n^2 + 4n) stepped in place from
// the sums over `graph`'s couplings.
void centred_update_reference(const RbmSparseGraph& graph, int n, MomentSumsView data,
                              MomentSumsView model, std::span<float> packed, float lr,
                              bool update_bias0);
// The sparse graph's weights and biases read from the packed parameters (the device refresh).
void sparse_from_packed(RbmSparseGraph& graph, int n, std::span<const float> packed);

}  // namespace calo
