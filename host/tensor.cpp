#include "host/tensor.hpp"

#include "host/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

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
  const size_t n = static_cast<size_t>(numel());
  if (backend_ == Backend::cpu) {
    if (zeroed)
      host_.assign(n, 0.0f);
    else
      host_.resize(n);  // UninitialisedAllocator: left as malloc gave it
  } else {
    device_ = DeviceArray<float>(n);
    if (zeroed) device_.zero();
  }
  if (!zeroed && n && g_poison_empty.load(std::memory_order_relaxed)) {
    if (backend_ == Backend::cpu)
      std::fill_n(host_.data(), n, std::numeric_limits<float>::quiet_NaN());
    else
      device_memset_bytes(device_.data(), 0xFF, n * sizeof(float));  // all-ones bits: a NaN
  }
}

Tensor::Tensor(Shape shape, Backend where) : Tensor(std::move(shape), where, true) {}

Tensor Tensor::empty(Shape shape, Backend where) {
  return Tensor(std::move(shape), where, false);
}

void Tensor::set_poison_empty(bool on) {
  g_poison_empty.store(on, std::memory_order_relaxed);
}

Tensor Tensor::from_host(Shape shape, std::span<const float> values) {
  Tensor t = empty(std::move(shape));
  if (values.size() != t.count()) {
    fail("Tensor::from_host: {} values for shape {}", values.size(), shape_string(t.shape_));
  }
  std::copy(values.begin(), values.end(), t.host_.begin());
  return t;
}

Tensor Tensor::clone() const {
  return to(backend_);
}

Tensor Tensor::to(Backend where) const {
  Tensor out = empty(shape_, where);
  const size_t bytes = count() * sizeof(float);
  if (bytes == 0) return out;
  if (where == Backend::cpu) {
    if (backend_ == Backend::cpu)
      std::memcpy(out.host_.data(), host_.data(), bytes);
    else
      copy_device_to_host(out.host_.data(), device_.data(), bytes);
  } else {
    if (backend_ == Backend::cpu)
      copy_host_to_device(out.device_.data(), host_.data(), bytes);
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
  return backend_ == Backend::cpu ? host_.data() : device_.data();
}
const float* Tensor::data() const {
  return backend_ == Backend::cpu ? host_.data() : device_.data();
}

std::span<float> Tensor::host_span() {
  if (backend_ != Backend::cpu) fail("Tensor::host_span on a device tensor; call to(Backend::cpu)");
  return {host_.data(), host_.size()};
}
std::span<const float> Tensor::host_span() const {
  if (backend_ != Backend::cpu) fail("Tensor::host_span on a device tensor; call to(Backend::cpu)");
  return {host_.data(), host_.size()};
}

std::vector<float> Tensor::to_vector() const {
  if (backend_ == Backend::cpu) return std::vector<float>(host_.begin(), host_.end());
  std::vector<float> out(device_.size());
  device_.download(out);
  return out;
}

void Tensor::fill(float value) {
  std::fill(host_span().begin(), host_span().end(), value);
}

void Tensor::zero() {
  if (backend_ == Backend::cpu) {
    std::fill(host_.begin(), host_.end(), 0.0f);
  } else {
    device_.zero();
  }
}

}  // namespace calo
