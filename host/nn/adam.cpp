#include "host/nn/adam.hpp"

#include <cmath>

#include "host/error.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

void Adam::step(const std::vector<Param*>& params) {
  ++t_;
  const AdamScalars s{
      opt_.lr,
      opt_.beta1,
      opt_.beta2,
      opt_.eps,
      opt_.weight_decay,
      static_cast<float>(1.0 - std::pow(static_cast<double>(opt_.beta1), static_cast<double>(t_))),
      static_cast<float>(1.0 - std::pow(static_cast<double>(opt_.beta2), static_cast<double>(t_))),
      opt_.decoupled};
  for (Param* p : params) {
    if (!p->trainable) continue;
    if (p->grad.shape() != p->value.shape() || p->grad.backend() != p->value.backend())
      fail("Adam: parameter '{}' has gradient {} for value {}", p->name,
           shape_string(p->grad.shape()), shape_string(p->value.shape()));
    auto it = moments_.find(p->name);
    if (it == moments_.end()) {
      it = moments_
               .emplace(p->name, Moments{Tensor(p->value.shape(), p->value.backend()),
                                         Tensor(p->value.shape(), p->value.backend())})
               .first;
    } else if (it->second.m.numel() != p->value.numel()) {
      fail("Adam: parameter '{}' changed shape ({} -> {}); names must be unique", p->name,
           shape_string(it->second.m.shape()), shape_string(p->value.shape()));
    }
    if (it->second.m.backend() != p->value.backend()) {  // restored state lives on the host
      it->second.m = it->second.m.to(p->value.backend());
      it->second.v = it->second.v.to(p->value.backend());
    }
    ops::adam_step(p->value.backend(), s, p->value.data(), p->grad.data(), it->second.m.data(),
                   it->second.v.data(), p->value.numel());
  }
}

void Adam::zero_grad(const std::vector<Param*>& params) {
  for (Param* p : params) p->grad.zero();
}

std::vector<std::pair<std::string, std::vector<float>>> Adam::state() const {
  std::vector<std::pair<std::string, std::vector<float>>> out;
  out.emplace_back("adam.step", std::vector<float>{static_cast<float>(t_)});
  for (const auto& [name, mom] : moments_) {
    out.emplace_back(name + ".adam_m", mom.m.to_vector());
    out.emplace_back(name + ".adam_v", mom.v.to_vector());
  }
  return out;
}

void Adam::load_state(const std::vector<std::pair<std::string, std::vector<float>>>& state) {
  std::map<std::string, Moments> moments;
  int64_t t = -1;
  std::map<std::string, std::vector<float>> m_arrays, v_arrays;
  for (const auto& entry : state) {
    const std::string& key = entry.first;  // not a structured binding: clang 14 cannot capture one
    const std::vector<float>& values = entry.second;
    auto ends = [&](const std::string& suffix) {
      return key.size() > suffix.size() &&
             key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (key == "adam.step") {
      if (values.size() != 1)
        fail_input("Adam state: 'adam.step' must hold one value, has {}", values.size());
      if (!(values[0] >= 0.0f && values[0] < 9.0e15f))  // a float-to-int cast out of range is UB
        fail_input("Adam state: 'adam.step' is {}, not a step count", values[0]);
      t = static_cast<int64_t>(values[0]);
    } else if (ends(".adam_m")) {
      m_arrays[key.substr(0, key.size() - 7)] = values;
    } else if (ends(".adam_v")) {
      v_arrays[key.substr(0, key.size() - 7)] = values;
    } else {
      fail_input(
          "Adam state: unknown entry '{}' (expected adam.step, <param>.adam_m, <param>.adam_v)",
          key);
    }
  }
  if (t < 0) fail_input("Adam state: missing 'adam.step'");
  for (const auto& [name, m] : m_arrays) {
    auto v = v_arrays.find(name);
    if (v == v_arrays.end() || v->second.size() != m.size())
      fail_input("Adam state: '{}.adam_m' has no matching '{}.adam_v' of the same size", name,
                 name);
    const Shape s{static_cast<int64_t>(m.size())};
    moments.emplace(name, Moments{Tensor::from_host(s, m), Tensor::from_host(s, v->second)});
  }
  if (v_arrays.size() != m_arrays.size()) fail_input("Adam state: adam_v entries without adam_m");
  moments_ = std::move(moments);
  t_ = t;
}

}  // namespace calo::nn
