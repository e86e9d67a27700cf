#include "host/tensor.hpp"

#include "host/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <utility>

namespace calo {

namespace {
std::atomic<bool> g_poison_empty{false};
}  // namespace

std::string shape_string(const Shape& shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
}

Tensor::Tensor(Shape shape, Backend where, bool zeroed)
    : shape_(std::move(shape)), backend_(where) {
  for (auto d : shape_) {
    if (d < 0) fail("Tensor: negative dimension in shape {}", shape_string(shape_));
  }
  count_ = static_cast<size_t>(numel());
  if (backend_ == Backend::cpu) {
    // make_unique value-initialises (zeros); for_overwrite leaves the memory as malloc gave it.
    host_ = zeroed ? std::make_unique<float[]>(count_)
                   : std::make_unique_for_overwrite<float[]>(count_);
  } else {
    device_ = DeviceArray<float>(count_);
    if (zeroed) device_.zero();
  }
  if (!zeroed && g_poison_empty.load(std::memory_order_relaxed) && count_) {
    if (backend_ == Backend::cpu)
      std::fill_n(host_.get(), count_, std::numeric_limits<float>::quiet_NaN());
    else
      device_memset_bytes(device_.data(), 0xFF, count_ * sizeof(float));  // all-ones bits: a NaN
  }
}

Tensor::Tensor(Shape shape, Backend where) : Tensor(std::move(shape), where, true) {}

Tensor Tensor::empty(Shape shape, Backend where) {
  return Tensor(std::move(shape), where, false);
}

void Tensor::set_poison_empty(bool on) {
  g_poison_empty.store(on, std::memory_order_relaxed);
}

Tensor::Tensor(Tensor&& other) noexcept
    : shape_(std::move(other.shape_)),
      backend_(other.backend_),
      count_(std::exchange(other.count_, 0)),
      host_(std::move(other.host_)),
      device_(std::move(other.device_)) {}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this != &other) {
    shape_ = std::move(other.shape_);
    backend_ = other.backend_;
    count_ = std::exchange(other.count_, 0);
    host_ = std::move(other.host_);
    device_ = std::move(other.device_);
  }
  return *this;
}

Tensor Tensor::from_host(Shape shape, std::span<const float> values) {
  Tensor t = empty(std::move(shape));
  if (values.size() != t.count_) {
    fail("Tensor::from_host: {} values for shape {}", values.size(), shape_string(t.shape_));
  }
  std::copy(values.begin(), values.end(), t.host_.get());
  return t;
}

Tensor Tensor::clone() const {
  return to(backend_);
}

Tensor Tensor::to(Backend where) const {
  Tensor out = empty(shape_, where);
  const size_t bytes = count_ * sizeof(float);
  if (bytes == 0) return out;
  if (where == Backend::cpu) {
    if (backend_ == Backend::cpu)
      std::memcpy(out.host_.get(), host_.get(), bytes);
    else
      copy_device_to_host(out.host_.get(), device_.data(), bytes);
  } else {
    if (backend_ == Backend::cpu)
      copy_host_to_device(out.device_.data(), host_.get(), bytes);
    else
      copy_device_to_device(out.device_.data(), device_.data(), bytes);
  }
  return out;
}

void Tensor::reshape(Shape shape) {
  if (shape_numel(shape) != numel()) {
    fail("Tensor::reshape: cannot view {} as {}", shape_string(shape_), shape_string(shape));
  }
  shape_ = std::move(shape);
}

float* Tensor::data() {
  return backend_ == Backend::cpu ? host_.get() : device_.data();
}
const float* Tensor::data() const {
  return backend_ == Backend::cpu ? host_.get() : device_.data();
}

std::span<float> Tensor::host_span() {
  if (backend_ != Backend::cpu) fail("Tensor::host_span on a device tensor; call to(Backend::cpu)");
  return {host_.get(), count_};
}
std::span<const float> Tensor::host_span() const {
  if (backend_ != Backend::cpu) fail("Tensor::host_span on a device tensor; call to(Backend::cpu)");
  return {host_.get(), count_};
}

std::vector<float> Tensor::to_vector() const {
  if (backend_ == Backend::cpu) return std::vector<float>(host_.get(), host_.get() + count_);
  std::vector<float> out(count_);
  device_.download(out);
  return out;
}

void Tensor::fill(float value) {
  std::fill(host_span().begin(), host_span().end(), value);
}

void Tensor::zero() {
  if (backend_ == Backend::cpu) {
    std::fill_n(host_.get(), count_, 0.0f);
  } else {
    device_.zero();
  }
}

}  // namespace calo
