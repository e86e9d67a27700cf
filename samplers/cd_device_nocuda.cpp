// CPU-only build: the device CD-k pieces throw.
#include "kernels/error_raise.hpp"
#include "kernels/rbm/cd_launch.hpp"

namespace calo {
namespace {
[[noreturn]] void no_cuda() {
  raise_error(
      "RBM CD-k on the device: this build has no CUDA backend; use --backend cpu or rebuild "
      "with -DCALO_WITH_CUDA=ON");
}
}  // namespace
void prior_data_cuda(const float*, const float*, int64_t, int, float*, uint8_t*) {
  no_cuda();
}
void clamp_energy_codes_cuda(uint8_t*, const float*, int, int) {
  no_cuda();
}
void moment_sums_cuda(const float*, int64_t, int64_t, int64_t, int, const int32_t*, const int32_t*,
                      double*, double*) {
  no_cuda();
}
void moment_sums_cuda(const uint8_t*, int64_t, int64_t, int64_t, int, const int32_t*,
                      const int32_t*, double*, double*) {
  no_cuda();
}
}  // namespace calo
