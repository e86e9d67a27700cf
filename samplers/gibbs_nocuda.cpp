#include "host/error.hpp"
#include "samplers/gibbs.hpp"

namespace calo {

void gibbs_sweeps_cuda(const int32_t*, const int32_t*, const float*, const float*, uint8_t*, int,
                       int, uint64_t, uint64_t, int, float, int, int) {
  fail(
      "Gibbs sampler: this build has no CUDA backend; use the cpu backend or rebuild with CUDA "
      "(-DCALO_WITH_CUDA=ON)");
}

}  // namespace calo
