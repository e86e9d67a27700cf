#pragma once
// Shower generation (calo_gen): RBM prior sample with partition 0 clamped to each shower's energy
// code -> decoder (eval combination: ReLU(acts) x Bernoulli(sigmoid(hits))) -> inverse transform ->
// CaloChallenge HDF5, streamed in batches so 100k+ showers never sit in memory at once.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/backend.hpp"
#include "kernels/device_memory.hpp"
#include "samplers/prior_sampler.hpp"

namespace calo::gen {

// Where the decoder's latents come from. prior: the RBM (the generator). encoded: the encoder's
// posterior of the --energies file's showers (reconstruction). random: uniform random bits in
// partitions 1-3. The last two are ablations: generation should be much closer to reconstruction
// than to random latents, or the prior is not doing its job.
enum class LatentSource { prior, encoded, random };
LatentSource parse_latent_source(const std::string& name);

struct GenerateOptions {
  std::string model_dir;      // calo_train --out directory (holds checkpoint/)
  std::string out_path;       // output HDF5
  std::string energies_path;  // take incident energies from this CaloChallenge file, or
  int64_t events = 0;         // ... draw this many log-uniform in [emin, emax] MeV
  double emin_mev = 1e3, emax_mev = 1e6;
  int batch = 256;
  uint64_t seed = 1;
  Backend backend = Backend::cpu;  // decoder backend (the prior sampler is passed in)
  bool progress = true;
  std::string rbm_energy_csv;  // optional: RBM energy of every prior sample, one per line
  LatentSource latents = LatentSource::prior;
  // Scale the showers by MODEL/calibration.json when it exists (response_calibration.hpp).
  bool calibrate = true;
};

struct GenerateTiming {
  int64_t showers = 0;
  double prior_s = 0, decode_s = 0, io_s = 0, total_s = 0;
  TransferCounts transfers;  // host<->device copies of the run (zero on the CPU backend)
  double us_per_shower() const { return showers ? 1e6 * total_s / double(showers) : 0; }
  std::string summary(const std::string& sampler) const;  // the one-line timing report
  std::string json(const std::string& sampler) const;
};

// Incident energies for a run: from the file, or Philox log-uniform (stream 0 of `seed`).
std::vector<float> generation_energies(const GenerateOptions& options);

GenerateTiming generate(const GenerateOptions& options, PriorSampler& prior);

// Fits the response calibration on the first `showers` rows of the training file `train_path`
// (generating for its incident energies with `prior`, calibration off), writes it to
// MODEL/calibration.json and returns a one-line summary.
std::string fit_response_calibration(const GenerateOptions& options, PriorSampler& prior,
                                     const std::string& train_path, int64_t showers);

// Encodes the showers of `data_path` with the trained encoder (eval mode: hard posterior samples,
// partition 0 = energy code) and writes the RBM energy of each encoded latent to `csv_path`, one
// per line: the "encoded data" curve of the RBM-energy comparison. Returns the number of showers.
int64_t write_encoded_rbm_energies(const std::string& model_dir, const std::string& data_path,
                                   const std::string& csv_path, int batch, uint64_t seed);

}  // namespace calo::gen
