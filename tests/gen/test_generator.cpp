// Generation end to end: a tiny model trained here, then calo_gen's pipeline with the classical and
// the QPU (stand-in) prior. Checks determinism, energies, clamping and the output format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "host/gen/generator.hpp"
#include "host/gen/response_calibration.hpp"
#include "host/h5io.hpp"
#include "host/nn/trained_model.hpp"
#include "host/nn/trainer.hpp"
#include "kernels/cuda_info.hpp"
#include "kernels/device_memory.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"
#include "qpu/qpu_prior_sampler.hpp"
#include "qpu/sapi_standin.hpp"
#include "qpu/standin_topology.hpp"
#include "samplers/gibbs.hpp"

namespace fs = std::filesystem;
using namespace calo;

namespace {

const char* kTiny = R"(model:
  nodes_per_partition: 8
  encoder_channels: 2
  decoder_channels: 2
training:
  seed: 5
  epochs: 1
  batch_size: 16
  learning_rate: 0.01
  test_fraction: 0.0
prior:
  topology: "zephyr:2,2"
  cd_sweeps: 2
)";

struct Trained {
  fs::path dir = fs::temp_directory_path() / ("calo_gen_test_" + std::to_string(::getpid()));
  std::string data, model;
  Trained() {
    fs::create_directories(dir);
    data = (dir / "data.h5").string();
    model = (dir / "model").string();
    const int rows = 48, nv = 6480;
    std::vector<float> e(rows), x(size_t(rows) * nv, 0.0f);
    for (int i = 0; i < rows; ++i) {
      e[size_t(i)] = float(1e3 * std::pow(100.0, uniform(9, 1, uint64_t(i))));
      for (int v = 0; v < nv; ++v) {
        const uint64_t k = uint64_t(i) * nv + uint64_t(v);
        if (uniform(9, 2, k) < 0.2f) x[k] = e[size_t(i)] * 1e-3f * uniform(9, 3, k);
      }
    }
    write_shower_file(data, e, x, nv);
    const std::string cfg = (dir / "tiny.yaml").string();
    std::ofstream(cfg) << kTiny;
    nn::TrainOptions o;
    o.config_path = cfg;
    o.data_path = data;
    o.out_dir = model;
    o.progress = false;
    nn::train(o);
  }
  ~Trained() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  gen::GenerateOptions options(const std::string& out, uint64_t seed) const {
    gen::GenerateOptions g;
    g.model_dir = model;
    g.out_path = (dir / out).string();
    g.energies_path = data;
    g.batch = 20;  // several batches, the last one partial
    g.seed = seed;
    g.progress = false;
    return g;
  }
};

Trained& trained() {
  static Trained t;
  return t;
}

}  // namespace

TEST(Generator, SameSeedSameFileOtherSeedOtherFile) {
  auto prior = make_gibbs_prior_sampler(Backend::cpu, 20);
  const auto a = trained().options("a.h5", 7), b = trained().options("b.h5", 7),
             c = trained().options("c.h5", 8);
  const gen::GenerateTiming t = gen::generate(a, *prior);
  gen::generate(b, *prior);
  gen::generate(c, *prior);
  EXPECT_EQ(t.showers, 48);
  EXPECT_GT(t.total_s, 0.0);
  const ShowerBlock ra = read_shower_file(a.out_path, 6480),
                    rb = read_shower_file(b.out_path, 6480),
                    rc = read_shower_file(c.out_path, 6480);
  EXPECT_EQ(ra.showers, rb.showers);
  EXPECT_NE(ra.showers, rc.showers);
  // Energies are the requested ones, in order; voxels are valid (the reader validates) and sparse.
  const ShowerBlock ref = read_shower_file(trained().data, 6480);
  EXPECT_EQ(ra.energies, ref.energies);
  size_t zeros = 0;
  for (float v : ra.showers) zeros += v == 0.0f;
  EXPECT_GT(zeros, 0u);
  EXPECT_LT(zeros, ra.showers.size());
}

// Every draw (prior chain, hit Bernoulli, random latents, posterior noise) is addressed by the
// global event index: the batch size does not change the file, and the first N events of a longer
// job are the N events of a shorter one. (Sharded jobs rely on it: tests/apps/test_mpi_gen.cpp.)
TEST(Generator, BatchSizeDoesNotChangeTheShowers) {
  auto prior = make_gibbs_prior_sampler(Backend::cpu, 20);
  // (--latents random: tests/apps/test_mpi_gen.cpp, with 2 ranks.)
  for (gen::LatentSource latents : {gen::LatentSource::prior, gen::LatentSource::encoded}) {
    auto a = trained().options("batch_a.h5", 7), b = trained().options("batch_b.h5", 7);
    a.latents = b.latents = latents;
    b.batch = 48;
    gen::generate(a, *prior);
    gen::generate(b, *prior);
    EXPECT_EQ(read_shower_file(a.out_path, 6480).showers,
              read_shower_file(b.out_path, 6480).showers)
        << int(latents);
  }
  // A shorter job with an odd batch (the Gibbs draws' scalar path): the prefix of the long one.
  auto a = trained().options("batch_a.h5", 7), c = trained().options("batch_c.h5", 7);
  c.batch = 5;
  c.events = 30;
  gen::generate(a, *prior);
  gen::generate(c, *prior);
  const ShowerBlock ra = read_shower_file(a.out_path, 6480),
                    rc = read_shower_file(c.out_path, 6480);
  ASSERT_EQ(rc.showers.size(), 30u * 6480u);
  EXPECT_TRUE(std::equal(rc.showers.begin(), rc.showers.end(), ra.showers.begin()));
}

// calo_gen --calibrate-on: the fit writes MODEL/calibration.json from the training file; later
// runs scale every voxel by its cell's factor, and calibrate = false (--no-calibration) does not.
TEST(Generator, ResponseCalibrationScalesEachVoxelByItsCellFactor) {
  auto prior = make_gibbs_prior_sampler(Backend::cpu, 20);
  const std::string path = gen::calibration_path(trained().model);
  const std::string summary =
      gen::fit_response_calibration(trained().options("", 7), *prior, trained().data, 48);
  EXPECT_NE(summary.find("48 training showers"), std::string::npos) << summary;
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(fs::path(trained().model) / "calibration_fit.tmp.h5"));
  const gen::ResponseCalibration c = gen::ResponseCalibration::load(path);
  EXPECT_EQ(c.generated_showers(), 48);
  auto on = trained().options("calibrated.h5", 7), off = trained().options("uncalibrated.h5", 7);
  off.calibrate = false;
  gen::generate(on, *prior);
  gen::generate(off, *prior);
  fs::remove(path);  // the other tests generate uncalibrated
  const ShowerBlock a = read_shower_file(on.out_path, 6480),
                    b = read_shower_file(off.out_path, 6480);
  int changed = 0;
  for (int64_t i = 0; i < a.rows; ++i) {
    const int bin = gen::ResponseCalibration::energy_bin(a.energies[size_t(i)]);
    for (int v = 0; v < 6480; ++v) {
      const size_t k = size_t(i) * 6480 + size_t(v);
      const float f = c.factor(bin, v / 144, v % 9);
      ASSERT_EQ(a.showers[k], b.showers[k] * f) << "shower " << i << " voxel " << v;
      changed += f != 1.0f && b.showers[k] > 0.0f;
    }
  }
  EXPECT_GT(changed, 0);
}

TEST(Generator, LogUniformEnergiesWhenNoFileIsGiven) {
  auto prior = make_gibbs_prior_sampler(Backend::cpu, 5);
  auto o = trained().options("e.h5", 3);
  o.energies_path.clear();
  o.events = 30;
  o.emin_mev = 2e3;
  o.emax_mev = 5e3;
  gen::generate(o, *prior);
  const ShowerBlock r = read_shower_file(o.out_path, 6480);
  ASSERT_EQ(r.rows, 30);
  for (float e : r.energies) {
    EXPECT_GE(e, 2e3f * 0.9999f);
    EXPECT_LE(e, 5e3f * 1.0001f);
  }
  o.events = 0;
  EXPECT_THROW(gen::generate(o, *prior), InputError);
}

TEST(Generator, QpuBackendAgainstTheStandinWritesAValidFile) {
  const auto topo = qpu::standin_topology("zephyr:2,2");
  qpu::StandinOptions so;
  so.graph = topo.graph;
  so.topology_shape = topo.shape;
  so.token = "gen-token";
  so.beta = 4.0;
  so.sweeps = 20;
  qpu::StandinServer server(so);
  server.start();
  QpuOptions q;
  q.endpoint = server.endpoint();
  q.token = "gen-token";
  q.timeout_s = 20;
  auto prior = make_qpu_prior_sampler(q);
  auto o = trained().options("q.h5", 1);
  o.rbm_energy_csv = (trained().dir / "q_rbm.csv").string();
  const gen::GenerateTiming t = gen::generate(o, *prior);
  EXPECT_EQ(t.showers, 48);
  const ShowerBlock r = read_shower_file(o.out_path, 6480);
  EXPECT_EQ(r.rows, 48);
  std::ifstream csv(o.rbm_energy_csv);
  std::string line;
  int lines = 0;
  while (std::getline(csv, line)) ++lines;
  EXPECT_EQ(lines, 49);  // header + one energy per shower
  server.stop();
}

TEST(Generator, MissingModelIsAClearError) {
  auto prior = make_gibbs_prior_sampler(Backend::cpu, 5);
  auto o = trained().options("x.h5", 1);
  o.model_dir = "/nonexistent/model";
  try {
    gen::generate(o, *prior);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model"), std::string::npos) << e.what();
  }
}

TEST(Generator, EncodedDataRbmEnergiesOnePerShowerAndDeterministic) {
  const std::string a = (trained().dir / "enc_a.csv").string(),
                    b = (trained().dir / "enc_b.csv").string();
  EXPECT_EQ(gen::write_encoded_rbm_energies(trained().model, trained().data, a, 20, 3), 48);
  gen::write_encoded_rbm_energies(trained().model, trained().data, b, 20, 3);
  auto read = [](const std::string& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "rbm_energy");
    std::vector<double> v;
    while (std::getline(in, line)) v.push_back(std::stod(line));
    return v;
  };
  const std::vector<double> va = read(a), vb = read(b);
  ASSERT_EQ(va.size(), 48u);
  for (double e : va) EXPECT_TRUE(std::isfinite(e));
  // Same seed: identical, for any batch size (the posterior's noise is addressed by event index).
  EXPECT_EQ(va, vb);
  const std::string d = (trained().dir / "enc_d.csv").string();
  gen::write_encoded_rbm_energies(trained().model, trained().data, d, 48, 3);
  EXPECT_EQ(read(d), va);
  const std::string c = (trained().dir / "enc_c.csv").string();
  gen::write_encoded_rbm_energies(trained().model, trained().data, c, 20, 4);
  EXPECT_NE(read(c), va) << "another seed must draw other posterior samples";
}

// On CUDA the prior's states stay on the device: per block only the energies go up (the clamp's,
// the decoder input's and trunk's energy column, the inverse transform's) and the showers come
// down; the RBM graph goes up once per job.
TEST(Generator, CudaBlocksMoveOnlyTheEnergiesUpAndTheShowersDown) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  auto prior = make_gibbs_prior_sampler(Backend::cuda, 20);
  gen::GenerateOptions o = trained().options("cuda_transfers.h5", 7);
  o.backend = Backend::cuda;
  const gen::GenerateTiming t = gen::generate(o, *prior);
  const Rbm rbm = nn::load_trained_model((fs::path(trained().model) / "checkpoint").string()).prior;
  const BlockGibbsSampler sampler(rbm, 1, 0);
  const BlockGibbsSampler::Sparse& g = sampler.sparse();
  const uint64_t graph = 4 * (g.offsets.size() + g.nbr.size() + g.w.size() + g.bias.size());
  // 48 events in blocks of 20: 3 blocks, each one decode chunk of 256 rows (chunk 0, padded).
  const uint64_t blocks = 3, rows = 256, showers = blocks * rows * 6480 * sizeof(float);
  EXPECT_EQ(t.transfers.d2h_calls, blocks);
  EXPECT_EQ(t.transfers.d2h_bytes, showers);
  // The states (48 x 4n bytes, and 256 x 4n floats a chunk as decoder input) no longer go up.
  EXPECT_LE(t.transfers.h2d_bytes, graph + 48 * sizeof(float) + blocks * 3 * rows * sizeof(float))
      << t.transfers.h2d_calls << " uploads";
  EXPECT_LE(t.transfers.h2d_calls, 4 + blocks * 4);
}

// CUDA and CPU generation give the same latent states (the Philox draws are shared), whether the
// CUDA prior leaves them on the device (--latents prior) or the host uploads them (random): the
// RBM energies written per shower are equal (the CUDA chains are the CPU's bit for bit,
// GibbsCuda.CudaEqualsCpu). The showers agree up to float rounding (cuBLAS
// against OpenBLAS; a hit draw at its threshold may flip): a row of the decode chunk read from
// another event's chain would move most showers' energy sums.
TEST(Generator, CudaGivesTheCpuStatesAndShowers) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  auto lines = [](const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> v;
    for (std::string line; std::getline(in, line);) v.push_back(line);
    return v;
  };
  for (gen::LatentSource latents : {gen::LatentSource::prior, gen::LatentSource::random}) {
    std::vector<std::string> csv[2];
    ShowerBlock showers[2];
    for (const Backend b : {Backend::cpu, Backend::cuda}) {
      auto prior = make_gibbs_prior_sampler(b, 20);
      gen::GenerateOptions o = trained().options("cuda_states.h5", 7);
      o.backend = b;
      o.latents = latents;
      o.calibrate = false;
      o.rbm_energy_csv = (trained().dir / "cuda_states.csv").string();
      gen::generate(o, *prior);
      csv[b == Backend::cuda] = lines(o.rbm_energy_csv);
      showers[b == Backend::cuda] = read_shower_file(o.out_path, 6480);
    }
    ASSERT_EQ(csv[0].size(), 49u) << int(latents);  // header + 48 showers
    ASSERT_EQ(csv[1].size(), csv[0].size()) << int(latents);
    EXPECT_EQ(csv[1], csv[0]) << int(latents);
    ASSERT_EQ(showers[1].showers.size(), showers[0].showers.size());
    int close = 0;
    std::vector<double> sums;
    for (size_t i = 0; i < 48; ++i) {
      double a = 0, b = 0;
      for (size_t v = 0; v < 6480; ++v) {
        a += showers[0].showers[i * 6480 + v];
        b += showers[1].showers[i * 6480 + v];
      }
      close += std::fabs(a - b) <= 1e-3 * std::max(1.0, std::fabs(a));
      sums.push_back(a);
    }
    EXPECT_GE(close, 44) << int(latents) << ": showers whose energy sum agrees to 1e-3";
    std::sort(sums.begin(), sums.end());
    EXPECT_GT(std::unique(sums.begin(), sums.end()) - sums.begin(), 24)
        << "the showers' sums must tell the events apart";
  }
}
