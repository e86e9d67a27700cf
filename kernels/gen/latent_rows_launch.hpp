#pragma once
// Launcher of the decoder's latent rows on the device (kernels/gen/latent_rows.cu;
// host/gen/latent_rows_nocuda.cpp throws without CUDA). The math is
// kernels/gen/latent_rows_math.hpp.
#include <cstdint>

namespace calo {

// out (rows x units floats, device) = latent_row_value(z, ...) for every value; z is a block's
// node-major chains (units x chains bytes, device).
void latent_rows_cuda(const uint8_t* z, int64_t chains, int units, int64_t c0, int64_t rows,
                      int64_t lo, int64_t hi, int64_t first, float* out);

}  // namespace calo
