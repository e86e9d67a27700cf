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

// New state of a node from its field (bias + sum_j w_ij z_j) at inverse temperature beta:
// Bernoulli(sigmoid(beta field)), evaluated without libm so the CPU loop vectorises.
CALO_HD_INLINE float gibbs_update_float(float field, float beta, float u) {
  return bernoulli_from_logit_fast(beta * field, u);  // 1.0f or 0.0f
}
CALO_HD_INLINE uint8_t gibbs_update(float field, float beta, float u) {
  return gibbs_update_float(field, beta, u) != 0.0f ? 1 : 0;
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

// The body of one CUDA thread (kernels/rbm/gibbs.cu), also run by the CPU emulation test: the new
// state of (node, chain) at `sweep`, scalar kernel. The `chains` held are chains first_chain ..
// of a set of total_chains, which numbers the draws (data-parallel shards, generation blocks).
CALO_HD_INLINE uint8_t gibbs_chain_update(const int32_t* offsets, const int32_t* nbr,
                                          const float* w, const float* bias, const uint8_t* z,
                                          int node, int chain, int num_nodes, int chains,
                                          uint64_t seed, uint64_t sweep, float beta,
                                          int first_chain, int total_chains) {
  const float f = gibbs_sparse_field(offsets, nbr, w, bias, z, node, chain, chains);
  return gibbs_update(
      f, beta, gibbs_uniform(seed, sweep, node, num_nodes, first_chain + chain, total_chains));
}

struct Quad {
  uint8_t v[4];
};

// Quad kernel (chains, first_chain and total_chains all multiples of 4): chains chain4 .. chain4+3
// of one node from one Philox block.
CALO_HD_INLINE Quad gibbs_quad_update(const int32_t* offsets, const int32_t* nbr, const float* w,
                                      const float* bias, const uint8_t* z, int node, int chain4,
                                      int num_nodes, int chains, uint64_t seed, uint64_t sweep,
                                      float beta, int first_chain, int total_chains) {
  const Uniform4 u =
      gibbs_uniform4(seed, sweep, node, num_nodes, first_chain + chain4, total_chains);
  Quad q;
  for (int k = 0; k < 4; ++k)
    q.v[k] = gibbs_update(gibbs_sparse_field(offsets, nbr, w, bias, z, node, chain4 + k, chains),
                          beta, u.u[k]);
  return q;
}

// Host only: the draws gibbs_uniform(seed, sweep, node, num_nodes, chain0 + l, chains) for
// l = 0 .. L-1 at once, with the Philox rounds vectorised across lanes. When the first index is a
// multiple of 4 the lanes are the words of L/4 consecutive blocks; otherwise one block per lane.
template <int L>
inline void gibbs_uniform_lanes(uint64_t seed, uint64_t sweep, int node, int num_nodes, int chain0,
                                int chains, float (&u)[L]) {
  static_assert(L % 4 == 0, "lanes come in Philox blocks of four");
  const uint64_t base = gibbs_rng_index(sweep, node, num_nodes, chain0, chains);
  if ((base & 3u) == 0) {
    constexpr int B = L / 4;
    uint64_t block[B];
    for (int b = 0; b < B; ++b) block[b] = (base >> 2) + static_cast<uint64_t>(b);
    uint32_t w0[B], w1[B], w2[B], w3[B];
    philox_block_lanes<B>(seed, kGibbsStream, block, w0, w1, w2, w3);
    for (int b = 0; b < B; ++b) {
      u[4 * b + 0] = u32_to_open01(w0[b]);
      u[4 * b + 1] = u32_to_open01(w1[b]);
      u[4 * b + 2] = u32_to_open01(w2[b]);
      u[4 * b + 3] = u32_to_open01(w3[b]);
    }
    return;
  }
  uint64_t block[L];
  for (int l = 0; l < L; ++l) block[l] = (base + static_cast<uint64_t>(l)) >> 2;
  uint32_t w0[L], w1[L], w2[L], w3[L];
  philox_block_lanes<L>(seed, kGibbsStream, block, w0, w1, w2, w3);
  for (int l = 0; l < L; ++l) {
    const uint32_t word = static_cast<uint32_t>((base + static_cast<uint64_t>(l)) & 3u);
    const uint32_t x = word == 0 ? w0[l] : word == 1 ? w1[l] : word == 2 ? w2[l] : w3[l];
    u[l] = u32_to_open01(x);
  }
}

}  // namespace calo
