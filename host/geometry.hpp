#pragma once
// Calorimeter geometry from the CaloChallenge binning XML: per layer, radial bin edges (mm) and the
// number of angular bins. Dataset 2 (45 layers x 16 alpha x 9 r) is the default.
#include <string>
#include <vector>

namespace calo {

struct LayerBinning {
  std::vector<double> r_edges;  // mm, ascending, starting at 0
  int n_alpha = 1;
  int n_r() const { return r_edges.empty() ? 0 : static_cast<int>(r_edges.size()) - 1; }
  int n_voxels() const { return n_r() * n_alpha; }
};

struct VoxelCentre {
  double r;      // mm, midpoint of the radial bin
  double alpha;  // rad, midpoint of the angular bin, bins start at -pi
  double x;      // r cos(alpha): CaloChallenge calls this "eta"
  double y;      // r sin(alpha): CaloChallenge calls this "phi"
};

class Geometry {
 public:
  // Parses a CaloChallenge binning XML (<Bins><Bin ...><Layer id r_edges n_bin_alpha/>...).
  static Geometry from_xml_file(const std::string& path);
  static Geometry from_xml_string(const std::string& xml, const std::string& origin);
  // Dataset 2 built in code (identical to binning_dataset_2.xml; a test checks this).
  static Geometry dataset2();
  // "2" | "3" | "1-photons" | "1-pions", read from the shipped XML files in data/binning.
  static Geometry dataset(const std::string& name);

  const std::string& name() const { return name_; }
  int particle_pid() const { return pid_; }
  int n_layers() const { return static_cast<int>(layers_.size()); }
  int n_voxels() const { return n_voxels_; }
  const LayerBinning& layer(int l) const { return layers_.at(l); }
  int layer_offset(int l) const { return offsets_.at(l); }

  // True when every layer has the same binning (the conv model needs a regular grid).
  bool is_regular() const;
  // Regular grid sizes (only meaningful when is_regular()).
  int n_alpha() const { return layers_.at(0).n_alpha; }
  int n_r() const { return layers_.at(0).n_r(); }

  int voxel_index(int layer, int alpha, int r) const;
  VoxelCentre centre(int layer, int alpha, int r) const;

 private:
  void finalize();
  std::string name_;
  int pid_ = 0;
  std::vector<LayerBinning> layers_;
  std::vector<int> offsets_;
  int n_voxels_ = 0;
};

// Where the shipped data files live: $CALO_DATA_DIR, else <source>/data.
std::string data_dir();

}  // namespace calo
