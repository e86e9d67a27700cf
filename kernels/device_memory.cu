#include <string>

#include "kernels/cuda_check.cuh"
#include "kernels/device_memory.hpp"

namespace calo {

void* device_malloc(size_t bytes) {
  void* ptr = nullptr;
  const cudaError_t err = cudaMalloc(&ptr, bytes);
  if (err != cudaSuccess) {
    raise_error("cannot allocate " + std::to_string(bytes >> 20) + " MiB on the GPU: " +
                cudaGetErrorString(err) + " (reduce --chains/--batch or use a larger GPU)");
  }
  return ptr;
}
void device_free(void* ptr) noexcept {
  if (ptr) cudaFree(ptr);
}
void copy_host_to_device(void* dst, const void* src, size_t bytes) {
  count_transfer(true, bytes);
  CALO_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}
void copy_device_to_host(void* dst, const void* src, size_t bytes) {
  count_transfer(false, bytes);
  CALO_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}
void copy_device_to_device(void* dst, const void* src, size_t bytes) {
  CALO_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice));
}
void device_memset_zero(void* ptr, size_t bytes) {
  CALO_CUDA_CHECK(cudaMemset(ptr, 0, bytes));
}
void device_synchronize() {
  CALO_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace calo
