#pragma once
// Shape operations: Reshape/Flatten layers (keep the batch dim) and channel concatenation helpers
// with their backward (split). The energy channel is appended as one extra channel broadcast over
// all spatial positions.
#include <string>
#include <utility>

#include "host/nn/layer.hpp"

namespace calo::nn {

// (B, ...) -> (B, target...). `target` excludes the batch dimension.
class Reshape : public Layer {
 public:
  explicit Reshape(Shape target, std::string name = "reshape")
      : target_(std::move(target)), name_(std::move(name)) {}
  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::string name() const override { return name_; }

 private:
  Shape target_;
  std::string name_;
  Shape input_shape_;
};

// (B, ...) -> (B, prod(...)).
class Flatten : public Layer {
 public:
  explicit Flatten(std::string name = "flatten") : name_(std::move(name)) {}
  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Shape input_shape_;
};

// a (B, Ca, ...), b (B, Cb, ...) with equal trailing dims -> (B, Ca + Cb, ...).
Tensor concat_channels(const Tensor& a, const Tensor& b);
// Inverse of concat_channels: grad (B, Ca + Cb, ...) -> (grad_a (B, Ca, ...), grad_b (B, Cb, ...)).
std::pair<Tensor, Tensor> split_channels(const Tensor& grad, int64_t channels_a);

// x (B, C, ...), energy (B) or (B, 1) -> (B, C + 1, ...) with channel C = energy[b] everywhere.
Tensor append_energy_channel(const Tensor& x, const Tensor& energy);
// Backward of append_energy_channel: (grad_x (B, C, ...), grad_energy (B, 1) = sum over space).
std::pair<Tensor, Tensor> append_energy_channel_backward(const Tensor& grad);

}  // namespace calo::nn
