// Sharded calo_gen under `mpirun -np 2` (CPU backend, a tiny model trained here by one process):
// the file is the same for any number of ranks and any --batch (every draw is addressed by the
// global event index), the response-calibration fit too, and a rank that dies ends the job with an
// error, leaving no output file rather than a truncated one. Skipped when the build has no MPI or
// mpirun is missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "host/dist/communicator.hpp"
#include "host/h5io.hpp"
#include "tests/apps/proc_util.hpp"
#include "tests/toy_showers.hpp"

namespace {
namespace fs = std::filesystem;
using calo::testing::kBinDir;

const char* kConfig = R"(model:
  nodes_per_partition: 8
  encoder_channels: 2
  decoder_channels: 2
  init_seed: 3
training:
  seed: 11
  epochs: 1
  batch_size: 16
  learning_rate: 0.001
  train_fraction: 0.8
  test_fraction: 0.0
prior:
  topology: "zephyr:2,2"
  cd_sweeps: 2
)";

std::string mpirun() {
  for (const char* p : {"/usr/bin/mpirun", "/usr/local/bin/mpirun"})
    if (fs::exists(p)) return p;
  return "";
}

// One model for every test of the file (training is most of the time).
struct Shared {
  fs::path dir = fs::temp_directory_path() / ("calo_mpi_gen_" + std::to_string(::getpid()));
  std::string data, model;
  int train_rc = -1;
  std::string train_err;
  Shared() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    data = (dir / "d.h5").string();
    calo::testing::write_toy_showers(data, 90);
    const std::string config = (dir / "tiny.yaml").string();
    std::ofstream(config) << kConfig;
    model = (dir / "model").string();
    calo::testing::SpawnOptions o;
    o.err_file = (dir / "train.err").string();
    train_rc = calo::testing::run({kBinDir + "/calo_train", "--config", config, "--data", data,
                                   "--out", model, "--no-progress"},
                                  o, 300);
    train_err = calo::testing::slurp(o.err_file);
  }
  ~Shared() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Shared& shared() {
  static Shared s;
  return s;
}

struct MpiGen : ::testing::Test {
  void SetUp() override {
    if (!calo::dist::built_with_mpi()) GTEST_SKIP() << "built without MPI";
    if (mpirun().empty()) GTEST_SKIP() << "no mpirun (apt-get install openmpi-bin)";
    ASSERT_EQ(shared().train_rc, 0) << shared().train_err;
  }
  fs::path path(const std::string& name) const { return shared().dir / name; }
  // calo_gen on `ranks` processes (1: no launcher); returns the exit status, -1 on timeout.
  int gen(int ranks, const std::string& out, std::vector<std::string> extra = {},
          const std::string& env = "") {
    std::vector<std::string> argv;
    if (ranks > 1) {
      argv = {mpirun(), "--allow-run-as-root", "--oversubscribe", "-np", std::to_string(ranks),
              "-x",     "OMP_NUM_THREADS=1"};
      if (!env.empty()) argv.insert(argv.end(), {"-x", env});
    }
    for (const std::string& a :
         {kBinDir + "/calo_gen", std::string("--model"), shared().model, std::string("--out"),
          path(out).string(), std::string("--energies"), shared().data, std::string("--sweeps"),
          std::string("20"), std::string("--no-progress")})
      argv.push_back(a);
    if (std::find(extra.begin(), extra.end(), "--batch") == extra.end())
      argv.insert(argv.end(), {"--batch", "20"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    calo::testing::SpawnOptions o;
    o.out_file = path(out + ".out").string();
    o.err_file = path(out + ".err").string();
    return calo::testing::run(argv, o, 300);
  }
  std::string err(const std::string& out) const {
    return calo::testing::slurp(path(out + ".err").string());
  }
  calo::ShowerBlock read(const std::string& out) const {
    return calo::read_shower_file(path(out).string(), 6480);
  }
};

TEST_F(MpiGen, TwoRanksWriteTheFileOneProcessWrites) {
  // 90 events in blocks of 20: rank 0 writes blocks 0, 2, 4 and receives 1, 3 (the last partial).
  ASSERT_EQ(gen(1, "k1.h5", {"--rbm-energies", path("k1.csv").string()}), 0) << err("k1.h5");
  ASSERT_EQ(gen(2, "k2.h5", {"--rbm-energies", path("k2.csv").string()}), 0) << err("k2.h5");
  const calo::ShowerBlock a = read("k1.h5"), b = read("k2.h5");
  ASSERT_EQ(a.energies.size(), 90u);
  EXPECT_EQ(a.energies, b.energies);
  EXPECT_EQ(a.showers, b.showers);  // bitwise: every draw is keyed by the global event index
  EXPECT_EQ(calo::testing::slurp(path("k1.csv").string()),
            calo::testing::slurp(path("k2.csv").string()));
  // One progress/timing report for the whole job, from rank 0.
  const std::string out = calo::testing::slurp(path("k2.h5.out").string());
  EXPECT_NE(out.find("generated 90 showers"), std::string::npos) << out;
  EXPECT_NE(out.find("on 2 ranks"), std::string::npos) << out;
  EXPECT_EQ(out.find("generated 90 showers"), out.rfind("generated 90 showers")) << out;
  // The sharding is not a no-op: another seed gives another file.
  ASSERT_EQ(gen(2, "seed2.h5", {"--seed", "2"}), 0) << err("seed2.h5");
  EXPECT_NE(read("seed2.h5").showers, a.showers);
}

TEST_F(MpiGen, BatchSizeAndRankCountDoNotChangeTheFile) {
  ASSERT_EQ(gen(1, "b20.h5"), 0) << err("b20.h5");
  ASSERT_EQ(gen(2, "b48.h5", {"--batch", "48"}), 0) << err("b48.h5");
  ASSERT_EQ(gen(2, "b7.h5", {"--batch", "7"}), 0) << err("b7.h5");  // odd: the scalar RNG path
  const calo::ShowerBlock a = read("b20.h5");
  EXPECT_EQ(read("b48.h5").showers, a.showers);
  EXPECT_EQ(read("b7.h5").showers, a.showers);
  for (const char* latents : {"random", "encoded"}) {
    const std::string one = std::string(latents) + "1.h5", two = std::string(latents) + "2.h5";
    ASSERT_EQ(gen(1, one, {"--latents", latents}), 0) << err(one);
    ASSERT_EQ(gen(2, two, {"--latents", latents, "--batch", "48"}), 0) << err(two);
    EXPECT_EQ(read(one).showers, read(two).showers) << latents;
  }
}

TEST_F(MpiGen, ResponseCalibrationFitIsTheSameOnTwoRanks) {
  // Two copies of the model: the fit writes MODEL/calibration.json.
  for (const char* m : {"m1", "m2"}) fs::copy(shared().model, path(m), fs::copy_options::recursive);
  auto run = [&](int ranks, const char* m, const std::string& out) {
    std::vector<std::string> argv;
    if (ranks > 1)
      argv = {mpirun(), "--allow-run-as-root", "--oversubscribe", "-np", std::to_string(ranks),
              "-x",     "OMP_NUM_THREADS=1"};
    for (const std::string& a :
         {kBinDir + "/calo_gen", std::string("--model"), path(m).string(), std::string("--out"),
          path(out).string(), std::string("--energies"), shared().data,
          std::string("--calibrate-on"), shared().data, std::string("--calibration-showers"),
          std::string("60"), std::string("--sweeps"), std::string("20"), std::string("--batch"),
          std::string("16"), std::string("--no-progress")})
      argv.push_back(a);
    calo::testing::SpawnOptions o;
    o.err_file = path(out + ".err").string();
    return calo::testing::run(argv, o, 300);
  };
  ASSERT_EQ(run(1, "m1", "cal1.h5"), 0) << err("cal1.h5");
  ASSERT_EQ(run(2, "m2", "cal2.h5"), 0) << err("cal2.h5");
  const std::string c1 = calo::testing::slurp((path("m1") / "calibration.json").string());
  ASSERT_FALSE(c1.empty());
  // The provenance line names the model directory's training file, the same in both.
  EXPECT_EQ(c1, calo::testing::slurp((path("m2") / "calibration.json").string()));
  EXPECT_EQ(read("cal1.h5").showers, read("cal2.h5").showers);
  EXPECT_FALSE(fs::exists(path("m2") / "calibration_fit.tmp.h5"));
}

TEST_F(MpiGen, ARankThatDiesEndsTheJobAndLeavesNoFile) {
  // Test-only hook: rank 1 exits abruptly after its first block while rank 0 waits for its second.
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = gen(2, "dead.h5", {}, "CALO_TEST_FAULT_RANK_EXIT=1:1");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(rc, 0);
  EXPECT_NE(rc, -1) << "the job hung until the test's timeout";
  EXPECT_LT(secs, 120.0);
  EXPECT_NE(err("dead.h5").find("test fault: rank 1"), std::string::npos) << err("dead.h5");
  EXPECT_FALSE(fs::exists(path("dead.h5"))) << "a failed job must not leave a (truncated) file";
}

TEST_F(MpiGen, AnInputErrorOnEveryRankEndsTheJob) {
  const int rc = gen(2, "bad.h5", {"--batch", "0"});
  EXPECT_NE(rc, 0);
  EXPECT_NE(rc, -1);
  EXPECT_NE(err("bad.h5").find("--batch must be >= 1"), std::string::npos) << err("bad.h5");
  EXPECT_FALSE(fs::exists(path("bad.h5")));
}

}  // namespace
