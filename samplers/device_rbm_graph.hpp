#pragma once
// The RBM's sparse graph as the Gibbs kernels read it (CSR over the 4n nodes) and its device copy.
// The copy is refreshed part by part: the topology (offsets, neighbours) is fixed by the masks and
// goes up once, the weights and biases after each learning update that changed them. Training
// and generation share one DeviceRbmGraph across their samplers (BlockGibbsSampler::
// share_device_graph), so a batch no longer re-uploads the graph it already sent.
#include <cstdint>
#include <vector>

#include "host/device_memory.hpp"
#include "samplers/rbm.hpp"

namespace calo {

struct RbmSparseGraph {
  std::vector<int32_t> offsets,
      nbr;                     // CSR: node i's neighbours are nbr[offsets[i] .. offsets[i+1])
  std::vector<float> w, bias;  // w beside nbr; bias per node
};

// Moment sums of a batch of states restricted to the couplings: mu per node and pair per CSR
// entry of the graph (samplers/cd_device.hpp computes them; the learning gradient reads them).
struct CouplingMomentSums {
  std::vector<double> mu, pair;
};

// The CSR graph of the RBM's couplings, each node's neighbours ascending, with their weights and
// the node biases.
RbmSparseGraph sparse_graph(const Rbm& rbm);

// Which parts of `next` the device copy lacks (on_device == nullptr: there is none yet).
struct GraphUploadPlan {
  bool topology = false, weights = false, bias = false;
};
GraphUploadPlan plan_graph_upload(const RbmSparseGraph* on_device, const RbmSparseGraph& next);

class DeviceRbmGraph {
 public:
  // Makes the device copy equal to `graph`, uploading only what plan_graph_upload says changed.
  // Once the parameters are owned by the device (below), only the topology is compared: a graph
  // of another topology is an error, and the host's weights and biases are not read.
  void update(const RbmSparseGraph& graph);
  // From now on the weights and biases are written on the device (DeviceRbm, samplers/
  // device_rbm.hpp, refreshes them after each learning update on the device): a sampler's host
  // copy of them may be stale and is never uploaded over them. Needs a copy present.
  void own_parameters_on_device();
  bool parameters_on_device() const { return device_owned_; }
  float* device_w() { return w_.data(); }
  float* device_bias() { return bias_.data(); }
  const int32_t* offsets() const { return offsets_.data(); }
  const int32_t* nbr() const { return nbr_.data(); }
  const float* w() const { return w_.data(); }
  const float* bias() const { return bias_.data(); }

  // Uploads so far, per part: what the tests check the once-per-update promise against.
  struct Uploads {
    uint64_t topology = 0, weights = 0, bias = 0;
  };
  const Uploads& uploads() const { return uploads_; }

 private:
  bool present_ = false, device_owned_ = false;
  RbmSparseGraph mirror_;  // host copy of what the device holds
  DeviceArray<int32_t> offsets_, nbr_;
  DeviceArray<float> w_, bias_;
  Uploads uploads_;
};

}  // namespace calo
