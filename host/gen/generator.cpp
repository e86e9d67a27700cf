#include "host/gen/generator.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "host/error.hpp"
#include "host/gen/event_blocks.hpp"
#include "host/gen/response_calibration.hpp"
#include "host/h5io.hpp"
#include "host/inverse_transform.hpp"
#include "host/latent_layout.hpp"
#include "host/memory_limit.hpp"
#include "host/nn/trained_model.hpp"
#include "host/progress.hpp"
#include "host/stream.hpp"
#include "kernels/gen/latent_rows_launch.hpp"
#include "kernels/gen/latent_rows_math.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"

namespace calo::gen {

namespace {
using clock_type = std::chrono::steady_clock;
double since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}
}  // namespace

std::string GenerateTiming::summary(const std::string& sampler) const {
  const double per = showers ? 1e6 / double(showers) : 0;
  return fmt::format(
      "generated {} showers in {:.2f} s{}: {:.1f} showers/s, {:.1f} us/shower "
      "(prior [{}] {:.1f} us, decoder {:.1f} us, I/O {:.1f} us)",
      showers, total_s, ranks > 1 ? fmt::format(" on {} ranks", ranks) : "",
      total_s > 0 ? showers / total_s : 0.0, us_per_shower(), sampler, prior_s * per,
      decode_s * per, io_s * per);
}

std::string GenerateTiming::json(const std::string& sampler) const {
  const double per = showers ? 1e6 / double(showers) : 0;
  return fmt::format(
      "{{\"sampler\": \"{}\", \"ranks\": {}, \"showers\": {}, \"total_s\": {}, "
      "\"showers_per_s\": {}, \"us_per_shower\": {}, "
      "\"prior_us_per_shower\": {}, \"decode_us_per_shower\": {}, \"io_us_per_shower\": {}, "
      "\"transfers\": {{\"h2d_calls\": {}, \"h2d_bytes\": {}, \"d2h_calls\": {}, "
      "\"d2h_bytes\": {}, \"device_allocs\": {}}}}}\n",
      sampler, ranks, showers, total_s, total_s > 0 ? showers / total_s : 0.0, us_per_shower(),
      prior_s * per, decode_s * per, io_s * per, transfers.h2d_calls, transfers.h2d_bytes,
      transfers.d2h_calls, transfers.d2h_bytes, transfers.alloc_calls);
}

LatentSource parse_latent_source(const std::string& name) {
  if (name == "prior") return LatentSource::prior;
  if (name == "encoded") return LatentSource::encoded;
  if (name == "random") return LatentSource::random;
  fail_input("--latents '{}': use prior, encoded or random", name);
}

namespace {
// Encoder posterior (eval mode: Bernoulli samples) of `count` showers from `reader`, as 4n states
// with partition 0 = energy code.
// Events first .. first + count - 1, run as one call of `rows` >= count showers (the extra rows
// repeat the last one; see generate()); the posterior noise is addressed by the global event index.
std::vector<uint8_t> encoded_states(nn::Calo4pQVAE& model, ShowerFileReader& reader, int64_t first,
                                    int64_t count, int64_t rows, uint64_t seed) {
  const int n = model.config().n;
  ShowerBlock block;
  reader.read(first, count, block);
  std::vector<float> u(size_t(rows) * nn::kVoxels);
  std::vector<float> e(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t src = std::min(i, count - 1);
    e[size_t(i)] = block.energies[size_t(src)];
    for (int v = 0; v < nn::kVoxels; ++v)
      u[size_t(i) * nn::kVoxels + size_t(v)] =
          voxel_to_u(block.showers[size_t(src) * nn::kVoxels + size_t(v)], e[size_t(i)]);
  }
  nn::StepSchedule sch;
  sch.seed = seed;
  sch.step = 0;  // noise offset = first_example x n: the global event index
  sch.global_batch = first + rows;
  sch.first_example = first;
  model.train_step(Tensor::from_host({rows, nn::kVoxels}, u), e, sch, false);
  const std::vector<float>& post = model.last_posterior();  // rows x 3n, hard {0,1} in eval
  std::vector<uint8_t> z = LatentLayout(n).states(e, post);
  z.resize(size_t(count) * 4 * size_t(n));
  return z;
}

// Events first .. of the job: the bits of event i are draws (row i of 4n, unit k) of stream 7.
std::vector<uint8_t> random_states(int n, std::span<const float> energies, int64_t first,
                                   uint64_t seed) {
  const LatentLayout layout(n);
  std::vector<uint8_t> free(energies.size() * size_t(layout.free_units()));
  for (size_t i = 0; i < energies.size(); ++i)
    for (int k = 0; k < layout.free_units(); ++k)
      free[i * size_t(layout.free_units()) + size_t(k)] =
          uniform(seed, 7, (uint64_t(first) + i) * uint64_t(layout.units()) + uint64_t(k)) < 0.5
              ? 1
              : 0;
  return layout.states(energies, free);
}
}  // namespace

std::vector<float> generation_energies(const GenerateOptions& o) {
  if (!o.energies_path.empty()) {
    ShowerFileReader reader(o.energies_path);
    std::vector<float> e = reader.read_energies();
    if (o.events > 0 && o.events < static_cast<int64_t>(e.size()))
      e.resize(static_cast<size_t>(o.events));
    return e;
  }
  if (o.events <= 0) fail_input("give --energies FILE.h5 or --events N (> 0)");
  if (!(o.emin_mev > 0) || !(o.emax_mev >= o.emin_mev) || !(o.emax_mev <= 1e12)) {
    fail_input("--emin {} / --emax {} must satisfy 0 < emin <= emax <= 1e12 (MeV)", o.emin_mev,
               o.emax_mev);
  }
  require_memory(double(o.events) * sizeof(float),
                 fmt::format("--events {} (the incident energies alone)", o.events));
  std::vector<float> e(static_cast<size_t>(o.events));
  const double lo = std::log(o.emin_mev), hi = std::log(o.emax_mev);
  for (int64_t i = 0; i < o.events; ++i) {
    e[size_t(i)] = static_cast<float>(std::exp(lo + (hi - lo) * uniform(o.seed, 0, uint64_t(i))));
  }
  return e;
}

namespace {

// The showers of one block (rows x 6480 MeV, before the response calibration) and, when the RBM
// energies are written, its latent states as 0/1 floats (rows x 4n): what a rank sends to rank 0.
struct GeneratedBlock {
  std::vector<float> showers, states;
};

constexpr int kBlockTag = 0x6E6;  // MPI tag of the blocks sent to rank 0

// Events per network call (see generate()): the CPU decoder's own slice, a GPU-sized batch on CUDA.
int64_t decode_chunk(Backend backend) {
  return backend == Backend::cuda ? 256 : 64;
}

// f(c0, lo, hi) for every aligned chunk [c0, c0 + chunk) that overlaps the block
// [first, first + count), with [lo, hi) the overlap.
template <class F>
void for_each_chunk(int64_t first, int64_t count, int64_t chunk, F&& f) {
  for (int64_t c0 = first / chunk * chunk; c0 < first + count; c0 += chunk)
    f(c0, std::max(first, c0), std::min(first + count, c0 + chunk));
}

// Test-only fault hook (GenerateOptions::test_fault_rank): the abrupt exit of a crashed rank.
void maybe_inject_fault(const GenerateOptions& o, int rank, int64_t blocks_done) {
  if (o.test_fault_rank == rank && o.test_fault_after_blocks >= 0 &&
      blocks_done >= o.test_fault_after_blocks) {
    std::fprintf(stderr, "test fault: rank %d exits abruptly after %lld blocks\n", rank,
                 static_cast<long long>(blocks_done));
    std::fflush(stderr);
    std::_Exit(3);
  }
}

}  // namespace

GenerateTiming generate(const GenerateOptions& o, PriorSampler& prior) {
  const auto t_start = clock_type::now();
  std::unique_ptr<dist::Communicator> serial;
  dist::Communicator* comm = o.comm;
  if (!comm) {
    serial = dist::serial_communicator();
    comm = serial.get();
  }
  const int rank = comm->rank();
  const bool root = comm->is_root();
  if (o.batch < 1) fail_input("--batch must be >= 1, got {}", o.batch);
  require_backend(o.backend);
  const std::string ck = (std::filesystem::path(o.model_dir) / "checkpoint").string();
  nn::TrainedModel trained = nn::load_trained_model(ck);
  nn::Calo4pQVAE& model = trained.model;
  model.to(o.backend);
  const Rbm& rbm = trained.prior;
  const std::vector<float> energies = generation_energies(o);
  const int64_t total = static_cast<int64_t>(energies.size());
  if (total > kMaxPriorEvents)
    fail_input("{} events in one job: at most {} (split the campaign into jobs with other seeds)",
               total, kMaxPriorEvents);
  std::unique_ptr<ShowerFileReader> shower_reader;
  if (o.latents == LatentSource::encoded) {
    if (o.energies_path.empty())
      fail_input("--latents encoded reconstructs the showers of --energies FILE.h5; give one");
    shower_reader = std::make_unique<ShowerFileReader>(o.energies_path, nn::kVoxels);
  }
  const int nodes = rbm.num_nodes();
  const bool want_states = !o.rbm_energy_csv.empty();

  // Rank 0 alone calibrates (just before writing), writes and reports.
  std::unique_ptr<ResponseCalibration> calibration;
  std::unique_ptr<ShowerFileWriter> writer;
  std::ofstream rbm_csv;
  std::unique_ptr<ProgressBar> bar;
  if (root) {
    if (o.calibrate && std::filesystem::exists(calibration_path(o.model_dir))) {
      calibration = std::make_unique<ResponseCalibration>(
          ResponseCalibration::load(calibration_path(o.model_dir)));
      spdlog::info("response calibration {} (fitted on {})", calibration_path(o.model_dir),
                   calibration->provenance);
    }
    writer = std::make_unique<ShowerFileWriter>(o.out_path, nn::kVoxels);
    if (want_states) {
      rbm_csv.open(o.rbm_energy_csv);
      if (!rbm_csv) fail_input("cannot write '{}'", o.rbm_energy_csv);
      rbm_csv << "rbm_energy\n";
    }
    if (o.progress) bar = std::make_unique<ProgressBar>("calo_gen", total, "showers");
    if (comm->size() > 1)
      spdlog::info("generating {} showers on {} ranks in blocks of {}", total, comm->size(),
                   o.batch);
  }

  GenerateTiming timing;
  timing.ranks = comm->size();
  const TransferCounts transfers_at_start = transfer_counts();
  // One key for the whole job; every draw is addressed by the global event (or voxel) index.
  const uint64_t job_seed = o.seed * 0x9E3779B97F4A7C15ull + 1;

  // The networks (decoder; encoder of --latents encoded) run on chunks of events aligned to the
  // global event index, each chunk one call of `chunk` rows: a BLAS GEMM's rounding can depend on
  // its row count, so every event goes through the same row of a same-size call whatever the
  // batch, the rank count and the job's length. Rows of a chunk outside this block are padding
  // (copies of block rows) whose output is dropped: a --batch that is a multiple of the chunk
  // pads only the job's last chunk.
  const int64_t chunk = decode_chunk(o.backend);
  // The block's latent states: chain-major on the host (count x 4n).
  auto host_states = [&](int64_t first, int64_t count, std::span<const float> e) {
    if (o.latents == LatentSource::prior) return prior.sample(rbm, e, job_seed, first);
    if (o.latents == LatentSource::random) return random_states(rbm.n(), e, first, job_seed);
    std::vector<uint8_t> states(size_t(count) * size_t(nodes));
    for_each_chunk(first, count, chunk, [&](int64_t c0, int64_t lo, int64_t hi) {
      // The chunk's own showers (not only this block's), up to the last event of the job.
      const int64_t real = std::min(c0 + chunk, total) - c0;
      const std::vector<uint8_t> z =
          encoded_states(model, *shower_reader, c0, real, chunk, job_seed);
      std::copy(z.begin() + (lo - c0) * nodes, z.begin() + (hi - c0) * nodes,
                states.begin() + (lo - first) * nodes);
    });
    return states;
  };
  // The chunk's energies: row i of the chunk at c0 is block row chunk_row_chain(c0, i, ...).
  auto chunk_energies = [&](int64_t first, int64_t c0, int64_t lo, int64_t hi) {
    std::vector<float> ec(static_cast<size_t>(chunk));
    for (int64_t i = 0; i < chunk; ++i)
      ec[size_t(i)] = energies[size_t(first + chunk_row_chain(c0, i, lo, hi, first))];
    return ec;
  };
  // The inverse transform runs where the decoder ran; only the showers come to the host. Rows
  // [lo, hi) of the chunk carry their own energies in ec.
  auto keep_showers = [&](const Tensor& u, std::span<const float> ec, int64_t first, int64_t c0,
                          int64_t lo, int64_t hi, GeneratedBlock& out) {
    const std::vector<float> showers = u_to_voxels(u, ec).to_vector();
    std::copy(showers.begin() + (lo - c0) * nn::kVoxels, showers.begin() + (hi - c0) * nn::kVoxels,
              out.showers.begin() + (lo - first) * nn::kVoxels);
  };
  auto generate_block = [&](int64_t first, int64_t count) {
    // The block's device work (decoder, inverse transform, the prior's buffers) on the model's
    // stream, so each block reuses the previous one's memory.
    const StreamScope on_stream(model.cuda_stream());
    const std::span<const float> e(energies.data() + first, static_cast<size_t>(count));
    GeneratedBlock out;
    out.showers.resize(size_t(count) * nn::kVoxels);
    if (o.backend == Backend::cuda) {
      // The states stay on the device: the prior leaves them there (the Gibbs sampler; the QPU
      // sampler and the other latent sources upload them once), a kernel builds each chunk's
      // latent rows from them, padding included, and the decoder reads those.
      auto t0 = clock_type::now();
      const DeviceLatents z = o.latents == LatentSource::prior
                                  ? prior.sample_device(rbm, e, job_seed, first)
                                  : DeviceLatents::upload(host_states(first, count, e), rbm.n());
      timing.prior_s += since(t0);
      t0 = clock_type::now();
      for_each_chunk(first, count, chunk, [&](int64_t c0, int64_t lo, int64_t hi) {
        const std::vector<float> ec = chunk_energies(first, c0, lo, hi);
        Tensor rows = Tensor::empty({chunk, nodes}, Backend::cuda);
        latent_rows_cuda(z.node_major.data(), z.chains, nodes, c0, chunk, lo, hi, first,
                         rows.data());
        keep_showers(model.decode(rows, ec, job_seed, uint64_t(c0) * uint64_t(nn::kVoxels)), ec,
                     first, c0, lo, hi, out);
      });
      // The states are an output only with --rbm-energies: then they come down once.
      if (want_states) {
        const std::vector<uint8_t> states = z.download();
        out.states.assign(states.begin(), states.end());
      }
      timing.decode_s += since(t0);
      return out;
    }
    auto t0 = clock_type::now();
    const std::vector<uint8_t> states = host_states(first, count, e);
    timing.prior_s += since(t0);

    t0 = clock_type::now();
    std::vector<uint8_t> zc(size_t(chunk) * size_t(nodes));
    for_each_chunk(first, count, chunk, [&](int64_t c0, int64_t lo, int64_t hi) {
      const std::vector<float> ec = chunk_energies(first, c0, lo, hi);
      for (int64_t i = 0; i < chunk; ++i)  // padding: the nearest block row
        std::copy_n(states.begin() + chunk_row_chain(c0, i, lo, hi, first) * nodes, nodes,
                    zc.begin() + i * nodes);
      keep_showers(model.decode(zc, ec, job_seed, uint64_t(c0) * uint64_t(nn::kVoxels)), ec, first,
                   c0, lo, hi, out);
    });
    if (want_states) out.states.assign(states.begin(), states.end());
    timing.decode_s += since(t0);
    return out;
  };

  const EventBlocks blocks{total, o.batch, comm->size()};
  int64_t blocks_done = 0;
  GeneratedBlock received;
  for (int64_t b = 0; b < blocks.count(); ++b) {
    const int owner = blocks.owner(b);
    const int64_t first = blocks.first(b), count = blocks.size(b);
    if (owner != rank && !root) continue;
    GeneratedBlock mine;
    if (owner == rank) {
      mine = generate_block(first, count);
      maybe_inject_fault(o, rank, ++blocks_done);
      if (!root) {
        // showers, then the states (when wanted) in the same message
        mine.showers.insert(mine.showers.end(), mine.states.begin(), mine.states.end());
        comm->send(mine.showers, 0, kBlockTag);
        continue;
      }
    }
    auto t0 = clock_type::now();
    GeneratedBlock& block = owner == rank ? mine : received;
    if (owner != rank) {
      const size_t voxels = size_t(count) * nn::kVoxels;
      block.showers.resize(voxels + (want_states ? size_t(count) * size_t(nodes) : 0));
      comm->recv(block.showers, owner, kBlockTag);
      block.states.assign(block.showers.begin() + long(voxels), block.showers.end());
      block.showers.resize(voxels);
    }
    const std::span<const float> e(energies.data() + first, static_cast<size_t>(count));
    if (want_states) {
      std::vector<uint8_t> z(static_cast<size_t>(nodes));
      for (int64_t i = 0; i < count; ++i) {
        for (int k = 0; k < nodes; ++k)
          z[size_t(k)] = block.states[size_t(i) * size_t(nodes) + size_t(k)] != 0.0f ? 1 : 0;
        rbm_csv << rbm.energy(z.data()) << '\n';
      }
    }
    if (calibration) calibration->apply(block.showers, e);
    writer->append(e, block.showers);
    timing.io_s += since(t0);
    if (bar) bar->advance(count);
  }
  if (root) {
    auto t0 = clock_type::now();
    if (want_states) {
      rbm_csv.close();
      if (!rbm_csv) fail("write to '{}' failed (disk full?)", o.rbm_energy_csv);
    }
    writer->close();
    timing.io_s += since(t0);
    if (bar) bar->finish();
  }
  // The job's totals on every rank (and no rank returns before the file is complete).
  std::vector<double> sums = {timing.prior_s, timing.decode_s};
  comm->allreduce_sum(sums);
  timing.prior_s = sums[0];
  timing.decode_s = sums[1];
  std::vector<uint8_t> io(sizeof(double));
  std::memcpy(io.data(), &timing.io_s, sizeof(double));
  comm->broadcast(io, 0);
  std::memcpy(&timing.io_s, io.data(), sizeof(double));
  timing.showers = total;
  timing.total_s = since(t_start);
  timing.transfers = transfer_counts() - transfers_at_start;
  return timing;
}

std::string fit_response_calibration(const GenerateOptions& options, PriorSampler& prior,
                                     const std::string& train_path, int64_t showers) {
  if (showers < 1) fail_input("the response calibration needs >= 1 shower, got {}", showers);
  GenerateOptions o = options;
  o.energies_path = train_path;
  o.events = showers;
  o.latents = LatentSource::prior;
  o.calibrate = false;
  o.rbm_energy_csv.clear();
  o.out_path = (std::filesystem::path(o.model_dir) / "calibration_fit.tmp.h5").string();
  const bool root = !o.comm || o.comm->is_root();
  struct RemoveAtExit {
    std::string path;  // empty: not this rank's file
    ~RemoveAtExit() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove(path, ec);
    }
  } remove_tmp{root ? o.out_path : std::string()};
  const GenerateTiming t = generate(o, prior);
  if (!root) return "";

  ResponseCalibration c;
  const ShowerFileReader data(train_path, nn::kVoxels);
  const ShowerFileReader generated(o.out_path, nn::kVoxels);
  ShowerBlock block;
  for (int64_t first = 0; first < t.showers; first += 1024) {
    const int64_t count = std::min<int64_t>(1024, t.showers - first);
    data.read(first, count, block);
    c.add_data(block.showers, block.energies);
    generated.read(first, count, block);
    c.add_generated(block.showers, block.energies);
  }
  c.fit();
  c.provenance = fmt::format("{} rows 0..{}, prior sampler {}, seed {}", train_path, t.showers - 1,
                             prior.name(), o.seed);
  c.save(calibration_path(o.model_dir));
  double lo = ResponseCalibration::kMaxFactor, hi = ResponseCalibration::kMinFactor, core = 0;
  for (int b = 0; b < ResponseCalibration::kEnergyBins; ++b)
    for (int l = 0; l < nn::kLayers; ++l)
      for (int r = 0; r < nn::kRadii; ++r) {
        lo = std::min<double>(lo, c.factor(b, l, r));
        hi = std::max<double>(hi, c.factor(b, l, r));
        if (r == 0) core += c.factor(b, l, r);
      }
  return fmt::format(
      "response calibration fitted on {} training showers: factors {:.3f} .. {:.3f} (mean at r0 "
      "{:.3f}); written to {}",
      t.showers, lo, hi, core / (ResponseCalibration::kEnergyBins * nn::kLayers),
      calibration_path(o.model_dir));
}

int64_t write_encoded_rbm_energies(const std::string& model_dir, const std::string& data_path,
                                   const std::string& csv_path, int batch, uint64_t seed) {
  if (batch < 1) fail_input("--batch must be >= 1, got {}", batch);
  const std::string ck = (std::filesystem::path(model_dir) / "checkpoint").string();
  nn::TrainedModel trained = nn::load_trained_model(ck);
  nn::Calo4pQVAE& model = trained.model;
  const Rbm& rbm = trained.prior;
  const int n = rbm.n();
  ShowerFileReader reader(data_path, nn::kVoxels);
  std::ofstream csv(csv_path);
  if (!csv) fail_input("cannot write '{}'", csv_path);
  csv << "rbm_energy\n";
  // Aligned chunks of the CPU network size, as in generate(): the states do not depend on --batch.
  const int64_t chunk = decode_chunk(Backend::cpu);
  for (int64_t first = 0; first < reader.num_events(); first += chunk) {
    const int64_t count = std::min<int64_t>(chunk, reader.num_events() - first);
    const std::vector<uint8_t> z = encoded_states(model, reader, first, count, chunk, seed);
    for (int64_t i = 0; i < count; ++i)
      csv << rbm.energy(z.data() + size_t(i) * 4 * size_t(n)) << '\n';
  }
  if (!csv) fail("write to '{}' failed (disk full?)", csv_path);
  return reader.num_events();
}

}  // namespace calo::gen
