#include "host/geometry.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <regex>
#include <sstream>

#include "host/error.hpp"
#include "host/text_file.hpp"
#include "kernels/voxel_index.hpp"

namespace calo {

namespace {

std::string attribute(const std::string& tag, const std::string& name) {
  const std::regex re("\\b" + name + "\\s*=\\s*\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(tag, m, re) ? m[1].str() : std::string();
}

}  // namespace

std::string data_dir() {
  if (const char* env = std::getenv("CALO_DATA_DIR"); env && *env) return env;
  return std::string(CALO_SOURCE_DIR) + "/data";
}

Geometry Geometry::from_xml_file(const std::string& path) {
  const auto text = read_text_file(path);
  if (!text) fail_input("cannot open binning XML '{}'", path);
  return from_xml_string(*text, path);
}

Geometry Geometry::from_xml_string(const std::string& xml, const std::string& origin) {
  Geometry g;
  const std::regex bin_re("<Bin\\b([^>]*)>");
  std::smatch bin;
  if (!std::regex_search(xml, bin, bin_re))
    fail_input("{}: no <Bin> element: not a CaloChallenge binning XML", origin);
  g.name_ = attribute(bin[1].str(), "name");
  const std::string pid = attribute(bin[1].str(), "pid");
  g.pid_ = pid.empty() ? 0 : std::atoi(pid.c_str());

  const std::regex layer_re("<Layer\\b([^>]*)/?>");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), layer_re);
       it != std::sregex_iterator(); ++it) {
    const std::string tag = (*it)[1].str();
    const std::string id = attribute(tag, "id");
    if (std::atoi(id.c_str()) != g.n_layers()) {
      fail_input("{}: layer ids must run 0,1,2,... in order; found id '{}' at position {}", origin,
                 id, g.n_layers());
    }
    LayerBinning layer;
    std::stringstream edges(attribute(tag, "r_edges"));
    for (std::string item; std::getline(edges, item, ',');) {
      try {
        layer.r_edges.push_back(std::stod(item));
      } catch (const std::exception&) {
        fail_input("{}: layer {} has a non-numeric radial edge '{}'", origin, id, item);
      }
    }
    const std::string n_alpha = attribute(tag, "n_bin_alpha");
    layer.n_alpha = n_alpha.empty() ? 1 : std::atoi(n_alpha.c_str());
    if (layer.n_alpha < 1) fail_input("{}: layer {} has n_bin_alpha={}", origin, id, n_alpha);
    for (size_t i = 1; i < layer.r_edges.size(); ++i) {
      if (!(layer.r_edges[i] > layer.r_edges[i - 1]))
        fail_input("{}: layer {} radial edges are not increasing", origin, id);
    }
    g.layers_.push_back(std::move(layer));
  }
  if (g.layers_.empty()) fail_input("{}: no <Layer> elements", origin);
  g.finalize();
  return g;
}

Geometry Geometry::dataset2() {
  Geometry g;
  g.name_ = "electron";
  g.pid_ = 11;
  LayerBinning layer;
  for (int i = 0; i <= 9; ++i) layer.r_edges.push_back(std::round(465.0 * i) / 100.0);
  layer.n_alpha = 16;
  g.layers_.assign(45, layer);
  g.finalize();
  return g;
}

Geometry Geometry::dataset(const std::string& name) {
  if (name == "2") {
    const std::string path = data_dir() + "/binning/binning_dataset_2.xml";
    return std::filesystem::exists(path) ? from_xml_file(path) : dataset2();
  }
  std::string file;
  if (name == "3")
    file = "binning_dataset_3.xml";
  else if (name == "1-photons")
    file = "binning_dataset_1_photons.xml";
  else if (name == "1-pions")
    file = "binning_dataset_1_pions.xml";
  else
    fail_input("unknown dataset '{}': use 2, 3, 1-photons or 1-pions, or pass a binning XML file",
               name);
  return from_xml_file(data_dir() + "/binning/" + file);
}

void Geometry::finalize() {
  offsets_.clear();
  n_voxels_ = 0;
  for (const auto& l : layers_) {
    offsets_.push_back(n_voxels_);
    n_voxels_ += l.n_voxels();
  }
}

bool Geometry::is_regular() const {
  for (const auto& l : layers_) {
    if (l.n_alpha != layers_[0].n_alpha || l.r_edges != layers_[0].r_edges) return false;
  }
  return true;
}

int Geometry::voxel_index(int layer, int alpha, int r) const {
  const LayerBinning& l = layers_.at(layer);
  if (alpha < 0 || alpha >= l.n_alpha || r < 0 || r >= l.n_r()) {
    fail("voxel ({}, {}, {}) is outside layer {} ({} alpha x {} r)", layer, alpha, r, layer,
         l.n_alpha, l.n_r());
  }
  return offsets_[layer] + voxel_index_regular(0, alpha, r, l.n_alpha, l.n_r());
}

VoxelCentre Geometry::centre(int layer, int alpha, int r) const {
  const LayerBinning& l = layers_.at(layer);
  VoxelCentre c;
  c.r = 0.5 * (l.r_edges.at(r) + l.r_edges.at(r + 1));
  c.alpha = -std::numbers::pi + (alpha + 0.5) * 2.0 * std::numbers::pi / l.n_alpha;
  c.x = c.r * std::cos(c.alpha);
  c.y = c.r * std::sin(c.alpha);
  return c;
}

}  // namespace calo
