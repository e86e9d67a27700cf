#pragma once
// Raw device memory: kernels/device_memory.cu with CUDA, host/device_memory_nocuda.cpp (a clear
// error) without. host/device_memory.hpp wraps them in the RAII DeviceArray.
#include <cstddef>

namespace calo {

void* device_malloc(size_t bytes);
void device_free(void* ptr) noexcept;
void copy_host_to_device(void* dst, const void* src, size_t bytes);
void copy_device_to_host(void* dst, const void* src, size_t bytes);
void copy_device_to_device(void* dst, const void* src, size_t bytes);
void device_memset_zero(void* ptr, size_t bytes);
void device_synchronize();

}  // namespace calo
