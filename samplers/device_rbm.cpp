#include "samplers/device_rbm.hpp"

#include <vector>

#include "host/error.hpp"
#include "kernels/rbm/rbm_update_launch.hpp"

namespace calo {

DeviceRbm::DeviceRbm(const Rbm& rbm)
    : n_(rbm.n()),
      packed_(DeviceArray<float>::from_host(rbm.pack())),
      graph_(std::make_shared<DeviceRbmGraph>()) {
  const RbmSparseGraph graph = sparse_graph(rbm);
  graph_->update(graph);
  graph_->own_parameters_on_device();
  const size_t nodes = graph.bias.size(), entries = graph.nbr.size();
  dw_ = DeviceArray<double>(entries);
  for (DeviceMomentSums* s : {&data_, &model_}) {
    s->mu = DeviceArray<double>(nodes);
    s->pair = DeviceArray<double>(entries);
  }
}

void DeviceRbm::apply_centred_update(float lr, bool update_bias0) {
  if (data_.rows < 1 || model_.rows < 1)
    fail(
        "DeviceRbm: the update needs the moment sums of the data ({} rows) and of the chains "
        "({} rows) first",
        data_.rows, model_.rows);
  centred_update_cuda(graph_->offsets(), graph_->nbr(), n_, data_.view(), model_.view(), dw_.data(),
                      packed_.data(), lr, update_bias0);
  sparse_from_packed_cuda(graph_->offsets(), graph_->nbr(), n_, packed_.data(), graph_->device_w(),
                          graph_->device_bias());
  ++updates_;
}

void DeviceRbm::download_to(Rbm& rbm) const {
  if (rbm.n() != n_)
    fail_input("DeviceRbm: the host RBM has {} nodes per partition, the device's {}", rbm.n(), n_);
  std::vector<float> host(packed_.size());
  packed_.download(host);
  rbm.unpack(host);
}

void centred_update_reference(const RbmSparseGraph& graph, int n, MomentSumsView data,
                              MomentSumsView model, std::span<float> packed, float lr,
                              bool update_bias0) {
  const int N = 4 * n;
  if (int64_t(packed.size()) != packed_rbm_size(n) || graph.offsets.size() != size_t(N) + 1)
    fail_input("centred update: {} packed values and {} CSR offsets for n = {}", packed.size(),
               graph.offsets.size(), n);
  const int32_t* offsets = graph.offsets.data();
  const int32_t* nbr = graph.nbr.data();
  // As kernels/rbm/rbm_update.cu: every coupling gradient first, then each node's bias and the
  // couplings to its higher neighbours.
  std::vector<double> dw(graph.nbr.size());
  for (int a = 0; a < N; ++a)
    for (int32_t e = offsets[a]; e < offsets[a + 1]; ++e)
      dw[size_t(e)] = centred_coupling_gradient(data, model, a, nbr[e], e);
  for (int a = 0; a < N; ++a) {
    if (a >= n || update_bias0) {
      float& b = packed[size_t(packed_bias_index(a, n))];
      b = sgd_ascent(b, lr, centred_bias_gradient(data, model, offsets, nbr, dw.data(), a));
    }
    for (int32_t e = offsets[a]; e < offsets[a + 1]; ++e) {
      if (nbr[e] < a) continue;
      float& w = packed[size_t(packed_coupling_index(a, nbr[e], n))];
      w = sgd_ascent(w, lr, dw[size_t(e)]);
    }
  }
}

void sparse_from_packed(RbmSparseGraph& graph, int n, std::span<const float> packed) {
  const int N = 4 * n;
  if (int64_t(packed.size()) != packed_rbm_size(n) || graph.offsets.size() != size_t(N) + 1)
    fail_input("sparse graph from packed parameters: {} values and {} CSR offsets for n = {}",
               packed.size(), graph.offsets.size(), n);
  graph.w.resize(graph.nbr.size());
  graph.bias.resize(size_t(N));
  for (int a = 0; a < N; ++a) {
    graph.bias[size_t(a)] = packed[size_t(packed_bias_index(a, n))];
    for (int32_t e = graph.offsets[size_t(a)]; e < graph.offsets[size_t(a) + 1]; ++e)
      graph.w[size_t(e)] = packed[size_t(packed_coupling_index(a, graph.nbr[size_t(e)], n))];
  }
}

}  // namespace calo
