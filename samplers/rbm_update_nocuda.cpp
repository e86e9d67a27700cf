// CPU-only build: the device RBM learning update throws.
#include "kernels/error_raise.hpp"
#include "kernels/rbm/rbm_update_launch.hpp"

namespace calo {
namespace {
[[noreturn]] void no_cuda() {
  raise_error(
      "RBM learning update on the device: this build has no CUDA backend; use --backend cpu or "
      "rebuild with -DCALO_WITH_CUDA=ON");
}
}  // namespace
void centred_update_cuda(const int32_t*, const int32_t*, int, MomentSumsView, MomentSumsView,
                         double*, float*, float, bool) {
  no_cuda();
}
void sparse_from_packed_cuda(const int32_t*, const int32_t*, int, const float*, float*, float*) {
  no_cuda();
}
}  // namespace calo
