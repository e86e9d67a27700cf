#pragma once
// Raw device memory: kernels/device_memory.cu with CUDA, host/device_memory_nocuda.cpp (a clear
// error) without. host/device_memory.hpp wraps them in the RAII DeviceArray.
#include <cstddef>
#include <cstdint>

namespace calo {

void* device_malloc(size_t bytes);
void device_free(void* ptr) noexcept;
void copy_host_to_device(void* dst, const void* src, size_t bytes);
void copy_device_to_host(void* dst, const void* src, size_t bytes);
void copy_device_to_device(void* dst, const void* src, size_t bytes);
void device_memset_zero(void* ptr, size_t bytes);
void device_synchronize();

// Host<->device transfers since the process started (every copy goes through the functions above,
// or counts itself): what the CUDA path's "nothing leaves the device" promise is checked against.
struct TransferCounts {
  uint64_t h2d_calls = 0, h2d_bytes = 0, d2h_calls = 0, d2h_bytes = 0;
};
TransferCounts transfer_counts();
TransferCounts operator-(const TransferCounts& a, const TransferCounts& b);
// Called by the copy functions.
void count_transfer(bool to_device, uint64_t bytes);

}  // namespace calo
