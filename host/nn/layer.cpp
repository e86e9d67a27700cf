#include "host/nn/layer.hpp"

#include "host/error.hpp"

namespace calo::nn {

void Layer::require_kept(const Tensor& kept) const {
  if (kept.rank() == 0)
    fail("{}: backward without a training forward (the last forward ran in inference mode)",
         name());
}

}  // namespace calo::nn
