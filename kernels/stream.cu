#include "kernels/cuda_check.cuh"
#include "kernels/stream.hpp"

namespace calo {

namespace {
thread_local CudaStreamHandle g_current = nullptr;
}  // namespace

CudaStreamHandle cuda_stream_create() {
  cudaStream_t s = nullptr;
  CALO_CUDA_CHECK(cudaStreamCreate(&s));  // blocking: see kernels/stream.hpp
  return s;
}

void cuda_stream_destroy(CudaStreamHandle stream) noexcept {
  if (stream) cudaStreamDestroy(static_cast<cudaStream_t>(stream));
}

void cuda_stream_synchronize(CudaStreamHandle stream) {
  CALO_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
}

CudaStreamHandle current_cuda_stream() {
  return g_current;
}

CudaStreamHandle exchange_current_cuda_stream(CudaStreamHandle stream) {
  const CudaStreamHandle previous = g_current;
  g_current = stream;
  return previous;
}

}  // namespace calo
