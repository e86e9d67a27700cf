// CUDA RBM learning update: a block per node, its threads over the node's CSR entries (Zephyr
// degree <= 20). Each thread runs a CALO_HD function of kernels/rbm/centred_math.hpp on the same
// values, in the same order, as the CPU reference (samplers/device_rbm.cpp).
#include "kernels/cuda_check.cuh"
#include "kernels/launch_stream.cuh"
#include "kernels/rbm/rbm_update_launch.hpp"

namespace calo {
namespace {

constexpr int kEntryThreads = 32;

__global__ void k_coupling_gradients(const int32_t* offsets, const int32_t* nbr,
                                     MomentSumsView data, MomentSumsView model, double* dw) {
  const int a = static_cast<int>(blockIdx.x);
  for (int32_t e = offsets[a] + static_cast<int32_t>(threadIdx.x); e < offsets[a + 1];
       e += static_cast<int32_t>(blockDim.x))
    dw[e] = centred_coupling_gradient(data, model, a, nbr[e], e);
}

// Node a's bias (thread 0: its sum runs over the entries in order) and the couplings to its
// higher neighbours, so each coupling is written by one thread.
__global__ void k_apply_update(const int32_t* offsets, const int32_t* nbr, int n,
                               MomentSumsView data, MomentSumsView model, const double* dw,
                               float* packed, float lr, bool update_bias0) {
  const int a = static_cast<int>(blockIdx.x);
  if (threadIdx.x == 0 && (a >= n || update_bias0)) {
    float& b = packed[packed_bias_index(a, n)];
    b = sgd_ascent(b, lr, centred_bias_gradient(data, model, offsets, nbr, dw, a));
  }
  for (int32_t e = offsets[a] + static_cast<int32_t>(threadIdx.x); e < offsets[a + 1];
       e += static_cast<int32_t>(blockDim.x)) {
    const int b = nbr[e];
    if (b < a) continue;
    float& w = packed[packed_coupling_index(a, b, n)];
    w = sgd_ascent(w, lr, dw[e]);
  }
}

__global__ void k_sparse_from_packed(const int32_t* offsets, const int32_t* nbr, int n,
                                     const float* packed, float* w, float* bias) {
  const int a = static_cast<int>(blockIdx.x);
  if (threadIdx.x == 0) bias[a] = packed[packed_bias_index(a, n)];
  for (int32_t e = offsets[a] + static_cast<int32_t>(threadIdx.x); e < offsets[a + 1];
       e += static_cast<int32_t>(blockDim.x))
    w[e] = packed[packed_coupling_index(a, nbr[e], n)];
}

}  // namespace

void centred_update_cuda(const int32_t* offsets, const int32_t* nbr, int n, MomentSumsView data,
                         MomentSumsView model, double* dw, float* packed, float lr,
                         bool update_bias0) {
  if (n == 0) return;
  const unsigned nodes = static_cast<unsigned>(4 * n);
  // Stream order: every dw is written before any bias sums it.
  k_coupling_gradients<<<nodes, kEntryThreads, 0, launch_stream()>>>(offsets, nbr, data, model, dw);
  CALO_CUDA_CHECK_LAUNCH();
  k_apply_update<<<nodes, kEntryThreads, 0, launch_stream()>>>(offsets, nbr, n, data, model, dw,
                                                               packed, lr, update_bias0);
  CALO_CUDA_CHECK_LAUNCH();
}

void sparse_from_packed_cuda(const int32_t* offsets, const int32_t* nbr, int n, const float* packed,
                             float* w, float* bias) {
  if (n == 0) return;
  k_sparse_from_packed<<<static_cast<unsigned>(4 * n), kEntryThreads, 0, launch_stream()>>>(
      offsets, nbr, n, packed, w, bias);
  CALO_CUDA_CHECK_LAUNCH();
}

}  // namespace calo
