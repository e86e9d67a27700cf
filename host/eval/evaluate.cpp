#include "host/eval/evaluate.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "host/atomic_file.hpp"
#include "host/error.hpp"
#include "host/eval/gnuplot.hpp"
#include "host/eval/voxel_summary.hpp"

namespace calo::eval {
namespace fs = std::filesystem;
namespace {

std::vector<double> column(const FeatureTable& t, const std::vector<double>& v, int l) {
  std::vector<double> out(static_cast<size_t>(t.rows));
  for (int64_t i = 0; i < t.rows; ++i) out[i] = t.layer(v, i, l);
  return out;
}

std::vector<double> ratio(const FeatureTable& t, double lo_mev = 0, double hi_mev = 1e300) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.rows; ++i)
    if (t.e_inc[i] >= lo_mev && t.e_inc[i] < hi_mev) out.push_back(t.e_tot[i] / t.e_inc[i]);
  return out;
}

double sep(const std::vector<double>& a, const std::vector<double>& b,
           const std::vector<double>& edges) {
  return separation_power_of(a, b, edges);
}

int64_t entries_in(const std::vector<double>& v, const std::vector<double>& edges) {
  int64_t n = 0;
  for (double x : v) n += x >= edges.front() && x <= edges.back() ? 1 : 0;
  return n;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

// Mean over the finite entries (NaN marks an undefined separation power); NaN when none is.
double finite_mean(const std::vector<double>& v) {
  double s = 0;
  int n = 0;
  for (double x : v)
    if (std::isfinite(x)) s += x, ++n;
  return n ? s / n : std::numeric_limits<double>::quiet_NaN();
}

// Values of a per-layer feature pooled over all feature layers (only the layers binned in alpha
// when `alpha_only`), only layers with energy.
std::vector<double> pooled(const FeatureTable& t, const std::vector<double>& v, bool alpha_only) {
  std::vector<double> out;
  for (int64_t i = 0; i < t.rows; ++i)
    for (int l = 0; l < t.layers; ++l)
      if (t.layer(t.e_layer, i, l) > 0 && (!alpha_only || t.dataset->alpha_binned[size_t(l)]))
        out.push_back(t.layer(v, i, l));
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

// Histogram conventions (issue 13, item 5), where calo_eval and evaluate.py can differ:
// - Top edge. evaluate.py takes logspace(log10(thr), log10(max), n) of the float32 reference
//   maximum, so whether the single maximum entry lands in the last bin or just above it (and is
//   dropped) depends on float32 rounding of log10 and pow. Here the last edge is the double
//   maximum itself and the last bin is closed: the maximum is always counted. The difference is
//   one entry out of N (p changes by ~1/N in one bin, S by < 1/N).
// - Always-empty layers. A generated layer that is always empty has no E_layer entry in range:
//   evaluate.py's density histogram is 0/0 = NaN and so is its separation power; calo_eval
//   reports NaN (JSON null) too, lists the layer under "undefined_layers" and averages the
//   finite layers (0.5, what the formula gives for an empty histogram, looked like a number). A
//   reference layer that is always empty makes evaluate.py's logspace run to log10(0) = -inf and
//   np.histogram fail; calo_eval gives 0 when the generated layer is empty too (the samples
//   agree) and NaN otherwise.
std::vector<double> energy_edges(double top, int n, double threshold_mev) {
  std::vector<double> e = logspace10(std::log10(threshold_mev), std::log10(top), n);
  e.back() = top;
  return e;
}

double separation_power_of(const std::vector<double>& a, const std::vector<double>& b,
                           const std::vector<double>& edges) {
  const int64_t na = entries_in(a, edges), nb = entries_in(b, edges);
  if (na == 0 && nb == 0) return 0.0;
  if (na == 0 || nb == 0) return std::numeric_limits<double>::quiet_NaN();
  return separation_power(bin_probabilities(a, edges), bin_probabilities(b, edges));
}

SeparationPowers separation_powers(const FeatureTable& ref, const FeatureTable& gen) {
  const EvalDataset& d = *ref.dataset;
  CALO_ASSERT(ref.layers == gen.layers);
  SeparationPowers s;
  s.etot_einc = sep(ratio(ref), ratio(gen), linspace(0.5, 1.5, 101));
  for (const EincWindow& w : d.einc_windows)
    s.etot_einc_windows.push_back(
        sep(ratio(ref, w.lo_mev, w.hi_mev), ratio(gen, w.lo_mev, w.hi_mev), w.edges));
  for (int l = 0; l < ref.layers; ++l) {
    const LayerRanges rg = d.ranges(l);
    const auto er = column(ref, ref.e_layer, l), eg = column(gen, gen.e_layer, l);
    const double mx = *std::max_element(er.begin(), er.end());
    s.layers.push_back(d.layers[size_t(l)]);
    if (mx >= d.threshold_mev) {
      s.e_layer.push_back(sep(er, eg, energy_edges(mx, 40, d.threshold_mev)));
    } else {  // the reference layer is always empty
      const double mg = *std::max_element(eg.begin(), eg.end());
      s.e_layer.push_back(mg > 0 ? std::numeric_limits<double>::quiet_NaN() : 0.0);
    }
    auto add = [&](std::vector<double>& out, const std::vector<double> FeatureTable::*m, double a,
                   double b, int n) {
      out.push_back(sep(column(ref, ref.*m, l), column(gen, gen.*m, l), linspace(a, b, n)));
    };
    if (d.alpha_binned[size_t(l)]) {
      s.alpha_layers.push_back(d.layers[size_t(l)]);
      add(s.ec_eta, &FeatureTable::ec_eta, rg.ec_lo, rg.ec_hi, 101);
      add(s.ec_phi, &FeatureTable::ec_phi, rg.ec_lo, rg.ec_hi, 101);
      add(s.width_eta, &FeatureTable::width_eta, 0, rg.width_hi, 101);
      add(s.width_phi, &FeatureTable::width_phi, 0, rg.width_hi, 101);
    }
    add(s.ec_r, &FeatureTable::ec_r, 0, rg.ec_r_hi, 101);
    add(s.width_r, &FeatureTable::width_r, 0, rg.width_r_hi, 101);
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

namespace {

nlohmann::json shower_means(const FeatureTable& ref, const FeatureTable& gen) {
  // means a physicist checks first: response, its conditioning, radial profile, empty layers
  nlohmann::json jm;
  auto ratio_entry = [](const std::vector<double>& r, const std::vector<double>& g) {
    const double mr = mean_of(r), mg = mean_of(g);
    return nlohmann::json{{"reference", mr},
                          {"generated", mg},
                          {"relative_difference", mr != 0 ? mg / mr - 1.0 : 0.0},
                          {"reference_showers", r.size()},
                          {"generated_showers", g.size()}};
  };
  jm["etot_einc"] = ratio_entry(ratio(ref), ratio(gen));
  for (const EincWindow& ew : ref.dataset->einc_windows) {
    nlohmann::json w =
        ratio_entry(ratio(ref, ew.lo_mev, ew.hi_mev), ratio(gen, ew.lo_mev, ew.hi_mev));
    w["einc_gev"] = {ew.lo_mev / 1e3, ew.hi_mev / 1e3};
    jm["etot_einc_windows"].push_back(w);
  }
  auto per_ring = [](const FeatureTable& t, const std::vector<double>& v) {
    std::vector<double> m(size_t(t.rings), 0.0);
    for (int64_t i = 0; i < t.rows; ++i)
      for (int r = 0; r < t.rings; ++r) m[size_t(r)] += v[size_t(i * t.rings + r)] / double(t.rows);
    return m;
  };
  jm["ring_energy_fraction"] = {{"reference", per_ring(ref, ref.ring_energy_fraction)},
                                {"generated", per_ring(gen, gen.ring_energy_fraction)}};
  jm["ring_occupancy"] = {{"reference", per_ring(ref, ref.ring_occupancy)},
                          {"generated", per_ring(gen, gen.ring_occupancy)}};
  auto empty_layers = [](const FeatureTable& t) {
    std::vector<double> f(size_t(t.layers), 0.0);
    for (int64_t i = 0; i < t.rows; ++i)
      for (int l = 0; l < t.layers; ++l)
        f[size_t(l)] += t.layer(t.e_layer, i, l) > 0 ? 0.0 : 1.0 / double(t.rows);
    return f;
  };
  jm["empty_layer_fraction"] = {{"layers", ref.dataset->layers},
                                {"reference", empty_layers(ref)},
                                {"generated", empty_layers(gen)}};
  return jm;
}

// NaN as JSON null (nlohmann writes null for NaN anyway; this keeps the intent visible).
nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string fmt_value(double v) {
  if (!std::isfinite(v)) return "n/a";
  std::ostringstream s;
  s.precision(4);
  s << v;
  return s.str();
}

// The floor pair: a reference side and an "other" side of the generated sample's size.
struct FloorSamples {
  std::string source;
  FeatureTable ref, other;
  ShowerBlock ref_voxels, other_voxels;
};

ShowerBlock voxel_rows(const ShowerBlock& b, int64_t first, int64_t count) {
  ShowerBlock r;
  r.first_row = first;
  r.rows = count;
  r.num_voxels = b.num_voxels;
  r.energies.assign(b.energies.begin() + first, b.energies.begin() + first + count);
  r.showers.assign(b.showers.begin() + first * b.num_voxels,
                   b.showers.begin() + (first + count) * b.num_voxels);
  return r;
}

FloorSamples floor_samples(const EvalOptions& o, const FeatureTable& ref, const ShowerBlock& rv,
                           int64_t n_gen, bool voxels) {
  FloorSamples f;
  if (o.floor == "split") {
    const int64_t m = std::min(n_gen, ref.rows / 2);
    if (m < 2) fail_input("--floor split: the reference has {} showers; need >= 4", ref.rows);
    if (m < n_gen)
      spdlog::warn(
          "--floor split: the reference ({} showers) holds less than twice the generated "
          "sample ({}); the floor uses {} vs {} showers",
          ref.rows, n_gen, ref.rows - m, m);
    f.source = "split of the reference: showers [0, " + std::to_string(ref.rows - m) + ") vs [" +
               std::to_string(ref.rows - m) + ", " + std::to_string(ref.rows) + ")";
    f.ref = rows_of(ref, 0, ref.rows - m);
    f.other = rows_of(ref, ref.rows - m, m);
    if (voxels) {
      f.ref_voxels = voxel_rows(rv, 0, ref.rows - m);
      f.other_voxels = voxel_rows(rv, ref.rows - m, m);
    }
    return f;
  }
  spdlog::info("features of floor sample {}", o.floor);
  const FeatureTable all = features_of_file(o.floor, o.dataset);
  const int64_t m = std::min(n_gen, all.rows);
  if (m < n_gen)
    spdlog::warn(
        "--floor {}: {} showers, fewer than the generated sample's {}; the floor is "
        "measured at {} and reads high",
        o.floor, all.rows, n_gen, m);
  f.source = o.floor + ": first " + std::to_string(m) + " showers vs the reference";
  f.ref = rows_of(ref, 0, ref.rows);
  f.other = rows_of(all, 0, m);
  if (voxels) {
    f.ref_voxels = voxel_rows(rv, 0, rv.rows);
    ShowerFileReader reader(o.floor, o.dataset->n_voxels());
    f.other_voxels = reader.read(0, m);
  }
  return f;
}

struct MetricRow {
  std::string name;
  nlohmann::json::json_pointer value, error;  // error may be empty
  std::string literature;
};

std::vector<MetricRow> metric_rows(const nlohmann::json& j) {
  using P = nlohmann::json::json_pointer;
  std::vector<MetricRow> rows;
  if (j.contains("fpd")) {
    rows.push_back({"FPD x10^3", P("/fpd/value_x1e3"), P("/fpd/error_x1e3"), "10.78 +- 0.79"});
    rows.push_back({"KPD x10^3", P("/kpd/value_x1e3"), P("/kpd/error_x1e3"), "-0.028 +- 0.022"});
  }
  if (j.contains("prdc")) {
    const std::pair<const char*, const char*> lit[] = {
        {"precision", "0.239"}, {"recall", "0.241"}, {"density", "1.021"}, {"coverage", "0.971"}};
    for (auto [k, l] : lit)
      rows.push_back({std::string("PRDC ") + k, P(std::string("/prdc/") + k), P(), l});
  }
  if (j.contains("classifier"))
    for (const auto& [mode, v] : j["classifier"].items()) {
      const std::string lit = mode == "cls-low"    ? "0.500 +- 0.002"
                              : mode == "cls-high" ? "0.499 +- 0.003"
                                                   : "";
      rows.push_back({mode + " AUC", P("/classifier/" + mode + "/auc"), P(), lit});
      rows.push_back({mode + " JSD", P("/classifier/" + mode + "/jsd"), P(), ""});
    }
  return rows;
}

std::string with_error(const nlohmann::json& j, const MetricRow& r) {
  if (!j.contains(r.value) || !j[r.value].is_number()) return "n/a";
  std::string s = fmt_value(j[r.value].get<double>());
  if (!r.error.empty() && j.contains(r.error)) s += " +- " + fmt_value(j[r.error].get<double>());
  return s;
}

void write_histogram_plots(const fs::path& dir, const FeatureTable& ref, const FeatureTable& gen,
                           const std::vector<std::pair<std::string, std::vector<double>>>& rbm,
                           std::vector<std::pair<std::string, std::string>>& pngs) {
  auto add = [&](const std::string& caption, const std::string& file) {
    if (!file.empty()) pngs.emplace_back(caption, file);
  };
  add("Total energy / incident energy",
      plot_panels(dir, "etot_einc",
                  {two_sample("E_tot / E_inc", "E_tot / E_inc", ratio(ref), ratio(gen),
                              linspace(0.5, 1.5, 101))},
                  1));
  const EvalDataset& d = *ref.dataset;
  std::vector<Panel> energy, sparsity, centres, cond;
  for (int l0 = 0; l0 < ref.layers; l0 += 9) {
    const int l1 = std::min(l0 + 9, ref.layers);
    const std::string tag = l1 - l0 == 1 ? "layer " + std::to_string(d.layers[size_t(l0)])
                                         : "layers " + std::to_string(d.layers[size_t(l0)]) + "-" +
                                               std::to_string(d.layers[size_t(l1 - 1)]);
    const auto er = group_sum(ref, ref.e_layer, l0, l1, false);
    const double mx = std::max(*std::max_element(er.begin(), er.end()), 2 * d.threshold_mev);
    energy.push_back(two_sample("energy, " + tag, "E [MeV]", er,
                                group_sum(gen, gen.e_layer, l0, l1, false),
                                energy_edges(mx, 40, d.threshold_mev), true));
    sparsity.push_back(two_sample("mean sparsity, " + tag, "sparsity",
                                  group_sum(ref, ref.sparsity, l0, l1, true),
                                  group_sum(gen, gen.sparsity, l0, l1, true), linspace(0, 1, 51)));
  }
  add("Energy per layer group", plot_panels(dir, "energy_groups", energy, 3));
  add("Sparsity per layer group", plot_panels(dir, "sparsity_groups", sparsity, 3));
  // pooled over layers: the widest of the layers' ranges
  LayerRanges w = d.ranges(0);
  for (int l = 1; l < ref.layers; ++l) {
    const LayerRanges r = d.ranges(l);
    w = {std::min(w.ec_lo, r.ec_lo), std::max(w.ec_hi, r.ec_hi), std::max(w.width_hi, r.width_hi),
         std::max(w.ec_r_hi, r.ec_r_hi), std::max(w.width_r_hi, r.width_r_hi)};
  }
  if (d.n_alpha_layers() > 0) {
    centres.push_back(two_sample("EC eta (all layers)", "mm", pooled(ref, ref.ec_eta, true),
                                 pooled(gen, gen.ec_eta, true), linspace(w.ec_lo, w.ec_hi, 101)));
    centres.push_back(two_sample("EC phi (all layers)", "mm", pooled(ref, ref.ec_phi, true),
                                 pooled(gen, gen.ec_phi, true), linspace(w.ec_lo, w.ec_hi, 101)));
  }
  centres.push_back(two_sample("EC r (all layers)", "mm", pooled(ref, ref.ec_r, false),
                               pooled(gen, gen.ec_r, false), linspace(0, w.ec_r_hi, 101)));
  if (d.n_alpha_layers() > 0) {
    centres.push_back(two_sample("width eta (all layers)", "mm", pooled(ref, ref.width_eta, true),
                                 pooled(gen, gen.width_eta, true), linspace(0, w.width_hi, 101)));
    centres.push_back(two_sample("width phi (all layers)", "mm", pooled(ref, ref.width_phi, true),
                                 pooled(gen, gen.width_phi, true), linspace(0, w.width_hi, 101)));
  }
  centres.push_back(two_sample("width r (all layers)", "mm", pooled(ref, ref.width_r, false),
                               pooled(gen, gen.width_r, false), linspace(0, w.width_r_hi, 101)));
  add("Centres of energy and widths (layers with energy, pooled)",
      plot_panels(dir, "centres_widths", centres, 3));
  for (const EincWindow& ew : d.einc_windows) {
    std::ostringstream t;
    t << "E_tot/E_inc, E_inc in [" << ew.lo_mev / 1e3 << ", " << ew.hi_mev / 1e3 << ") GeV";
    cond.push_back(two_sample(t.str(), "E_tot / E_inc", ratio(ref, ew.lo_mev, ew.hi_mev),
                              ratio(gen, ew.lo_mev, ew.hi_mev), ew.edges));
  }
  add("Conditioning: E_tot/E_inc in incident-energy windows",
      plot_panels(dir, "conditioning", cond, d.einc_windows.size() > 4 ? 4 : 2));
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

// evaluate.py -m hist-p: one histogram per layer and observable (E_layer, EC and width in eta
// and phi), the binning of the separation powers; 45 panels per PNG, in DIR/hist_p/.
void write_layer_histograms(const fs::path& dir, const FeatureTable& ref, const FeatureTable& gen,
                            const SeparationPowers& s,
                            std::vector<std::pair<std::string, std::string>>& pngs) {
  const fs::path sub = dir / "hist_p";
  fs::create_directories(sub);
  const EvalDataset& d = *ref.dataset;
  struct Obs {
    std::string name, title, unit;
    const std::vector<double> FeatureTable::*member;
    const std::vector<double>* sep;
    bool alpha_only;
  };
  const Obs obs[] = {
      {"e_layer", "E_layer", "MeV", &FeatureTable::e_layer, &s.e_layer, false},
      {"ec_eta", "EC eta", "mm", &FeatureTable::ec_eta, &s.ec_eta, true},
      {"ec_phi", "EC phi", "mm", &FeatureTable::ec_phi, &s.ec_phi, true},
      {"width_eta", "width eta", "mm", &FeatureTable::width_eta, &s.width_eta, true},
      {"width_phi", "width phi", "mm", &FeatureTable::width_phi, &s.width_phi, true}};
  for (const Obs& ob : obs) {
    std::vector<Panel> panels;
    size_t entry = 0;  // index into the separation powers (alpha layers only for eta/phi)
    for (int l = 0; l < ref.layers; ++l) {
      if (ob.alpha_only && !d.alpha_binned[size_t(l)]) continue;
      const auto r = column(ref, ref.*ob.member, l), g = column(gen, gen.*ob.member, l);
      const LayerRanges rg = d.ranges(l);
      std::vector<double> edges;
      if (ob.name == "e_layer") {
        const double mx = *std::max_element(r.begin(), r.end());
        edges = energy_edges(std::max(mx, 2 * d.threshold_mev), 40, d.threshold_mev);
      } else if (ob.name == "ec_eta" || ob.name == "ec_phi") {
        edges = linspace(rg.ec_lo, rg.ec_hi, 101);
      } else {
        edges = linspace(0, rg.width_hi, 101);
      }
      panels.push_back(two_sample(ob.title + ", layer " + std::to_string(d.layers[size_t(l)]) +
                                      " (S = " + fmt_value((*ob.sep)[entry++]) + ")",
                                  ob.unit, r, g, edges, ob.name == "e_layer"));
    }
    if (panels.empty()) continue;
    const std::string png = plot_panels(sub, ob.name, panels, std::min<int>(9, int(panels.size())));
    if (!png.empty()) pngs.emplace_back(ob.title + " per layer (hist-p)", "hist_p/" + png);
  }
}

// evaluate.py -m avg, avg-E and the voxel-energy distribution.
void write_images(const fs::path& dir, const EvalDataset& d, const VoxelSummary& r,
                  const VoxelSummary& g, const std::vector<double>& voxel_edges, double voxel_sep,
                  std::vector<std::pair<std::string, std::string>>& pngs) {
  auto ratio_panel = [](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> q(a.size(), 0.0);  // generated / reference, shown on the same log scale
    for (size_t k = 0; k < a.size(); ++k) q[k] = a[k] > 0 && b[k] > 0 ? b[k] / a[k] : 0.0;
    return q;
  };
  std::string png = plot_layer_mosaics(
      dir, "avg_shower",
      {{"reference: average shower (" + std::to_string(r.rows) + " showers)", r.mean},
       {"generated: average shower (" + std::to_string(g.rows) + " showers)", g.mean}},
      d);
  if (!png.empty()) pngs.emplace_back("Average shower per layer (avg)", png);
  png = plot_layer_mosaics(dir, "avg_shower_ratio",
                           {{"generated / reference of the average shower (log10 ratio colour "
                             "scale, 0 = equal)",
                             ratio_panel(r.mean, g.mean)}},
                           d);
  if (!png.empty()) pngs.emplace_back("Average shower, generated / reference", png);
  for (size_t k = 0; k < d.avg_ranges_mev.size(); ++k) {
    const auto [lo, hi] = d.avg_ranges_mev[k];
    std::ostringstream t;
    t << "E_inc in [" << lo / 1e3 << ", " << hi / 1e3 << ") GeV";
    png = plot_layer_mosaics(
        dir, "avg_shower_E" + std::to_string(k),
        {{"reference, " + t.str() + " (" + std::to_string(r.rows_e[size_t(k)]) + " showers)",
          r.mean_e[size_t(k)]},
         {"generated, " + t.str() + " (" + std::to_string(g.rows_e[size_t(k)]) + " showers)",
          g.mean_e[size_t(k)]}},
        d);
    if (!png.empty()) pngs.emplace_back("Average shower per layer, " + t.str() + " (avg-E)", png);
  }
  auto probs = [](const VoxelSummary& v) {
    std::vector<double> p = v.voxel_counts;
    for (auto& x : p) x /= static_cast<double>(std::max<int64_t>(v.voxel_entries, 1));
    return p;
  };
  Panel p{"voxel energies, all voxels above threshold (S = " + fmt_value(voxel_sep) + ")",
          "E_voxel [MeV]",
          voxel_edges,
          {{"reference", probs(r)}, {"generated", probs(g)}},
          true};
  png = plot_panels(dir, "voxel_energy", {p}, 1);
  if (!png.empty()) pngs.emplace_back("Voxel-energy distribution", png);
}

}  // namespace

void run_evaluation(const EvalOptions& o) {
  using clock = std::chrono::steady_clock;
  const fs::path dir(o.out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail_input("--out: cannot create directory '{}': {}", o.out_dir, ec.message());
  std::vector<std::pair<std::string, std::vector<double>>> rbm;
  for (const auto& [label, file] : o.rbm_energies) rbm.emplace_back(label, read_energy_csv(file));
  if (!o.floor.empty() && o.floor != "split" && !fs::exists(o.floor))
    fail_input("--floor '{}': no such file (give a second Geant4 file, or 'split')", o.floor);

  auto t0 = clock::now();
  spdlog::info("features of reference {}", o.reference);
  const FeatureTable ref = features_of_file(o.reference, o.dataset);
  spdlog::info("features of generated {}", o.generated);
  const FeatureTable gen = features_of_file(o.generated, o.dataset);
  const double t_features = std::chrono::duration<double>(clock::now() - t0).count();
  const bool need_voxels = pair_needs_voxels(o.pair);
  ShowerBlock ref_voxels, gen_voxels;
  if (need_voxels) {
    spdlog::info("loading voxels of both files (PRDC / voxel classifiers)");
    ref_voxels = read_shower_file(o.reference, o.dataset->n_voxels());
    gen_voxels = read_shower_file(o.generated, o.dataset->n_voxels());
  }

  nlohmann::json j;
  j["reference"] = {{"file", o.reference}, {"showers", ref.rows}};
  j["generated"] = {{"file", o.generated}, {"showers", gen.rows}};
  j["dataset"] = o.dataset->name;
  j["voxels"] = o.dataset->n_voxels();
  j["threshold_mev"] = o.dataset->threshold_mev;
  j["feature_dims"] = o.dataset->fpd_dims();
  j["timing_s"]["features"] = t_features;
  const nlohmann::json pm =
      pair_metrics({&ref, need_voxels ? &ref_voxels : nullptr},
                   {&gen, need_voxels ? &gen_voxels : nullptr}, o.pair, "generated");
  for (const auto& [k, v] : pm.items()) {
    if (k == "timing_s")
      for (const auto& [tk, tv] : v.items()) j["timing_s"][tk] = tv;
    else
      j[k] = v;
  }
  if (j.contains("fpd")) j["fpd"]["literature_geant4_floor_x1e3"] = 10.776;
  if (j.contains("kpd")) j["kpd"]["literature_geant4_floor_x1e3"] = -0.0276;

  if (!o.floor.empty()) {
    const FloorSamples fs_ = floor_samples(o, ref, ref_voxels, gen.rows, need_voxels);
    nlohmann::json f =
        pair_metrics({&fs_.ref, need_voxels ? &fs_.ref_voxels : nullptr},
                     {&fs_.other, need_voxels ? &fs_.other_voxels : nullptr}, o.pair, "floor");
    f["source"] = fs_.source;
    f["reference_showers"] = fs_.ref.rows;
    f["other_showers"] = fs_.other.rows;
    j["floor"] = f;
    for (const MetricRow& r : metric_rows(j)) {
      if (!j.contains(r.value) || !f.contains(r.value)) continue;
      const double g = j[r.value].get<double>(), fl = f[r.value].get<double>();
      j["floor"]["ratio"][r.name] = number(fl > 0 ? g / fl : std::nan(""));
      spdlog::info("{:>22}: generated {:>18} | floor {:>18} | ratio {}", r.name, with_error(j, r),
                   with_error(f, r), fl > 0 ? fmt_value(g / fl) : "n/a");
    }
  }

  const SeparationPowers s = separation_powers(ref, gen);
  j["shower_means"] = shower_means(ref, gen);
  // voxel-energy distribution (evaluate.py plot_cell_dist) and the average showers, one pass
  const std::vector<double> voxel_edges = energy_edges(
      std::max(ref.max_voxel, 2 * o.dataset->threshold_mev), 50, o.dataset->threshold_mev);
  t0 = clock::now();
  const VoxelSummary vr = need_voxels ? summarize_voxels(ref_voxels, *o.dataset, voxel_edges)
                                      : summarize_voxels(o.reference, *o.dataset, voxel_edges);
  const VoxelSummary vg = need_voxels ? summarize_voxels(gen_voxels, *o.dataset, voxel_edges)
                                      : summarize_voxels(o.generated, *o.dataset, voxel_edges);
  j["timing_s"]["voxel_summary"] = std::chrono::duration<double>(clock::now() - t0).count();
  double voxel_sep = std::numeric_limits<double>::quiet_NaN();
  if (vr.voxel_entries > 0 && vg.voxel_entries > 0) {
    std::vector<double> pr = vr.voxel_counts, pg = vg.voxel_counts;
    for (auto& x : pr) x /= static_cast<double>(vr.voxel_entries);
    for (auto& x : pg) x /= static_cast<double>(vg.voxel_entries);
    voxel_sep = separation_power(pr, pg);
  }

  auto& js = j["separation_power"];
  js["etot_einc"] = number(s.etot_einc);
  js["voxel"] = number(voxel_sep);
  struct PerLayer {
    std::string name;
    const std::vector<double>* values;
    const std::vector<int>* layers;
  };
  const std::vector<PerLayer> per_layer{
      {"e_layer", &s.e_layer, &s.layers},           {"ec_eta", &s.ec_eta, &s.alpha_layers},
      {"ec_phi", &s.ec_phi, &s.alpha_layers},       {"width_eta", &s.width_eta, &s.alpha_layers},
      {"width_phi", &s.width_phi, &s.alpha_layers}, {"ec_r", &s.ec_r, &s.layers},
      {"width_r", &s.width_r, &s.layers},           {"sparsity", &s.sparsity, &s.layers}};
  for (const auto& [name, v, ids] : per_layer) {
    nlohmann::json pl = nlohmann::json::array(), undefined = nlohmann::json::array();
    for (size_t l = 0; l < v->size(); ++l) {
      pl.push_back(number((*v)[l]));
      if (!std::isfinite((*v)[l])) undefined.push_back((*ids)[l]);
    }
    js[name]["layers"] = *ids;
    js[name]["per_layer"] = pl;
    js[name]["mean"] = number(finite_mean(*v));
    js[name]["undefined_layers"] = undefined;
  }
  for (size_t w = 0; w < o.dataset->einc_windows.size(); ++w) {
    const EincWindow& ew = o.dataset->einc_windows[w];
    js["etot_einc_windows"].push_back(
        {{"einc_gev", {ew.lo_mev / 1e3, ew.hi_mev / 1e3}},
         {"separation_power", number(s.etot_einc_windows[w])},
         {"reference_showers", ratio(ref, ew.lo_mev, ew.hi_mev).size()},
         {"generated_showers", ratio(gen, ew.lo_mev, ew.hi_mev).size()}});
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
    write_histogram_plots(dir, ref, gen, rbm, pngs);
    write_images(dir, *o.dataset, vr, vg, voxel_edges, voxel_sep, pngs);
    write_layer_histograms(dir, ref, gen, s, pngs);
  }

  write_text_atomically((dir / "metrics.json").string(), j.dump(2) + "\n");

  std::ostringstream md;
  md.precision(4);
  md << "# calo_eval report\n\n"
     << "- reference: `" << o.reference << "` (" << ref.rows << " showers)\n"
     << "- generated: `" << o.generated << "` (" << gen.rows << " showers)\n"
     << "- dataset: " << o.dataset->name << " (" << o.dataset->n_voxels() << " voxels, "
     << o.dataset->n_layers() << " layers with voxels, " << o.dataset->fpd_dims()
     << " FPD/KPD features)\n"
     << "- voxel threshold: " << o.dataset->threshold_mev << " MeV applied to both\n";
  if (j.contains("floor"))
    md << "- measured floor: " << j["floor"]["source"].get<std::string>() << "\n";
  md << "\n| metric | generated | measured floor | generated / floor | literature Geant4 (100k) "
        "|\n|---|---|---|---|---|\n";
  for (const MetricRow& r : metric_rows(j)) {
    std::string fl = "not measured (--floor)", q = "";
    if (j.contains("floor")) {
      fl = with_error(j["floor"], r);
      const auto& rat = j["floor"]["ratio"];
      q = rat.contains(r.name) && rat[r.name].is_number() ? fmt_value(rat[r.name].get<double>())
                                                          : "n/a";
    }
    md << "| " << r.name << " | " << with_error(j, r) << " | " << fl << " | " << q << " | "
       << r.literature << " |\n";
  }
  md << "\nThe literature column is Geant4 against Geant4 on the 100k-shower Dataset-2 files "
        "(CaloChallenge results file). FPD and the classifier floors depend on the sample size "
        "(FPD ~ 55 x1e-3 at 10k showers), so compare a model with the measured floor "
        "(`--floor OTHER.h5` or `--floor split`), not with the literature value.\n\n";
  md << "| separation power | value | literature Geant4 |\n|---|---|---|\n";
  md << "| E_tot/E_inc | " << fmt_value(s.etot_einc) << " | 4.4e-4 |\n";
  md << "| voxel energy | " << fmt_value(voxel_sep) << " | 8.8e-7 |\n";
  const std::vector<std::pair<std::string, std::string>> floors{{"e_layer", "2.4e-4"},
                                                                {"ec_eta", "5.0e-4"},
                                                                {"ec_r", "4.5e-4"},
                                                                {"width_eta", "4.9e-4"},
                                                                {"sparsity", "9.2e-5"}};
  for (const auto& [name, v, ids] : per_layer) {
    std::string fl = "";
    for (const auto& [n2, f2] : floors)
      if (n2 == name) fl = f2;
    const size_t undefined = js[name]["undefined_layers"].size();
    md << "| " << name << " (mean of " << v->size() - undefined << " layers"
       << (undefined ? ", " + std::to_string(undefined) + " undefined: one sample always empty"
                     : std::string())
       << ") | " << fmt_value(finite_mean(*v)) << " | " << fl << " |\n";
  }
  for (size_t w = 0; w < o.dataset->einc_windows.size(); ++w)
    md << "| E_tot/E_inc, E_inc " << o.dataset->einc_windows[w].lo_mev / 1e3 << "-"
       << o.dataset->einc_windows[w].hi_mev / 1e3 << " GeV | " << fmt_value(s.etot_einc_windows[w])
       << " | |\n";
  md << "\n";
  for (const auto& [caption, file] : pngs)
    md << "## " << caption << "\n\n![" << caption << "](" << file << ")\n\n";
  if (o.plots && pngs.empty()) md << "_Plots skipped: gnuplot was not available._\n";
  write_text_atomically((dir / "report.md").string(), md.str());
  spdlog::info("wrote {}/metrics.json and {}/report.md ({} plots)", o.out_dir, o.out_dir,
               pngs.size());
}

}  // namespace calo::eval
