#pragma once
// Adam (PyTorch semantics). weight_decay adds wd * p to the gradient (torch.optim.Adam) unless
// decoupled is set (AdamW: p -= lr * wd * p). The update rule is CALO_HD in kernels/nn/adam.hpp.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "host/nn/layer.hpp"

namespace calo::nn {

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  bool decoupled = false;
};

class Adam {
 public:
  explicit Adam(AdamOptions options = {}) : opt_(options) {}
  Adam(float lr, float beta1, float beta2, float eps, float weight_decay)
      : opt_{lr, beta1, beta2, eps, weight_decay, false} {}

  // One update of every trainable parameter (moments keyed by Param::name, which must be unique).
  void step(const std::vector<Param*>& params);
  static void zero_grad(const std::vector<Param*>& params);

  void set_lr(float lr) { opt_.lr = lr; }
  float lr() const { return opt_.lr; }
  int64_t steps() const { return t_; }
  const AdamOptions& options() const { return opt_; }

  // Complete state as named float arrays: "adam.step" (1 value, exact up to 2^24),
  // "<param>.adam_m", "<param>.adam_v". load_state restores it so training resumes exactly.
  std::vector<std::pair<std::string, std::vector<float>>> state() const;
  void load_state(const std::vector<std::pair<std::string, std::vector<float>>>& state);

 private:
  struct Moments {
    Tensor m, v;
  };
  AdamOptions opt_;
  int64_t t_ = 0;
  std::map<std::string, Moments> moments_;
};

}  // namespace calo::nn
