#pragma once
// Device memory, RAII, over the raw functions of kernels/device_memory.hpp
// (kernels/device_memory.cu when CUDA is compiled in; in a CPU-only build
// (host/device_memory_nocuda.cpp) they throw an Error that says so. Host code can therefore hold
// DeviceArray members without #ifdefs.
#include <cstddef>
#include <span>
#include <utility>

#include "kernels/device_memory.hpp"
#include "kernels/error_raise.hpp"

namespace calo {

// A typed, move-only device allocation.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(size_t count)
      : data_(count ? static_cast<T*>(device_malloc(count * sizeof(T))) : nullptr), size_(count) {}
  ~DeviceArray() { device_free(data_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceArray& operator=(DeviceArray&& other) noexcept {
    if (this != &other) {
      device_free(data_);
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  static DeviceArray from_host(std::span<const T> host) {
    DeviceArray out(host.size());
    out.upload(host);
    return out;
  }

  void upload(std::span<const T> host) {
    if (host.size() != size_)
      raise_error("DeviceArray::upload: element count differs from the array size");
    if (size_) copy_host_to_device(data_, host.data(), size_ * sizeof(T));
  }
  void download(std::span<T> host) const {
    if (host.size() != size_)
      raise_error("DeviceArray::download: element count differs from the array size");
    if (size_) copy_device_to_host(host.data(), data_, size_ * sizeof(T));
  }
  void zero() {
    if (size_) device_memset_zero(data_, size_ * sizeof(T));
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace calo
