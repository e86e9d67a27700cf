#pragma once
// Calo4pQVAE (docs/design.md, research/caloqvae.md): hierarchical 3-level conditional encoder
// emitting latent partitions 1..3 (partition 0 is the incident-energy code), decoder with a hit
// head and an energy (activation) head. Loss = coef * sum (u - uhat)^2 exp(w u) + BCE(hits).
// The RBM prior is trained beside the model by the trainer (research/caloqvae.md section 6).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/config.hpp"
#include "host/nn/conv3d.hpp"
#include "host/nn/layer.hpp"
#include "host/nn/linear.hpp"
#include "host/nn/sequential.hpp"

namespace calo::nn {

constexpr int kLayers = 45, kAlpha = 16, kRadii = 9, kVoxels = kLayers * kAlpha * kRadii;

struct ModelConfig {
  int n = 16;            // nodes per RBM partition (latent units per encoder level)
  int enc_channels = 4;  // encoder conv channels
  int dec_channels = 4;  // decoder conv channels
  int seed = 1;          // weight initialisation seed
  float mse_coefficient = 0.01f;
  float mse_exp_weight = 0.5f;
  static ModelConfig from_config(const ConfigNode& node);  // node = "model"
};

struct LossTerms {
  double mse = 0.0, bce = 0.0;
  double total() const { return mse + bce; }
};

// Per-batch schedule values.
struct StepSchedule {
  float beta = 1.0f;   // Gumbel-sigmoid inverse temperature
  float slope = 0.0f;  // LeakyReLU slope of the activation head (annealed to 0)
  uint64_t seed = 0;   // Philox key for this run
  uint64_t step = 0;   // global batch index (Philox offset)
};

class Calo4pQVAE {
 public:
  explicit Calo4pQVAE(const ModelConfig& config);
  const ModelConfig& config() const { return cfg_; }

  // u: (B, 6480) transformed showers, energies: (B) MeV. Runs forward and backward, accumulating
  // parameter gradients (call Adam::zero_grad first when training). With training=false no
  // gradients are computed and the posterior is a hard Bernoulli sample.
  LossTerms train_step(const Tensor& u, std::span<const float> energies, const StepSchedule& s,
                       bool training);

  // Posterior partitions 1..3 of the last train_step (B x 3n, relaxed in training), host floats.
  const std::vector<float>& last_posterior() const { return posterior_; }

  // Decodes latent states (B x 4n, partition order, partition 0 = energy code) into u (B, 6480)
  // with the eval combination ReLU(acts) * Bernoulli(sigmoid(hits)).
  Tensor decode(std::span<const uint8_t> states, std::span<const float> energies, uint64_t seed,
                uint64_t offset);

  std::vector<Param*> params();
  std::vector<Buffer> buffers();
  void to(Backend where);
  Backend backend() const { return backend_; }

 private:
  Tensor decoder_input(const Tensor& latent13, std::span<const float> energies);
  Tensor run_decoder(const Tensor& zin, const Tensor& le, bool training);
  Tensor decoder_backward(const Tensor& grad_out);

  ModelConfig cfg_;
  Backend backend_ = Backend::cpu;
  std::vector<std::unique_ptr<Sequential>> enc_conv_;
  std::vector<std::unique_ptr<Linear>> enc_head_;
  std::unique_ptr<Sequential> dec_body_;
  std::unique_ptr<Conv3d> dec_head_;
  std::vector<float> posterior_;
  int64_t enc_features_ = 0;
};

Tensor energy_column(std::span<const float> energies, Backend where);  // (B,1) log-energy scalar

}  // namespace calo::nn
