#pragma once
// Fully connected layer: input (B, in), output (B, out) = x W^T + b. Weight (out, in), bias (out).
#include <cstdint>
#include <string>
#include <vector>

#include "host/nn/layer.hpp"

namespace calo::nn {

class Linear : public Layer {
 public:
  Linear(int in, int out, uint64_t seed, bool bias = true, std::string name = "linear");

  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::vector<Param*> params() override;
  std::string name() const override { return name_; }

  Param& weight() { return weight_; }
  Param* bias() { return has_bias_ ? &bias_ : nullptr; }
  // false for a first layer fed with data: backward then skips the input gradient (for the
  // CaloChallenge classifier's 6481 -> 2048 input layer, a third of the training GEMM flops) and
  // returns zeros.
  void set_input_gradient(bool on) { input_gradient_ = on; }

 private:
  int in_, out_;
  bool has_bias_;
  std::string name_;
  Param weight_, bias_;
  Tensor input_;
  bool input_gradient_ = true;
};

}  // namespace calo::nn
