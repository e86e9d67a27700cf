#pragma once
// Launchers of the RBM learning update on the device (kernels/rbm/rbm_update.cu;
// samplers/rbm_update_nocuda.cpp throws without CUDA). Device pointers; the math is
// kernels/rbm/centred_math.hpp, the CPU reference samplers/device_rbm.cpp. Both run on the calling
// thread's current stream.
#include <cstdint>

#include "kernels/rbm/centred_math.hpp"

namespace calo {

// The centred update of the packed parameters (kernels/rbm/packed_layout.hpp) from the data's and
// the model's moment sums over the CSR graph (offsets, nbr over 4n nodes): dw (one double per CSR
// entry) is scratch; every coupling and the biases of partitions 1-3 (and 0 if update_bias0)
// step by lr times their gradient.
void centred_update_cuda(const int32_t* offsets, const int32_t* nbr, int n, MomentSumsView data,
                         MomentSumsView model, double* dw, float* packed, float lr,
                         bool update_bias0);

// The Gibbs kernels' CSR weights (beside nbr) and node biases read from the packed parameters.
void sparse_from_packed_cuda(const int32_t* offsets, const int32_t* nbr, int n, const float* packed,
                             float* w, float* bias);

}  // namespace calo
