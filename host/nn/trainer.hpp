#pragma once
// Training loop for Calo4pQVAE: deterministic (Philox-addressed shuffling and noise), validation
// every epoch, per-epoch CSV/JSON logs, atomic checkpoints every epoch and on a stop request
// (SIGINT), exact resume.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/backend.hpp"
#include "host/nn/train_config.hpp"

namespace calo::dist {
class Communicator;
}

namespace calo::nn {

struct TrainOptions {
  std::string config_path;
  std::string data_path;
  std::string out_dir;
  Backend backend = Backend::cpu;
  bool resume = false;
  bool progress = true;
  int64_t stop_after_batches = -1;  // tests: behave as if SIGINT arrived after this many batches
  // Also checkpoint after every this many batches inside an epoch (0: at epoch ends only).
  int64_t checkpoint_every = 0;
  // Data-parallel job (mpirun/srun): each rank holds 1/K of the training rows and runs 1/K of
  // every global batch of training.batch_size; rank 0 writes the checkpoint and the logs.
  // nullptr: one process.
  dist::Communicator* comm = nullptr;
  // Test-only fault injection: rank `test_fault_rank` exits abruptly (no MPI_Abort, no cleanup,
  // as a crashed or OOM-killed rank would) after this many batches; -1: never.
  int test_fault_rank = -1;
  int64_t test_fault_after_batches = -1;
};

struct EpochMetrics {
  int epoch = 0;
  double train_mse = 0, train_bce = 0, val_mse = 0, val_bce = 0;
  double train_entropy = 0, train_pos_energy = 0, val_entropy = 0, val_pos_energy = 0;
  double kl_weight = 0;
  // Latent diagnostics on the validation showers (host/nn/latent_diagnostics.hpp).
  double distinct_map = 0, distinct_sampled = 0;             // fractions of distinct states
  double marginal_entropy = 0, conditional_entropy = 0;      // bits per unit
  double pos_energy_hard = 0, neg_energy = 0, unit_gap = 0;  // encoded vs prior samples
  double kl_estimate = 0, kl_stderr = 0;                     // KL(q || p), nats per shower
  double information() const { return marginal_entropy - conditional_entropy; }
  bool frozen = false;  // encoder/decoder frozen, RBM trained with PCD
  double beta = 0, slope = 0, seconds = 0, samples_per_s = 0;
  double train_recon() const { return train_mse + train_bce; }
  double val_recon() const { return val_mse + val_bce; }
  double train_kl() const { return train_entropy + train_pos_energy; }
  double val_kl() const { return val_entropy + val_pos_energy; }
  // The optimised loss: mse + bce + kl_weight * (entropy + pos_energy).
  // Without the negative phase (it has no encoder/decoder gradient), so it moves as the RBM
  // fits: compare runs on the reconstruction and on kl_estimate, not on these.
  double train_total() const { return train_recon() + kl_weight * train_kl(); }
  double val_total() const { return val_recon() + kl_weight * val_kl(); }
};

struct TrainResult {
  std::vector<EpochMetrics> history;
  bool interrupted = false;
  int64_t batches_run = 0;  // in this call
};

// Where a checkpoint's state.json says training stands.
struct ResumeState {
  int epoch = 0;           // epochs completed
  int64_t next_batch = 0;  // first batch of epoch `epoch` still to run
  double sum_mse = 0, sum_bce = 0, sum_entropy = 0, sum_pos_energy = 0, partial_seconds = 0;
  std::vector<EpochMetrics> history;
};
// Parses and checks state.json against the run (epochs, batches per epoch): a damaged or foreign
// state is an InputError naming `where` and the field, never an out-of-range batch.
ResumeState parse_resume_state(const nlohmann::json& state, int epochs, int64_t steps,
                               const std::string& where);

// Async-signal-safe: asks the running trainer to finish the current batch, checkpoint and stop.
void request_stop();
void clear_stop();

TrainResult train(const TrainOptions& options);

}  // namespace calo::nn
