#pragma once
// Error checking for CUDA runtime calls: failures become calo::Error with the call and location.
// (fmt-free: see kernels/error_raise.hpp.)
#include <cuda_runtime.h>

#include <string>

#include "kernels/error_raise.hpp"

namespace calo {
[[noreturn]] inline void raise_cuda_error(cudaError_t err, const char* call, const char* file,
                                          int line) {
  raise_error(std::string("CUDA error '") + cudaGetErrorString(err) + "' in " + call + " at " +
              file + ":" + std::to_string(line));
}
}  // namespace calo

#define CALO_CUDA_CHECK(call)                                                                     \
  do {                                                                                            \
    const cudaError_t calo_err_ = (call);                                                         \
    if (calo_err_ != cudaSuccess) ::calo::raise_cuda_error(calo_err_, #call, __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: reports launch-configuration errors immediately.
#define CALO_CUDA_CHECK_LAUNCH() CALO_CUDA_CHECK(cudaGetLastError())
