#pragma once
// A dense float32 tensor that lives either in host memory or on the GPU (row-major, contiguous).
// Host storage is plain heap memory (malloc's heap keeps big blocks, host/runtime_policy.hpp);
// device storage a DeviceArray from the stream-ordered pool (kernels/device_memory.hpp). Copies
// between the two are explicit (to()), so a hidden transfer never lands on a hot path.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "host/backend.hpp"
#include "host/device_memory.hpp"

namespace calo {

using Shape = std::vector<int64_t>;

inline int64_t shape_numel(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}
std::string shape_string(const Shape& shape);

// std::allocator whose value-less construct() leaves the element uninitialised: resize() then costs
// no pass over the memory (Tensor::empty), while assign(n, 0) still zero-fills. A vector keeps the
// Tensor's size and its allocations exactly as they were (a Tensor 8 bytes larger moved the
// 1-thread bench_train's peak RSS by 65 MB through heap layout alone).
template <class T>
struct UninitialisedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitialisedAllocator<U>;
  };
  UninitialisedAllocator() noexcept = default;
  template <class U>
  UninitialisedAllocator(const UninitialisedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... A>
  void construct(U* p, A&&... a) {
    ::new (static_cast<void*>(p)) U(std::forward<A>(a)...);
  }
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, Backend where = Backend::cpu);  // zero-filled
  // Uninitialised storage, for outputs the caller overwrites completely (a GEMM with beta = 0, an
  // elementwise op, a copy): no pass over the memory before the real one.
  static Tensor empty(Shape shape, Backend where = Backend::cpu);
  static Tensor from_host(Shape shape, std::span<const float> values);
  // Test-only switch: while on, empty() fills its storage with NaN, so a layer that reads an
  // element it did not write first changes its results (tests/nn/test_empty_poison.cpp).
  static void set_poison_empty(bool on);

  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;
  Tensor(const Tensor&) = delete;  // use clone(): copies of activations are never accidental
  Tensor& operator=(const Tensor&) = delete;
  Tensor clone() const;

  Tensor to(Backend where) const;
  Backend backend() const { return backend_; }
  bool on_host() const { return backend_ == Backend::cpu; }

  const Shape& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_.at(i); }
  size_t rank() const { return shape_.size(); }
  int64_t numel() const { return shape_numel(shape_); }

  // Same data, new shape (element count must match).
  void reshape(Shape shape);

  float* data();
  const float* data() const;
  std::span<float> host_span();
  std::span<const float> host_span() const;
  std::vector<float> to_vector() const;  // copies to host if needed

  void fill(float value);  // host only
  void zero();

 private:
  Tensor(Shape shape, Backend where, bool zeroed);
  Shape shape_;
  Backend backend_ = Backend::cpu;
  size_t count() const { return backend_ == Backend::cpu ? host_.size() : device_.size(); }
  std::vector<float, UninitialisedAllocator<float>> host_;
  DeviceArray<float> device_;
};

}  // namespace calo
