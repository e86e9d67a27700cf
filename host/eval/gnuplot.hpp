#pragma once
// calo_eval's plots: gnuplot scripts and data files next to the PNGs (so a plot can be restyled
// and rerun by hand), rendered with pngcairo when gnuplot is installed.
#include <filesystem>
#include <string>
#include <vector>

#include "host/eval/dataset.hpp"

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

// Average-shower images: each panel shows the dataset's layers with voxels as a mosaic of at most
// 9 tiles per row, one tile per layer of n_alpha (left to right) x n_r (bottom to top) cells
// (dataset 2: 9 x 5 tiles of 16 x 9), first layer top left, colour log10(mean energy / MeV). A
// voxel <= 0 is drawn empty. Panels share the colour range.
struct ImagePanel {
  std::string title;
  std::vector<double> voxels;  // n_voxels, mean MeV
};
std::string plot_layer_mosaics(const std::filesystem::path& dir, const std::string& name,
                               const std::vector<ImagePanel>& panels, const EvalDataset& dataset);

}  // namespace calo::eval
