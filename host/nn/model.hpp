#pragma once
// Calo4pQVAE (docs/design.md, research/caloqvae.md): hierarchical 3-level conditional encoder
// emitting latent partitions 1..3 (partition 0 is the incident-energy code), decoder with a hit
// head and an energy (activation) head. Loss = coef * sum (u - uhat)^2 exp(w u) + BCE(hits)
// + kl_weight * (entropy + pos_energy) (research/caloqvae.md section 5; the KL terms need the RBM
// prior, which the trainer trains beside the model with its own centred CD-k/PCD update, section
// 6).
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/config.hpp"
#include "host/nn/conv3d.hpp"
#include "host/nn/decoder_tail_cpu.hpp"
#include "host/nn/layer.hpp"
#include "host/nn/linear.hpp"
#include "host/nn/packed_rbm.hpp"
#include "host/nn/sequential.hpp"
#include "host/stream.hpp"
#include "samplers/rbm.hpp"

namespace calo::dist {
class Communicator;
}

namespace calo::nn {

constexpr int kLayers = 45, kAlpha = 16, kRadii = 9, kVoxels = kLayers * kAlpha * kRadii;

// Architecture (research/caloqvae.md sections 2-3), sizes from the config:
// encoder level k = conv(2->E0, s(2,1,1)) -> conv(E0->E1, s(2,1,1)) -> conv(E1->E2, s(1,2,1)), each
//   cylindrical 3x3x3 + BatchNorm + PReLU, giving (E2, 8, 8, 6); energy channel appended;
//   conv(E2+1->E3, s(2,2,1), valid) + BatchNorm + PReLU -> (E3, 3, 3, 4); a linear head on those
//   features and the earlier levels' latents gives the n logits of partition k+1.
// decoder = Linear(4n+1 -> D0 x (10,4,5)) + BatchNorm + PReLU -> ConvT(D0->D1, k(4,2,3), s(2,2,1))
//   + BatchNorm + PReLU -> (D1, 22, 8, 7), energy channel appended; then two separate heads (hits,
//   energies), each ConvT(D1+1->D2, k(4,2,4), s(2,2,1)) + BatchNorm + PReLU -> (D2, 46, 16, 10) and
//   a valid conv k(2,1,2) -> (1, 45, 16, 9). Transposed-conv kernels are multiples of their
//   strides (no checkerboard). With decoder_attention the energy head adds GroupNorm(1,D2) ->
//   SiLU -> LinearAttention(D2) before its last conv, as the reference's energy head does.
struct ModelConfig {
  int n = 16;                                   // nodes per RBM partition
  std::vector<int> enc_channels{4, 8, 16, 32};  // E0..E3
  std::vector<int> dec_channels{32, 16, 8};     // D0..D2
  int seed = 1;                                 // weight initialisation seed
  float mse_coefficient = 0.01f;
  float mse_exp_weight = 0.5f;
  // LinearAttention energy branch (GroupNorm(1,C) -> SiLU -> LinearAttention) between the decoder
  // body and the activation head; the hit head reads the body directly.
  bool decoder_attention = false;
  static ModelConfig from_config(const ConfigNode& node);  // node = "model"
};

struct LossTerms {
  double mse = 0.0, bce = 0.0;
  double entropy = 0.0, pos_energy = 0.0;  // KL terms (0 when no prior was given)
  double kl_weight = 0.0;
  double recon() const { return mse + bce; }
  double kl() const { return entropy + pos_energy; }
  double total() const { return mse + bce + kl_weight * kl(); }
};

// Per-batch schedule values.
struct StepSchedule {
  float beta = 1.0f;       // Gumbel-sigmoid inverse temperature
  float slope = 0.0f;      // LeakyReLU slope of the activation head (annealed to 0)
  uint64_t seed = 0;       // Philox key for this run
  uint64_t step = 0;       // global batch index (Philox offset)
  float kl_weight = 0.0f;  // weight of entropy + pos_energy in the loss
  // Data-parallel shards: this call's showers are examples first_example .. of a global batch of
  // global_batch (0: the call's own batch). Noise is addressed and losses are normalised by the
  // global batch, so a shard's gradients sum over the ranks to the one-process gradient.
  int64_t global_batch = 0;
  int64_t first_example = 0;
};

class Calo4pQVAE {
 public:
  explicit Calo4pQVAE(const ModelConfig& config);
  const ModelConfig& config() const { return cfg_; }

  // u: (B, 6480) transformed showers, energies: (B) MeV. Runs forward and backward, accumulating
  // parameter gradients (call Adam::zero_grad first when training). With training=false no
  // gradients are computed and the posterior is a hard Bernoulli sample. With a prior the KL terms
  // are computed (and, weighted by s.kl_weight, back-propagated into the encoder; the RBM itself
  // gets no gradient here). backprop=false (frozen encoder/decoder) runs the training-mode forward
  // only: relaxed posterior and loss terms, no gradients. On CUDA, prior_on_device (the packed
  // parameters of samplers/device_rbm.hpp, which the trainer keeps on the device) replaces the
  // prior's values; `prior` then gives only its size.
  LossTerms train_step(const Tensor& u, std::span<const float> energies, const StepSchedule& s,
                       bool training, const Rbm* prior = nullptr, bool backprop = true,
                       const float* prior_on_device = nullptr);

  // Posterior partitions 1..3 of the last train_step (B x 3n, relaxed in training), host floats.
  // On the GPU they stay on the device until asked for here (one download per call after a step).
  const std::vector<float>& last_posterior() const;
  // The same posterior (B, 3n) where the step left it on the device; nullptr on the CPU path.
  const Tensor* last_posterior_on_device() const;
  // Encoder logits of the last train_step (B x 3n, partition order 1..3), host floats (likewise).
  const std::vector<float>& last_logits() const;

  // Sets the output biases from the data (a fresh model predicts u ~ 0 where hits sit at u ~ 5-12,
  // and that first error would dominate the latents' gradients): the energy head's bias to the
  // mean non-zero u, the hit head's to the logit of the hit fraction.
  // Data-parallel training: BatchNorm layers reduce their batch statistics over `comm`.
  void set_batch_communicator(dist::Communicator* comm);

  void init_output_bias(float mean_hit_u, float hit_fraction);

  // Decodes latent states (B x 4n, partition order, partition 0 = energy code) into u (B, 6480)
  // with the eval combination ReLU(acts) * Bernoulli(sigmoid(hits)).
  Tensor decode(std::span<const uint8_t> states, std::span<const float> energies, uint64_t seed,
                uint64_t offset);
  // decode() of latent rows already on the model's backend: (B, 4n) floats, the states as 0/1
  // values with partition 0 the energy code (kernels/gen/latent_rows.cu builds them from the
  // prior's device chains). Equals decode() of the same states bit for bit; on CUDA only the
  // energies go up.
  Tensor decode(const Tensor& latent_rows, std::span<const float> energies, uint64_t seed,
                uint64_t offset);
  // decode() before the eval combination: (B, 2, 45, 16, 9), channel 0 the energy head's
  // activations, channel 1 the hit logits (perf/decoder_io checks the PyTorch twin against it).
  Tensor decode_heads(std::span<const uint8_t> states, std::span<const float> energies);
  // On the CPU, decode() and decode_heads() run the channels-last inference tail
  // (host/nn/decoder_tail_cpu.hpp) where the layers allow; off: the layers' own forward, which the
  // tail equals up to float summation order (the tests compare the two).
  void set_cpu_decoder_tail(bool on) { cpu_decoder_tail_ = on; }

  std::vector<Param*> params();
  std::vector<Buffer> buffers();
  // Moves the parameters; to Backend::cuda also creates the model's stream.
  void to(Backend where);
  Backend backend() const { return backend_; }
  // The stream the model's device work runs on (null on the CPU): train_step and the decodes open
  // a StreamScope on it themselves; the trainer and the generator open one around a whole step or
  // block (Adam, the RBM update, the inverse transform), so its memory is reused there too.
  const std::shared_ptr<CudaStream>& cuda_stream() const { return stream_; }

 private:
  // The decoder's input: energy code, latents (B x 3n) and le, the energies' column
  // (energy_column, which the caller has: the decoder's heads read it too).
  Tensor decoder_input(const Tensor& latent13, std::span<const float> energies, const Tensor& le);
  // decoder_input of full latent states (B x 4n, partition 0 the energy code, which is rebuilt
  // from the energies).
  Tensor states_decoder_input(std::span<const uint8_t> states, std::span<const float> energies,
                              const Tensor& le);
  // decoder_input of rows b0 .. b0 + le.dim(0) - 1 of latent rows (B x 4n floats on the model's
  // backend; decode()'s device overload): the same values, the code from the rows.
  Tensor rows_decoder_input(const Tensor& latent_rows, int64_t b0, const Tensor& le);
  // decode()'s body: zin_of(b0, m, le) is the decoder input of rows b0 .. b0 + m - 1, whose
  // energy column is le.
  Tensor decode_slices(const std::function<Tensor(int64_t, int64_t, const Tensor&)>& zin_of,
                       std::span<const float> energies, uint64_t seed, uint64_t offset);
  int64_t decode_micro_slice() const;
  // The CPU inference path from the trunk's ConvT on (nullopt on CUDA or for layers it does not
  // cover, e.g. attention in a head).
  std::optional<DecoderTailCpu>
  decoder_tail_cpu();  // showers per CPU pass of the decoder's convolutions
  Tensor run_decoder(const Tensor& zin, const Tensor& le, bool training);
  Tensor decoder_backward(const Tensor& grad_out);
  std::vector<Sequential*> parts();
  // Throws unless `states` holds 4n values per energy.
  void check_decode_input(std::span<const uint8_t> states, std::span<const float> energies) const;
  void set_inference(bool on);  // all parts: no copies kept for backward

  ModelConfig cfg_;
  bool cpu_decoder_tail_ = true;
  Backend backend_ = Backend::cpu;
  std::shared_ptr<CudaStream> stream_;  // created by to(Backend::cuda)
  PackedRbm kl_prior_;  // the KL terms' copy of the prior (device): refreshed when it changed
  std::vector<std::unique_ptr<Sequential>> enc_low_;   // convs before the energy channel
  std::vector<std::unique_ptr<Sequential>> enc_high_;  // conv after it, flattened
  std::vector<std::unique_ptr<Sequential>> enc_head_;  // Linear(features + earlier latents -> n)
  std::unique_ptr<Sequential> dec_trunk_;
  std::unique_ptr<Sequential> dec_act_;  // energy head
  std::unique_ptr<Sequential> dec_hit_;  // hit head
  Conv3d* act_out_ = nullptr;            // last conv of each head (bias initialised from data)
  Conv3d* hit_out_ = nullptr;
  // Host copies of the last step's posterior and logits; on the GPU filled from device_latents_
  // (logits of partitions 1..3, then the (B, 3n) posterior) on first use.
  mutable std::vector<float> posterior_, logits_;
  mutable bool latents_on_device_ = false;
  std::array<Tensor, 4> device_latents_;
  int64_t enc_features_ = 0;
};

Tensor energy_column(std::span<const float> energies, Backend where);  // (B,1) log-energy scalar
// (B, n) partition-0 energy codes as 0/1 floats, built where they are used: on the device only
// the B energies go up.
Tensor energy_codes(std::span<const float> energies, int n, Backend where);

}  // namespace calo::nn
