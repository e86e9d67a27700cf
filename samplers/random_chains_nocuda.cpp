// CPU-only build: the device start of the prior's chains throws.
#include "kernels/error_raise.hpp"
#include "kernels/rbm/random_chains_launch.hpp"

namespace calo {

void random_chain_states_cuda(uint8_t*, int, int64_t, uint64_t, int64_t, int64_t) {
  raise_error(
      "Gibbs prior on the device: this build has no CUDA backend; use --backend cpu or rebuild "
      "with -DCALO_WITH_CUDA=ON");
}

}  // namespace calo
