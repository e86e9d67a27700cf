#pragma once
// calo_eval's plots: gnuplot scripts and data files next to the PNGs (so a plot can be restyled
// and rerun by hand), rendered with pngcairo when gnuplot is installed.
#include <filesystem>
#include <string>
#include <vector>

namespace calo::eval {

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

bool gnuplot_available();

// Step histograms, `cols` panels per row. Writes NAME_k.dat and NAME.gp into dir and runs
// gnuplot; returns the PNG's file name or "" when gnuplot is missing or failed.
std::string plot_panels(const std::filesystem::path& dir, const std::string& name,
                        const std::vector<Panel>& panels, int cols);

// Reference and generated histograms of one observable with the given edges.
Panel two_sample(const std::string& title, const std::string& xlabel,
                 const std::vector<double>& ref, const std::vector<double>& gen,
                 std::vector<double> edges, bool logx = false);

// Average-shower images: each panel shows the 45 layers as a 9 x 5 mosaic of 16 (alpha, left to
// right) x 9 (r, bottom to top) tiles, layer 0 top left, colour log10(mean energy / MeV). A
// voxel <= 0 is drawn empty. Panels share the colour range.
struct ImagePanel {
  std::string title;
  std::vector<double> voxels;  // 6480, mean MeV
};
std::string plot_layer_mosaics(const std::filesystem::path& dir, const std::string& name,
                               const std::vector<ImagePanel>& panels);

}  // namespace calo::eval
