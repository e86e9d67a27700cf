#pragma once
// Elementwise activations. The scalar forward/derivative rules live in kernels/nn/activations.hpp
// (CALO_HD) and are shared by the CPU loops and the CUDA kernels.
#include <string>
#include <utility>
#include <vector>

#include "host/nn/layer.hpp"

namespace calo::nn {

class ReLU : public Layer {
 public:
  explicit ReLU(std::string name = "relu") : name_(std::move(name)) {}
  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Tensor input_;
};

class LeakyReLU : public Layer {
 public:
  explicit LeakyReLU(float slope = 0.01f, std::string name = "leaky_relu")
      : slope_(slope), name_(std::move(name)) {}
  void set_slope(float slope) { slope_ = slope; }  // for annealing the slope during training
  float slope() const { return slope_; }
  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::string name() const override { return name_; }

 private:
  float slope_;
  std::string name_;
  Tensor input_;
};

// Learnable slope: num_parameters == 1 (one shared slope) or == channels (dim 1 of the input).
class PReLU : public Layer {
 public:
  explicit PReLU(int num_parameters = 1, float init = 0.25f, std::string name = "prelu");
  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::vector<Param*> params() override { return {&weight_}; }
  std::string name() const override { return name_; }
  Param& weight() { return weight_; }

 private:
  int num_;
  std::string name_;
  Param weight_;
  Tensor input_;
};

class SiLU : public Layer {
 public:
  explicit SiLU(std::string name = "silu") : name_(std::move(name)) {}
  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Tensor input_;
};

class Sigmoid : public Layer {
 public:
  explicit Sigmoid(std::string name = "sigmoid") : name_(std::move(name)) {}
  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Tensor output_;
};

}  // namespace calo::nn
