#include "samplers/device_rbm_graph.hpp"

#include <algorithm>
#include <utility>

#include "host/error.hpp"

namespace calo {

RbmSparseGraph sparse_graph(const Rbm& rbm) {
  const int n = rbm.n(), N = 4 * n;
  std::vector<std::vector<std::pair<int32_t, float>>> adj(static_cast<size_t>(N));
  for (int k = 0; k < 6; ++k) {
    const auto [p, q] = kRbmPairs[size_t(k)];
    const auto& w = rbm.weights(p, q);
    const auto& m = rbm.mask(p, q);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const size_t e = size_t(i) * size_t(n) + size_t(j);
        if (!m[e]) continue;
        adj[size_t(p * n + i)].emplace_back(q * n + j, w[e]);
        adj[size_t(q * n + j)].emplace_back(p * n + i, w[e]);
      }
  }
  RbmSparseGraph s;
  s.offsets.push_back(0);
  for (int i = 0; i < N; ++i) {
    std::sort(adj[size_t(i)].begin(), adj[size_t(i)].end());
    for (const auto& [j, w] : adj[size_t(i)]) {
      s.nbr.push_back(j);
      s.w.push_back(w);
    }
    s.offsets.push_back(int32_t(s.nbr.size()));
    s.bias.push_back(rbm.bias(i / n)[size_t(i % n)]);
  }
  return s;
}

GraphUploadPlan plan_graph_upload(const RbmSparseGraph* on_device, const RbmSparseGraph& next) {
  if (on_device == nullptr) return GraphUploadPlan{true, true, true};
  GraphUploadPlan p;
  p.topology = on_device->offsets != next.offsets || on_device->nbr != next.nbr;
  p.weights = on_device->w != next.w;
  p.bias = on_device->bias != next.bias;
  return p;
}

namespace {
template <typename T>
void upload_resized(DeviceArray<T>& dst, const std::vector<T>& src) {
  if (dst.size() != src.size()) dst = DeviceArray<T>(src.size());
  dst.upload(src);
}
}  // namespace

void DeviceRbmGraph::own_parameters_on_device() {
  if (!present_)
    fail("DeviceRbmGraph: the parameters can be handed to the device only once a copy is there");
  device_owned_ = true;
  mirror_.w.clear();  // no longer a mirror of the device's values
  mirror_.bias.clear();
}

void DeviceRbmGraph::update(const RbmSparseGraph& graph) {
  if (device_owned_) {
    if (graph.offsets != mirror_.offsets || graph.nbr != mirror_.nbr)
      fail(
          "a Gibbs sampler of another RBM graph ({} nodes, {} couplings) was given the device "
          "graph of one with {} nodes, {} couplings",
          graph.bias.size(), graph.nbr.size() / 2, mirror_.offsets.size() - 1,
          mirror_.nbr.size() / 2);
    return;
  }
  const GraphUploadPlan plan = plan_graph_upload(present_ ? &mirror_ : nullptr, graph);
  if (plan.topology) {
    upload_resized(offsets_, graph.offsets);
    upload_resized(nbr_, graph.nbr);
    mirror_.offsets = graph.offsets;
    mirror_.nbr = graph.nbr;
    ++uploads_.topology;
  }
  if (plan.weights) {
    upload_resized(w_, graph.w);
    mirror_.w = graph.w;
    ++uploads_.weights;
  }
  if (plan.bias) {
    upload_resized(bias_, graph.bias);
    mirror_.bias = graph.bias;
    ++uploads_.bias;
  }
  present_ = true;
}

}  // namespace calo
