#include "samplers/device_rbm_graph.hpp"

namespace calo {

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

void DeviceRbmGraph::update(const RbmSparseGraph& graph) {
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
