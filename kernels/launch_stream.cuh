#pragma once
// The cudaStream_t that kernel launches, cuBLAS calls, copies and allocations of the calling
// thread go to: its current stream (kernels/stream.hpp), the legacy default stream outside every
// StreamScope.
#include <cuda_runtime.h>

#include "kernels/stream.hpp"

namespace calo {

inline cudaStream_t launch_stream() {
  return static_cast<cudaStream_t>(current_cuda_stream());
}

}  // namespace calo
