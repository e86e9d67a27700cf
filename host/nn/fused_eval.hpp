#pragma once
// Inference-only fusion of layer pairs on the CPU. BatchNorm with running statistics followed by
// PReLU is one pass over the tensor, in place: it neither allocates the BatchNorm output nor keeps
// its normalised copy, and reads and writes every value once instead of three reads and three
// writes. Each value is rounded exactly as the two layers would round it (same expressions).
#include "host/nn/layer.hpp"
#include "host/tensor.hpp"

namespace calo::nn {

// Applies layers a then b to x in place and returns true when the pair can be fused in this mode
// (both in inference mode, x on the host, a = BatchNorm and b = PReLU of matching channels);
// otherwise returns false and leaves x unchanged.
bool forward_fused_eval(Layer& a, Layer& b, Tensor& x);

}  // namespace calo::nn
