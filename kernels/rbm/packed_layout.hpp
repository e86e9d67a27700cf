#pragma once
// The RBM prior's parameters as one flat array ("packed"): the six coupling blocks W_pq (p < q,
// in rbm_pair_index order, n x n row-major: rows partition p's slots, columns partition q's),
// then the biases b_0..b_3 (n each), 6n^2 + 4n floats. The KL terms read it (host/nn/losses.cpp)
// and the device learning update writes it (kernels/rbm/rbm_update.cu); Rbm::pack/unpack
// (samplers/rbm.hpp) convert the host RBM to and from it.
#include <cstdint>

#include "kernels/hd.hpp"

namespace calo {

// pair index for (p<q): 0:01 1:02 2:03 3:12 4:13 5:23
CALO_HD_INLINE constexpr int rbm_pair_index(int p, int q) {
  return p == 0 ? q - 1 : (p == 1 ? q + 1 : 5);
}

CALO_HD_INLINE constexpr int64_t packed_rbm_size(int n) {
  return 6 * int64_t(n) * n + 4 * int64_t(n);
}

CALO_HD_INLINE constexpr int64_t packed_bias_index(int node, int n) {
  return 6 * int64_t(n) * n + node;
}

// Where the coupling of nodes a and b (of 4n, partition = node / n, in different partitions)
// lies: W_pq[i][j] with (p, i) the lower node's partition and slot, (q, j) the higher's.
CALO_HD_INLINE constexpr int64_t packed_coupling_index(int a, int b, int n) {
  const int lo = a < b ? a : b, hi = a < b ? b : a;
  const int p = lo / n, q = hi / n;
  return int64_t(rbm_pair_index(p, q)) * n * n + int64_t(lo % n) * n + hi % n;
}

}  // namespace calo
