// calo_train: trains Calo4pQVAE on a CaloChallenge Dataset-2 file.
//   calo_train --config C --data FILE.h5 --out DIR [--backend cpu|cuda] [--resume]
//              [--max-batches N] [--checkpoint-every N]
// Writes DIR/checkpoint/ (atomically, every epoch and on Ctrl-C), DIR/log.csv and DIR/log.json.
// --max-batches N stops after N batches of this run and checkpoints as Ctrl-C does (profiling).
// Under mpirun/srun (K ranks) the job is data-parallel: each rank holds 1/K of the training rows
// and runs 1/K of every batch; rank 0 prints, logs and writes the checkpoint. An error on any rank
// ends the whole job (MPI_Abort) with that rank's message.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "host/backend.hpp"
#include "host/dist/communicator.hpp"
#include "host/dist/local_device.hpp"
#include "host/error.hpp"
#include "host/log.hpp"
#include "host/nn/trainer.hpp"
#include "host/runtime_policy.hpp"

namespace {
extern "C" void on_sigint(int) {
  calo::nn::request_stop();
}
}  // namespace

int main(int argc, char** argv) {
  calo::apply_runtime_policy(argc, argv);
  CLI::App app{"Train the Calo4pQVAE model (checkpoints and logs in --out)"};
  calo::nn::TrainOptions opt;
  std::string backend = "cpu";
  app.add_option("--config", opt.config_path, "training YAML (configs/quickstart.yaml)");
  app.add_option("--data", opt.data_path, "CaloChallenge HDF5 file (Dataset 2)")->required();
  app.add_option("--out", opt.out_dir, "output directory")->required();
  app.add_option("--backend", backend, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_flag("--resume", opt.resume, "continue from OUT/checkpoint (the config stored there)");
  app.add_flag("!--no-progress", opt.progress, "no progress bar");
  int64_t max_batches = -1;
  app.add_option("--max-batches", max_batches,
                 "stop after N batches of this run (checkpoint written, continue with --resume)")
      ->check(CLI::PositiveNumber);
  app.add_option("--checkpoint-every", opt.checkpoint_every,
                 "also checkpoint every N batches within an epoch (default: at epoch ends)")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  // A file-size limit (ulimit -f) must fail the write with EFBIG, reported in one line, rather
  // than kill the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  std::unique_ptr<calo::dist::Communicator> comm;
  try {
    calo::init_logging();
    comm = calo::dist::world_communicator();
    opt.comm = comm.get();
    if (!comm->is_root()) spdlog::set_level(spdlog::level::warn);  // rank 0 speaks for the job
    // Test-only fault hook: CALO_TEST_FAULT_RANK_EXIT=RANK:BATCHES makes that rank exit abruptly.
    if (const char* fault = std::getenv("CALO_TEST_FAULT_RANK_EXIT")) {
      long long after = -1;
      if (std::sscanf(fault, "%d:%lld", &opt.test_fault_rank, &after) != 2)
        calo::fail_input("CALO_TEST_FAULT_RANK_EXIT='{}': expected RANK:BATCHES", fault);
      opt.test_fault_after_batches = after;
    }
    if (!opt.resume && opt.config_path.empty())
      calo::fail_input("--config is required unless --resume is given");
    opt.backend = calo::parse_backend(backend);
    if (opt.backend == calo::Backend::cuda && comm->size() > 1)
      calo::dist::select_local_cuda_device();  // one rank per GPU of the node
    opt.stop_after_batches = max_batches;
    std::signal(SIGINT, on_sigint);
    const calo::nn::TrainResult r = calo::nn::train(opt);
    if (!comm->is_root()) return 0;
    if (r.interrupted && max_batches > 0 && r.batches_run >= max_batches) {
      std::printf("stopped after %lld batches (--max-batches); checkpoint in %s/checkpoint\n",
                  static_cast<long long>(r.batches_run), opt.out_dir.c_str());
      return 0;
    }
    if (r.interrupted) {
      std::fprintf(
          stderr, "error: interrupted; checkpoint saved in %s/checkpoint, continue with --resume\n",
          opt.out_dir.c_str());
      return 130;
    }
    if (!r.history.empty()) {
      const auto& first = r.history.front();
      const auto& last = r.history.back();
      std::printf("trained %d epochs: train loss %.5g -> %.5g, val loss %.5g -> %.5g\n", last.epoch,
                  first.train_total(), last.train_total(), first.val_total(), last.val_total());
    }
    return 0;
  } catch (const std::exception& e) {
    if (comm && comm->size() > 1) {
      std::fprintf(stderr, "error: rank %d of %d: %s\n", comm->rank(), comm->size(), e.what());
      std::fflush(stderr);
      comm->abort(1);  // the other ranks would wait forever in their next collective
    }
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
