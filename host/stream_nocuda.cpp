// CPU-only build: a CUDA stream cannot be created, so none is ever current.
#include "kernels/error_raise.hpp"
#include "kernels/stream.hpp"

namespace calo {

CudaStreamHandle cuda_stream_create() {
  raise_error(
      "this calo4pq build has no CUDA support; rebuild on a machine with nvcc "
      "(cmake -DCALO_WITH_CUDA=ON) to use the cuda backend");
}
void cuda_stream_destroy(CudaStreamHandle) noexcept {}
void cuda_stream_synchronize(CudaStreamHandle) {}
CudaStreamHandle current_cuda_stream() {
  return nullptr;
}
CudaStreamHandle exchange_current_cuda_stream(CudaStreamHandle) {
  return nullptr;
}

}  // namespace calo
