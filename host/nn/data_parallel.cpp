#include "host/nn/data_parallel.hpp"

#include <algorithm>

#include "host/dist/nccl_allreduce.hpp"
#include "host/error.hpp"
#include "host/nn/model.hpp"
#include "host/nn/ops.hpp"

namespace calo::nn {

RowRange rank_rows(RowRange all, int rank, int size) {
  const int64_t lo = all.count * rank / size, hi = all.count * (rank + 1) / size;
  return {all.first + lo, hi - lo};
}

namespace {
constexpr int64_t kRowFloats = kVoxels + 1;  // a shower's u values and its energy

int owner_of(std::span<const RowRange> held, int64_t row) {
  for (size_t r = 0; r < held.size(); ++r)
    if (row >= held[r].first && row < held[r].first + held[r].count) return int(r);
  fail("data-parallel batch: file row {} is held by no rank", row);
}
}  // namespace

ShardBatch fetch_shard(dist::Communicator& comm, const HeldRows& mine,
                       std::span<const RowRange> held_by_rank, std::span<const int64_t> rows) {
  const int K = comm.size(), me = comm.rank();
  const int64_t B = static_cast<int64_t>(rows.size());
  std::vector<int> owner(rows.size());
  for (size_t p = 0; p < rows.size(); ++p) owner[p] = owner_of(held_by_rank, rows[p]);
  // Send: for each destination in rank order, its examples that this rank holds, in batch order.
  std::vector<int64_t> send_counts(size_t(K), 0), recv_counts(size_t(K), 0);
  std::vector<float> send;
  for (int k = 0; k < K; ++k) {
    const RowRange part = rank_rows({0, B}, k, K);
    for (int64_t p = part.first; p < part.first + part.count; ++p) {
      if (owner[size_t(p)] != me) continue;
      const int64_t local = rows[size_t(p)] - mine.held.first;
      send.insert(send.end(), mine.u.begin() + local * kVoxels,
                  mine.u.begin() + (local + 1) * kVoxels);
      send.push_back(mine.energies[size_t(local)]);
      send_counts[size_t(k)] += kRowFloats;
    }
  }
  const RowRange part = rank_rows({0, B}, me, K);
  for (int64_t p = part.first; p < part.first + part.count; ++p)
    recv_counts[size_t(owner[size_t(p)])] += kRowFloats;
  std::vector<float> recv(size_t(part.count * kRowFloats));
  comm.alltoallv(send, send_counts, recv, recv_counts);
  // Received blocks come in source-rank order, each in batch order: scatter to batch positions.
  ShardBatch out;
  out.first_example = part.first;
  out.u.resize(size_t(part.count * kVoxels));
  out.energies.resize(size_t(part.count));
  std::vector<int64_t> at(size_t(K), 0);
  for (int k = 1; k < K; ++k) at[size_t(k)] = at[size_t(k - 1)] + recv_counts[size_t(k - 1)];
  for (int64_t p = part.first; p < part.first + part.count; ++p) {
    int64_t& src = at[size_t(owner[size_t(p)])];
    const int64_t i = p - part.first;
    std::copy_n(recv.begin() + src, kVoxels, out.u.begin() + i * kVoxels);
    out.energies[size_t(i)] = recv[size_t(src + kVoxels)];
    src += kRowFloats;
  }
  return out;
}

void allreduce_gradients(dist::Communicator& comm, const std::vector<Param*>& params) {
  if (comm.size() == 1) return;
  int64_t total = 0;
  bool on_device = !params.empty();
  for (const Param* p : params) {
    total += p->grad.numel();
    on_device = on_device && p->grad.backend() == Backend::cuda;
  }
  if (on_device)
    if (dist::NcclAllreduce* nccl = comm.device_allreduce()) {
      // --backend cuda with NCCL: one flat device buffer, never through host memory.
      Tensor flat({total}, Backend::cuda);
      int64_t at = 0;
      for (const Param* p : params) {
        ops::copy_strided(Backend::cuda, p->grad.data(), 0, flat.data() + at, 0, 1,
                          p->grad.numel());
        at += p->grad.numel();
      }
      nccl->sum(flat.data(), size_t(total));
      at = 0;
      for (Param* p : params) {
        ops::copy_strided(Backend::cuda, flat.data() + at, 0, p->grad.data(), 0, 1,
                          p->grad.numel());
        at += p->grad.numel();
      }
      return;
    }
  std::vector<float> flat;
  flat.reserve(size_t(total));
  for (const Param* p : params) {
    const std::vector<float> g = p->grad.to_vector();
    flat.insert(flat.end(), g.begin(), g.end());
  }
  comm.allreduce_sum(flat);
  int64_t at = 0;
  for (Param* p : params) {
    const int64_t n = p->grad.numel();
    if (p->grad.backend() == Backend::cpu)
      std::copy_n(flat.begin() + at, n, p->grad.data());
    else
      p->grad = Tensor::from_host(p->grad.shape(),
                                  std::span<const float>(flat).subspan(size_t(at), size_t(n)))
                    .to(p->grad.backend());
    at += n;
  }
}

RbmGradient sharded_centred_gradient(dist::Communicator& comm, const Rbm& rbm,
                                     std::span<const float> data, std::span<const uint8_t> model,
                                     int local_rows, int64_t global_rows) {
  const int N = rbm.num_nodes();
  RbmMoments d = moment_sums(data, local_rows, N), m = moment_sums(model, local_rows, N);
  std::vector<double> flat;
  flat.reserve(2 * (d.mu.size() + d.second.size()));
  for (const auto* v : {&d.mu, &d.second, &m.mu, &m.second})
    flat.insert(flat.end(), v->begin(), v->end());
  comm.allreduce_sum(flat);
  size_t at = 0;
  for (auto* v : {&d.mu, &d.second, &m.mu, &m.second}) {
    std::copy_n(flat.begin() + long(at), v->size(), v->begin());
    at += v->size();
  }
  return centred_gradient(rbm, moments_from_sums(std::move(d), global_rows),
                          moments_from_sums(std::move(m), global_rows));
}

std::vector<uint8_t> gather_chains(dist::Communicator& comm, std::span<const uint8_t> local,
                                   int64_t first, int64_t total, int nodes) {
  std::vector<float> all(size_t(total) * size_t(nodes), 0.0f);
  if (int64_t(local.size()) + first * nodes > int64_t(all.size()))
    fail("gather_chains: window of {} values at chain {} exceeds {} chains x {} nodes",
         local.size(), first, total, nodes);
  for (size_t i = 0; i < local.size(); ++i) all[size_t(first) * size_t(nodes) + i] = local[i];
  comm.allreduce_sum(all);  // each entry comes from one rank, the others add 0
  std::vector<uint8_t> out(all.size());
  for (size_t i = 0; i < all.size(); ++i) out[i] = all[i] > 0.5f ? 1 : 0;
  return out;
}

}  // namespace calo::nn
