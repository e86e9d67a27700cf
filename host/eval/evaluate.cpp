#include "host/eval/evaluate.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "host/atomic_file.hpp"
#include "host/error.hpp"

namespace calo::eval {
namespace fs = std::filesystem;
namespace {

std::vector<double> column(const FeatureTable& t, const std::vector<double>& v, int l) {
  std::vector<double> out(static_cast<size_t>(t.rows));
  for (int64_t i = 0; i < t.rows; ++i) out[i] = t.layer(v, i, l);
  return out;
}

std::vector<double> ratio(const FeatureTable& t, double lo_gev = 0, double hi_gev = 1e30) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.rows; ++i)
    if (t.e_inc[i] >= lo_gev * 1e3 && t.e_inc[i] < hi_gev * 1e3)
      out.push_back(t.e_tot[i] / t.e_inc[i]);
  return out;
}

double sep(const std::vector<double>& a, const std::vector<double>& b,
           const std::vector<double>& edges) {
  return separation_power(bin_probabilities(a, edges), bin_probabilities(b, edges));
}

// Incident-energy windows of the quality checks (the seed paper's Fig. 6 showed a low bias there).
constexpr std::pair<double, double> kQualityWindowsGeV[] = {
    {5, 10}, {40, 50}, {80, 100}, {150, 200}};

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

// ---- gnuplot ---------------------------------------------------------------------------------
struct Series {
  std::string label;
  std::vector<double> p;  // per-bin probabilities
};
struct Panel {
  std::string title, xlabel;
  std::vector<double> edges;
  std::vector<Series> series;
  bool logx = false;
};

bool gnuplot_available() {
  static const bool ok = std::system("gnuplot --version > /dev/null 2>&1") == 0;
  return ok;
}

// Writes NAME_k.dat and NAME.gp into dir and runs gnuplot; returns the PNG name or "".
std::string plot_panels(const fs::path& dir, const std::string& name,
                        const std::vector<Panel>& panels, int cols) {
  const int rows = (static_cast<int>(panels.size()) + cols - 1) / cols;
  std::ostringstream gp;
  gp << "set terminal pngcairo size " << 520 * cols << "," << 380 * rows << " font 'sans,9'\n"
     << "set output '" << name << ".png'\nset key top right\nset ylabel 'probability per bin'\n";
  if (panels.size() > 1) gp << "set multiplot layout " << rows << "," << cols << "\n";
  for (size_t k = 0; k < panels.size(); ++k) {
    const Panel& p = panels[k];
    const std::string dat = name + "_" + std::to_string(k) + ".dat";
    std::ofstream d(dir / dat);
    d.precision(9);
    d << "# left_edge right_edge";
    for (const auto& s : p.series) d << " " << s.label;
    d << "\n";
    for (size_t b = 0; b + 1 < p.edges.size(); ++b) {
      d << p.edges[b] << " " << p.edges[b + 1];
      for (const auto& s : p.series) d << " " << s.p[b];
      d << "\n";
    }
    // closing point so the step line reaches the last edge
    d << p.edges.back() << " " << p.edges.back();
    for (const auto& s : p.series) d << " " << s.p.back();
    d << "\n";
    gp << "set title '" << p.title << "'\nset xlabel '" << p.xlabel << "'\n"
       << (p.logx ? "set logscale x\n" : "unset logscale x\n") << "plot ";
    for (size_t s = 0; s < p.series.size(); ++s)
      gp << (s ? ", " : "") << "'" << dat << "' using 1:" << 3 + s << " with steps lw 2 title '"
         << p.series[s].label << "'";
    gp << "\n";
  }
  if (panels.size() > 1) gp << "unset multiplot\n";
  std::ofstream(dir / (name + ".gp")) << gp.str();
  if (!gnuplot_available()) return "";
  const std::string cmd =
      "cd '" + dir.string() + "' && gnuplot '" + name + ".gp' > '" + name + ".log' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    spdlog::warn("gnuplot failed for {} (see {}/{}.log); plot skipped", name, dir.string(), name);
    return "";
  }
  return name + ".png";
}

Panel two_sample(const std::string& title, const std::string& xlabel,
                 const std::vector<double>& ref, const std::vector<double>& gen,
                 std::vector<double> edges, bool logx = false) {
  Panel p{title, xlabel, edges, {}, logx};
  p.series.push_back({"reference", bin_probabilities(ref, edges)});
  p.series.push_back({"generated", bin_probabilities(gen, edges)});
  return p;
}

// Values of a per-layer feature pooled over layers [l0, l1), only layers with energy.
std::vector<double> pooled(const FeatureTable& t, const std::vector<double>& v, int l0, int l1) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.rows; ++i)
    for (int l = l0; l < l1; ++l)
      if (t.layer(t.e_layer, i, l) > 0) out.push_back(t.layer(v, i, l));
  return out;
}
std::vector<double> group_sum(const FeatureTable& t, const std::vector<double>& v, int l0, int l1,
                              bool mean) {
  std::vector<double> out(static_cast<size_t>(t.rows));
  for (int64_t i = 0; i < t.rows; ++i) {
    double s = 0;
    for (int l = l0; l < l1; ++l) s += t.layer(v, i, l);
    out[i] = mean ? s / (l1 - l0) : s;
  }
  return out;
}

}  // namespace

const std::vector<std::pair<double, double>>& einc_windows_gev() {
  static const std::vector<std::pair<double, double>> w{{5, 10}, {40, 50}, {80, 100}, {150, 200}};
  return w;
}

SeparationPowers separation_powers(const FeatureTable& ref, const FeatureTable& gen) {
  SeparationPowers s;
  s.etot_einc = sep(ratio(ref), ratio(gen), linspace(0.5, 1.5, 101));
  for (auto [lo, hi] : einc_windows_gev())
    s.etot_einc_windows.push_back(
        sep(ratio(ref, lo, hi), ratio(gen, lo, hi), linspace(0.5, 1.5, 101)));
  for (int l = 0; l < kLayers; ++l) {
    const auto er = column(ref, ref.e_layer, l);
    const double mx = *std::max_element(er.begin(), er.end());
    // logspace(log10(threshold), log10(max reference E_layer), 40); an always-empty layer has no
    // valid range: its separation power is 0 when both samples are empty there.
    if (mx > kThresholdMeV)
      s.e_layer.push_back(sep(er, column(gen, gen.e_layer, l),
                              logspace10(std::log10(kThresholdMeV), std::log10(mx), 40)));
    else
      s.e_layer.push_back(0.0);
    auto add = [&](std::vector<double>& out, const std::vector<double> FeatureTable::*m, double a,
                   double b, int n) {
      out.push_back(sep(column(ref, ref.*m, l), column(gen, gen.*m, l), linspace(a, b, n)));
    };
    add(s.ec_eta, &FeatureTable::ec_eta, -30, 30, 101);
    add(s.ec_phi, &FeatureTable::ec_phi, -30, 30, 101);
    add(s.width_eta, &FeatureTable::width_eta, 0, 30, 101);
    add(s.width_phi, &FeatureTable::width_phi, 0, 30, 101);
    add(s.ec_r, &FeatureTable::ec_r, 0, 42, 101);
    add(s.width_r, &FeatureTable::width_r, 0, 20, 101);
    add(s.sparsity, &FeatureTable::sparsity, 0, 1, 21);
  }
  return s;
}

std::vector<double> read_energy_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail_input("--rbm-energies: cannot open '{}'", path);
  std::vector<double> v;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    const std::string field = line.substr(0, line.find_first_of(", \t;"));
    char* end = nullptr;
    const double x = std::strtod(field.c_str(), &end);
    if (end == field.c_str() || *end != '\0' || !std::isfinite(x)) {
      if (v.empty() && n == 1) continue;  // header
      fail_input("{}: line {}: '{}' is not a number (expected one RBM energy per line)", path, n,
                 field);
    }
    v.push_back(x);
  }
  if (v.empty()) fail_input("{}: no RBM energies found (expected one number per line)", path);
  return v;
}

void run_evaluation(const EvalOptions& o) {
  using clock = std::chrono::steady_clock;
  const fs::path dir(o.out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail_input("--out: cannot create directory '{}': {}", o.out_dir, ec.message());
  std::vector<std::pair<std::string, std::vector<double>>> rbm;
  for (const auto& [label, file] : o.rbm_energies) rbm.emplace_back(label, read_energy_csv(file));

  auto t0 = clock::now();
  spdlog::info("features of reference {}", o.reference);
  const FeatureTable ref = features_of_file(o.reference);
  spdlog::info("features of generated {}", o.generated);
  const FeatureTable gen = features_of_file(o.generated);
  const double t_features = std::chrono::duration<double>(clock::now() - t0).count();

  nlohmann::json j;
  j["reference"] = {{"file", o.reference}, {"showers", ref.rows}};
  j["generated"] = {{"file", o.generated}, {"showers", gen.rows}};
  j["threshold_mev"] = kThresholdMeV;
  j["feature_dims"] = kFpdDims;
  j["timing_s"]["features"] = t_features;

  if (o.fpd_kpd) {
    const Samples xr = fpd_vectors(ref), xg = fpd_vectors(gen);
    t0 = clock::now();
    spdlog::info("FPD ({} draws per batch size, {} batch sizes)", o.fpd.num_batches,
                 o.fpd.num_points);
    const FpdResult f = fpd(xr, xg, o.fpd);
    j["timing_s"]["fpd"] = std::chrono::duration<double>(clock::now() - t0).count();
    t0 = clock::now();
    spdlog::info("KPD ({} batches of {})", o.kpd.num_batches, o.kpd.batch_size);
    const KpdResult k = kpd(xr, xg, o.kpd);
    j["timing_s"]["kpd"] = std::chrono::duration<double>(clock::now() - t0).count();
    j["fpd"] = {{"value", f.value},
                {"error", f.error},
                {"value_x1e3", f.value * 1e3},
                {"error_x1e3", f.error * 1e3},
                {"batch_sizes", f.batch_sizes},
                {"mean_per_batch_size", f.mean_values},
                {"min_samples", o.fpd.min_samples},
                {"max_samples", o.fpd.max_samples},
                {"num_batches", o.fpd.num_batches},
                {"num_points", o.fpd.num_points},
                {"geant4_floor_x1e3", 10.776}};
    j["kpd"] = {{"value", k.value},
                {"error", k.error},
                {"value_x1e3", k.value * 1e3},
                {"error_x1e3", k.error * 1e3},
                {"batch_values", k.batch_values},
                {"batch_size", o.kpd.batch_size},
                {"num_batches", o.kpd.num_batches},
                {"kernel", "(x.y/d+1)^4"},
                {"geant4_floor_x1e3", -0.0276}};
    spdlog::info("FPD (x10^3): {:.4f} +- {:.4f}   KPD (x10^3): {:.5f} +- {:.5f}", f.value * 1e3,
                 f.error * 1e3, k.value * 1e3, k.error * 1e3);
  }

  const SeparationPowers s = separation_powers(ref, gen);
  {  // means a physicist checks first: response, its conditioning, radial profile, empty layers
    auto& jm = j["shower_means"];
    auto ratio_entry = [](const std::vector<double>& r, const std::vector<double>& g) {
      const double mr = mean_of(r), mg = mean_of(g);
      return nlohmann::json{{"reference", mr},
                            {"generated", mg},
                            {"relative_difference", mr != 0 ? mg / mr - 1.0 : 0.0},
                            {"reference_showers", r.size()},
                            {"generated_showers", g.size()}};
    };
    jm["etot_einc"] = ratio_entry(ratio(ref), ratio(gen));
    for (const auto& [lo, hi] : kQualityWindowsGeV) {
      nlohmann::json w = ratio_entry(ratio(ref, lo, hi), ratio(gen, lo, hi));
      w["einc_gev"] = {lo, hi};
      jm["etot_einc_windows"].push_back(w);
    }
    auto per_ring = [](const FeatureTable& t, const std::vector<double>& v) {
      std::vector<double> m(kRadii, 0.0);
      for (int64_t i = 0; i < t.rows; ++i)
        for (int r = 0; r < kRadii; ++r) m[size_t(r)] += v[size_t(i * kRadii + r)] / double(t.rows);
      return m;
    };
    jm["ring_energy_fraction"] = {{"reference", per_ring(ref, ref.ring_energy_fraction)},
                                  {"generated", per_ring(gen, gen.ring_energy_fraction)}};
    jm["ring_occupancy"] = {{"reference", per_ring(ref, ref.ring_occupancy)},
                            {"generated", per_ring(gen, gen.ring_occupancy)}};
    auto empty_layers = [](const FeatureTable& t) {
      std::vector<double> f(kLayers, 0.0);
      for (int64_t i = 0; i < t.rows; ++i)
        for (int l = 0; l < kLayers; ++l)
          f[size_t(l)] += t.layer(t.e_layer, i, l) > 0 ? 0.0 : 1.0 / double(t.rows);
      return f;
    };
    jm["empty_layer_fraction"] = {{"reference", empty_layers(ref)},
                                  {"generated", empty_layers(gen)}};
  }
  auto& js = j["separation_power"];
  js["etot_einc"] = s.etot_einc;
  const std::vector<std::pair<std::string, const std::vector<double>*>> per_layer{
      {"e_layer", &s.e_layer},     {"ec_eta", &s.ec_eta},       {"ec_phi", &s.ec_phi},
      {"width_eta", &s.width_eta}, {"width_phi", &s.width_phi}, {"ec_r", &s.ec_r},
      {"width_r", &s.width_r},     {"sparsity", &s.sparsity}};
  for (const auto& [name, v] : per_layer) {
    js[name]["per_layer"] = *v;
    js[name]["mean"] = mean_of(*v);
  }
  for (size_t w = 0; w < einc_windows_gev().size(); ++w) {
    const auto [lo, hi] = einc_windows_gev()[w];
    js["etot_einc_windows"].push_back({{"einc_gev", {lo, hi}},
                                       {"separation_power", s.etot_einc_windows[w]},
                                       {"reference_showers", ratio(ref, lo, hi).size()},
                                       {"generated_showers", ratio(gen, lo, hi).size()}});
  }
  for (const auto& [label, v] : rbm) {
    double m = mean_of(v), var = 0;
    for (double x : v) var += (x - m) * (x - m);
    j["rbm_energy"][label] = {{"samples", v.size()},
                              {"mean", m},
                              {"std", std::sqrt(var / static_cast<double>(v.size()))}};
  }

  // ---- plots ---------------------------------------------------------------------------------
  std::vector<std::pair<std::string, std::string>> pngs;  // (caption, file)
  if (o.plots) {
    if (!gnuplot_available())
      spdlog::warn("gnuplot not found: plots skipped (metrics.json and report.md still written)");
    auto add = [&](const std::string& caption, const std::string& file) {
      if (!file.empty()) pngs.emplace_back(caption, file);
    };
    add("Total energy / incident energy",
        plot_panels(dir, "etot_einc",
                    {two_sample("E_tot / E_inc", "E_tot / E_inc", ratio(ref), ratio(gen),
                                linspace(0.5, 1.5, 101))},
                    1));
    std::vector<Panel> energy, sparsity, centres, cond;
    for (int g = 0; g < 5; ++g) {
      const int l0 = 9 * g, l1 = 9 * g + 9;
      const std::string tag = "layers " + std::to_string(l0) + "-" + std::to_string(l1 - 1);
      const auto er = group_sum(ref, ref.e_layer, l0, l1, false);
      const double mx = std::max(*std::max_element(er.begin(), er.end()), 1.0);
      energy.push_back(two_sample("energy, " + tag, "E [MeV]", er,
                                  group_sum(gen, gen.e_layer, l0, l1, false),
                                  logspace10(std::log10(kThresholdMeV), std::log10(mx), 40), true));
      sparsity.push_back(two_sample(
          "mean sparsity, " + tag, "sparsity", group_sum(ref, ref.sparsity, l0, l1, true),
          group_sum(gen, gen.sparsity, l0, l1, true), linspace(0, 1, 51)));
    }
    add("Energy per layer group", plot_panels(dir, "energy_groups", energy, 3));
    add("Sparsity per layer group", plot_panels(dir, "sparsity_groups", sparsity, 3));
    centres.push_back(two_sample("EC eta (all layers)", "mm", pooled(ref, ref.ec_eta, 0, 45),
                                 pooled(gen, gen.ec_eta, 0, 45), linspace(-30, 30, 101)));
    centres.push_back(two_sample("EC phi (all layers)", "mm", pooled(ref, ref.ec_phi, 0, 45),
                                 pooled(gen, gen.ec_phi, 0, 45), linspace(-30, 30, 101)));
    centres.push_back(two_sample("EC r (all layers)", "mm", pooled(ref, ref.ec_r, 0, 45),
                                 pooled(gen, gen.ec_r, 0, 45), linspace(0, 42, 101)));
    centres.push_back(two_sample("width eta (all layers)", "mm", pooled(ref, ref.width_eta, 0, 45),
                                 pooled(gen, gen.width_eta, 0, 45), linspace(0, 30, 101)));
    centres.push_back(two_sample("width phi (all layers)", "mm", pooled(ref, ref.width_phi, 0, 45),
                                 pooled(gen, gen.width_phi, 0, 45), linspace(0, 30, 101)));
    centres.push_back(two_sample("width r (all layers)", "mm", pooled(ref, ref.width_r, 0, 45),
                                 pooled(gen, gen.width_r, 0, 45), linspace(0, 20, 101)));
    add("Centres of energy and widths (layers with energy, pooled)",
        plot_panels(dir, "centres_widths", centres, 3));
    for (auto [lo, hi] : einc_windows_gev()) {
      std::ostringstream t;
      t << "E_tot/E_inc, E_inc in [" << lo << ", " << hi << ") GeV";
      cond.push_back(two_sample(t.str(), "E_tot / E_inc", ratio(ref, lo, hi), ratio(gen, lo, hi),
                                linspace(0.5, 1.5, 51)));
    }
    add("Conditioning: E_tot/E_inc in incident-energy windows",
        plot_panels(dir, "conditioning", cond, 2));
    if (!rbm.empty()) {
      double lo = 1e300, hi = -1e300;
      for (const auto& [label, v] : rbm)
        for (double x : v) lo = std::min(lo, x), hi = std::max(hi, x);
      if (hi <= lo) hi = lo + 1;
      Panel p{"RBM energy", "E_RBM", linspace(lo, hi, 61), {}, false};
      for (const auto& [label, v] : rbm) p.series.push_back({label, bin_probabilities(v, p.edges)});
      add("RBM energy of encoded data and samples", plot_panels(dir, "rbm_energy", {p}, 1));
    }
  }

  write_text_atomically((dir / "metrics.json").string(), j.dump(2) + "\n");

  std::ostringstream md;
  md.precision(4);
  md << "# calo_eval report\n\n"
     << "- reference: `" << o.reference << "` (" << ref.rows << " showers)\n"
     << "- generated: `" << o.generated << "` (" << gen.rows << " showers)\n"
     << "- voxel threshold: " << kThresholdMeV << " MeV applied to both\n\n";
  md << "| metric | value | GEANT4 floor |\n|---|---|---|\n";
  if (o.fpd_kpd) {
    md << "| FPD x10^3 | " << j["fpd"]["value_x1e3"].get<double>() << " +- "
       << j["fpd"]["error_x1e3"].get<double>() << " | 10.78 +- 0.79 |\n"
       << "| KPD x10^3 | " << j["kpd"]["value_x1e3"].get<double>() << " +- "
       << j["kpd"]["error_x1e3"].get<double>() << " | -0.028 +- 0.022 |\n";
  }
  md << "| sep. power E_tot/E_inc | " << s.etot_einc << " | 4.4e-4 |\n";
  const std::vector<std::pair<std::string, std::string>> floors{{"e_layer", "2.4e-4"},
                                                                {"ec_eta", "5.0e-4"},
                                                                {"ec_r", "4.5e-4"},
                                                                {"width_eta", "4.9e-4"},
                                                                {"sparsity", "9.2e-5"}};
  for (const auto& [name, v] : per_layer) {
    std::string fl = "";
    for (const auto& [n2, f2] : floors)
      if (n2 == name) fl = f2;
    md << "| sep. power " << name << " (mean of 45 layers) | " << mean_of(*v) << " | " << fl
       << " |\n";
  }
  for (size_t w = 0; w < einc_windows_gev().size(); ++w)
    md << "| sep. power E_tot/E_inc, E_inc " << einc_windows_gev()[w].first << "-"
       << einc_windows_gev()[w].second << " GeV | " << s.etot_einc_windows[w] << " | |\n";
  md << "\n";
  for (const auto& [caption, file] : pngs)
    md << "## " << caption << "\n\n![" << caption << "](" << file << ")\n\n";
  if (o.plots && pngs.empty()) md << "_Plots skipped: gnuplot was not available._\n";
  write_text_atomically((dir / "report.md").string(), md.str());
  spdlog::info("wrote {}/metrics.json and {}/report.md ({} plots)", o.out_dir, o.out_dir,
               pngs.size());
}

}  // namespace calo::eval
