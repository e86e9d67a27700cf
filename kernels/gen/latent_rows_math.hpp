#pragma once
// The decoder's latent rows of one decode chunk, read from a generation block's chains (node-major
// 4n x chains uint8, chain j = event first + j of the job), one CALO_HD definition for the host
// generator and the CUDA kernel (kernels/gen/latent_rows.cu).
//
// A chunk is rows c0 .. c0 + rows - 1 of the job (host/gen/generator.cpp); [lo, hi) is its overlap
// with the block [first, first + count). Rows outside the overlap are padding: they repeat the
// nearest block row, whose output the generator drops.
#include <cstdint>

#include "kernels/hd.hpp"

namespace calo {

// The block chain (0 .. count - 1) that row r of the chunk at c0 reads.
CALO_HD_INLINE int64_t chunk_row_chain(int64_t c0, int64_t r, int64_t lo, int64_t hi,
                                       int64_t first) {
  const int64_t event = c0 + r;
  return (event < lo ? lo : event >= hi ? hi - 1 : event) - first;
}

// Value i of the chunk's rows (row-major rows x units, units = 4n, partition 0 the chains' energy
// code): the state of unit i % units of the chain row i / units reads, as a float.
CALO_HD_INLINE float latent_row_value(const uint8_t* z, int64_t chains, int units, int64_t c0,
                                      int64_t lo, int64_t hi, int64_t first, int64_t i) {
  const int64_t r = i / units;
  const int unit = static_cast<int>(i % units);
  return static_cast<float>(z[unit * chains + chunk_row_chain(c0, r, lo, hi, first)]);
}

// The host loop over every value (the CPU reference of the kernel).
inline void latent_rows_host(const uint8_t* z, int64_t chains, int units, int64_t c0, int64_t rows,
                             int64_t lo, int64_t hi, int64_t first, float* out) {
  for (int64_t i = 0; i < rows * units; ++i)
    out[i] = latent_row_value(z, chains, units, c0, lo, hi, first, i);
}

}  // namespace calo
