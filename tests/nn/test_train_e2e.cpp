// End-to-end training on a tiny synthetic file: the loss falls; an interrupted-then-resumed run
// equals an uninterrupted one bit for bit (also across the freeze epoch, with the persistent PCD
// chains in the checkpoint); completed epochs survive an interruption; after the freeze epoch the
// encoder and decoder stay bit-identical while the RBM keeps training.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <cmath>
#include "host/nn/checkpoint.hpp"
#include "host/nn/trainer.hpp"

#include "host/h5io.hpp"
#include "kernels/philox.hpp"
#include "tests/toy_showers.hpp"

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
    calo::testing::write_toy_showers(data, 80);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // `training_extra`: more lines of the training map, e.g. "  kl_weight: 1.0\n".
  std::string config(int epochs, const std::string& name,
                     const std::string& training_extra = "") const {
    std::string t = kTiny + training_extra;
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

// KL on, freeze after epoch 1. A strongly coupled RBM and one sweep per update make the chain
// states matter (with weak couplings a few sweeps forget the start state), so a resume that lost
// the persistent chains would not reproduce the uninterrupted run.
const char* kKlFreeze =
    "  kl_weight: 1.0\n  freeze_after_epoch: 1\nprior:\n  cd_sweeps: 1\n  w_std: 1.0\n";

bool is_vae_array(const std::string& name) {
  return name.rfind("prior.", 0) != 0 && name.rfind("pcd.", 0) != 0;
}

TEST(TrainE2E, LossFallsAndResumeIsExact) {
  Fixture& f = fixture();
  // 64 training rows / 16 = 4 batches per epoch. Learning: 12 epochs with the KL term lower the
  // reconstruction loss (weighted MSE + BCE) by at least a factor 2 (measured: 2.8; these toy
  // voxels are independent random hits, so the loss soon reaches their noise).
  const TrainResult learn =
      train(options(f.config(12, "c12.yaml", "  kl_weight: 1.0\n"), (f.dir / "learn").string()));
  ASSERT_EQ(learn.history.size(), 12u);
  const double first = learn.history.front().train_recon(),
               last = learn.history.back().train_recon();
  EXPECT_LT(last, 0.5 * first) << "train loss " << first << " -> " << last;
  EXPECT_LT(learn.history.back().val_recon(), learn.history.front().val_recon());
  EXPECT_LT(learn.history.back().train_entropy, 0.0);
  EXPECT_NE(learn.history.back().train_pos_energy, 0.0);
  EXPECT_EQ(learn.history.back().kl_weight, 1.0);
  EXPECT_TRUE(fs::exists(f.dir / "learn" / "log.csv"));
  EXPECT_TRUE(fs::exists(f.dir / "learn" / "log.json"));
  {
    std::ifstream csv(f.dir / "learn" / "log.csv");
    std::string header;
    std::getline(csv, header);
    EXPECT_NE(header.find("train_entropy,train_pos_energy,train_kl"), std::string::npos) << header;
    EXPECT_NE(header.find("val_entropy,val_pos_energy,val_kl"), std::string::npos) << header;
  }

  // Epoch 1 trains everything, epochs 2-3 only the RBM (PCD).
  const std::string cfg = f.config(3, "c3.yaml", kKlFreeze);
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
  bool chains = false;
  for (const auto& [name, v] : mid.params) chains = chains || name == "pcd.chains";
  EXPECT_TRUE(chains) << "the persistent chains belong in the checkpoint";

  TrainOptions r = options("", (f.dir / "split").string());
  r.resume = true;
  const TrainResult b = train(r);
  EXPECT_FALSE(b.interrupted);
  ASSERT_EQ(b.history.size(), 3u);
  // Interrupted in epoch 1 (before the freeze), resumed across it.
  TrainOptions o0 = options(cfg, (f.dir / "split0").string());
  o0.stop_after_batches = 2;
  EXPECT_TRUE(train(o0).interrupted);
  TrainOptions r0 = options("", (f.dir / "split0").string());
  r0.resume = true;
  const TrainResult b0 = train(r0);
  ASSERT_EQ(b0.history.size(), 3u);
  for (const TrainResult* run : {&b, &b0}) {
    for (size_t e = 0; e < 3; ++e) {
      EXPECT_EQ(run->history[e].train_mse, full.history[e].train_mse) << "epoch " << e + 1;
      EXPECT_EQ(run->history[e].train_pos_energy, full.history[e].train_pos_energy)
          << "epoch " << e + 1;
      EXPECT_EQ(run->history[e].val_bce, full.history[e].val_bce) << "epoch " << e + 1;
      EXPECT_EQ(run->history[e].val_entropy, full.history[e].val_entropy) << "epoch " << e + 1;
    }
  }
  const NamedArrays pf = read_named_arrays((f.dir / "full/checkpoint/params.bin").string());
  for (const char* split : {"split", "split0"}) {
    const NamedArrays ps = read_named_arrays((f.dir / split / "checkpoint/params.bin").string());
    ASSERT_EQ(pf.size(), ps.size());
    for (size_t i = 0; i < pf.size(); ++i) {
      EXPECT_EQ(pf[i].first, ps[i].first);
      EXPECT_EQ(pf[i].second, ps[i].second) << split << ": " << pf[i].first;
    }
  }
}

TEST(TrainE2E, FreezeKeepsTheVaeAndTrainsTheRbm) {
  Fixture& f = fixture();
  // The same run stopped after 1, 2 and 3 epochs (freeze after epoch 1).
  std::vector<NamedArrays> params, optim;
  std::vector<TrainResult> runs;
  for (int epochs = 1; epochs <= 3; ++epochs) {
    const std::string out = (f.dir / ("freeze" + std::to_string(epochs))).string();
    runs.push_back(
        train(options(f.config(epochs, "f" + std::to_string(epochs) + ".yaml", kKlFreeze), out)));
    params.push_back(read_named_arrays(out + "/checkpoint/params.bin"));
    optim.push_back(read_named_arrays(out + "/checkpoint/optim.bin"));
  }
  ASSERT_EQ(runs[2].history.size(), 3u);
  EXPECT_FALSE(runs[2].history[0].frozen);
  EXPECT_TRUE(runs[2].history[1].frozen);
  EXPECT_TRUE(runs[2].history[2].frozen);
  int vae = 0, rbm_changed_12 = 0, rbm_changed_23 = 0;
  for (size_t i = 0; i < params[0].size(); ++i) {
    const std::string& name = params[0][i].first;
    ASSERT_EQ(params[1][i].first, name);
    ASSERT_EQ(params[2][i].first, name);
    if (is_vae_array(name)) {
      ++vae;
      EXPECT_EQ(params[0][i].second, params[1][i].second) << name << " changed in epoch 2";
      EXPECT_EQ(params[1][i].second, params[2][i].second) << name << " changed in epoch 3";
    } else if (name.rfind("prior.weights_", 0) == 0 || name.rfind("prior.bias_", 0) == 0) {
      rbm_changed_12 += params[0][i].second != params[1][i].second;
      rbm_changed_23 += params[1][i].second != params[2][i].second;
    }
  }
  EXPECT_GT(vae, 10);
  EXPECT_GE(rbm_changed_12, 6) << "the RBM must keep training after the freeze";
  EXPECT_GE(rbm_changed_23, 6);
  EXPECT_EQ(params[1].size(), params[0].size() + 1) << "pcd.chains appear with the freeze";
  // No Adam step after the freeze; the frozen VAE gives the same validation numbers.
  ASSERT_EQ(optim[1].size(), optim[2].size());
  for (size_t i = 0; i < optim[1].size(); ++i)
    EXPECT_EQ(optim[1][i].second, optim[2][i].second) << optim[1][i].first;
  // (val_mse is not compared: the annealed LeakyReLU slope differs between the epochs.)
  EXPECT_EQ(runs[2].history[1].val_bce, runs[2].history[2].val_bce);
  EXPECT_EQ(runs[2].history[1].val_entropy, runs[2].history[2].val_entropy);
  // ... but not the same pos_energy: the RBM moved.
  EXPECT_NE(runs[2].history[1].val_pos_energy, runs[2].history[2].val_pos_energy);
}

// Showers that differ by more than their energy: each has its own depth of the shower maximum and
// radial spread (hidden factors), so an encoder that works must give them different latents.
std::string write_varied_showers(const fs::path& path, int rows) {
  const int nv = 6480;
  std::vector<float> e(static_cast<size_t>(rows)), x(static_cast<size_t>(rows) * nv, 0.0f);
  for (int i = 0; i < rows; ++i) {
    e[size_t(i)] = float(1e3 * std::pow(100.0, calo::uniform(6, 1, uint64_t(i))));
    const double depth = 6.0 + 30.0 * calo::uniform(6, 4, uint64_t(i));
    const double slope = 0.3 + 1.2 * calo::uniform(6, 5, uint64_t(i));
    for (int v = 0; v < nv; ++v) {
      const int l = v / 144, r = v % 9;
      const uint64_t k = uint64_t(i) * nv + uint64_t(v);
      const double prof = std::exp(-0.5 * (l - depth) * (l - depth) / 16.0) * std::exp(-slope * r);
      if (calo::uniform(6, 2, k) > 0.9 * prof) continue;
      x[k] = float(e[size_t(i)] * 0.01 * prof * (0.5 + calo::uniform(6, 3, k)));
    }
  }
  calo::write_shower_file(path.string(), e, x, nv);
  return path.string();
}

TEST(TrainE2E, PosteriorStaysInformative) {
  Fixture& f = fixture();
  TrainOptions o =
      options(f.config(6, "varied.yaml", "  kl_weight: 1.0\nprior:\n  chains: persistent\n"),
              (f.dir / "varied").string());
  o.data_path = write_varied_showers(f.dir / "varied.h5", 160);  // 128 training, 32 validation
  const TrainResult r = train(o);
  ASSERT_EQ(r.history.size(), 6u);
  const EpochMetrics& last = r.history.back();
  // A collapsed posterior gives 1 state in 32 (3%) and no information (measured here: 81%
  // distinct, 0.88 bits per unit).
  EXPECT_GE(last.distinct_map, 0.5) << "posterior collapsed";
  EXPECT_GT(last.information(), 0.05) << "latents carry no information about the shower";
  EXPECT_GT(last.marginal_entropy, last.conditional_entropy);
  EXPECT_LT(last.val_recon(), r.history.front().val_recon());
  EXPECT_LT(last.train_recon(), 0.75 * r.history.front().train_recon());  // measured 0.54
  EXPECT_TRUE(std::isfinite(last.kl_estimate));
  EXPECT_GT(last.kl_estimate, 0.0);  // a KL is never negative (beyond AIS noise)
  std::ifstream csv(f.dir / "varied" / "log.csv");
  std::string header;
  std::getline(csv, header);
  for (const char* col : {"distinct_map", "information_bits", "neg_energy", "kl_estimate"})
    EXPECT_NE(header.find(col), std::string::npos) << col << " missing from log.csv";
  for (const auto& m : r.history)
    std::printf("epoch %d: distinct %.3f info %.3f recon %.1f kl %.2f gap %.3f\n", m.epoch,
                m.distinct_map, m.information(), m.val_recon(), m.kl_estimate, m.unit_gap);
}

TEST(TrainE2E, KlWeightScheduleAndFreezeKeysAreChecked) {
  std::string t = kTiny;
  t.replace(t.find("EPOCHS"), 6, "4");
  const TrainConfig a =
      TrainConfig::from_yaml_text(t + "  kl_weight: {start: 0.0, end: 2.0, epochs: 2}\n", "a");
  EXPECT_EQ(a.kl_weight.at(0), 0.0);
  EXPECT_EQ(a.kl_weight.at(1), 1.0);
  EXPECT_EQ(a.kl_weight.at(3), 2.0);
  EXPECT_EQ(a.freeze_after_epoch, 0);
  EXPECT_FALSE(a.frozen(3));
  const TrainConfig b =
      TrainConfig::from_yaml_text(t + "  kl_weight: 0.5\n  freeze_after_epoch: 2\n", "b");
  EXPECT_EQ(b.kl_weight.at(0), 0.5);
  EXPECT_EQ(b.kl_weight.at(3), 0.5);
  EXPECT_FALSE(b.frozen(1));
  EXPECT_TRUE(b.frozen(2));
  EXPECT_EQ(TrainConfig::from_yaml_text(t, "c").kl_weight.at(0), 0.0);  // default: no KL
  EXPECT_THROW(TrainConfig::from_yaml_text(t + "  freeze_after_epoch: -1\n", "d"),
               calo::InputError);
  EXPECT_THROW(TrainConfig::from_yaml_text(t + "  kl_weight: -1\n", "e"), calo::InputError);
  EXPECT_THROW(TrainConfig::from_yaml_text(t + "  kl_weight: {start: 0, ends: 1}\n", "f"),
               calo::InputError);
  // prior.w_std: one spread or one per pair [01, 02, 03, 12, 13, 23]; prior.chains.
  const TrainConfig w = TrainConfig::from_yaml_text(
      t + "prior:\n  w_std: [1, 1, 1, 0.01, 0.01, 0.01]\n  chains: persistent\n", "g");
  EXPECT_EQ(w.prior.w_std[0], 1.0f);
  EXPECT_EQ(w.prior.w_std[5], 0.01f);
  EXPECT_TRUE(w.prior.persistent);
  EXPECT_EQ(TrainConfig::from_yaml_text(t + "prior:\n  w_std: 0.5\n", "h").prior.w_std[3], 0.5f);
  EXPECT_FALSE(TrainConfig::from_yaml_text(t, "i").prior.persistent);
  EXPECT_THROW(TrainConfig::from_yaml_text(t + "prior:\n  w_std: [1, 2]\n", "j"), calo::InputError);
  EXPECT_THROW(TrainConfig::from_yaml_text(t + "prior:\n  chains: sometimes\n", "k"),
               calo::InputError);
  // learning_rate_end: linear from learning_rate at the first epoch to it at the last.
  const TrainConfig lr = TrainConfig::from_yaml_text(t + "  learning_rate_end: 0.006\n", "l");
  EXPECT_DOUBLE_EQ(lr.learning_rate_at(0), 0.03);
  EXPECT_DOUBLE_EQ(lr.learning_rate_at(2), 0.014);
  EXPECT_DOUBLE_EQ(lr.learning_rate_at(3), 0.006);
  EXPECT_DOUBLE_EQ(TrainConfig::from_yaml_text(t, "m").learning_rate_at(3), 0.03);
  EXPECT_THROW(TrainConfig::from_yaml_text(t + "  learning_rate_end: -1\n", "n"), calo::InputError);
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
