#include "host/geometry.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <sstream>
#include <string_view>
#include <vector>

#include "host/error.hpp"
#include "host/text_file.hpp"
#include "kernels/voxel_index.hpp"

namespace calo {

namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':' ||
         c == '.';
}

// The attribute text of every `<element ...>` tag, in order. A hand-written scan: std::regex
// recurses once per character and overflows the stack on long inputs.
std::vector<std::string> element_tags(std::string_view xml, std::string_view element) {
  std::vector<std::string> tags;
  std::string open(1, '<');
  open.append(element);
  for (size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at + 1)) {
    const size_t begin = at + open.size();
    if (begin < xml.size() && is_name_char(xml[begin])) continue;  // <Binning> is not <Bin>
    const size_t end = xml.find('>', begin);
    if (end == std::string_view::npos) break;
    std::string_view tag = xml.substr(begin, end - begin);
    if (!tag.empty() && tag.back() == '/') tag.remove_suffix(1);
    tags.emplace_back(tag);
  }
  return tags;
}

// Value of `name="..."` in a tag's attribute text ("" when absent).
std::string attribute(std::string_view tag, std::string_view name) {
  for (size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
    if (at > 0 && is_name_char(tag[at - 1])) continue;
    size_t i = at + name.size();
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    if (i >= tag.size() || tag[i] != '=') continue;
    ++i;
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    if (i >= tag.size() || tag[i] != '"') continue;
    const size_t close = tag.find('"', i + 1);
    if (close == std::string_view::npos) return {};
    return std::string(tag.substr(i + 1, close - i - 1));
  }
  return {};
}

// A whole non-negative integer attribute in [lo, hi], else InputError naming it.
int int_attribute(const std::string& text, const std::string& origin, const char* what,
                  const std::string& layer, int lo, int hi) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
    fail_input("{}: layer '{}' has {}=\"{}\"; expected an integer in {}..{}", origin, layer, what,
               text, lo, hi);
  return v;
}

// Bounds far beyond every CaloChallenge dataset (dataset 3: 45 layers x 50 alpha x 18 r).
constexpr int kMaxLayers = 4096, kMaxAlpha = 4096, kMaxEdges = 4097;
constexpr int64_t kMaxVoxels = int64_t{1} << 24;

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
  const std::vector<std::string> bins = element_tags(xml, "Bin");
  if (bins.empty()) fail_input("{}: no <Bin> element: not a CaloChallenge binning XML", origin);
  g.name_ = attribute(bins.front(), "name");
  const std::string pid = attribute(bins.front(), "pid");
  if (!pid.empty()) {
    const auto [end, ec] = std::from_chars(pid.data(), pid.data() + pid.size(), g.pid_);
    if (ec != std::errc() || end != pid.data() + pid.size())
      fail_input("{}: <Bin pid=\"{}\"> is not an integer", origin, pid);
  }

  int64_t voxels = 0;
  for (const std::string& tag : element_tags(xml, "Layer")) {
    const std::string id = attribute(tag, "id");
    if (g.n_layers() >= kMaxLayers) fail_input("{}: more than {} layers", origin, kMaxLayers);
    if (id != std::to_string(g.n_layers())) {
      fail_input("{}: layer ids must run 0,1,2,... in order; found id '{}' at position {}", origin,
                 id, g.n_layers());
    }
    LayerBinning layer;
    std::stringstream edges(attribute(tag, "r_edges"));
    for (std::string item; std::getline(edges, item, ',');) {
      if (layer.r_edges.size() >= size_t(kMaxEdges))
        fail_input("{}: layer {} has more than {} radial edges", origin, id, kMaxEdges);
      double v = 0;
      try {
        size_t used = 0;
        v = std::stod(item, &used);
        if (item.find_first_not_of(" \t\r\n", used) != std::string::npos) throw std::exception();
      } catch (const std::exception&) {
        fail_input("{}: layer {} has a non-numeric radial edge '{}'", origin, id, item);
      }
      if (!std::isfinite(v) || v < 0)
        fail_input("{}: layer {} has radial edge {}; edges must be finite and >= 0 mm", origin, id,
                   item);
      layer.r_edges.push_back(v);
    }
    const std::string n_alpha = attribute(tag, "n_bin_alpha");
    layer.n_alpha =
        n_alpha.empty() ? 1 : int_attribute(n_alpha, origin, "n_bin_alpha", id, 1, kMaxAlpha);
    for (size_t i = 1; i < layer.r_edges.size(); ++i) {
      if (!(layer.r_edges[i] > layer.r_edges[i - 1]))
        fail_input("{}: layer {} radial edges are not increasing", origin, id);
    }
    voxels += int64_t(layer.n_voxels());
    if (voxels > kMaxVoxels)
      fail_input("{}: more than {} voxels in all (damaged binning file?)", origin, kMaxVoxels);
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
