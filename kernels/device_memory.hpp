#pragma once
// Raw device memory: kernels/device_memory.cu with CUDA, host/device_memory_nocuda.cpp (a clear
// error) without. host/device_memory.hpp wraps them in the RAII DeviceArray.
//
// Allocations come from the device's stream-ordered memory pool (cudaMallocAsync/cudaFreeAsync on
// the calling thread's current stream, kernels/stream.hpp) with a release threshold that keeps
// freed memory in the pool: after the first training step or generation block a tensor's memory
// is a block the pool already holds, and freeing it does not synchronise the device. Copies and
// memsets run on the same stream; a download returns once the host buffer holds the data.
#include <cstddef>
#include <cstdint>

namespace calo {

void* device_malloc(size_t bytes);
void device_free(void* ptr) noexcept;
void copy_host_to_device(void* dst, const void* src, size_t bytes);
void copy_device_to_host(void* dst, const void* src, size_t bytes);
void copy_device_to_device(void* dst, const void* src, size_t bytes);
void device_memset_zero(void* ptr, size_t bytes);
void device_memset_bytes(void* ptr, int value, size_t bytes);  // every byte = value
void device_synchronize();

// Host<->device transfers since the process started (every copy goes through the functions above,
// or counts itself): what the CUDA path's "nothing leaves the device" promise is checked against.
// Device allocations are counted beside them (device_malloc calls; each one is a pool lookup, not
// a cudaMalloc, once the pool holds enough).
struct TransferCounts {
  uint64_t h2d_calls = 0, h2d_bytes = 0, d2h_calls = 0, d2h_bytes = 0;
  uint64_t alloc_calls = 0, alloc_bytes = 0;
};
TransferCounts transfer_counts();
TransferCounts operator-(const TransferCounts& a, const TransferCounts& b);
// Called by the copy functions.
void count_transfer(bool to_device, uint64_t bytes);
// Called by device_malloc.
void count_device_allocation(uint64_t bytes);

// The current device's memory pool: bytes it holds from the driver, and bytes handed out to live
// allocations (both 0 in a CPU-only build or without pools). `reserved` that stays flat from one
// step to the next shows the steps run on reused memory.
struct DevicePoolBytes {
  uint64_t reserved = 0, used = 0;
};
DevicePoolBytes device_pool_bytes();

}  // namespace calo
