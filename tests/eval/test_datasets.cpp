// calo_eval on the other CaloChallenge geometries: datasets 1 (photons, pions) and 3 through their
// binning XMLs. Voxel counts per layer against the documented totals (368, 533, 40500), the
// feature vector's layout against HighLevelFeatures.py's rules, and a small synthetic file per
// geometry evaluated end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "host/error.hpp"
#include "host/eval/dataset.hpp"
#include "host/eval/evaluate.hpp"
#include "host/eval/features.hpp"
#include "host/h5io.hpp"
#include "kernels/philox.hpp"

namespace ce = calo::eval;
namespace fs = std::filesystem;

namespace {

std::map<int, int> voxels_per_layer(const ce::EvalDataset& d) {
  std::map<int, int> m;
  for (int l = 0; l < d.n_layers(); ++l) m[d.layers[size_t(l)]] = d.layer_voxels(l);
  return m;
}

// `rows` toy showers in the dataset's geometry: a longitudinal Gaussian over the layers with
// voxels times a radial exponential exp(-slope * ring), half of the voxels hit, E_inc log-uniform
// 1-100 GeV, E_tot = 0.95 `scale` E_inc (scale != 1, slope != 0.3: a mis-modelled generator).
void write_toy(const std::string& path, const ce::EvalDataset& d, int rows, uint64_t seed,
               double scale, double slope = 0.3) {
  const int nv = d.n_voxels();
  std::vector<float> e(static_cast<size_t>(rows)), x(size_t(rows) * size_t(nv), 0.0f);
  std::vector<double> w(static_cast<size_t>(nv));
  const double mid = 0.5 * (d.n_layers() - 1), width = std::max(1.0, d.n_layers() / 3.0);
  for (int i = 0; i < rows; ++i) {
    e[size_t(i)] = float(1e3 * std::pow(100.0, calo::uniform(seed, 1, uint64_t(i))));
    double sum = 0;
    std::fill(w.begin(), w.end(), 0.0);
    for (int l = 0; l < d.n_layers(); ++l)
      for (int k = d.layer_offset(l); k < d.layer_offset(l) + d.layer_voxels(l); ++k) {
        const uint64_t c = uint64_t(i) * uint64_t(nv) + uint64_t(k);
        if (calo::uniform(seed, 2, c) > 0.5f) continue;
        w[size_t(k)] = std::exp(-0.5 * (l - mid) * (l - mid) / (width * width)) *
                       std::exp(-slope * d.ring[size_t(k)]) * (0.5 + calo::uniform(seed, 3, c));
        sum += w[size_t(k)];
      }
    for (int k = 0; k < nv; ++k)
      x[size_t(i) * size_t(nv) + size_t(k)] =
          float(0.95 * scale * e[size_t(i)] * w[size_t(k)] / sum);
  }
  calo::write_shower_file(path, e, x, nv);
}

}  // namespace

TEST(EvalDatasets, VoxelsPerLayerMatchTheBinningFiles) {
  const auto photons = ce::EvalDataset::named("1-photons");
  EXPECT_EQ(photons->n_voxels(), 368);
  EXPECT_EQ(voxels_per_layer(*photons),
            (std::map<int, int>{{0, 8}, {1, 160}, {2, 190}, {3, 5}, {12, 5}}));
  EXPECT_EQ(photons->alpha_binned, (std::vector<char>{0, 1, 1, 0, 0}));
  EXPECT_EQ(photons->fpd_dims(), 1 + 5 + 4 * 2 + 1 + 3 * 5);  // 30
  EXPECT_EQ(photons->threshold_mev, 1.0);                     // evaluate.py min_energy, dataset 1
  const auto pions = ce::EvalDataset::named("1-pions");
  EXPECT_EQ(pions->n_voxels(), 533);
  EXPECT_EQ(
      voxels_per_layer(*pions),
      (std::map<int, int>{{0, 8}, {1, 100}, {2, 100}, {3, 5}, {12, 150}, {13, 160}, {14, 10}}));
  EXPECT_EQ(pions->alpha_binned, (std::vector<char>{0, 1, 1, 0, 1, 1, 0}));
  EXPECT_EQ(pions->fpd_dims(), 46);
  const auto ds3 = ce::EvalDataset::named("3");
  EXPECT_EQ(ds3->n_voxels(), 40500);
  EXPECT_EQ(ds3->n_layers(), 45);
  for (const auto& [id, n] : voxels_per_layer(*ds3)) EXPECT_EQ(n, 50 * 18) << "layer " << id;
  EXPECT_EQ(ds3->fpd_dims(), 362);
  EXPECT_NEAR(ds3->threshold_mev, 0.5e-3 / 0.033, 1e-15);
  EXPECT_EQ(ds3->n_rings(), 18);
  EXPECT_EQ(ce::EvalDataset::dataset2()->fpd_dims(), ce::kFpdDims);
  // dataset-1 histogram ranges (evaluate_plotting_helper.py): the hadronic layers are wider
  EXPECT_EQ(pions->ranges(4).ec_hi, 500.0);     // layer 12
  EXPECT_EQ(pions->ranges(6).ec_r_hi, 1500.0);  // layer 14
  EXPECT_EQ(pions->ranges(1).width_hi, 100.0);  // layer 1
  EXPECT_EQ(ds3->ranges(0).ec_hi, 30.0);
  EXPECT_EQ(photons->einc_windows.size(), 15u);            // 2^8 .. 2^22 MeV
  EXPECT_EQ(photons->einc_windows[4].edges.front(), 0.9);  // photons above 4 GeV: narrow bins
  EXPECT_EQ(pions->einc_windows[4].edges.front(), 0.4);
}

TEST(EvalDatasets, PhotonFeaturesFollowHighLevelFeatures) {
  const auto d = ce::EvalDataset::named("1-photons");
  std::vector<float> sh(size_t(2 * d->n_voxels()), 0.0f);
  // shower 0: 10 MeV in layer 1 (10 alpha x 16 r), alpha bin 2, radial bin 5 (r 10-12 mm);
  // 0.5 MeV (below the 1 MeV threshold) elsewhere in layer 1; 4 MeV in layer 0's radial bin 2
  const int l1 = d->layer_offset(1), l0 = d->layer_offset(0);
  sh[size_t(l1 + 2 * 16 + 5)] = 10.0f;
  sh[size_t(l1 + 7 * 16 + 1)] = 0.5f;
  sh[size_t(l0 + 2)] = 4.0f;
  const auto t = ce::features_of_showers({1000.0f, 2000.0f}, sh, d);
  ASSERT_EQ(t.layers, 5);
  const double r = 11.0, a = -M_PI + 2.5 * 2 * M_PI / 10;
  EXPECT_NEAR(t.layer(t.e_layer, 0, 1), 10.0, 1e-6);
  EXPECT_NEAR(t.layer(t.ec_eta, 0, 1), r * std::cos(a), 1e-9);
  EXPECT_NEAR(t.layer(t.ec_phi, 0, 1), r * std::sin(a), 1e-9);
  EXPECT_NEAR(t.layer(t.ec_r, 0, 1), r, 1e-9);
  EXPECT_NEAR(t.layer(t.sparsity, 0, 1), 1.0 - 1.0 / 160, 1e-12);
  EXPECT_NEAR(t.layer(t.ec_r, 0, 0), 20.0, 1e-9);  // layer 0 edges 0,5,10,30: bin 2 centre 20
  EXPECT_NEAR(t.e_tot[0], 14.0, 1e-6);
  const ce::Samples v = ce::fpd_vectors(t);
  ASSERT_EQ(v.dims, 30);
  // [log10 E_inc, log10 E_layer x5, EC_eta/100 x2 (layers 1, 2), EC_phi x2, width_eta x2,
  //  width_phi x2, log10 E_tot, sparsity x5, EC_r x5, width_r x5]
  EXPECT_NEAR(v.row(0)[0], 3.0, 1e-12);
  EXPECT_NEAR(v.row(0)[1 + 1], 1.0, 1e-6);
  EXPECT_NEAR(v.row(0)[1 + 3], -8.0, 1e-12);  // layer 3 empty: log10(1e-8)
  EXPECT_NEAR(v.row(0)[6], r * std::cos(a) / 100, 1e-11);
  EXPECT_NEAR(v.row(0)[7], 0.0, 1e-12);  // layer 2 empty
  EXPECT_NEAR(v.row(0)[8], r * std::sin(a) / 100, 1e-11);
  EXPECT_NEAR(v.row(0)[14], std::log10(14.0), 1e-6);
  EXPECT_NEAR(v.row(0)[15 + 1], 1.0 - 1.0 / 160, 1e-12);
  EXPECT_NEAR(v.row(0)[20], 0.2, 1e-11);  // EC_r of layer 0 / 100
}

TEST(EvalDatasets, EachGeometryEvaluatesEndToEnd) {
  const fs::path dir = fs::temp_directory_path() / "calo_eval_test_datasets";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const std::string name : {"1-photons", "1-pions", "3"}) {
    const auto d = ce::EvalDataset::named(name);
    const int rows = name == "3" ? 400 : 1500;
    const std::string ref = (dir / (name + "_ref.h5")).string(),
                      shifted = (dir / (name + "_shifted.h5")).string();
    write_toy(ref, *d, rows, 1, 1.0);
    write_toy(shifted, *d, rows, 2, 1.2, 0.45);
    std::map<std::string, nlohmann::json> out;
    for (const auto& [label, gen] : {std::pair{"self", ref}, {"shifted", shifted}}) {
      ce::EvalOptions o;
      o.dataset = d;
      o.reference = ref;
      o.generated = gen;
      o.out_dir = (dir / (name + "_" + label)).string();
      o.pair.fpd = {200, 800, 3, 4, true, 42};
      o.pair.kpd = {5, 300, true, 42};
      o.plots = false;
      ce::run_evaluation(o);
      std::ifstream in(fs::path(o.out_dir) / "metrics.json");
      out[label] = nlohmann::json::parse(in);
    }
    const auto &self = out["self"], &sh = out["shifted"];
    EXPECT_EQ(self["feature_dims"], d->fpd_dims()) << name;
    EXPECT_EQ(self["voxels"], d->n_voxels()) << name;
    EXPECT_EQ(self["separation_power"]["e_layer"]["per_layer"].size(), size_t(d->n_layers()));
    EXPECT_EQ(self["separation_power"]["ec_eta"]["layers"].size(), size_t(d->n_alpha_layers()));
    // self vs self: the same showers, only the bootstrap draws differ
    EXPECT_LT(self["fpd"]["value"].get<double>(), 0.2 * sh["fpd"]["value"].get<double>()) << name;
    EXPECT_LT(std::abs(self["kpd"]["value"].get<double>()),
              3 * self["kpd"]["error"].get<double>() + 1e-9)
        << name;
    EXPECT_GT(sh["kpd"]["value"].get<double>(), 5 * std::abs(self["kpd"]["value"].get<double>()) +
                                                    5 * sh["kpd"]["error"].get<double>())
        << name;
    EXPECT_EQ(self["separation_power"]["etot_einc"].get<double>(), 0.0) << name;
    EXPECT_GT(sh["separation_power"]["etot_einc"].get<double>(), 0.9) << name;  // 0.95 vs 1.14
    EXPECT_EQ(self["separation_power"]["voxel"].get<double>(), 0.0) << name;
  }
}

TEST(EvalDatasets, WrongGeometryAndBadBinningAreClearErrors) {
  const fs::path dir = fs::temp_directory_path() / "calo_eval_test_datasets_err";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto pions = ce::EvalDataset::named("1-pions");
  write_toy((dir / "pions.h5").string(), *pions, 5, 1, 1.0);
  try {
    ce::features_of_file((dir / "pions.h5").string(), ce::EvalDataset::named("1-photons"));
    FAIL() << "no error for a 533-voxel file read as 1-photons";
  } catch (const calo::InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("533"), std::string::npos) << m;
    EXPECT_NE(m.find("1-photons"), std::string::npos) << m;
    EXPECT_NE(m.find("--dataset"), std::string::npos) << m;
  }
  std::ofstream(dir / "bad.xml") << "<Bins><Bin pid=\"22\" name=\"photon\"><Layer id=\"0\" "
                                    "r_edges=\"0,5,x\" n_bin_alpha=\"1\"/></Bin></Bins>";
  try {
    ce::EvalDataset::from_binning((dir / "bad.xml").string());
    FAIL() << "no error for a non-numeric radial edge";
  } catch (const calo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.xml"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "empty.xml")
      << "<Bins><Bin pid=\"11\" name=\"electron\"><Layer id=\"0\" r_edges=\"0\" "
         "n_bin_alpha=\"1\"/></Bin></Bins>";
  EXPECT_THROW(ce::EvalDataset::from_binning((dir / "empty.xml").string()), calo::InputError);
  EXPECT_THROW(ce::EvalDataset::named("4"), calo::InputError);
  // a photon XML given by path gets dataset-1 conventions; --threshold overrides
  const auto custom = ce::EvalDataset::from_binning(
      calo::data_dir() + "/binning/binning_dataset_1_photons.xml", 0.25);
  EXPECT_TRUE(custom->dataset1_conventions);
  EXPECT_EQ(custom->threshold_mev, 0.25);
  EXPECT_EQ(custom->n_voxels(), 368);
  EXPECT_THROW(ce::EvalDataset::from_binning(
                   calo::data_dir() + "/binning/binning_dataset_1_photons.xml", -1.0),
               calo::InputError);
}
