#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cuda_check.cuh"
#include "kernels/device_memory.hpp"
#include "kernels/launch_stream.cuh"

// Every allocation, free, copy and memset goes to the calling thread's current stream
// (launch_stream()): ordered with the kernels on it, and no device-wide synchronisation.
namespace calo {

namespace {

// Whether device memory comes from the device's stream-ordered memory pool (cudaMallocAsync),
// decided once per process. Every GPU this project targets has pools; a device without them (some
// virtualised setups) falls back to cudaMalloc/cudaFree.
bool use_pool() {
  static const bool pool = [] {
    int dev = 0, supported = 0;
    if (cudaGetDevice(&dev) != cudaSuccess) return false;
    return cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, dev) ==
               cudaSuccess &&
           supported != 0;
  }();
  return pool;
}

// The current device's default pool, told to keep what is freed (release threshold: no limit)
// instead of returning it to the driver at every synchronisation, so a training step or a
// generation block reuses the previous one's memory. Set once per device.
cudaMemPool_t keeping_pool() {
  int dev = 0;
  CALO_CUDA_CHECK(cudaGetDevice(&dev));
  cudaMemPool_t pool = nullptr;
  CALO_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, dev));
  static std::mutex mutex;
  static std::vector<int> configured;
  const std::lock_guard<std::mutex> lock(mutex);
  for (int d : configured)
    if (d == dev) return pool;
  uint64_t keep_all = UINT64_MAX;
  CALO_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
  configured.push_back(dev);
  return pool;
}

// keeping_pool() for the current device, but its mutex and driver queries only the first time a
// thread allocates on that device: not on every tensor of the hot path.
void ensure_pool_keeps_memory() {
  int dev = 0;
  CALO_CUDA_CHECK(cudaGetDevice(&dev));
  thread_local int configured_here = -1;
  if (dev == configured_here) return;
  keeping_pool();
  configured_here = dev;
}

cudaError_t allocate(void** ptr, size_t bytes) {
  if (!use_pool()) return cudaMalloc(ptr, bytes);
  ensure_pool_keeps_memory();
  return cudaMallocAsync(ptr, bytes, launch_stream());
}

}  // namespace

void* device_malloc(size_t bytes) {
  count_device_allocation(bytes);
  void* ptr = nullptr;
  cudaError_t err = allocate(&ptr, bytes);
  if (err == cudaErrorMemoryAllocation) {
    // Memory freed on another stream may not be back in the pool yet: wait for it, retry once.
    (void)cudaGetLastError();
    CALO_CUDA_CHECK(cudaDeviceSynchronize());
    err = allocate(&ptr, bytes);
  }
  if (err != cudaSuccess) {
    raise_error("cannot allocate " + std::to_string(bytes >> 20) + " MiB on the GPU: " +
                cudaGetErrorString(err) + " (reduce --chains/--batch or use a larger GPU)");
  }
  return ptr;
}
void device_free(void* ptr) noexcept {
  if (!ptr) return;
  // Stream-ordered: the block returns to the pool once the work queued before it on this stream
  // (and, the stream being blocking, on the legacy default stream) is done.
  if (use_pool())
    cudaFreeAsync(ptr, launch_stream());
  else
    cudaFree(ptr);
}
void copy_host_to_device(void* dst, const void* src, size_t bytes) {
  count_transfer(true, bytes);
  // From pageable memory (nothing here pins host memory) this returns once the source has been
  // staged, so the caller may overwrite or free it straight away.
  CALO_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, launch_stream()));
}
void copy_device_to_host(void* dst, const void* src, size_t bytes) {
  count_transfer(false, bytes);
  CALO_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, launch_stream()));
  CALO_CUDA_CHECK(cudaStreamSynchronize(launch_stream()));  // the host reads dst next
}
void copy_device_to_device(void* dst, const void* src, size_t bytes) {
  CALO_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, launch_stream()));
}
void device_memset_zero(void* ptr, size_t bytes) {
  CALO_CUDA_CHECK(cudaMemsetAsync(ptr, 0, bytes, launch_stream()));
}
void device_memset_bytes(void* ptr, int value, size_t bytes) {
  CALO_CUDA_CHECK(cudaMemsetAsync(ptr, value, bytes, launch_stream()));
}
void device_synchronize() {
  CALO_CUDA_CHECK(cudaDeviceSynchronize());
}
DevicePoolBytes device_pool_bytes() {
  DevicePoolBytes out;
  if (!use_pool()) return out;
  cudaMemPool_t pool = keeping_pool();
  CALO_CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemCurrent, &out.reserved));
  CALO_CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemCurrent, &out.used));
  return out;
}

}  // namespace calo
