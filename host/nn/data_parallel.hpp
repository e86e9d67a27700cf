#pragma once
// Data-parallel training pieces (calo_train under mpirun/srun): which rows a rank holds, the
// exchange that hands each rank its contiguous slice of every global batch, and the reductions
// that make K ranks update exactly as one process with the global batch would (gradients summed,
// RBM moments summed, persistent chains gathered for the checkpoint). With one rank every
// function is a copy or a no-op.
#include <cstdint>
#include <span>
#include <vector>

#include "host/dist/communicator.hpp"
#include "host/nn/layer.hpp"
#include "host/split.hpp"
#include "samplers/rbm_learning.hpp"

namespace calo::nn {

// Rank `rank` of `size`'s contiguous part of `all` (sizes differ by at most one).
RowRange rank_rows(RowRange all, int rank, int size);

// The training rows a rank holds: `u` (rows x 6480, transformed) and their energies, for rows
// held.first .. of the file; every rank holds its rank_rows() of the training split.
struct HeldRows {
  RowRange held;
  std::vector<float> u, energies;
};

// This rank's examples [lo, hi) of a global batch whose rows (file rows, in batch order) are
// `rows`, fetched from the ranks that hold them (one alltoallv). u: (hi - lo) x 6480.
struct ShardBatch {
  int64_t first_example = 0;  // lo
  std::vector<float> u, energies;
};
ShardBatch fetch_shard(dist::Communicator& comm, const HeldRows& mine,
                       std::span<const RowRange> held_by_rank, std::span<const int64_t> rows);

// Sums every parameter gradient over the ranks (one all-reduce of a flat buffer).
void allreduce_gradients(dist::Communicator& comm, const std::vector<Param*>& params);

// The centred RBM gradient of a global batch of `global_rows` from this rank's data rows
// (local x 4n) and model chains (local x 4n): moment sums all-reduced, then the one-process
// formula.
RbmGradient sharded_centred_gradient(dist::Communicator& comm, const Rbm& rbm,
                                     std::span<const float> data, std::span<const uint8_t> model,
                                     int local_rows, int64_t global_rows);

// All ranks' chain windows (chain-major, local x nodes each, window starting at chain `first`)
// assembled into the global set of `total` chains on every rank.
std::vector<uint8_t> gather_chains(dist::Communicator& comm, std::span<const uint8_t> local,
                                   int64_t first, int64_t total, int nodes);

}  // namespace calo::nn
