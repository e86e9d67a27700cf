#include "host/error.hpp"
#include "samplers/gibbs.hpp"

namespace calo {

void gibbs_run_cuda(const BlockGibbsSampler::Sparse&, int, int, uint64_t, uint64_t, int, float,
                    uint8_t*) {
  fail(
      "Gibbs sampler: this build has no CUDA backend; use the cpu backend or rebuild with CUDA "
      "(-DCALO_WITH_CUDA=ON)");
}

}  // namespace calo
