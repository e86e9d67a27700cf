// calo_eval tests: JetNet reference values (tests/peer/make_eval_fixtures.py), JetNet's own unit
// anchors, FPD floor vs shifted sample, hand-made showers with known features, separation power,
// and the whole evaluation on small HDF5 files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "host/error.hpp"
#include "host/eval/evaluate.hpp"
#include "host/h5io.hpp"
#include "kernels/philox.hpp"

namespace ce = calo::eval;
namespace fs = std::filesystem;

namespace {

nlohmann::json fixture() {
  std::ifstream in(std::string(CALO_TEST_DATA_DIR) + "/eval/jetnet_fixture.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

ce::Samples samples(const nlohmann::json& rows) {
  ce::Samples s;
  s.rows = static_cast<int64_t>(rows.size());
  s.dims = static_cast<int>(rows[0].size());
  for (const auto& r : rows)
    for (const auto& v : r) s.data.push_back(v.get<double>());
  return s;
}

ce::Samples head(const ce::Samples& s, int64_t n) {
  ce::Samples h = s;
  h.rows = n;
  h.data.resize(static_cast<size_t>(n * s.dims));
  return h;
}

// Gaussian rows from Philox (Box-Muller), mean `shift`, correlated through a fixed mixing.
ce::Samples gaussian(int64_t n, int d, uint64_t seed, double shift) {
  ce::Samples s;
  s.rows = n;
  s.dims = d;
  s.data.resize(static_cast<size_t>(n * d));
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> z(static_cast<size_t>(d));
    for (int j = 0; j < d; ++j) {
      const auto u =
          calo::uniform2_double(seed, static_cast<uint64_t>(i), static_cast<uint64_t>(j));
      z[j] = std::sqrt(-2.0 * std::log(u.u[0])) * std::cos(2.0 * M_PI * u.u[1]);
    }
    for (int j = 0; j < d; ++j)
      s.data[static_cast<size_t>(i * d + j)] = 2.0 + shift + z[j] + 0.5 * z[(j + 1) % d] + 0.1 * j;
  }
  return s;
}

double rel(double a, double b) {
  return std::abs(a - b) / std::max(std::abs(b), 1e-300);
}

}  // namespace

TEST(EvalJetnet, FrechetOfFixedSetsMatchesScipySqrtm) {
  const auto j = fixture();
  ce::Samples X = samples(j["X"]), Y = samples(j["Y"]);
  ce::normalise_by_reference(X, Y);
  std::vector<double> m1, s1, m2, s2;
  ce::mean_cov(head(X, 250), {}, m1, s1);
  ce::mean_cov(head(Y, 300), {}, m2, s2);
  const double d = ce::frechet_distance(m1, s1, m2, s2, X.dims);
  EXPECT_LT(rel(d, j["frechet_fixed"].get<double>()), 1e-6) << d;
}

TEST(EvalJetnet, Poly4MmdOfFixedSetsMatches) {
  const auto j = fixture();
  ce::Samples X = samples(j["X"]), Y = samples(j["Y"]);
  ce::normalise_by_reference(X, Y);
  const double m = ce::mmd_poly4_unbiased(head(X, 200), {}, head(Y, 300), {});
  EXPECT_LT(rel(m, j["mmd_fixed"].get<double>()), 1e-6) << m;
}

TEST(EvalJetnet, BoundedLinearFitMatchesCurveFit) {
  const auto j = fixture();
  for (const auto& f : j["fits"]) {
    const auto fit =
        ce::fit_nonneg_linear(f["x"].get<std::vector<double>>(), f["y"].get<std::vector<double>>());
    EXPECT_LT(rel(fit.a, f["a"].get<double>()), 1e-6) << fit.a;
    // scipy's trf stops a hair inside the bound b >= 0 (b ~ 6e-9 instead of 0)
    EXPECT_NEAR(fit.b, f["b"].get<double>(), 1e-6 * std::max(1.0, f["b"].get<double>()));
    EXPECT_LT(rel(fit.a_err, f["a_err"].get<double>()), 1e-5) << fit.a_err;
  }
}

// Our bootstrap draws come from Philox, JetNet's from numpy: the two estimates are independent
// draws of the same statistic. The fixture records its seed-to-seed standard deviation sigma
// over 30 JetNet seeds; the difference of two independent draws has sd sqrt(2) sigma, and we
// allow 4 of those (false-failure rate ~6e-5 for a Gaussian).
TEST(EvalJetnet, RandomizedFpdAndKpdAgreeWithJetnetWithinSeedSpread) {
  const auto j = fixture();
  const ce::Samples X = samples(j["X"]), Y = samples(j["Y"]);
  const auto& fp = j["fpd_params"];
  ce::FpdOptions fo{
      fp["min_samples"], fp["max_samples"], fp["num_batches"], fp["num_points"], true, 7};
  const auto f = ce::fpd(X, Y, fo);
  const double tol_f = 4.0 * std::sqrt(2.0) * j["fpd_seed_std"].get<double>();
  EXPECT_NEAR(f.value, j["fpd"][0].get<double>(), tol_f);
  EXPECT_NEAR(f.value, j["fpd_seed_mean"].get<double>(), tol_f);
  EXPECT_GT(f.error, 0.1 * j["fpd"][1].get<double>());
  EXPECT_LT(f.error, 10 * j["fpd"][1].get<double>());
  // numpy: (1/np.linspace(1/200, 1/1000, 10)).astype(int32)
  EXPECT_EQ(f.batch_sizes,
            (std::vector<int64_t>{200, 219, 243, 272, 310, 360, 428, 529, 692, 1000}));
  // and the CaloChallenge sizes, (1/np.linspace(1/10000, 1/50000, 10)).astype(int32)
  ce::Samples z{4, 1, {0, 1, 2, 3}};
  EXPECT_EQ(
      ce::fpd(z, z, {10000, 50000, 1, 10, true, 1}).batch_sizes,
      (std::vector<int64_t>{10000, 10975, 12162, 13636, 15517, 18000, 21428, 26470, 34615, 49999}));
  const auto& kp = j["kpd_params"];
  const auto k = ce::kpd(X, Y, {kp["num_batches"], kp["batch_size"], true, 7});
  const double tol_k = 4.0 * std::sqrt(2.0) * j["kpd_seed_std"].get<double>();
  EXPECT_NEAR(k.value, j["kpd"][0].get<double>(), tol_k);
  EXPECT_NEAR(k.value, j["kpd_seed_mean"].get<double>(), tol_k);
}

TEST(EvalJetnet, UnitTestAnchorsZerosVsOnes) {
  ce::Samples z{50000, 2, std::vector<double>(100000, 0.0)};
  ce::Samples o{50000, 2, std::vector<double>(100000, 1.0)};
  const auto f = ce::fpd(z, o, {20000, 50000, 2, 10, true, 42});
  EXPECT_NEAR(f.value, 2.0, 1e-3);
  EXPECT_NEAR(f.error, 0.0, 1e-3);
  EXPECT_NEAR(fixture()["anchor_zeros_ones_fpd"].get<double>(), 2.0, 1e-3);
  const auto k = ce::kpd(z, o, {2, 2000, true, 42});
  EXPECT_NEAR(k.value, 15.0, 1e-9);  // (0+1)^4 + (2/2+1)^4 - 2 (0+1)^4
  EXPECT_NEAR(k.error, 0.0, 1e-12);
  const auto f0 = ce::fpd(z, z, {200, 1000, 2, 4, true, 42});
  EXPECT_NEAR(f0.value, 0.0, 1e-12);
  EXPECT_NEAR(ce::kpd(z, z, {2, 500, true, 42}).value, 0.0, 1e-9);
}

TEST(EvalFpd, SameDistributionNearFloorShiftedMuchWorse) {
  const int d = 20;
  const auto a = gaussian(4000, d, 11, 0.0), b = gaussian(4000, d, 12, 0.0),
             c = gaussian(4000, d, 13, 0.3);
  const ce::FpdOptions o{500, 2000, 5, 5, true, 42};
  const auto same = ce::fpd(a, b, o), shifted = ce::fpd(a, c, o);
  // floor: the mean difference of two independent 4000-row samples, normalised by max|x| ~ 7,
  // gives ||dmu||^2 ~ 2 * d * Var / n / 49 ~ 3e-4; allow 1e-3.
  EXPECT_LT(same.value, 1e-3) << same.value;
  // shift 0.3 in each of 20 dims: ||dmu||^2 = 20 * 0.09 / max^2 ~ 0.03
  EXPECT_GT(shifted.value, 20 * std::max(same.value, 1e-4)) << shifted.value;
  const auto ks = ce::kpd(a, b, {5, 1000, true, 42}), kc = ce::kpd(a, c, {5, 1000, true, 42});
  EXPECT_GT(kc.value, 10 * std::abs(ks.value) + 5 * ks.error);
}

TEST(EvalMetrics, PercentileAndSeparationPower) {
  std::vector<double> v{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  EXPECT_NEAR(ce::percentile(v, 16.275), 2.46475, 1e-12);  // numpy.percentile, linear
  EXPECT_NEAR(ce::percentile(v, 50), 5.5, 1e-12);
  const auto edges = ce::linspace(0, 1, 5);  // 4 bins, last edge closed
  const auto p = ce::bin_probabilities({-1, 0.1, 0.3, 0.3, 1.0, 2.0}, edges);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_DOUBLE_EQ(p[0], 0.25);
  EXPECT_DOUBLE_EQ(p[1], 0.5);
  EXPECT_DOUBLE_EQ(p[2], 0.0);
  EXPECT_DOUBLE_EQ(p[3], 0.25);
  EXPECT_NEAR(ce::separation_power(p, p), 0.0, 1e-15);
  EXPECT_NEAR(ce::separation_power({1, 0}, {0, 1}), 1.0, 1e-12);
  // 1/2 [0.25^2/0.75 + 0.25^2/1.25] = 1/15
  EXPECT_NEAR(ce::separation_power({0.5, 0.5}, {0.25, 0.75}), 1.0 / 15.0, 1e-12);
}

TEST(EvalFeatures, HandMadeShowersHaveKnownFeatures) {
  std::vector<float> sh(2 * ce::kVoxels, 0.0f);
  // event 0: layer 3, one 10 MeV voxel at alpha 2, r 4; plus a sub-threshold 0.01 MeV voxel
  sh[3 * 144 + 2 * 9 + 4] = 10.0f;
  sh[3 * 144 + 7 * 9 + 1] = 0.01f;
  // layer 10: 2 MeV at r 0 and 6 MeV at r 8, same alpha 5
  sh[10 * 144 + 5 * 9 + 0] = 2.0f;
  sh[10 * 144 + 5 * 9 + 8] = 6.0f;
  // event 1: layer 0: 1 MeV in each of the 16 alphas at r 3 (ring: centre 0, r width 0)
  for (int a = 0; a < 16; ++a) sh[ce::kVoxels + a * 9 + 3] = 1.0f;
  const auto t = ce::features_of_showers({50000.0f, 16.0f}, sh);
  const double a2 = -M_PI + 2.5 * 2 * M_PI / 16, r4 = 2.325 + 4 * 4.65;
  EXPECT_NEAR(t.layer(t.e_layer, 0, 3), 10.0, 1e-6);
  EXPECT_NEAR(t.e_tot[0], 18.0, 1e-5);
  EXPECT_NEAR(t.layer(t.ec_eta, 0, 3), r4 * std::cos(a2), 1e-9);
  EXPECT_NEAR(t.layer(t.ec_phi, 0, 3), r4 * std::sin(a2), 1e-9);
  EXPECT_NEAR(t.layer(t.ec_r, 0, 3), r4, 1e-9);
  EXPECT_NEAR(t.layer(t.width_eta, 0, 3), 0.0, 1e-5);
  EXPECT_NEAR(t.layer(t.width_r, 0, 3), 0.0, 1e-5);
  EXPECT_NEAR(t.layer(t.sparsity, 0, 3), 1.0 - 1.0 / 144, 1e-12);  // 0.01 MeV voxel cut
  // weighted mean r = (2*2.325 + 6*39.525)/8, width = sqrt(0.25*0.75)*(39.525-2.325)
  EXPECT_NEAR(t.layer(t.ec_r, 0, 10), (2 * 2.325 + 6 * 39.525) / 8, 1e-9);
  EXPECT_NEAR(t.layer(t.width_r, 0, 10), std::sqrt(0.25 * 0.75) * 37.2, 1e-7);
  EXPECT_NEAR(t.layer(t.width_phi, 0, 10),
              std::sqrt(0.25 * 0.75) * 37.2 * std::abs(std::sin(-M_PI + 5.5 * 2 * M_PI / 16)),
              1e-7);
  // empty layer: EC = width = 0, sparsity 1
  EXPECT_EQ(t.layer(t.ec_eta, 0, 20), 0.0);
  EXPECT_EQ(t.layer(t.width_eta, 0, 20), 0.0);
  EXPECT_EQ(t.layer(t.sparsity, 0, 20), 1.0);
  // ring: centre 0, eta width = r / sqrt(2), r width 0, sparsity 1 - 16/144
  const double r3 = 2.325 + 3 * 4.65;
  EXPECT_NEAR(t.layer(t.ec_eta, 1, 0), 0.0, 1e-9);
  EXPECT_NEAR(t.layer(t.width_eta, 1, 0), r3 / std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(t.layer(t.width_r, 1, 0), 0.0, 1e-5);
  EXPECT_NEAR(t.layer(t.sparsity, 1, 0), 1.0 - 16.0 / 144, 1e-12);
  EXPECT_NEAR(t.e_tot[1] / t.e_inc[1], 1.0, 1e-6);
  // the 362-dim vector, in evaluate.py's order
  const auto v = ce::fpd_vectors(t);
  ASSERT_EQ(v.dims, 362);
  const double* r = v.row(0);
  EXPECT_NEAR(r[0], std::log10(50000.0), 1e-12);
  EXPECT_NEAR(r[1 + 3], 1.0, 1e-6);                                // log10(10 + 1e-8)
  EXPECT_NEAR(r[1 + 20], -8.0, 1e-12);                             // empty layer: log10(1e-8)
  EXPECT_NEAR(r[46 + 3], r4 * std::cos(a2) / 100, 1e-11);          // EC_eta/100
  EXPECT_NEAR(r[91 + 3], r4 * std::sin(a2) / 100, 1e-11);          // EC_phi/100
  EXPECT_NEAR(r[226], std::log10(18.0), 1e-6);                     // log10 E_tot
  EXPECT_NEAR(r[227 + 3], 1.0 - 1.0 / 144, 1e-12);                 // sparsity
  EXPECT_NEAR(r[272 + 3], r4 / 100, 1e-11);                        // EC_r/100
  EXPECT_NEAR(r[317 + 10], std::sqrt(0.1875) * 37.2 / 100, 1e-9);  // width_r/100
}

namespace {
void write_file(const std::string& path, int n, uint64_t seed, double scale, int voxels = 6480) {
  std::vector<float> e(static_cast<size_t>(n)), s(static_cast<size_t>(n) * voxels, 0.0f);
  for (int i = 0; i < n; ++i) {
    e[i] = static_cast<float>(1000.0 * std::pow(1000.0, calo::uniform(seed, 0, i)));
    for (int k = 0; k < voxels; ++k) {
      const int l = k / 144, r = k % 9;
      const float u = calo::uniform(seed, 1 + i, k);
      if (u < 0.3f)
        s[static_cast<size_t>(i) * voxels + k] = static_cast<float>(
            scale * e[i] * std::exp(-0.1 * std::abs(l - 12) - 0.5 * r) * u / 60.0);
    }
  }
  calo::write_shower_file(path, e, s, voxels);
}
}  // namespace

TEST(EvalApp, WholeEvaluationWritesMetricsReportAndPlots) {
  const fs::path dir = fs::temp_directory_path() / "calo_eval_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_file((dir / "ref.h5").string(), 300, 1, 1.0);
  write_file((dir / "gen.h5").string(), 250, 2, 1.3);
  std::ofstream((dir / "enc.csv").string()) << "energy\n-10.5\n-11\n-9.25\n";
  std::ofstream((dir / "cls.csv").string()) << "-10\n-12.5\n";
  ce::EvalOptions o;
  o.reference = (dir / "ref.h5").string();
  o.generated = (dir / "gen.h5").string();
  o.out_dir = (dir / "out").string();
  o.rbm_energies = {{"encoded", (dir / "enc.csv").string()},
                    {"classical", (dir / "cls.csv").string()}};
  o.pair.fpd = {50, 200, 3, 4, true, 42};
  o.pair.kpd = {3, 100, true, 42};
  ce::run_evaluation(o);
  std::ifstream in(dir / "out" / "metrics.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["reference"]["showers"], 300);
  EXPECT_EQ(j["generated"]["showers"], 250);
  EXPECT_EQ(j["separation_power"]["e_layer"]["per_layer"].size(), 45u);
  EXPECT_EQ(j["separation_power"]["etot_einc_windows"].size(), 4u);
  EXPECT_GT(j["fpd"]["value"].get<double>(), 0.0);  // scale 1.3 vs 1.0 differs
  EXPECT_NEAR(j["fpd"]["value_x1e3"].get<double>(), 1e3 * j["fpd"]["value"].get<double>(), 1e-9);
  EXPECT_NEAR(j["rbm_energy"]["encoded"]["mean"].get<double>(), -30.75 / 3, 1e-12);
  EXPECT_EQ(j["rbm_energy"]["classical"]["samples"], 2);
  EXPECT_GT(j["separation_power"]["etot_einc"].get<double>(), 0.5);  // E ratio 0.3 vs 0.39
  std::ifstream md(dir / "out" / "report.md");
  const std::string text((std::istreambuf_iterator<char>(md)), {});
  EXPECT_NE(text.find("FPD x10^3"), std::string::npos);
  if (std::system("gnuplot --version > /dev/null 2>&1") == 0) {
    for (const char* png : {"etot_einc.png", "energy_groups.png", "sparsity_groups.png",
                            "centres_widths.png", "conditioning.png", "rbm_energy.png"}) {
      EXPECT_GT(fs::file_size(dir / "out" / png), 1000u) << png;
      EXPECT_NE(text.find(png), std::string::npos) << png;
    }
  }
}

TEST(EvalApp, ClearErrorsForWrongGeometryAndBadCsv) {
  const fs::path dir = fs::temp_directory_path() / "calo_eval_test_err";
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_file((dir / "small.h5").string(), 5, 3, 1.0, 368);
  try {
    ce::features_of_file((dir / "small.h5").string());
    FAIL() << "no error for a 368-voxel file";
  } catch (const calo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("368"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("6480"), std::string::npos) << e.what();
  }
  std::ofstream((dir / "bad.csv").string()) << "1.5\nabc\n";
  try {
    ce::read_energy_csv((dir / "bad.csv").string());
    FAIL() << "no error for a bad CSV";
  } catch (const calo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ce::read_energy_csv((dir / "missing.csv").string()), calo::InputError);
  ce::Samples a{10, 3, std::vector<double>(30, 1.0)}, b{10, 4, std::vector<double>(40, 1.0)};
  EXPECT_THROW(ce::fpd(a, b, {}), calo::InputError);
}

namespace {
// n showers like write_file's, with the layers in `empty` set to zero.
ce::FeatureTable table(int n, uint64_t seed, const std::vector<int>& empty) {
  std::vector<float> e(static_cast<size_t>(n)), s(static_cast<size_t>(n) * 6480, 0.0f);
  for (int i = 0; i < n; ++i) {
    e[i] = static_cast<float>(1000.0 * std::pow(1000.0, calo::uniform(seed, 0, i)));
    for (int k = 0; k < 6480; ++k) {
      const int l = k / 144;
      if (std::find(empty.begin(), empty.end(), l) != empty.end()) continue;
      const float u = calo::uniform(seed, 1 + i, k);
      if (u < 0.3f) s[static_cast<size_t>(i) * 6480 + k] = e[i] * u / 600.0f;
    }
  }
  return ce::features_of_showers(e, s);
}
}  // namespace

TEST(EvalEdgeCases, AlwaysEmptyLayersAndTheTopBinEdge) {
  // layer 44 empty in both, 40 only in the generated sample, 41 only in the reference
  const auto ref = table(200, 1, {41, 44}), gen = table(200, 2, {40, 44});
  const ce::SeparationPowers s = ce::separation_powers(ref, gen);
  EXPECT_EQ(s.e_layer[44], 0.0);           // both always empty: the samples agree
  EXPECT_TRUE(std::isnan(s.e_layer[40]));  // evaluate.py: NaN (0/0 density)
  EXPECT_TRUE(std::isnan(s.e_layer[41]));  // evaluate.py: fails (logspace to log10(0))
  EXPECT_TRUE(std::isfinite(s.e_layer[12]));
  EXPECT_LT(s.e_layer[12], 0.5);
  // top edge: the reference maximum itself, so the maximum entry is counted
  const double top = 1234.5678901;
  const auto edges = ce::energy_edges(top, 40);
  EXPECT_EQ(edges.back(), top);
  EXPECT_EQ(ce::bin_probabilities({top}, edges).back(), 1.0);
  EXPECT_TRUE(std::isnan(ce::separation_power_of({1.0}, {}, edges)));
  EXPECT_EQ(ce::separation_power_of({}, {}, edges), 0.0);
  EXPECT_EQ(ce::separation_power_of({1.0}, {1.0}, edges), 0.0);
}

TEST(EvalApp, FloorClassifiersPrdcImagesAndPerLayerHistograms) {
  const fs::path dir = fs::temp_directory_path() / "calo_eval_test_floor";
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_file((dir / "ref.h5").string(), 1000, 1, 1.0);
  write_file((dir / "other.h5").string(), 700, 5, 1.0);
  write_file((dir / "gen.h5").string(), 500, 2, 2.0);
  ce::EvalOptions o;
  o.reference = (dir / "ref.h5").string();
  o.generated = (dir / "gen.h5").string();
  o.floor = (dir / "other.h5").string();
  o.pair.fpd = {100, 400, 3, 4, true, 42};
  o.pair.kpd = {3, 200, true, 42};
  o.pair.prdc = true;
  o.pair.classifiers = {"cls-high", "cls-low", "cls-low-normed"};
  o.pair.cls.hidden = 32;
  o.pair.cls.layers = 1;
  o.pair.cls.epochs = 10;
  o.pair.cls.batch_size = 50;
  o.pair.cls.lr = 1e-3f;
  const std::vector<std::string> floors{o.floor, "split"};
  for (const std::string& floor : floors) {
    o.floor = floor;
    o.out_dir = (dir / ("out_" + std::to_string(floor.size()))).string();
    ce::run_evaluation(o);
    std::ifstream in(fs::path(o.out_dir) / "metrics.json");
    const auto j = nlohmann::json::parse(in);
    const auto& f = j["floor"];
    EXPECT_EQ(f["other_showers"], 500) << floor;  // the generated sample's size
    EXPECT_EQ(f["reference_showers"], floor == "split" ? 500 : 1000);
    // scale 2 is far from the reference, the floor sample is not. (At 500 showers of these toy
    // showers FPD is dominated by its finite-sample bias, ~1000 x1e-3 for both; KPD is not.)
    EXPECT_GT(j["kpd"]["value"].get<double>(),
              f["kpd"]["value"].get<double>() + 5 * f["kpd"]["error"].get<double>())
        << floor;
    EXPECT_GT(f["fpd"]["value"].get<double>(), 0.0);
    EXPECT_GT(j["classifier"]["cls-low"]["auc"].get<double>(), 0.95);
    EXPECT_GT(j["classifier"]["cls-high"]["auc"].get<double>(), 0.6);
    EXPECT_LT(f["classifier"]["cls-high"]["auc"].get<double>(), 0.6);
    EXPECT_LT(f["classifier"]["cls-low"]["auc"].get<double>(), 0.6);
    EXPECT_EQ(j["classifier"]["cls-low"]["inputs"], 6481);
    EXPECT_EQ(j["classifier"]["cls-low-normed"]["inputs"], 6526);
    EXPECT_GT(j["classifier"]["cls-low-normed"]["auc"].get<double>(),
              f["classifier"]["cls-low-normed"]["auc"].get<double>());
    EXPECT_GT(f["prdc"]["coverage"].get<double>(), j["prdc"]["coverage"].get<double>());
    EXPECT_TRUE(f["ratio"]["FPD x10^3"].is_number());  // KPD: null when the floor is <= 0
    EXPECT_EQ(j["fpd"]["literature_geant4_floor_x1e3"], 10.776);
    EXPECT_TRUE(j["separation_power"]["voxel"].is_number());
    std::ifstream md(fs::path(o.out_dir) / "report.md");
    const std::string text((std::istreambuf_iterator<char>(md)), {});
    EXPECT_NE(text.find("measured floor"), std::string::npos);
    EXPECT_NE(text.find("cls-high AUC"), std::string::npos);
    EXPECT_NE(text.find("PRDC coverage"), std::string::npos);
    if (std::system("gnuplot --version > /dev/null 2>&1") == 0 && floor == "split") {
      for (const char* png :
           {"avg_shower.png", "avg_shower_ratio.png", "avg_shower_E0.png", "avg_shower_E2.png",
            "voxel_energy.png", "hist_p/e_layer.png", "hist_p/width_phi.png"}) {
        EXPECT_GT(fs::file_size(fs::path(o.out_dir) / png), 1000u) << png;
        EXPECT_NE(text.find(png), std::string::npos) << png;
      }
    }
  }
}
