// CPU-only build: the decoder's latent rows on the device throw.
#include "kernels/error_raise.hpp"
#include "kernels/gen/latent_rows_launch.hpp"

namespace calo {

void latent_rows_cuda(const uint8_t*, int64_t, int, int64_t, int64_t, int64_t, int64_t, int64_t,
                      float*) {
  raise_error(
      "generation on the device: this build has no CUDA backend; use --backend cpu or rebuild "
      "with -DCALO_WITH_CUDA=ON");
}

}  // namespace calo
