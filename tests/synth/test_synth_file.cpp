// calo_synth file output: CaloChallenge format, determinism for a seed regardless of threads,
// energy sampling, input validation.
#include <gtest/gtest.h>
#include <omp.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "host/error.hpp"
#include "host/h5io.hpp"
#include "host/synth/shower_generator.hpp"

using namespace calo;
namespace fs = std::filesystem;

namespace {
std::string tmp(const std::string& name) {
  return (fs::temp_directory_path() / ("calo_synth_" + std::to_string(::getpid()) + "_" + name))
      .string();
}
}  // namespace

TEST(SynthFile, SameSeedSameFileForAnyThreadCount) {
  SynthConfig cfg;
  cfg.seed = 42;
  cfg.block_events = 7;  // several blocks, a partial last one
  const std::string a = tmp("a.h5"), b = tmp("b.h5"), c = tmp("c.h5");
  omp_set_num_threads(1);
  synthesize_file(a, 30, cfg, nullptr, false);
  omp_set_num_threads(2);
  cfg.block_events = 16;
  synthesize_file(b, 30, cfg, nullptr, false);
  cfg.seed = 43;
  synthesize_file(c, 30, cfg, nullptr, false);
  const ShowerBlock fa = read_shower_file(a, synth::kVoxels);
  const ShowerBlock fb = read_shower_file(b, synth::kVoxels);
  const ShowerBlock fc = read_shower_file(c, synth::kVoxels);
  ASSERT_EQ(fa.rows, 30);
  EXPECT_EQ(fa.num_voxels, 6480);
  EXPECT_EQ(fa.energies, fb.energies);
  EXPECT_EQ(fa.showers, fb.showers);
  EXPECT_NE(fa.energies, fc.energies);
  EXPECT_NE(fa.showers, fc.showers);
  // The file holds exactly what the generator gives for (seed, event).
  const ShowerGenerator gen(SynthConfig{.seed = 42});
  std::vector<float> v(synth::kVoxels);
  gen.generate(17, gen.sample_energy(17), v.data());
  EXPECT_FLOAT_EQ(fa.energies[17], static_cast<float>(gen.sample_energy(17)));
  EXPECT_TRUE(std::equal(v.begin(), v.end(), fa.showers.begin() + 17 * 6480));
  for (const auto& f : {a, b, c}) fs::remove(f);
}

TEST(SynthFile, EnergiesAreLogUniformOrFixed) {
  SynthConfig cfg;
  const ShowerGenerator gen(cfg);
  const int n = 20000;
  std::vector<int> decade(3, 0);
  for (int i = 0; i < n; ++i) {
    const double e = gen.sample_energy(i);
    ASSERT_GE(e, 1e3);
    ASSERT_LE(e, 1e6);
    ++decade[std::min(2, static_cast<int>(std::log10(e)) - 3)];
  }
  for (int d : decade) EXPECT_NEAR(d, n / 3.0, 5 * std::sqrt(n / 3.0));
  const std::vector<double> list = {2e3, 5e4};
  const std::string f = tmp("list.h5");
  synthesize_file(f, 5, cfg, &list, false);
  const ShowerBlock b = read_shower_file(f, synth::kVoxels);
  EXPECT_EQ(b.energies, (std::vector<float>{2e3f, 5e4f, 2e3f, 5e4f, 2e3f}));
  fs::remove(f);
}

TEST(SynthFile, RejectsOtherDatasetsAndBadInput) {
  EXPECT_THROW(ShowerGenerator(SynthConfig{}, Geometry::dataset("3")), InputError);
  SynthConfig bad;
  bad.emin_mev = 10.0;
  EXPECT_THROW(ShowerGenerator{bad}, InputError);
  SynthConfig tiny;
  tiny.stochastic_term = 0.02;
  EXPECT_THROW(ShowerGenerator{tiny}, InputError);
  const std::vector<double> neg = {1e4, -5.0};
  EXPECT_THROW(synthesize_file(tmp("neg.h5"), 3, SynthConfig{}, &neg, false), InputError);
  EXPECT_FALSE(fs::exists(tmp("neg.h5")));
}

TEST(SynthFile, HitsPerSpotFollowFromTheStochasticTerm) {
  // Hand calculation (docs/synthetic_data.md): mu_h = 0.1 * 0.4945 + 0.9 * 4.2047 = 3.834 MeV,
  // E[h^2] = 0.1 * 0.634 + 0.9 * 19.27 = 17.41 MeV^2, m = (0.15^2 * 1000 * 0.98 -
  // E[h^2]/mu_h)/mu_h.
  const ShowerGenerator gen(SynthConfig{});
  EXPECT_NEAR(gen.params().hit_mean, 3.834, 0.002);
  EXPECT_NEAR(gen.params().hit_second, 17.41, 0.02);
  EXPECT_NEAR(gen.params().hits_per_spot, 4.566, 0.005);
}
