#pragma once
// Gibbs update pieces shared by the CPU paths and the CUDA kernels.
#include <cstdint>

#include "kernels/hd.hpp"
#include "kernels/math.hpp"
#include "kernels/philox.hpp"

namespace calo {

constexpr uint64_t kGibbsStream = 0x9E3779B97F4A7C15ull;  // Philox stream of the Gibbs samplers

// RNG counter for (sweep s, node i of 4n, chain c): one draw per (s, i, c).
CALO_HD_INLINE uint64_t gibbs_rng_index(uint64_t sweep, int node, int num_nodes, int chain,
                                        int chains) {
  return (sweep * static_cast<uint64_t>(num_nodes) + static_cast<uint64_t>(node)) *
             static_cast<uint64_t>(chains) +
         static_cast<uint64_t>(chain);
}

// Draw for (sweep, node, chain): word (idx & 3) of Philox block (idx >> 2), idx = gibbs_rng_index.
CALO_HD_INLINE float gibbs_uniform(uint64_t seed, uint64_t sweep, int node, int num_nodes,
                                   int chain, int chains) {
  const uint64_t idx = gibbs_rng_index(sweep, node, num_nodes, chain, chains);
  return uniform4(seed, kGibbsStream, idx >> 2).u[idx & 3u];
}

// The draws of chains chain4 .. chain4+3 at once; requires chains % 4 == 0 and chain4 % 4 == 0
// (then they are the four words of one Philox block), equal to four gibbs_uniform calls.
CALO_HD_INLINE Uniform4 gibbs_uniform4(uint64_t seed, uint64_t sweep, int node, int num_nodes,
                                       int chain4, int chains) {
  return uniform4(seed, kGibbsStream, gibbs_rng_index(sweep, node, num_nodes, chain4, chains) >> 2);
}

// New state of a node from its field (bias + sum_j w_ij z_j) at inverse temperature beta.
CALO_HD_INLINE uint8_t gibbs_update(float field, float beta, float u) {
  return bernoulli_from_field(beta * field, u);
}

// Field of node `node` for chain c, sparse CSR, states node-major (z[node * chains + c]).
CALO_HD_INLINE float gibbs_sparse_field(const int32_t* offsets, const int32_t* nbr, const float* w,
                                        const float* bias, const uint8_t* z, int node, int chain,
                                        int chains) {
  float f = bias[node];
  for (int e = offsets[node]; e < offsets[node + 1]; ++e)
    f += w[e] * static_cast<float>(z[static_cast<int64_t>(nbr[e]) * chains + chain]);
  return f;
}

}  // namespace calo
