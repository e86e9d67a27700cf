#pragma once
// Batch normalisation per channel (dim 1) over the batch and all spatial dims (PyTorch BatchNorm1d/
// 3d semantics: biased variance for normalisation, unbiased for the running variance, momentum
// 0.1). Training uses batch statistics and updates the running stats; eval uses the running stats.
// With a batch communicator of several ranks (data-parallel training) the statistics are those of
// the global batch (sync BatchNorm: sums all-reduced in forward and backward), so K ranks with
// B/K showers each train as one process with B.
#include <string>
#include <vector>

#include "host/nn/layer.hpp"

namespace calo::nn {

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(int channels, float eps = 1e-5f, float momentum = 0.1f,
                     std::string name = "bn");
  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  std::vector<Buffer> buffers() override;
  std::string name() const override { return name_; }
  void set_batch_communicator(dist::Communicator* comm) override { comm_ = comm; }

  Param& gamma() { return gamma_; }
  Param& beta() { return beta_; }
  Tensor& running_mean() { return running_mean_; }
  Tensor& running_var() { return running_var_; }
  float eps() const { return eps_; }

 private:
  int channels_;
  float eps_, momentum_;
  std::string name_;
  Param gamma_, beta_;  // names "<name>.weight", "<name>.bias"
  Tensor running_mean_, running_var_;
  Tensor xhat_;     // cached normalised input
  Tensor inv_std_;  // (C)
  bool cached_training_ = true;
  dist::Communicator* comm_ = nullptr;
  double global_count_ = 0;  // values per channel in the global batch (sync mode)
  bool synced() const;
  Tensor forward_synced(const Tensor& input);
  Tensor backward_synced(const Tensor& grad_output);
};

// GroupNorm(1, C) (the reference decoder's energy head): each sample is normalised over all its
// channels and positions (biased variance, same in training and eval), then a per-channel affine.
class GroupNorm1 : public Layer {
 public:
  explicit GroupNorm1(int channels, float eps = 1e-5f, std::string name = "gn");
  Tensor forward(const Tensor& input, bool training) override;
  Tensor backward(const Tensor& grad_output) override;
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  std::string name() const override { return name_; }
  Param& gamma() { return gamma_; }
  Param& beta() { return beta_; }

 private:
  int channels_;
  float eps_;
  std::string name_;
  Param gamma_, beta_;
  Tensor xhat_, inv_std_;
};

}  // namespace calo::nn
