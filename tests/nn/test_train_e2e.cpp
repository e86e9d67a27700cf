// End-to-end training on a tiny synthetic file: the loss falls; an interrupted-then-resumed run
// equals an uninterrupted one bit for bit; completed epochs survive an interruption.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <cmath>
#include "host/nn/checkpoint.hpp"
#include "host/nn/trainer.hpp"

#include "host/h5io.hpp"
#include "kernels/philox.hpp"

namespace fs = std::filesystem;
using namespace calo::nn;

namespace {

const char* kTiny = R"(model:
  nodes_per_partition: 8
  encoder_channels: 2
  decoder_channels: 2
  init_seed: 3
training:
  seed: 11
  epochs: EPOCHS
  batch_size: 16
  learning_rate: 0.03
  train_fraction: 0.8
  test_fraction: 0.0
  gumbel_beta: {start: 1.0, end: 4.0, epochs: 2}
  slope: {start: 0.02, end: 0.0, epochs: 2}
)";

struct Fixture {
  fs::path dir;
  std::string data;
  Fixture() {
    dir = fs::temp_directory_path() / ("calo_train_e2e_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    data = (dir / "synth.h5").string();
    // 80 toy showers (the synth module is not linked into nn tests): a longitudinal Gaussian
    // profile times a radial exponential, about 30% of voxels hit, log-uniform 1-100 GeV.
    const int rows = 80, nv = 6480;
    std::vector<float> e(rows), x(size_t(rows) * nv, 0.0f);
    for (int i = 0; i < rows; ++i) {
      e[size_t(i)] = float(1e3 * std::pow(100.0, calo::uniform(5, 1, uint64_t(i))));
      for (int v = 0; v < nv; ++v) {
        const int l = v / 144, r = v % 9;
        const uint64_t k = uint64_t(i) * nv + uint64_t(v);
        if (calo::uniform(5, 2, k) > 0.3f) continue;
        const double prof = std::exp(-0.5 * (l - 15.0) * (l - 15.0) / 36.0) * std::exp(-0.7 * r);
        x[k] = float(e[size_t(i)] * 0.01 * prof * (0.5 + calo::uniform(5, 3, k)));
      }
    }
    calo::write_shower_file(data, e, x, nv);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string config(int epochs, const std::string& name) const {
    std::string t = kTiny;
    t.replace(t.find("EPOCHS"), 6, std::to_string(epochs));
    const std::string p = (dir / name).string();
    std::ofstream(p) << t;
    return p;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

TrainOptions options(const std::string& cfg, const std::string& out) {
  TrainOptions o;
  o.config_path = cfg;
  o.data_path = fixture().data;
  o.out_dir = out;
  o.progress = false;
  return o;
}

}  // namespace

TEST(TrainE2E, LossFallsAndResumeIsExact) {
  Fixture& f = fixture();
  // 64 training rows / 16 = 4 batches per epoch. Learning: 12 epochs lower the training loss
  // (weighted MSE + BCE) by at least a factor 4 (measured: about 10).
  const TrainResult learn = train(options(f.config(12, "c12.yaml"), (f.dir / "learn").string()));
  ASSERT_EQ(learn.history.size(), 12u);
  const double first = learn.history.front().train_total(),
               last = learn.history.back().train_total();
  EXPECT_LT(last, 0.25 * first) << "train loss " << first << " -> " << last;
  EXPECT_LT(learn.history.back().val_total(), learn.history.front().val_total());
  EXPECT_TRUE(fs::exists(f.dir / "learn" / "log.csv"));
  EXPECT_TRUE(fs::exists(f.dir / "learn" / "log.json"));

  const std::string cfg = f.config(3, "c3.yaml");
  const TrainResult full = train(options(cfg, (f.dir / "full").string()));
  ASSERT_EQ(full.history.size(), 3u);
  EXPECT_FALSE(full.interrupted);

  // Interrupted mid-epoch 2 (after 6 batches), then resumed.
  TrainOptions o = options(cfg, (f.dir / "split").string());
  o.stop_after_batches = 6;
  const TrainResult a = train(o);
  EXPECT_TRUE(a.interrupted);
  ASSERT_EQ(a.history.size(), 1u);  // epoch 1 completed and kept
  const CheckpointData mid = read_checkpoint((f.dir / "split" / "checkpoint").string());
  EXPECT_EQ(mid.state.at("epoch").get<int>(), 1);
  EXPECT_EQ(mid.state.at("next_batch").get<int>(), 2);
  EXPECT_EQ(mid.state.at("history").size(), 1u);

  TrainOptions r = options("", (f.dir / "split").string());
  r.resume = true;
  const TrainResult b = train(r);
  EXPECT_FALSE(b.interrupted);
  ASSERT_EQ(b.history.size(), 3u);
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(b.history[e].train_mse, full.history[e].train_mse) << "epoch " << e + 1;
    EXPECT_EQ(b.history[e].val_bce, full.history[e].val_bce) << "epoch " << e + 1;
  }
  const NamedArrays pf = read_named_arrays((f.dir / "full/checkpoint/params.bin").string());
  const NamedArrays ps = read_named_arrays((f.dir / "split/checkpoint/params.bin").string());
  ASSERT_EQ(pf.size(), ps.size());
  for (size_t i = 0; i < pf.size(); ++i) {
    EXPECT_EQ(pf[i].first, ps[i].first);
    EXPECT_EQ(pf[i].second, ps[i].second) << pf[i].first;
  }
}

TEST(TrainE2E, BadConfigNamesTheKey) {
  Fixture& f = fixture();
  std::string t = kTiny;
  t.replace(t.find("EPOCHS"), 6, "2");
  t.replace(t.find("batch_size"), 10, "batch_sise");
  try {
    TrainConfig::from_yaml_text(t, "bad.yaml");
    FAIL() << "no error";
  } catch (const calo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("batch_s"), std::string::npos) << e.what();
  }
  TrainOptions o = options(f.config(1, "c1.yaml"), (f.dir / "bad").string());
  o.data_path = (f.dir / "missing.h5").string();
  EXPECT_THROW(train(o), calo::Error);
}
