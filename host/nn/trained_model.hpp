#pragma once
// A trained model as its checkpoint directory stores it (host/nn/checkpoint.hpp): the training
// config, the VAE with its parameters and BatchNorm statistics, and the RBM prior, read from one
// reading of the checkpoint. Generation (host/gen) and training's resume both come here; neither
// needs the trainer.
#include <string>

#include "host/nn/checkpoint.hpp"
#include "host/nn/model.hpp"
#include "host/nn/train_config.hpp"
#include "samplers/rbm.hpp"

namespace calo::nn {

struct TrainedModel {
  TrainConfig config;
  Calo4pQVAE model;
  Rbm prior;
};
TrainedModel load_trained_model(const std::string& checkpoint_dir);

// The model's parameters and buffers as the checkpoint's named arrays, and back (each array
// checked against the model's shapes; `where` names the checkpoint in errors).
NamedArrays model_arrays(Calo4pQVAE& m);
void load_model_arrays(Calo4pQVAE& m, const NamedArrays& arrays, const std::string& where);

}  // namespace calo::nn
