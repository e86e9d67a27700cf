#include "host/nn/trainer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "host/atomic_file.hpp"
#include "host/dist/communicator.hpp"
#include "host/error.hpp"
#include "host/h5io.hpp"
#include "host/json_int.hpp"
#include "host/latent_layout.hpp"
#include "host/memory_limit.hpp"
#include "host/nn/adam.hpp"
#include "host/nn/checkpoint.hpp"
#include "host/nn/data_parallel.hpp"
#include "host/nn/latent_diagnostics.hpp"
#include "host/nn/prior_training.hpp"
#include "host/nn/trained_model.hpp"
#include "host/progress.hpp"
#include "host/split.hpp"
#include "host/stream.hpp"
#include "host/text_file.hpp"
#include "host/topology/graph.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/transform.hpp"
#include "samplers/cd_device.hpp"
#include "samplers/rbm_learning.hpp"

namespace calo::nn {
namespace fs = std::filesystem;
namespace {

volatile std::sig_atomic_t g_stop = 0;
constexpr int64_t kDiagnosticShowers = 2000;  // validation showers for the latent diagnostics

std::string read_text(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) fail_input("cannot read config '{}' (missing or unreadable)", path);
  return std::move(*text);
}

nlohmann::json metrics_json(const EpochMetrics& e) {
  return {{"epoch", e.epoch},
          {"train_mse", e.train_mse},
          {"train_bce", e.train_bce},
          {"train_entropy", e.train_entropy},
          {"train_pos_energy", e.train_pos_energy},
          {"train_kl", e.train_kl()},
          {"train_total", e.train_total()},
          {"val_mse", e.val_mse},
          {"val_bce", e.val_bce},
          {"val_entropy", e.val_entropy},
          {"val_pos_energy", e.val_pos_energy},
          {"val_kl", e.val_kl()},
          {"val_total", e.val_total()},
          {"train_recon", e.train_recon()},
          {"val_recon", e.val_recon()},
          {"kl_weight", e.kl_weight},
          {"distinct_map", e.distinct_map},
          {"distinct_sampled", e.distinct_sampled},
          {"marginal_entropy_bits", e.marginal_entropy},
          {"conditional_entropy_bits", e.conditional_entropy},
          {"information_bits", e.information()},
          {"pos_energy_hard", e.pos_energy_hard},
          {"neg_energy", e.neg_energy},
          {"unit_gap", e.unit_gap},
          {"kl_estimate", e.kl_estimate},
          {"kl_stderr", e.kl_stderr},
          {"frozen", e.frozen},
          {"beta", e.beta},
          {"slope", e.slope},
          {"seconds", e.seconds},
          {"samples_per_s", e.samples_per_s}};
}

// j[key] as an integer of type T; InputError when it is absent, fractional or out of range.
template <typename T>
T integer_field(const nlohmann::json& j, const char* key) {
  const auto v = json_integer<T>(j.at(key));
  if (!v) fail_input("'{}' is {}, not an integer in range", key, j.at(key).dump());
  return *v;
}

EpochMetrics metrics_from_json(const nlohmann::json& j) {
  EpochMetrics e;
  e.epoch = integer_field<int>(j, "epoch");
  e.train_mse = j.at("train_mse").get<double>();
  e.train_bce = j.at("train_bce").get<double>();
  e.val_mse = j.at("val_mse").get<double>();
  e.val_bce = j.at("val_bce").get<double>();
  // KL fields are absent in checkpoints written before the KL term existed.
  e.train_entropy = j.value("train_entropy", 0.0);
  e.train_pos_energy = j.value("train_pos_energy", 0.0);
  e.val_entropy = j.value("val_entropy", 0.0);
  e.val_pos_energy = j.value("val_pos_energy", 0.0);
  e.kl_weight = j.value("kl_weight", 0.0);
  e.distinct_map = j.value("distinct_map", 0.0);
  e.distinct_sampled = j.value("distinct_sampled", 0.0);
  e.marginal_entropy = j.value("marginal_entropy_bits", 0.0);
  e.conditional_entropy = j.value("conditional_entropy_bits", 0.0);
  e.pos_energy_hard = j.value("pos_energy_hard", 0.0);
  e.neg_energy = j.value("neg_energy", 0.0);
  e.unit_gap = j.value("unit_gap", 0.0);
  e.kl_estimate = j.value("kl_estimate", 0.0);
  e.kl_stderr = j.value("kl_stderr", 0.0);
  e.frozen = j.value("frozen", false);
  e.beta = j.at("beta").get<double>();
  e.slope = j.at("slope").get<double>();
  e.seconds = j.at("seconds").get<double>();
  e.samples_per_s = j.at("samples_per_s").get<double>();
  return e;
}

void write_logs(const std::string& out_dir, const std::vector<EpochMetrics>& history) {
  std::string csv =
      "epoch,train_mse,train_bce,train_recon,train_entropy,train_pos_energy,train_kl,train_total,"
      "val_mse,val_bce,val_recon,val_entropy,val_pos_energy,val_kl,val_total,kl_weight,"
      "distinct_map,distinct_sampled,marginal_entropy_bits,conditional_entropy_bits,"
      "information_bits,pos_energy_hard,neg_energy,unit_gap,kl_estimate,kl_stderr,frozen,beta,"
      "slope,seconds,samples_per_s\n";
  nlohmann::json js = nlohmann::json::array();
  for (const auto& e : history) {
    csv += fmt::format(
        "{},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},"
        "{:.9g},{:.9g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.9g},{:.9g},{:.6g},{:.9g},"
        "{:.6g},{},{:.6g},{:.6g},{:.4f},{:.2f}\n",
        e.epoch, e.train_mse, e.train_bce, e.train_recon(), e.train_entropy, e.train_pos_energy,
        e.train_kl(), e.train_total(), e.val_mse, e.val_bce, e.val_recon(), e.val_entropy,
        e.val_pos_energy, e.val_kl(), e.val_total(), e.kl_weight, e.distinct_map,
        e.distinct_sampled, e.marginal_entropy, e.conditional_entropy, e.information(),
        e.pos_energy_hard, e.neg_energy, e.unit_gap, e.kl_estimate, e.kl_stderr, e.frozen ? 1 : 0,
        e.beta, e.slope, e.seconds, e.samples_per_s);
    js.push_back(metrics_json(e));
  }
  write_text_atomically((fs::path(out_dir) / "log.csv").string(), csv);
  write_text_atomically((fs::path(out_dir) / "log.json").string(), js.dump(1) + "\n");
}

struct Dataset {
  std::vector<float> u;         // rows x 6480
  std::vector<float> energies;  // rows
};

// Rows [first, first + count) of the file, checked and transformed (u).
Dataset load_rows(const ShowerFileReader& reader, int64_t first, int64_t count) {
  const std::string& path = reader.path();
  ShowerBlock block = reader.read(first, count);
  Dataset d;
  d.energies = std::move(block.energies);
  d.u.resize(block.showers.size());
  for (int64_t i = 0; i < count; ++i) {
    const int64_t r = first + i;
    const float e = d.energies[size_t(i)];
    if (!(e > 0.0f))
      fail_input("'{}': incident_energies row {} is {} MeV; energies must be positive", path, r, e);
    for (int v = 0; v < kVoxels; ++v) {
      const size_t k = size_t(i) * kVoxels + size_t(v);
      const float x = block.showers[k];
      if (!(x >= 0.0f) || !(x < 1e30f))
        fail_input("'{}': showers row {} voxel {} is {} (must be finite and >= 0)", path, r, v, x);
      d.u[k] = voxel_to_u(x, e);
    }
  }
  return d;
}

struct Batch {
  Tensor u;
  std::vector<float> e;
};

Batch to_batch(const Dataset& d) {
  Batch b;
  const int64_t count = static_cast<int64_t>(d.energies.size());
  b.u = Tensor::from_host({count, kVoxels}, d.u);
  b.e = d.energies;
  return b;
}

// Test-only fault hook (TrainOptions::test_fault_rank): the abrupt exit of a crashed rank.
void maybe_inject_fault(const TrainOptions& opt, int rank, int64_t batches_run) {
  if (opt.test_fault_rank == rank && opt.test_fault_after_batches >= 0 &&
      batches_run >= opt.test_fault_after_batches) {
    std::fprintf(stderr, "test fault: rank %d exits abruptly after %lld batches\n", rank,
                 static_cast<long long>(batches_run));
    std::fflush(stderr);
    std::_Exit(3);
  }
}

// The validation pass of an epoch (hard posterior samples, teacher-forced hit mask as in
// training): its mean loss terms and the latents of the first kDiagnosticShowers showers for the
// diagnostics.
struct Validation {
  double mse = 0, bce = 0, entropy = 0, pos_energy = 0;
  std::vector<float> logits, samples, energies;
};
Validation validate(Calo4pQVAE& model, PriorTraining& prior,
                    const std::map<int64_t, Dataset>& val_batches, const StepSchedule& sch,
                    int64_t validation_rows, int64_t B, int n, dist::Communicator& comm) {
  // Each rank evaluates its validation batches (j % K == rank); the per-batch sums and the
  // diagnostics' latents are placed by batch and summed over the ranks (each entry comes from
  // one rank), then added in batch order as one process adds them.
  const int64_t vbatches = (validation_rows + B - 1) / B;
  std::vector<double> vsums(size_t(4 * vbatches), 0.0);
  // Latent diagnostics on up to kDiagnosticShowers validation showers.
  const int64_t diag_rows = std::min(kDiagnosticShowers, validation_rows);
  const size_t units_per = 3 * size_t(n);
  std::vector<float> diag_logits(size_t(diag_rows) * units_per, 0.0f);
  std::vector<float> diag_samples(diag_logits.size(), 0.0f),
      diag_energies(diag_logits.size() / units_per);
  for (const auto& [first, vd] : val_batches) {
    const StreamScope on_stream(model.cuda_stream());
    const int64_t cnt = static_cast<int64_t>(vd.energies.size());
    Batch vb = to_batch(vd);
    StepSchedule vs = sch;
    vs.global_batch = 0;  // one process's batch: no shard
    vs.first_example = 0;
    vs.step = (uint64_t{1} << 40) + static_cast<uint64_t>(first);
    const LossTerms t =
        model.train_step(vb.u, vb.e, vs, false, &prior.held(), true, prior.on_device());
    if (first < diag_rows) {
      const int64_t take = std::min<int64_t>(cnt, diag_rows - first);
      const size_t units = size_t(take) * units_per, at = size_t(first) * units_per;
      std::copy_n(model.last_logits().begin(), units, diag_logits.begin() + long(at));
      std::copy_n(model.last_posterior().begin(), units, diag_samples.begin() + long(at));
      std::copy_n(vb.e.begin(), take, diag_energies.begin() + first);
    }
    const size_t j = size_t(first / B);
    vsums[4 * j + 0] = t.mse * double(cnt);
    vsums[4 * j + 1] = t.bce * double(cnt);
    vsums[4 * j + 2] = t.entropy * double(cnt);
    vsums[4 * j + 3] = t.pos_energy * double(cnt);
  }
  if (comm.size() > 1) {
    comm.allreduce_sum(vsums);
    comm.allreduce_sum(diag_logits);
    comm.allreduce_sum(diag_samples);
    comm.allreduce_sum(diag_energies);
  }
  Validation v;
  for (size_t j = 0; j < size_t(vbatches); ++j) {
    v.mse += vsums[4 * j + 0];
    v.bce += vsums[4 * j + 1];
    v.entropy += vsums[4 * j + 2];
    v.pos_energy += vsums[4 * j + 3];
  }
  const double rows = double(validation_rows);
  v.mse /= rows;
  v.bce /= rows;
  v.entropy /= rows;
  v.pos_energy /= rows;
  v.logits = std::move(diag_logits);
  v.samples = std::move(diag_samples);
  v.energies = std::move(diag_energies);
  return v;
}

}  // namespace

void request_stop() {
  g_stop = 1;
}
void clear_stop() {
  g_stop = 0;
}

ResumeState parse_resume_state(const nlohmann::json& state, int epochs, int64_t steps,
                               const std::string& where) {
  ResumeState r;
  try {
    r.epoch = integer_field<int>(state, "epoch");
    r.next_batch = integer_field<int64_t>(state, "next_batch");
    r.sum_mse = state.at("sum_mse").get<double>();
    r.sum_bce = state.at("sum_bce").get<double>();
    r.sum_entropy = state.value("sum_entropy", 0.0);
    r.sum_pos_energy = state.value("sum_pos_energy", 0.0);
    r.partial_seconds = state.at("partial_seconds").get<double>();
    for (const auto& j : state.at("history")) r.history.push_back(metrics_from_json(j));
  } catch (const nlohmann::json::exception& e) {
    fail_input("'{}' is damaged: {}", where, e.what());
  }
  if (r.epoch < 0 || r.epoch > epochs)
    fail_input("'{}': epoch {} is outside 0..{} (the checkpoint belongs to another run?)", where,
               r.epoch, epochs);
  if (r.next_batch < 0 || r.next_batch >= std::max<int64_t>(steps, 1) ||
      (r.epoch == epochs && r.next_batch != 0))
    fail_input(
        "'{}': next_batch {} is outside 0..{} (the checkpoint belongs to another data file "
        "or batch size?)",
        where, r.next_batch, steps - 1);
  if (r.history.size() != size_t(r.epoch))
    fail_input("'{}': {} epochs done but {} in the history (damaged checkpoint)", where, r.epoch,
               r.history.size());
  return r;
}

TrainResult train(const TrainOptions& opt) {
  const std::string ck_dir = (fs::path(opt.out_dir) / "checkpoint").string();
  std::string config_text;
  if (opt.resume) {
    if (!checkpoint_exists(ck_dir))
      fail_input("--resume: no checkpoint in '{}'; run once without --resume", ck_dir);
    config_text = read_checkpoint_config(ck_dir);
  } else {
    config_text = read_text(opt.config_path);
  }
  const TrainConfig tc = TrainConfig::from_yaml_text(
      config_text, opt.resume ? ck_dir + "/config.yaml" : opt.config_path);
  require_backend(opt.backend);
  std::error_code ec;
  fs::create_directories(opt.out_dir, ec);
  if (ec) fail_input("cannot create output directory '{}': {}", opt.out_dir, ec.message());

  const std::unique_ptr<dist::Communicator> serial = dist::serial_communicator();
  dist::Communicator& comm = opt.comm ? *opt.comm : *serial;
  const int K = comm.size(), rank = comm.rank();
  const bool root = comm.is_root();

  const ShowerFileReader reader(opt.data_path, kVoxels);
  int64_t N = reader.num_events();
  if (tc.max_events > 0) N = std::min(N, tc.max_events);
  const DataSplit split = split_rows(N, tc.train_fraction, tc.test_fraction);
  const int64_t B = tc.batch_size;
  if (B < K)
    fail_input(
        "training.batch_size {} is smaller than the {} ranks of this job (each rank needs "
        "at least one shower of every batch); use fewer ranks or a larger batch",
        B, K);
  const int64_t steps = split.train.count / B;
  if (steps < 1)
    fail_input(
        "'{}': {} training rows (of {} events) is fewer than one batch of {}; use more "
        "events or a smaller training.batch_size",
        opt.data_path, split.train.count, N, B);
  if (split.validation.count < 1)
    fail_input("'{}': no validation rows with {} events; use more events", opt.data_path, N);
  // This rank's rows: its 1/K of the training split (every batch's rows are fetched from the ranks
  // that hold them) and the validation batches j with j % K == rank.
  std::vector<RowRange> held_by_rank;
  for (int r = 0; r < K; ++r) held_by_rank.push_back(rank_rows(split.train, r, K));
  const RowRange held = held_by_rank[size_t(rank)];
  int64_t val_rows_here = 0;
  for (int64_t j = rank, first = j * B; first < split.validation.count; j += K, first = j * B)
    val_rows_here += std::min(B, split.validation.count - first);
  // The showers and their transformed copy are both held in memory while loading.
  require_memory(2.0 * double(held.count + val_rows_here) * (kVoxels + 1) * sizeof(float),
                 fmt::format("'{}': training on {} showers{} (set training.max_events to use "
                             "fewer)",
                             opt.data_path, N, K > 1 ? fmt::format(", {} ranks", K) : ""));
  HeldRows data;
  data.held = held;
  {
    Dataset d = load_rows(reader, held.first, held.count);
    data.u = std::move(d.u);
    data.energies = std::move(d.energies);
  }
  std::map<int64_t, Dataset> val_batches;  // first validation row (relative) -> rows
  for (int64_t j = rank, first = j * B; first < split.validation.count; j += K, first = j * B)
    val_batches[first] = load_rows(reader, split.validation.first + first,
                                   std::min(B, split.validation.count - first));

  Calo4pQVAE model(tc.model);
  if (!opt.resume) {  // output biases from the training rows (a resume loads the checkpoint's)
    double sum_u = 0.0;
    int64_t hits = 0;
    for (int64_t r = 0; r < held.count; ++r)
      for (int v = 0; v < kVoxels; ++v) {
        const float x = data.u[size_t(r) * kVoxels + size_t(v)];
        if (x > 0.0f) {
          sum_u += x;
          ++hits;
        }
      }
    if (K > 1) {
      std::vector<double> s{sum_u, double(hits)};  // counts below 2^53 add exactly
      comm.allreduce_sum(s);
      sum_u = s[0];
      hits = static_cast<int64_t>(s[1]);
    }
    const double cells = double(split.train.count) * kVoxels;
    model.init_output_bias(hits ? static_cast<float>(sum_u / double(hits)) : 0.0f,
                           static_cast<float>(double(hits) / std::max(cells, 1.0)));
  }
  model.to(opt.backend);
  if (K > 1) model.set_batch_communicator(&comm);  // sync BatchNorm over the global batch
  Adam adam(static_cast<float>(tc.learning_rate), 0.9f, 0.999f, 1e-8f, 0.0f);
  const RowRange my_examples = rank_rows({0, B}, rank, K);  // this rank's slice of every batch
  PriorTraining prior(tc.prior, tc.model.n, opt.backend, comm, my_examples, B);

  TrainResult result;
  int start_epoch = 0;
  int64_t next_batch = 0;
  double sum_mse = 0, sum_bce = 0, sum_ent = 0, sum_pos = 0, part_seconds = 0;
  if (opt.resume) {
    const CheckpointData ck = read_checkpoint(ck_dir);
    load_model_arrays(model, ck.params, ck_dir);
    prior.restore(ck.params, ck_dir);
    adam.load_state(ck.optimizer);
    ResumeState rs = parse_resume_state(ck.state, tc.epochs, steps, ck_dir + "/state.json");
    start_epoch = rs.epoch;
    next_batch = rs.next_batch;
    sum_mse = rs.sum_mse;
    sum_bce = rs.sum_bce;
    sum_ent = rs.sum_entropy;
    sum_pos = rs.sum_pos_energy;
    part_seconds = rs.partial_seconds;
    result.history = std::move(rs.history);
    spdlog::info("resuming from '{}' at epoch {} batch {}{}", ck_dir, start_epoch + 1, next_batch,
                 K > 1 ? fmt::format(" on {} ranks", K) : "");
  }
  auto save = [&](int epoch, int64_t nb, double smse, double sbce, double sent, double spos,
                  double secs) {
    // Every rank holds the same parameters; the persistent chains are gathered from the ranks'
    // windows (a collective: every rank calls save), then rank 0 alone writes.
    NamedArrays prior_arrays = prior.checkpoint_arrays();
    if (!root) return;
    CheckpointData ck;
    ck.config_text = config_text;
    ck.params = model_arrays(model);
    for (auto& a : prior_arrays) ck.params.push_back(std::move(a));
    ck.optimizer = adam.state();
    nlohmann::json hist = nlohmann::json::array();
    for (const auto& e : result.history) hist.push_back(metrics_json(e));
    ck.state = {{"epoch", epoch},          {"next_batch", nb},         {"sum_mse", smse},
                {"sum_bce", sbce},         {"sum_entropy", sent},      {"sum_pos_energy", spos},
                {"partial_seconds", secs}, {"steps_per_epoch", steps}, {"history", hist}};
    write_checkpoint(ck_dir, ck);
  };

  // The files beside the checkpoint, rewritten after every epoch.
  auto write_outputs = [&] {
    if (!root) return;
    prior.host().save((fs::path(opt.out_dir) / "rbm.h5").string());  // for calo_qpu_calibrate
    write_text_atomically((fs::path(opt.out_dir) / "topology.txt").string(),
                          tc.prior.topology + "\n");
    write_logs(opt.out_dir, result.history);
  };
  // A run killed after its last checkpoint but before these files were written: write them now.
  if (start_epoch == tc.epochs) write_outputs();

  for (int epoch = start_epoch; epoch < tc.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<int64_t> perm = epoch_permutation(split.train.count, tc.seed, epoch);
    std::vector<int64_t> rows(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) rows[i] = split.train.first + perm[i];
    StepSchedule sch;
    sch.seed = tc.seed;
    sch.beta = static_cast<float>(tc.beta.at(epoch));
    sch.slope = static_cast<float>(tc.slope.at(epoch));
    sch.kl_weight = static_cast<float>(tc.kl_weight.at(epoch));
    const bool frozen = tc.frozen(epoch);
    adam.set_lr(static_cast<float>(tc.learning_rate_at(epoch)));
    if (frozen && epoch == tc.freeze_after_epoch && next_batch == 0)
      spdlog::info("epoch {}: encoder and decoder frozen; training the RBM prior with PCD",
                   epoch + 1);
    std::unique_ptr<ProgressBar> bar;
    if (opt.progress && root)
      bar = std::make_unique<ProgressBar>(fmt::format("epoch {}/{}", epoch + 1, tc.epochs),
                                          (steps - next_batch) * B, "showers");
    const TransferCounts transfers_at_start = transfer_counts();
    for (int64_t b = next_batch; b < steps; ++b) {
      // The whole step (forward, backward, Adam, the RBM update) on the model's stream.
      const StreamScope on_stream(model.cuda_stream());
      const ShardBatch shard =
          fetch_shard(comm, data, held_by_rank,
                      std::span<const int64_t>(rows).subspan(size_t(b * B), size_t(B)));
      Batch batch{Tensor::from_host({my_examples.count, kVoxels}, shard.u), shard.energies};
      const int Bl = static_cast<int>(my_examples.count);
      sch.step = static_cast<uint64_t>(epoch) * static_cast<uint64_t>(steps) + uint64_t(b);
      sch.global_batch = B;
      sch.first_example = my_examples.first;
      const auto params = model.params();
      if (!frozen) Adam::zero_grad(params);
      // Frozen: training-mode forward only (relaxed posterior for the RBM), no Adam step, and the
      // BatchNorm running statistics kept (the reference lets them drift; frozen here means the
      // encoder and decoder that generation uses do not change).
      std::vector<Tensor> kept;
      if (frozen)
        for (Buffer& buf : model.buffers()) kept.push_back(buf.value->clone());
      LossTerms t =
          model.train_step(batch.u, batch.e, sch, true, &prior.held(), !frozen, prior.on_device());
      if (K > 1) {  // shard means -> global batch means (rank 0 logs them)
        std::vector<double> s{t.mse * Bl, t.bce * Bl, t.entropy * Bl, t.pos_energy * Bl};
        comm.allreduce_sum(s);
        t.mse = s[0] / double(B);
        t.bce = s[1] / double(B);
        t.entropy = s[2] / double(B);
        t.pos_energy = s[3] / double(B);
      }
      if (frozen) {
        size_t i = 0;
        for (Buffer& buf : model.buffers()) *buf.value = std::move(kept[i++]);
      }
      if (!std::isfinite(t.total()))
        fail("training diverged at epoch {} batch {} (loss {}); lower training.learning_rate",
             epoch + 1, b, t.total());
      if (!frozen) {
        allreduce_gradients(comm, params);  // the global batch's gradient on every rank
        adam.step(params);
      }
      // The RBM prior's update on this batch's posterior (host/nn/prior_training.hpp): CD-k
      // before the freeze, PCD after it (or throughout with prior.chains: persistent).
      prior.update(model, batch.e, sch.step, frozen || tc.prior.persistent);
      sum_mse += t.mse;
      sum_bce += t.bce;
      sum_ent += t.entropy;
      sum_pos += t.pos_energy;
      ++result.batches_run;
      maybe_inject_fault(opt, rank, result.batches_run);
      if (bar) bar->advance(B, fmt::format("loss {:.4g}", t.total()));
      bool stop = g_stop != 0 ||
                  (opt.stop_after_batches >= 0 && result.batches_run >= opt.stop_after_batches);
      if (K > 1) {  // a Ctrl-C seen by any rank stops every rank after the same batch
        std::vector<double> s{stop ? 1.0 : 0.0};
        comm.allreduce_sum(s);
        stop = s[0] > 0.0;
      }
      if (!stop && opt.checkpoint_every > 0 && (b + 1) % opt.checkpoint_every == 0 &&
          b + 1 < steps) {
        save(epoch, b + 1, sum_mse, sum_bce, sum_ent, sum_pos,
             part_seconds +
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      if (stop && b + 1 < steps) {
        if (bar) bar->finish("interrupted");
        const double secs =
            part_seconds +
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        save(epoch, b + 1, sum_mse, sum_bce, sum_ent, sum_pos, secs);
        spdlog::warn(
            "stopped after epoch {} batch {}; checkpoint written to '{}' (continue with "
            "--resume)",
            epoch + 1, b + 1, ck_dir);
        result.interrupted = true;
        return result;
      }
    }
    if (bar) bar->finish();
    if (opt.backend == Backend::cuda && steps > next_batch) {
      // What the device-resident step still copies (host/tensor.hpp: no hidden transfer on a hot
      // path); the logged scalars and the KL terms' latents are expected here.
      const TransferCounts t = transfer_counts() - transfers_at_start;
      const double per = 1.0 / double(steps - next_batch);
      spdlog::info(
          "epoch {}: host<->device per training step: {:.1f} uploads ({:.1f} KiB), {:.1f} "
          "downloads ({:.1f} KiB); {:.0f} device allocations from a pool holding {:.1f} MiB",
          epoch + 1, double(t.h2d_calls) * per, double(t.h2d_bytes) * per / 1024.0,
          double(t.d2h_calls) * per, double(t.d2h_bytes) * per / 1024.0,
          double(t.alloc_calls) * per, double(device_pool_bytes().reserved) / double(1 << 20));
    }
    const Validation v =
        validate(model, prior, val_batches, sch, split.validation.count, B, tc.model.n, comm);
    EpochMetrics m;
    m.epoch = epoch + 1;
    m.train_mse = sum_mse / double(steps);
    m.train_bce = sum_bce / double(steps);
    m.val_mse = v.mse;
    m.val_bce = v.bce;
    m.train_entropy = sum_ent / double(steps);
    m.train_pos_energy = sum_pos / double(steps);
    m.val_entropy = v.entropy;
    m.val_pos_energy = v.pos_energy;
    m.kl_weight = sch.kl_weight;
    if (root) {  // diagnostics for the log (the prior samples cost; the other ranks go on)
      const int64_t Bd = static_cast<int64_t>(v.energies.size());
      const PosteriorStats ps = posterior_stats(v.logits, v.samples, Bd, 3 * tc.model.n);
      m.distinct_map = ps.distinct_map;
      m.distinct_sampled = ps.distinct_sampled;
      m.marginal_entropy = ps.marginal_entropy;
      m.conditional_entropy = ps.conditional_entropy;
      PriorMatchOptions po;
      po.sweeps = std::max(tc.prior.cd_sweeps, 200);
      po.seed = tc.prior.seed ^ (0xD1A6ull << 32) ^ uint64_t(epoch);
      po.path = prior.gibbs_path();
      const PriorMatch pm = prior_match(prior.host(), v.logits, v.samples, v.energies, po);
      m.pos_energy_hard = pm.pos_energy;
      m.neg_energy = pm.neg_energy;
      m.unit_gap = pm.unit_gap;
      m.kl_estimate = pm.kl;
      m.kl_stderr = pm.kl_stderr;
    }
    m.frozen = frozen;
    m.beta = sch.beta;
    m.slope = sch.slope;
    m.seconds =
        part_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    m.samples_per_s = double(steps * B) / std::max(m.seconds, 1e-9);
    result.history.push_back(m);
    sum_mse = sum_bce = sum_ent = sum_pos = part_seconds = 0;
    next_batch = 0;
    save(epoch + 1, 0, 0.0, 0.0, 0.0, 0.0, 0.0);
    write_outputs();
    if (root)
      spdlog::info(
          "epoch {}/{}{}: recon train {:.5g} val {:.5g} (val mse {:.5g}, bce {:.5g}); latents: "
          "{:.1f}% distinct ({:.1f}% sampled), {:.3f} bits/unit information (marginal {:.3f}); "
          "prior: energy encoded {:.4g} vs sampled {:.4g}, unit gap {:.3f}, KL {:.4g} +- {:.2g}; "
          "{:.1f} showers/s",
          m.epoch, tc.epochs, frozen ? " (frozen)" : "", m.train_recon(), m.val_recon(), m.val_mse,
          m.val_bce, 100.0 * m.distinct_map, 100.0 * m.distinct_sampled, m.information(),
          m.marginal_entropy, m.pos_energy_hard, m.neg_energy, m.unit_gap, m.kl_estimate,
          m.kl_stderr, m.samples_per_s);
    if (root && m.distinct_map < 0.10)
      spdlog::warn(
          "epoch {}: posterior collapse: only {:.1f}% of {} encoded validation showers have "
          "distinct latent states; the RBM prior cannot carry information (lower "
          "training.learning_rate or training.kl_weight, or check the data)",
          m.epoch, 100.0 * m.distinct_map, v.energies.size());
    bool stop_now = g_stop != 0 ||
                    (opt.stop_after_batches >= 0 && result.batches_run >= opt.stop_after_batches);
    if (K > 1) {
      std::vector<double> s{stop_now ? 1.0 : 0.0};
      comm.allreduce_sum(s);
      stop_now = s[0] > 0.0;
    }
    if (stop_now && epoch + 1 < tc.epochs) {
      result.interrupted = true;
      return result;
    }
  }
  return result;
}

}  // namespace calo::nn
