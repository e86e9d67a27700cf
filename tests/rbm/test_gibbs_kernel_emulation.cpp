// The CUDA Gibbs kernels' per-thread bodies (gibbs_chain_update, gibbs_quad_update in
// kernels/rbm/gibbs_math.hpp) run here on the CPU, launch by launch, and must give exactly the
// states of the CPU samplers (the SIMD lane path and the dense path): so the GPU's field, update
// rule and draws are tested on machines without a GPU, for both kernel variants.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "host/topology/graph.hpp"
#include "kernels/rbm/gibbs_math.hpp"
#include "samplers/gibbs.hpp"
#include "samplers/rbm.hpp"

namespace calo {
namespace {

// The launch sequence of gibbs_sweeps_cuda: partitions 1..3 per sweep, every (node, chain) of a
// partition from the same states (partitions have no internal edges, so in-place is the same).
std::vector<uint8_t> emulate_kernels(const BlockGibbsSampler::Sparse& sp, std::vector<uint8_t> z,
                                     int n, int chains, uint64_t seed, int sweeps, float beta,
                                     bool quad, int first_chain, int total_chains) {
  const int N = 4 * n;
  for (int s = 0; s < sweeps; ++s)
    for (int p = 1; p < 4; ++p)
      for (int node = p * n; node < (p + 1) * n; ++node) {
        if (quad) {
          for (int c4 = 0; c4 < chains; c4 += 4) {
            const Quad q = gibbs_quad_update(sp.offsets.data(), sp.nbr.data(), sp.w.data(),
                                             sp.bias.data(), z.data(), node, c4, N, chains, seed,
                                             uint64_t(s), beta, first_chain, total_chains);
            for (int k = 0; k < 4; ++k) z[size_t(node) * size_t(chains) + size_t(c4 + k)] = q.v[k];
          }
        } else {
          for (int c = 0; c < chains; ++c)
            z[size_t(node) * size_t(chains) + size_t(c)] = gibbs_chain_update(
                sp.offsets.data(), sp.nbr.data(), sp.w.data(), sp.bias.data(), z.data(), node, c, N,
                chains, seed, uint64_t(s), beta, first_chain, total_chains);
        }
      }
  return z;
}

// chain-major (chains x 4n) <-> node-major (4n x chains)
std::vector<uint8_t> node_major(const std::vector<uint8_t>& cm, int N, int chains) {
  std::vector<uint8_t> nm(cm.size());
  for (int c = 0; c < chains; ++c)
    for (int i = 0; i < N; ++i)
      nm[size_t(i) * size_t(chains) + size_t(c)] = cm[size_t(c) * size_t(N) + size_t(i)];
  return nm;
}

class GibbsKernelEmulation : public ::testing::TestWithParam<int> {};  // chains

TEST_P(GibbsKernelEmulation, KernelBodiesEqualTheCpuPaths) {
  const int chains = GetParam(), sweeps = 5;
  const uint64_t seed = 77;
  const float beta = 0.8f;
  Rbm rbm = Rbm::from_graph(zephyr_graph(2, 2), 20);
  rbm.init_random(3, {0.9f, 0.7f, 0.8f, 0.6f, 0.5f, 1.0f}, 0.4f);
  for (GibbsPath path : {GibbsPath::cpu_sparse, GibbsPath::cpu_dense}) {
    BlockGibbsSampler g(rbm, chains, seed, path);
    g.randomize(5);
    const int N = 4 * rbm.n();
    const std::vector<uint8_t> start = node_major(g.states(), N, chains);
    g.run(sweeps, beta);
    const std::vector<uint8_t> cpu = node_major(g.states(), N, chains);
    const std::vector<uint8_t> scalar =
        emulate_kernels(g.sparse(), start, rbm.n(), chains, seed, sweeps, beta, false, 0, chains);
    EXPECT_EQ(scalar, cpu) << "scalar kernel body vs CPU path " << int(path);
    if (chains % 4 == 0) {
      const std::vector<uint8_t> quad =
          emulate_kernels(g.sparse(), start, rbm.n(), chains, seed, sweeps, beta, true, 0, chains);
      EXPECT_EQ(quad, cpu) << "quad kernel body vs CPU path " << int(path);
    }
    size_t on = 0;
    for (uint8_t v : cpu) on += v;
    EXPECT_GT(on, cpu.size() / 10);  // states moved: not a comparison of two all-zero arrays
    EXPECT_LT(on, cpu.size() * 9 / 10);
  }
}

// A window of chains (data-parallel shards, generation blocks): chains first .. of a set of total
// draw what they draw in the whole set, on the kernels as on the CPU path; (8, 200) takes the
// quad kernel, (6, 201) the scalar one.
TEST(GibbsKernelEmulation, ChainWindowDrawsAsTheWholeSet) {
  const int chains = 64, sweeps = 3;
  const uint64_t seed = 5;
  Rbm rbm = Rbm::from_graph(zephyr_graph(2, 2), 20);
  rbm.init_random(3, {0.9f, 0.7f, 0.8f, 0.6f, 0.5f, 1.0f}, 0.4f);
  const int N = 4 * rbm.n();
  for (const auto& [first, total] : {std::pair{8, 200}, std::pair{6, 201}}) {
    BlockGibbsSampler whole(rbm, total, seed), window(rbm, chains, seed);
    window.set_chain_window(first, total);
    whole.randomize(2);
    window.randomize(2);
    const std::vector<uint8_t> start = node_major(window.states(), N, chains);
    whole.run(sweeps);
    window.run(sweeps);
    const std::vector<uint8_t> all = whole.states(), mine = window.states();
    const std::vector<uint8_t> part(all.begin() + long(first) * N,
                                    all.begin() + long(first + chains) * N);
    EXPECT_EQ(mine, part) << "CPU window " << first << " of " << total;
    const bool quad = first % 4 == 0 && total % 4 == 0;
    EXPECT_EQ(emulate_kernels(window.sparse(), start, rbm.n(), chains, seed, sweeps, 1.0f, quad,
                              first, total),
              node_major(mine, N, chains))
        << "kernel bodies, window " << first << " of " << total;
  }
}

// 100 and 70: the scalar kernel (chains % 4 != 0) and a partial lane block on the CPU.
INSTANTIATE_TEST_SUITE_P(Chains, GibbsKernelEmulation, ::testing::Values(64, 100, 128, 70));

}  // namespace
}  // namespace calo
