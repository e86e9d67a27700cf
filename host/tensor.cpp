#include "host/tensor.hpp"

#include "host/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace calo {

std::string shape_string(const Shape& shape) { return fmt::format("({})", fmt::join(shape, ", ")); }

Tensor::Tensor(Shape shape, Backend where) : shape_(std::move(shape)), backend_(where) {
  for (auto d : shape_) {
    if (d < 0) fail("Tensor: negative dimension in shape {}", shape_string(shape_));
  }
  if (backend_ == Backend::cpu) {
    host_.assign(static_cast<size_t>(numel()), 0.0f);
  } else {
    device_ = DeviceArray<float>(static_cast<size_t>(numel()));
    device_.zero();
  }
}

Tensor Tensor::from_host(Shape shape, std::span<const float> values) {
  Tensor t(std::move(shape));
  if (static_cast<int64_t>(values.size()) != t.numel()) {
    fail("Tensor::from_host: {} values for shape {}", values.size(), shape_string(t.shape_));
  }
  std::copy(values.begin(), values.end(), t.host_.begin());
  return t;
}

Tensor Tensor::clone() const { return to(backend_); }

Tensor Tensor::to(Backend where) const {
  Tensor out;
  out.shape_ = shape_;
  out.backend_ = where;
  const size_t n = static_cast<size_t>(numel());
  if (where == Backend::cpu) {
    if (backend_ == Backend::cpu) {
      out.host_ = host_;
    } else {
      out.host_.resize(n);
      device_.download(out.host_);
    }
  } else {
    out.device_ = DeviceArray<float>(n);
    if (backend_ == Backend::cpu) {
      out.device_.upload(host_);
    } else if (n) {
      copy_device_to_device(out.device_.data(), device_.data(), n * sizeof(float));
    }
  }
  return out;
}

void Tensor::reshape(Shape shape) {
  if (shape_numel(shape) != numel()) {
    fail("Tensor::reshape: cannot view {} as {}", shape_string(shape_), shape_string(shape));
  }
  shape_ = std::move(shape);
}

float* Tensor::data() { return backend_ == Backend::cpu ? host_.data() : device_.data(); }
const float* Tensor::data() const { return backend_ == Backend::cpu ? host_.data() : device_.data(); }

std::span<float> Tensor::host_span() {
  if (backend_ != Backend::cpu) fail("Tensor::host_span on a device tensor; call to(Backend::cpu)");
  return host_;
}
std::span<const float> Tensor::host_span() const {
  if (backend_ != Backend::cpu) fail("Tensor::host_span on a device tensor; call to(Backend::cpu)");
  return host_;
}

std::vector<float> Tensor::to_vector() const {
  if (backend_ == Backend::cpu) return host_;
  std::vector<float> out(static_cast<size_t>(numel()));
  device_.download(out);
  return out;
}

void Tensor::fill(float value) { std::fill(host_span().begin(), host_span().end(), value); }

void Tensor::zero() {
  if (backend_ == Backend::cpu) {
    std::fill(host_.begin(), host_.end(), 0.0f);
  } else {
    device_.zero();
  }
}

}  // namespace calo
