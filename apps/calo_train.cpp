// calo_train: trains Calo4pQVAE on a CaloChallenge Dataset-2 file.
//   calo_train --config C --data FILE.h5 --out DIR [--backend cpu|cuda] [--resume]
//              [--max-batches N] [--checkpoint-every N]
// Writes DIR/checkpoint/ (atomically, every epoch and on Ctrl-C), DIR/log.csv and DIR/log.json.
// --max-batches N stops after N batches of this run and checkpoints as Ctrl-C does (profiling).
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <string>

#include "host/backend.hpp"
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
  try {
    calo::init_logging();
    if (!opt.resume && opt.config_path.empty())
      calo::fail_input("--config is required unless --resume is given");
    opt.backend = calo::parse_backend(backend);
    opt.stop_after_batches = max_batches;
    std::signal(SIGINT, on_sigint);
    const calo::nn::TrainResult r = calo::nn::train(opt);
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
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
