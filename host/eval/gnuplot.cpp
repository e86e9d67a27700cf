#include "host/eval/gnuplot.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "host/eval/metrics.hpp"
#include "kernels/eval/features.hpp"

namespace calo::eval {
namespace fs = std::filesystem;
namespace {

std::string run_gnuplot(const fs::path& dir, const std::string& name, const std::string& script) {
  std::ofstream(dir / (name + ".gp")) << script;
  if (!gnuplot_available()) return "";
  const std::string cmd =
      "cd '" + dir.string() + "' && gnuplot '" + name + ".gp' > '" + name + ".log' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    spdlog::warn("gnuplot failed for {} (see {}/{}.log); plot skipped", name, dir.string(), name);
    return "";
  }
  return name + ".png";
}

}  // namespace

bool gnuplot_available() {
  static const bool ok = std::system("gnuplot --version > /dev/null 2>&1") == 0;
  return ok;
}

std::string plot_panels(const fs::path& dir, const std::string& name,
                        const std::vector<Panel>& panels, int cols) {
  const int rows = (static_cast<int>(panels.size()) + cols - 1) / cols;
  const int w = cols > 3 ? 360 : 520, h = cols > 3 ? 280 : 380;
  std::ostringstream gp;
  gp << "set terminal pngcairo noenhanced size " << w * cols << "," << h * rows << " font 'sans,"
     << (cols > 3 ? 7 : 9) << "'\n"
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
  return run_gnuplot(dir, name, gp.str());
}

Panel two_sample(const std::string& title, const std::string& xlabel,
                 const std::vector<double>& ref, const std::vector<double>& gen,
                 std::vector<double> edges, bool logx) {
  Panel p{title, xlabel, edges, {}, logx};
  p.series.push_back({"reference", bin_probabilities(ref, edges)});
  p.series.push_back({"generated", bin_probabilities(gen, edges)});
  return p;
}

std::string plot_layer_mosaics(const fs::path& dir, const std::string& name,
                               const std::vector<ImagePanel>& panels, const EvalDataset& ds) {
  const int n_layers = ds.n_layers();
  int max_alpha = 1, max_r = 1;
  for (int l = 0; l < n_layers; ++l) {
    max_alpha = std::max(max_alpha, ds.geometry.layer(ds.layers[size_t(l)]).n_alpha);
    max_r = std::max(max_r, ds.geometry.layer(ds.layers[size_t(l)]).n_r());
  }
  const int cols = std::min(9, n_layers), rows = (n_layers + cols - 1) / cols;
  const int tw = max_alpha + 1, th = max_r + 1;  // tile pitch, one empty row/column between
  double lo = 1e300, hi = -1e300;
  for (const auto& p : panels)
    for (double v : p.voxels)
      if (v > 0) lo = std::min(lo, std::log10(v)), hi = std::max(hi, std::log10(v));
  if (hi < lo) lo = -2, hi = 0;
  lo = std::max(lo, hi - 6);  // six decades are enough to see the core and the halo
  const int height = std::clamp(1200 * rows * th / std::max(1, cols * tw), 120, 1200) + 90;
  std::ostringstream gp;
  gp << "set terminal pngcairo noenhanced size 1200," << height * panels.size()
     << " font 'sans,9'\n"
     << "set output '" << name << ".png'\nset multiplot layout " << panels.size() << ",1\n"
     << "unset key\nset size ratio -1\nset xtics out nomirror\nset ytics out nomirror\n"
     << "set xrange [-0.5:" << cols * tw - 1.5 << "]\nset yrange [-0.5:" << rows * th - 1.5
     << "]\nset cbrange [" << lo << ":" << hi
     << "]\nset cblabel 'log10(mean voxel energy / MeV)'\nset palette rgb 33,13,10\n"
     << "set xlabel 'layer column (alpha within a tile)'\nset ylabel 'first layer of the row (r "
        "within a tile)'\n"
     << "set xtics (";
  for (int c = 0; c < cols; ++c) gp << (c ? ", " : "") << "'+" << c << "' " << c * tw + tw / 2;
  gp << ")\nset ytics (";
  for (int r = 0; r < rows; ++r)
    gp << (r ? ", " : "") << "'" << ds.layers[size_t(cols * r)] << "' "
       << (rows - 1 - r) * th + th / 2;
  gp << ")\n";
  for (size_t k = 0; k < panels.size(); ++k) {
    const std::string dat = name + "_" + std::to_string(k) + ".dat";
    std::ofstream d(dir / dat);
    d.precision(6);
    d << "# x y log10(E/MeV): tile of feature layer l at column l%" << cols << ", row l/" << cols
      << " (top row first)\n";
    for (int l = 0; l < n_layers; ++l) {
      const int id = ds.layers[size_t(l)];
      const LayerBinning& lb = ds.geometry.layer(id);
      const int tc = l % cols, tr = rows - 1 - l / cols;
      for (int a = 0; a < lb.n_alpha; ++a)
        for (int r = 0; r < lb.n_r(); ++r) {
          const double v = panels[k].voxels[static_cast<size_t>(ds.geometry.voxel_index(id, a, r))];
          if (v > 0)
            d << tc * tw + a << " " << tr * th + r << " " << std::max(std::log10(v), lo) << "\n";
        }
    }
    gp << "set title '" << panels[k].title << "'\nplot '" << dat
       << "' using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder lc palette\n";
  }
  gp << "unset multiplot\n";
  return run_gnuplot(dir, name, gp.str());
}

}  // namespace calo::eval
