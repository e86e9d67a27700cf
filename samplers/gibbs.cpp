#include "samplers/gibbs.hpp"

#include <cblas.h>

#include <algorithm>
#include <array>

#include "host/error.hpp"
#include "host/latent_layout.hpp"
#include "kernels/rbm/cd_launch.hpp"
#include "kernels/rbm/gibbs_math.hpp"
#include "kernels/rbm/random_chains_math.hpp"
#include "kernels/transform.hpp"

namespace calo {

namespace {

// Below this many updates per partition, threads cost more than they save (tiny test RBMs).
constexpr int64_t kParallelMin = 1 << 15;

}  // namespace

BlockGibbsSampler::BlockGibbsSampler(const Rbm& rbm, int chains, uint64_t seed, GibbsPath path)
    : chains_(chains), n_(rbm.n()), total_chains_(chains), seed_(seed), path_(path) {
  if (chains < 1) fail_input("BlockGibbsSampler: chains = {} must be >= 1", chains);
  if (path == GibbsPath::cuda) {
    require_backend(Backend::cuda);
    graph_ = std::make_shared<DeviceRbmGraph>();
  }
  set_rbm(rbm);
  z_.assign(size_t(4 * n_) * size_t(chains_), 0);
}

void BlockGibbsSampler::set_rbm(const Rbm& rbm) {
  if (rbm.n() != n_)
    fail_input("BlockGibbsSampler::set_rbm: RBM has n = {}, sampler was built for n = {}", rbm.n(),
               n_);
  rbm_ = &rbm;
  sp_ = sparse_graph(rbm);
}

void BlockGibbsSampler::share_device_graph(std::shared_ptr<DeviceRbmGraph> graph) {
  if (path_ != GibbsPath::cuda || !graph) return;
  graph_ = std::move(graph);
}

void BlockGibbsSampler::host_states_current() const {
  if (newer_ != Newer::device) return;
  d_z_.download(z_);
  newer_ = Newer::neither;
}

void BlockGibbsSampler::run_cuda(int sweeps, float beta) {
  if (d_z_.size() != z_.size()) d_z_ = DeviceArray<uint8_t>(z_.size());
  if (newer_ == Newer::host) d_z_.upload(z_);
  graph_->update(sp_);
  gibbs_sweeps_cuda(graph_->offsets(), graph_->nbr(), graph_->w(), graph_->bias(), d_z_.data(), n_,
                    chains_, seed_, sweep_, sweeps, beta, first_chain_, total_chains_);
  newer_ = Newer::device;
}

void BlockGibbsSampler::set_states(std::span<const uint8_t> states) {
  const size_t N = size_t(4 * n_), C = size_t(chains_);
  if (states.size() != N * C)
    fail_input("BlockGibbsSampler::set_states: got {} values, expected chains x 4n = {} x {}",
               states.size(), C, N);
  newer_ = Newer::host;  // every state is overwritten: nothing to fetch from the device first
  for (size_t c = 0; c < C; ++c)
    for (size_t i = 0; i < N; ++i) z_[i * C + c] = states[c * N + i] ? 1 : 0;
}

void BlockGibbsSampler::set_states_device(const uint8_t* node_major) {
  if (path_ != GibbsPath::cuda)
    fail("BlockGibbsSampler::set_states_device: the sampler runs on the CPU path, not on CUDA");
  if (d_z_.size() != z_.size()) d_z_ = DeviceArray<uint8_t>(z_.size());
  copy_device_to_device(d_z_.data(), node_major, z_.size());
  newer_ = Newer::device;
}

const uint8_t* BlockGibbsSampler::device_states() const {
  if (path_ != GibbsPath::cuda || newer_ == Newer::host || d_z_.size() != z_.size())
    fail(
        "BlockGibbsSampler::device_states: the device states are not current (CPU path, or "
        "states set on the host since the last run)");
  return d_z_.data();
}

const DeviceRbmGraph& BlockGibbsSampler::device_graph() const {
  if (path_ != GibbsPath::cuda)
    fail("BlockGibbsSampler::device_graph: the sampler runs on the CPU path, not on CUDA");
  return *graph_;
}

void BlockGibbsSampler::clamp_energies(std::span<const float> energies_mev) {
  const size_t C = size_t(chains_);
  if (energies_mev.size() != C)
    fail_input("BlockGibbsSampler::clamp_energies: got {} energies for {} chains",
               energies_mev.size(), C);
  if (path_ == GibbsPath::cuda && newer_ != Newer::host && d_z_.size() == z_.size()) {
    const DeviceArray<float> e = DeviceArray<float>::from_host(energies_mev);
    clamp_energy_codes_cuda(d_z_.data(), e.data(), n_, chains_);
    newer_ = Newer::device;
    return;
  }
  host_states_current();
  newer_ = Newer::host;
  const LatentLayout layout(n_);
  std::vector<uint8_t> code(static_cast<size_t>(n_));
  for (size_t c = 0; c < C; ++c) {
    layout.encode(double(energies_mev[c]), code.data());
    for (size_t i = 0; i < size_t(n_); ++i) z_[i * C + c] = code[i];
  }
}

void BlockGibbsSampler::restart_draws(uint64_t seed) {
  seed_ = seed;
  sweep_ = 0;
}

void BlockGibbsSampler::set_chain_window(int first, int total) {
  if (first < 0 || total < 1 || int64_t(first) + chains_ > total)
    fail_input("BlockGibbsSampler: chains {}..{} are outside a set of {}", first,
               int64_t(first) + chains_ - 1, total);
  first_chain_ = first;
  total_chains_ = total;
}

void BlockGibbsSampler::randomize(uint64_t seed) {
  host_states_current();
  newer_ = Newer::host;
  const size_t C = size_t(chains_), T = size_t(total_chains_), c0 = size_t(first_chain_);
  for (size_t i = size_t(n_); i < size_t(4 * n_); ++i)
    for (size_t c = 0; c < C; ++c)
      z_[i * C + c] = random_chain_bit(seed, int(i), n_, int64_t(c0 + c), int64_t(T));
}

std::vector<uint8_t> BlockGibbsSampler::states() const {
  host_states_current();
  const size_t N = size_t(4 * n_), C = size_t(chains_);
  std::vector<uint8_t> out(N * C);
  for (size_t i = 0; i < N; ++i)
    for (size_t c = 0; c < C; ++c) out[c * N + i] = z_[i * C + c];
  return out;
}

void BlockGibbsSampler::run(int sweeps, float beta) {
  if (sweeps < 0) fail_input("BlockGibbsSampler::run: sweeps = {} must be >= 0", sweeps);
  switch (path_) {
    case GibbsPath::cpu_sparse:
      run_cpu_sparse(sweeps, beta);
      break;
    case GibbsPath::cpu_dense:
      run_cpu_dense(sweeps, beta);
      break;
    case GibbsPath::cuda:
      run_cuda(sweeps, beta);
      break;
  }
  sweep_ += uint64_t(sweeps);  // every path numbers its sweeps from sweep_
}

namespace {

// Chains per lane block: the unit of vectorisation (the compiler maps the lane loops to SIMD
// registers) and of parallel work. Chains never interact, so a thread takes a block of chains
// through every sweep while its states stay in its cache.
constexpr int kLanes = 64;

// x86-64: compile the hot loops for AVX-512 and AVX2 as well and pick at load time (GCC
// function multiversioning); the binary still runs on any x86-64.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define CALO_SIMD_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CALO_SIMD_CLONES
#endif

// New states of node `node` for lanes chain0 .. chain0+kLanes-1 from their fields; states are
// written as floats 0/1. Shared by the sparse and the dense path, so both draw the same numbers.
[[gnu::always_inline]] inline void update_lanes(const float (&field)[kLanes], float beta,
                                                uint64_t seed, uint64_t sweep, int node,
                                                int num_nodes, int chain0, int chains, float* out) {
  float u[kLanes];
  gibbs_uniform_lanes<kLanes>(seed, sweep, node, num_nodes, chain0, chains, u);
  for (int l = 0; l < kLanes; ++l) out[l] = gibbs_update_float(field[l], beta, u[l]);
}

struct SweepArgs {
  const BlockGibbsSampler::Sparse* sp;
  int n, first_chain, chains;  // RNG numbering: chain first_chain + c of `chains`
  uint64_t seed, first_sweep;
  int sweeps;
  float beta;
};

// `sweeps` sweeps of one block of chains starting at chain0; zb holds its states (4n x kLanes).
CALO_SIMD_CLONES void sparse_sweeps_block(const SweepArgs& a, int chain0, float* zb) {
  const int n = a.n, N = 4 * n;
  const int32_t* off = a.sp->offsets.data();
  const int32_t* nbr = a.sp->nbr.data();
  const float* w = a.sp->w.data();
  const float* bias = a.sp->bias.data();
  for (int s = 0; s < a.sweeps; ++s)
    for (int p = 1; p < 4; ++p)
      for (int i = p * n; i < (p + 1) * n; ++i) {
        float field[kLanes];
        for (int l = 0; l < kLanes; ++l) field[l] = bias[i];
        for (int e = off[i]; e < off[i + 1]; ++e) {
          const float we = w[e];
          const float* zn = zb + size_t(nbr[e]) * kLanes;
#pragma omp simd
          for (int l = 0; l < kLanes; ++l) field[l] += we * zn[l];
        }
        update_lanes(field, a.beta, a.seed, a.first_sweep + uint64_t(s), i, N,
                     a.first_chain + chain0, a.chains, zb + size_t(i) * kLanes);
      }
}

// The dense path's update of node `node` (of 4n) for one block of chains, from field rows.
CALO_SIMD_CLONES void dense_update_block(const float* field, int len, float beta, uint64_t seed,
                                         uint64_t sweep, int node, int num_nodes, int chain0,
                                         int chains, float* out) {
  float f[kLanes], z[kLanes];
  for (int l = 0; l < kLanes; ++l) f[l] = l < len ? field[l] : 0.0f;
  update_lanes(f, beta, seed, sweep, node, num_nodes, chain0, chains, z);
  std::copy_n(z, len, out);
}

}  // namespace

void BlockGibbsSampler::run_cpu_sparse(int sweeps, float beta) {
  const int C = chains_, n = n_, N = 4 * n_;
  const int blocks = (C + kLanes - 1) / kLanes;
  const SweepArgs args{&sp_, n, first_chain_, total_chains_, seed_, sweep_, sweeps, beta};
  uint8_t* z = z_.data();
#pragma omp parallel if (int64_t(n) * C >= kParallelMin)
  {
    std::vector<float> zb(size_t(N) * kLanes);  // this block's states, node-major, lanes inner
#pragma omp for schedule(static)
    for (int b = 0; b < blocks; ++b) {
      const int c0 = b * kLanes, len = std::min(kLanes, C - c0);
      for (int i = 0; i < N; ++i) {
        const uint8_t* src = z + int64_t(i) * C + c0;
        float* dst = zb.data() + size_t(i) * kLanes;
        if (len == kLanes)
          for (int l = 0; l < kLanes; ++l) dst[l] = float(src[l]);
        else
          for (int l = 0; l < kLanes; ++l) dst[l] = l < len ? float(src[l]) : 0.0f;
      }
      sparse_sweeps_block(args, c0, zb.data());
      for (int i = n; i < N; ++i)
        for (int l = 0; l < len; ++l)
          z[int64_t(i) * C + c0 + l] = zb[size_t(i) * kLanes + size_t(l)] > 0.5f ? 1 : 0;
    }
  }
}

// Baseline: the fields of a whole partition by dense masked GEMMs (OpenBLAS), then the same update
// as the sparse path. States node-major (n x C floats per partition).
void BlockGibbsSampler::run_cpu_dense(int sweeps, float beta) {
  const int C = chains_, n = n_, N = 4 * n;
  std::array<std::vector<float>, 4> zf;
  for (int p = 0; p < 4; ++p) {
    zf[size_t(p)].resize(size_t(n) * size_t(C));
    for (size_t k = 0; k < zf[size_t(p)].size(); ++k)
      zf[size_t(p)][k] = z_[size_t(p) * size_t(n) * size_t(C) + k];
  }
  std::vector<float> field(size_t(n) * size_t(C));
  const int blocks = (C + kLanes - 1) / kLanes;
  for (int s = 0; s < sweeps; ++s) {
    const uint64_t sweep = sweep_ + uint64_t(s);
    for (int p = 1; p < 4; ++p) {
      const auto& bias = rbm_->bias(p);
      for (int i = 0; i < n; ++i) std::fill_n(field.begin() + long(i) * C, C, bias[size_t(i)]);
      for (int q = 0; q < 4; ++q) {
        if (q == p) continue;
        // field (n x C) += W_qp^T (n x n) . Z_q (n x C), with W_qp = W_pq^T when q > p
        const bool q_first = q < p;
        const auto& W = q_first ? rbm_->weights(q, p) : rbm_->weights(p, q);
        cblas_sgemm(CblasRowMajor, q_first ? CblasTrans : CblasNoTrans, CblasNoTrans, n, C, n, 1.0f,
                    W.data(), n, zf[size_t(q)].data(), C, 1.0f, field.data(), C);
      }
      float* zp = zf[size_t(p)].data();
#pragma omp parallel for schedule(static) collapse(2) if (int64_t(n) * C >= kParallelMin)
      for (int i = 0; i < n; ++i)
        for (int b = 0; b < blocks; ++b) {
          const int c0 = b * kLanes, len = std::min(kLanes, C - c0);
          const size_t at = size_t(i) * size_t(C) + size_t(c0);
          dense_update_block(field.data() + at, len, beta, seed_, sweep, p * n + i, N,
                             first_chain_ + c0, total_chains_, zp + at);
        }
    }
  }
  for (int p = 1; p < 4; ++p)
    for (size_t k = 0; k < zf[size_t(p)].size(); ++k)
      z_[size_t(p) * size_t(n) * size_t(C) + k] = zf[size_t(p)][k] > 0.5f ? 1 : 0;
}

}  // namespace calo
