#include "host/nn/fused_eval.hpp"

#include "host/nn/activations.hpp"
#include "host/nn/norm.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

bool forward_fused_eval(Layer& a, Layer& b, Tensor& x) {
  auto* bn = dynamic_cast<BatchNorm*>(&a);
  auto* act = dynamic_cast<PReLU*>(&b);
  if (bn == nullptr || act == nullptr || !bn->inference() || !act->inference() || !x.on_host() ||
      x.rank() < 2)
    return false;
  const int64_t C = x.dim(1);
  if (bn->gamma().value.numel() != C || !bn->gamma().value.on_host()) return false;
  const int64_t slopes = act->weight().value.numel();
  if (slopes != 1 && slopes != C) return false;
  const int64_t B = x.dim(0), S = x.numel() / (B * C);
  ops::batchnorm_prelu_eval_inplace(x.data(), bn->running_mean().data(), bn->running_var().data(),
                                    bn->gamma().value.data(), bn->beta().value.data(),
                                    act->weight().value.data(), slopes == C, bn->eps(), B, C, S);
  return true;
}

}  // namespace calo::nn
