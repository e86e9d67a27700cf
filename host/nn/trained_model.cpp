#include "host/nn/trained_model.hpp"

#include <map>

#include "host/error.hpp"
#include "host/topology/graph.hpp"

namespace calo::nn {

TrainedModel load_trained_model(const std::string& dir) {
  const CheckpointData ck = read_checkpoint(dir);
  TrainConfig tc = TrainConfig::from_yaml_text(ck.config_text, dir + "/config.yaml");
  Calo4pQVAE model(tc.model);
  load_model_arrays(model, ck.params, dir);
  Rbm prior = Rbm::from_named_arrays(parse_topology(tc.prior.topology), ck.params);
  if (prior.n() != model.config().n)
    fail_input("checkpoint '{}': the RBM prior has {} nodes per partition but the model expects {}",
               dir, prior.n(), model.config().n);
  return TrainedModel{std::move(tc), std::move(model), std::move(prior)};
}

NamedArrays model_arrays(Calo4pQVAE& m) {
  NamedArrays out;
  for (Param* p : m.params()) out.emplace_back(p->name, p->value.to_vector());
  for (Buffer& b : m.buffers()) out.emplace_back(b.name, b.value->to_vector());
  return out;
}

void load_model_arrays(Calo4pQVAE& m, const NamedArrays& arrays, const std::string& where) {
  std::map<std::string, const std::vector<float>*> by_name;
  for (const auto& [k, v] : arrays) by_name[k] = &v;
  auto load = [&](const std::string& name, Tensor& t) {
    auto it = by_name.find(name);
    if (it == by_name.end())
      fail_input("checkpoint '{}' has no array '{}' (written by a different model config?)", where,
                 name);
    if (static_cast<int64_t>(it->second->size()) != t.numel())
      fail_input("checkpoint '{}': array '{}' has {} values, the model expects {}", where, name,
                 it->second->size(), t.numel());
    t = Tensor::from_host(t.shape(), *it->second).to(t.backend());
  };
  for (Param* p : m.params()) load(p->name, p->value);
  for (Buffer& b : m.buffers()) load(b.name, *b.value);
}

}  // namespace calo::nn
