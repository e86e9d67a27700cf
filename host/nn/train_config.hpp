#pragma once
// What a training config (YAML: model, training, prior) says, parsed and checked: the trainer
// runs it and a checkpoint stores it beside the parameters (host/nn/trained_model.hpp reads it
// back for generation).
#include <array>
#include <cstdint>
#include <string>

#include "host/config.hpp"
#include "host/nn/model.hpp"
#include "host/nn/schedule.hpp"

namespace calo::nn {

// The RBM prior (research/caloqvae.md section 6): a 4-partite RBM on a D-Wave graph, trained
// beside the VAE with the centred CD-k gradient on the encoder's posterior samples; after
// training.freeze_after_epoch the chains become persistent (PCD, stored in the checkpoint).
struct PriorConfig {
  std::string topology = "zephyr:2,2";  // graph whose four-colouring gives the partitions
  double learning_rate = 0.01;          // SGD ascent step on the centred gradient
  int cd_sweeps = 10;                   // k of CD-k and of PCD (the reference uses 3000)
  // prior.chains: "data" (CD-k chains start at the batch's posterior; PCD only when frozen) or
  // "persistent" (PCD from the first batch: with few sweeps per update CD-k fits the posterior
  // only near the data, and prior samples from random starts land elsewhere).
  bool persistent = false;
  // Initial weight spread per partition pair [01, 02, 03, 12, 13, 23] (`w_std: s` for all six;
  // the reference uses [1, 1, 1, 0.01, 0.01, 0.01]) and bias spread.
  std::array<float, 6> w_std{0.01f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f};
  float b_std = 0.01f;
  uint64_t seed = 11;
};

struct TrainConfig {
  ModelConfig model;
  PriorConfig prior;
  uint64_t seed = 1;
  int epochs = 1;
  int batch_size = 64;
  double learning_rate = 1e-3;
  // Adam's rate falls linearly from learning_rate (first epoch) to learning_rate_end (last
  // epoch); 0 (the default) keeps it constant.
  double learning_rate_end = 0.0;
  double learning_rate_at(int epoch0) const {
    if (!(learning_rate_end > 0.0) || epochs <= 1) return learning_rate;
    const double t = double(epoch0) / double(epochs - 1);
    return learning_rate * (1.0 - t) + learning_rate_end * t;  // exactly the end at the last
  }
  double train_fraction = 0.8, test_fraction = 0.1;
  int64_t max_events = 0;  // 0: every event in the file
  LinearSchedule beta{1.0, 1.0, 1}, slope{0.02, 0.0, 1};
  // Weight of the KL terms (entropy + pos_energy): `kl_weight: w` or `{start, end, epochs}`.
  LinearSchedule kl_weight{0.0, 0.0, 0};
  // Epochs after this one train only the RBM (encoder/decoder frozen, PCD chains); 0 = never.
  int freeze_after_epoch = 0;
  bool frozen(int epoch0) const { return freeze_after_epoch > 0 && epoch0 >= freeze_after_epoch; }
  static TrainConfig from_config(const Config& cfg);  // checks every key was used
  static TrainConfig from_yaml_text(const std::string& text, const std::string& origin);
};

}  // namespace calo::nn
