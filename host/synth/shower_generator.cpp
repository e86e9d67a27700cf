#include "host/synth/shower_generator.hpp"

#include <cmath>
#include <future>
#include <span>

#include "host/error.hpp"
#include "host/h5io.hpp"
#include "host/log.hpp"
#include "host/progress.hpp"
#include "kernels/philox.hpp"

namespace calo {

namespace {

bool is_dataset2(const Geometry& g) {
  if (g.n_layers() != synth::kLayers || !g.is_regular() || g.n_alpha() != synth::kAlpha ||
      g.n_r() != synth::kRadii)
    return false;
  const auto& edges = g.layer(0).r_edges;
  for (int j = 0; j <= synth::kRadii; ++j)
    if (std::fabs(edges[j] - j * synth::kRingMm) > 1e-6) return false;
  return true;
}

void check_energy(double e, const std::string& what) {
  if (!std::isfinite(e) || e < 100.0 || e > 1e7)
    fail_input(
        "{} = {} MeV is outside the range of the shower parameterisation (100 MeV - 10 TeV); "
        "give incident energies in MeV",
        what, e);
}

}  // namespace

ShowerGenerator::ShowerGenerator(SynthConfig config, Geometry geometry) : config_(config) {
  if (!is_dataset2(geometry))
    fail_input(
        "calo_synth only models CaloChallenge Dataset 2 (45 layers x 16 alpha x 9 radii of "
        "4.65 mm); geometry '{}' has {} layers and {} voxels. Use --dataset 2",
        geometry.name(), geometry.n_layers(), geometry.n_voxels());
  check_energy(config_.emin_mev, "emin");
  check_energy(config_.emax_mev, "emax");
  if (config_.emax_mev < config_.emin_mev)
    fail_input("emax ({} MeV) is below emin ({} MeV)", config_.emax_mev, config_.emin_mev);
  if (!(config_.cos_min > 0.0 && config_.cos_min < 1.0))
    fail_input("cos_min = {} must lie in (0, 1)", config_.cos_min);
  if (!(config_.soft_fraction >= 0.0 && config_.soft_fraction < 1.0))
    fail_input("soft_fraction = {} must lie in [0, 1)", config_.soft_fraction);
  if (!(config_.mip_mpv > config_.threshold_mev && config_.mip_width >= 0.0))
    fail_input("mip_mpv = {} must exceed the threshold {} and mip_width = {} be >= 0",
               config_.mip_mpv, config_.threshold_mev, config_.mip_width);
  if (config_.block_events < 1) fail_input("block_events = {} must be >= 1", config_.block_events);
  auto& p = params_;
  p.visible_fraction = config_.visible_fraction;
  p.mpv = config_.mip_mpv;
  p.xi = config_.mip_width;
  p.cos_min = config_.cos_min;
  p.soft_fraction = config_.soft_fraction;
  p.soft_low = config_.threshold_mev;
  p.smear_mm = config_.smear_mm;
  p.dense_hits = config_.dense_hits;
  p.primary_hits = config_.primary_hits;
  p.threshold = config_.threshold_mev;
  synth::hit_moments(p, &p.hit_mean, &p.hit_second);
  // Variance budget: Var(E_vis)/E_vis^2 = (E[h^2]/mu_h + m mu_h) / (s E) = a^2 / (E / 1000 MeV).
  const double a = config_.stochastic_term;
  const double m = (a * a * 1000.0 * p.visible_fraction - p.hit_second / p.hit_mean) / p.hit_mean;
  if (!(m > 0.2))
    fail_input(
        "stochastic_term = {} is too small for the hit model (mean hit {:.2f} MeV gives at "
        "least a = {:.3f}); raise it or lower mip_mpv",
        a, p.hit_mean,
        std::sqrt((p.hit_second / p.hit_mean + 0.2 * p.hit_mean) / (1000.0 * p.visible_fraction)));
  p.hits_per_spot = m;
}

double ShowerGenerator::sample_energy(int64_t event) const {
  const double u = uniform2_double(config_.seed, static_cast<uint64_t>(event), 0).u[0];
  return config_.emin_mev * std::exp(u * std::log(config_.emax_mev / config_.emin_mev));
}

void ShowerGenerator::generate(int64_t event, double e_inc_mev, float* voxels) const {
  PhiloxCursor rng(config_.seed, static_cast<uint64_t>(event), 1);
  synth::generate_shower(params_, e_inc_mev, rng, voxels);
}

void synthesize_file(const std::string& path, int64_t events, const SynthConfig& config,
                     const std::vector<double>* fixed_energies, bool progress) {
  if (events < 1) fail_input("number of events = {} must be >= 1", events);
  const ShowerGenerator gen(config);
  const bool fixed = fixed_energies != nullptr && !fixed_energies->empty();
  if (fixed)
    for (size_t i = 0; i < fixed_energies->size(); ++i)
      check_energy((*fixed_energies)[i], fmt::format("incident energy #{}", i + 1));
  const int nv = gen.n_voxels();
  const int64_t block = config.block_events;
  ShowerFileWriter writer(path, nv);
  std::unique_ptr<ProgressBar> bar;
  if (progress) bar = std::make_unique<ProgressBar>("calo_synth", events, "ev");
  // Double buffer: block b+1 is generated while block b is compressed and written.
  std::vector<float> energies[2], showers[2];
  std::future<void> pending;
  int cur = 0;
  for (int64_t first = 0; first < events; first += block) {
    const int64_t n = std::min(block, events - first);
    auto& e = energies[cur];
    auto& s = showers[cur];
    e.resize(n);
    s.resize(static_cast<size_t>(n) * nv);
#pragma omp parallel for schedule(dynamic, 8)
    for (int64_t i = 0; i < n; ++i) {
      const int64_t ev = first + i;
      const double ein = fixed ? (*fixed_energies)[static_cast<size_t>(ev) % fixed_energies->size()]
                               : gen.sample_energy(ev);
      e[i] = static_cast<float>(ein);
      gen.generate(ev, ein, s.data() + static_cast<size_t>(i) * nv);
    }
    if (pending.valid()) pending.get();
    pending = std::async(std::launch::async, [&writer, &e, &s] {
      writer.append(std::span<const float>(e), std::span<const float>(s));
    });
    if (bar) bar->advance(n);
    cur ^= 1;
  }
  if (pending.valid()) pending.get();
  writer.close();
  if (bar) bar->finish();
}

MeanProfiles mean_profiles(const SynthConfig& config, const std::vector<double>& energies_mev,
                           int events) {
  if (events < 1) fail_input("number of events = {} must be >= 1", events);
  const ShowerGenerator gen(config);
  MeanProfiles out;
  out.energies_mev = energies_mev;
  for (double e : energies_mev) {
    check_energy(e, "profile energy");
    std::vector<double> layer(synth::kLayers, 0.0), ring(synth::kRadii, 0.0);
#pragma omp parallel
    {
      std::vector<float> v(synth::kVoxels);
      std::vector<double> l_loc(synth::kLayers, 0.0), r_loc(synth::kRadii, 0.0);
#pragma omp for schedule(dynamic, 4)
      for (int ev = 0; ev < events; ++ev) {
        gen.generate(ev, e, v.data());
        for (int i = 0; i < synth::kVoxels; ++i) {
          l_loc[i / (synth::kAlpha * synth::kRadii)] += v[i];
          r_loc[i % synth::kRadii] += v[i];
        }
      }
#pragma omp critical
      {
        for (int l = 0; l < synth::kLayers; ++l) layer[l] += l_loc[l];
        for (int r = 0; r < synth::kRadii; ++r) ring[r] += r_loc[r];
      }
    }
    for (auto& x : layer) x /= events * e;
    for (int r = 0; r < synth::kRadii; ++r) {
      const double area = synth::kPi * synth::kRingMm * synth::kRingMm * (2 * r + 1);
      ring[r] /= events * e * area;
    }
    out.layer.push_back(layer);
    out.ring_density.push_back(ring);
  }
  return out;
}

}  // namespace calo
