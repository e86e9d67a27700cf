#include "host/gen/generator.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "host/error.hpp"
#include "host/gen/response_calibration.hpp"
#include "host/h5io.hpp"
#include "host/latent_layout.hpp"
#include "host/memory_limit.hpp"
#include "host/nn/trainer.hpp"
#include "host/progress.hpp"
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
      "generated {} showers in {:.2f} s: {:.1f} showers/s, {:.1f} us/shower "
      "(prior [{}] {:.1f} us, decoder {:.1f} us, I/O {:.1f} us)",
      showers, total_s, total_s > 0 ? showers / total_s : 0.0, us_per_shower(), sampler,
      prior_s * per, decode_s * per, io_s * per);
}

std::string GenerateTiming::json(const std::string& sampler) const {
  const double per = showers ? 1e6 / double(showers) : 0;
  return fmt::format(
      "{{\"sampler\": \"{}\", \"showers\": {}, \"total_s\": {}, \"showers_per_s\": {}, "
      "\"us_per_shower\": {}, "
      "\"prior_us_per_shower\": {}, \"decode_us_per_shower\": {}, \"io_us_per_shower\": {}, "
      "\"transfers\": {{\"h2d_calls\": {}, \"h2d_bytes\": {}, \"d2h_calls\": {}, "
      "\"d2h_bytes\": {}}}}}\n",
      sampler, showers, total_s, total_s > 0 ? showers / total_s : 0.0, us_per_shower(),
      prior_s * per, decode_s * per, io_s * per, transfers.h2d_calls, transfers.h2d_bytes,
      transfers.d2h_calls, transfers.d2h_bytes);
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
std::vector<uint8_t> encoded_states(nn::Calo4pQVAE& model, ShowerFileReader& reader, int64_t first,
                                    int64_t count, uint64_t seed) {
  const int n = model.config().n;
  ShowerBlock block;
  reader.read(first, count, block);
  std::vector<float> u(block.showers.size());
  for (int64_t i = 0; i < count; ++i)
    for (int v = 0; v < nn::kVoxels; ++v) {
      const size_t k = size_t(i) * nn::kVoxels + size_t(v);
      u[k] = voxel_to_u(block.showers[k], block.energies[size_t(i)]);
    }
  nn::StepSchedule sch;
  sch.seed = seed;
  sch.step = static_cast<uint64_t>(first);
  model.train_step(Tensor::from_host({count, nn::kVoxels}, u), block.energies, sch, false);
  const std::vector<float>& post = model.last_posterior();  // count x 3n, hard {0,1} in eval
  return LatentLayout(n).states(block.energies, post);
}

std::vector<uint8_t> random_states(int n, std::span<const float> energies, uint64_t seed) {
  const LatentLayout layout(n);
  std::vector<uint8_t> free(energies.size() * size_t(layout.free_units()));
  for (size_t i = 0; i < energies.size(); ++i)
    for (int k = 0; k < layout.free_units(); ++k)  // index as before: row i of 4n, unit k
      free[i * size_t(layout.free_units()) + size_t(k)] =
          uniform(seed, 7, uint64_t(i) * uint64_t(layout.units()) + uint64_t(k)) < 0.5 ? 1 : 0;
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

GenerateTiming generate(const GenerateOptions& o, PriorSampler& prior) {
  const auto t_start = clock_type::now();
  if (o.batch < 1) fail_input("--batch must be >= 1, got {}", o.batch);
  require_backend(o.backend);
  const std::string ck = (std::filesystem::path(o.model_dir) / "checkpoint").string();
  nn::Calo4pQVAE model = nn::load_model(ck);
  model.to(o.backend);
  const Rbm rbm = nn::load_prior(ck);
  if (rbm.n() != model.config().n) {
    fail_input("'{}': RBM has {} nodes per partition but the decoder expects {}", ck, rbm.n(),
               model.config().n);
  }
  const std::vector<float> energies = generation_energies(o);
  const int64_t total = static_cast<int64_t>(energies.size());
  std::unique_ptr<ShowerFileReader> shower_reader;
  if (o.latents == LatentSource::encoded) {
    if (o.energies_path.empty())
      fail_input("--latents encoded reconstructs the showers of --energies FILE.h5; give one");
    shower_reader = std::make_unique<ShowerFileReader>(o.energies_path, nn::kVoxels);
  }

  std::unique_ptr<ResponseCalibration> calibration;
  if (o.calibrate && std::filesystem::exists(calibration_path(o.model_dir))) {
    calibration = std::make_unique<ResponseCalibration>(
        ResponseCalibration::load(calibration_path(o.model_dir)));
    spdlog::info("response calibration {} (fitted on {})", calibration_path(o.model_dir),
                 calibration->provenance);
  }

  GenerateTiming timing;
  const TransferCounts transfers_at_start = transfer_counts();
  ShowerFileWriter writer(o.out_path, nn::kVoxels);
  std::ofstream rbm_csv;
  if (!o.rbm_energy_csv.empty()) {
    rbm_csv.open(o.rbm_energy_csv);
    if (!rbm_csv) fail_input("cannot write '{}'", o.rbm_energy_csv);
    rbm_csv << "rbm_energy\n";
  }
  std::unique_ptr<ProgressBar> bar;
  if (o.progress) bar = std::make_unique<ProgressBar>("calo_gen", total, "showers");
  std::vector<float> showers;
  for (int64_t first = 0; first < total; first += o.batch) {
    const int64_t count = std::min<int64_t>(o.batch, total - first);
    const std::span<const float> e(energies.data() + first, static_cast<size_t>(count));
    // Each batch has its own Philox key so the result does not depend on how far other batches got.
    const uint64_t batch_seed = o.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(first) + 1;

    auto t0 = clock_type::now();
    const std::vector<uint8_t> states =
        o.latents == LatentSource::prior
            ? prior.sample(rbm, e, batch_seed)
            : (o.latents == LatentSource::encoded
                   ? encoded_states(model, *shower_reader, first, count, batch_seed)
                   : random_states(rbm.n(), e, batch_seed));
    timing.prior_s += since(t0);
    if (rbm_csv) {
      const size_t nn_nodes = static_cast<size_t>(rbm.num_nodes());
      for (int64_t i = 0; i < count; ++i)
        rbm_csv << rbm.energy(states.data() + size_t(i) * nn_nodes) << '\n';
    }

    t0 = clock_type::now();
    const Tensor u = model.decode(states, e, batch_seed, 0);
    const std::vector<float> uh = u.to_vector();
    showers.resize(uh.size());
    for (int64_t i = 0; i < count; ++i) {
      for (int v = 0; v < nn::kVoxels; ++v) {
        const size_t k = size_t(i) * nn::kVoxels + size_t(v);
        showers[k] = u_to_voxel(uh[k], e[size_t(i)]);
      }
    }
    if (calibration) calibration->apply(showers, e);
    timing.decode_s += since(t0);

    t0 = clock_type::now();
    writer.append(e, showers);
    timing.io_s += since(t0);
    timing.showers += count;
    if (bar) bar->advance(count);
  }
  auto t0 = clock_type::now();
  writer.close();
  timing.io_s += since(t0);
  if (bar) bar->finish();
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
  struct RemoveAtExit {
    std::string path;
    ~RemoveAtExit() {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  } remove_tmp{o.out_path};
  const GenerateTiming t = generate(o, prior);

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
  nn::Calo4pQVAE model = nn::load_model(ck);
  const Rbm rbm = nn::load_prior(ck);
  const int n = rbm.n();
  ShowerFileReader reader(data_path, nn::kVoxels);
  std::ofstream csv(csv_path);
  if (!csv) fail_input("cannot write '{}'", csv_path);
  csv << "rbm_energy\n";
  for (int64_t first = 0; first < reader.num_events(); first += batch) {
    const int64_t count = std::min<int64_t>(batch, reader.num_events() - first);
    const std::vector<uint8_t> z = encoded_states(model, reader, first, count, seed);
    for (int64_t i = 0; i < count; ++i)
      csv << rbm.energy(z.data() + size_t(i) * 4 * size_t(n)) << '\n';
  }
  if (!csv) fail("write to '{}' failed (disk full?)", csv_path);
  return reader.num_events();
}

}  // namespace calo::gen
