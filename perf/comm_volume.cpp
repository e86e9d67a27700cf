// comm_volume: what one data-parallel training step all-reduces, counted from the model a config
// builds (not measured on a network), for perf/scaling and perf/results/scaling.md.
//
//   comm_volume CONFIG.yaml [CONFIG.yaml ...]   one JSON object per config on stdout
//
// Per joint-phase step (host/nn/trainer.cpp, host/nn/data_parallel.cpp, host/nn/norm.cpp):
//   gradients      every parameter's gradient as one flat float buffer (allreduce_gradients)
//   batchnorm      per BatchNorm of C channels: forward sums (C + 1 doubles) and squared
//                  deviations (C), backward sums of g and g x-hat (2C): 3 calls, (4C + 1) x 8 B
//   rbm            the centred gradient's data and model moment sums: 2 (N + N^2) doubles
//                  (sharded_centred_gradient; N = 4n, second moments dense N x N)
//   scalars        the four loss terms and the stop flag: 2 calls, 5 doubles
#include <cstdio>
#include <string>

#include "host/config.hpp"
#include "host/nn/model.hpp"
#include "host/nn/train_config.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: comm_volume CONFIG.yaml [CONFIG.yaml ...]\n");
    return 2;
  }
  try {
    for (int a = 1; a < argc; ++a) {
      const calo::nn::TrainConfig tc =
          calo::nn::TrainConfig::from_config(calo::Config::load_file(argv[a]));
      calo::nn::Calo4pQVAE model(tc.model);
      long long params = 0, bn_layers = 0, bn_channels = 0;
      for (const calo::nn::Param* p : model.params()) params += p->value.numel();
      for (const calo::nn::Buffer& b : model.buffers())
        if (b.name.ends_with(".running_mean")) {
          ++bn_layers;
          bn_channels += b.value->numel();
        }
      const long long N = 4LL * tc.model.n;
      const long long grad_bytes = 4 * params;
      const long long bn_bytes = 8 * (4 * bn_channels + bn_layers);
      const long long rbm_bytes = 8 * 2 * (N + N * N);
      const long long scalar_bytes = 8 * 5;
      const long long calls = 1 + 3 * bn_layers + 1 + 2;
      std::printf(
          "{\"config\": \"%s\", \"parameters\": %lld, \"batchnorm_layers\": %lld, "
          "\"batchnorm_channels\": %lld, \"rbm_nodes\": %lld, \"batch_size\": %d, "
          "\"gradient_bytes\": %lld, \"batchnorm_bytes\": %lld, \"rbm_bytes\": %lld, "
          "\"scalar_bytes\": %lld, \"bytes_per_step\": %lld, \"allreduce_calls_per_step\": %lld}\n",
          argv[a], params, bn_layers, bn_channels, N, tc.batch_size, grad_bytes, bn_bytes,
          rbm_bytes, scalar_bytes, grad_bytes + bn_bytes + rbm_bytes + scalar_bytes, calls);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
