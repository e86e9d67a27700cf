#include "host/eval/features.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "host/error.hpp"
#include "host/h5io.hpp"

namespace calo::eval {
namespace {
void resize(FeatureTable& t, int64_t n) {
  t.rows = n;
  t.e_inc.assign(static_cast<size_t>(n), 0.0);
  t.e_tot.assign(static_cast<size_t>(n), 0.0);
  for (auto* v : {&t.e_layer, &t.ec_eta, &t.ec_phi, &t.width_eta, &t.width_phi, &t.ec_r, &t.width_r,
                  &t.sparsity})
    v->assign(static_cast<size_t>(n * kLayers), 0.0);
  t.ring_energy_fraction.assign(static_cast<size_t>(n * kRadii), 0.0);
  t.ring_occupancy.assign(static_cast<size_t>(n * kRadii), 0.0);
}

double add_block(FeatureTable& t, int64_t first, int64_t rows, const float* energies,
                 const float* showers) {
  double mx = 0;
#pragma omp parallel for reduction(max : mx) schedule(static)
  for (int64_t i = 0; i < rows; ++i) {
    float buf[kVoxels];
    const float* s = showers + i * kVoxels;
    for (int k = 0; k < kVoxels; ++k) {
      buf[k] = static_cast<float>(thresholded(s[k]));
      mx = std::max(mx, static_cast<double>(buf[k]));
    }
    add_event(t, first + i, buf, energies[i]);
  }
  return mx;
}
}  // namespace

void add_event(FeatureTable& t, int64_t i, const float* shower, double e_inc) {
  t.e_inc[i] = e_inc;
  double tot = 0;
  double ring_e[kRadii] = {}, ring_hits[kRadii] = {};
  for (int l = 0; l < kLayers; ++l) {
    float layer[kAlpha * kRadii];
    for (int k = 0; k < kAlpha * kRadii; ++k) {
      layer[k] = static_cast<float>(thresholded(shower[l * kAlpha * kRadii + k]));
      ring_e[k % kRadii] += layer[k];
      ring_hits[k % kRadii] += layer[k] > 0.0f ? 1.0 : 0.0;
    }
    const LayerFeatures f = layer_features(layer);
    const size_t j = static_cast<size_t>(i * kLayers + l);
    t.e_layer[j] = f.energy;
    t.ec_eta[j] = f.ec_eta;
    t.ec_phi[j] = f.ec_phi;
    t.width_eta[j] = f.width_eta;
    t.width_phi[j] = f.width_phi;
    t.ec_r[j] = f.ec_r;
    t.width_r[j] = f.width_r;
    t.sparsity[j] = f.sparsity;
    tot += f.energy;
  }
  t.e_tot[i] = tot;
  for (int r = 0; r < kRadii; ++r) {
    const size_t j = static_cast<size_t>(i * kRadii + r);
    t.ring_energy_fraction[j] = tot > 0 ? ring_e[r] / tot : 0.0;
    t.ring_occupancy[j] = ring_hits[r] / double(kLayers * kAlpha);
  }
}

FeatureTable features_of_showers(const std::vector<float>& energies,
                                 const std::vector<float>& showers) {
  const auto n = static_cast<int64_t>(energies.size());
  if (showers.size() != static_cast<size_t>(n) * kVoxels)
    fail_input("features: {} showers need {} voxel values, got {}", n, n * kVoxels, showers.size());
  FeatureTable t;
  resize(t, n);
  t.max_voxel = add_block(t, 0, n, energies.data(), showers.data());
  return t;
}

FeatureTable features_of_file(const std::string& path, int64_t block_rows) {
  ShowerFileReader reader(path);
  if (reader.num_voxels() != kVoxels)
    fail_input(
        "{}: dataset 'showers' has {} voxels per event, but CaloChallenge Dataset 2 needs 45 "
        "layers x 16 angles x 9 radii = {}; evaluate only Dataset-2 files",
        path, reader.num_voxels(), kVoxels);
  if (reader.num_events() < 2)
    fail_input("{}: holds {} showers; need at least 2 to evaluate", path, reader.num_events());
  FeatureTable t;
  resize(t, reader.num_events());
  ShowerBlock block;
  for (int64_t f = 0; f < reader.num_events(); f += block_rows) {
    reader.read(f, std::min(block_rows, reader.num_events() - f), block);
    t.max_voxel = std::max(
        t.max_voxel, add_block(t, f, block.rows, block.energies.data(), block.showers.data()));
  }
  return t;
}

FeatureTable rows_of(const FeatureTable& t, int64_t first, int64_t count) {
  CALO_ASSERT(first >= 0 && count >= 0 && first + count <= t.rows);
  FeatureTable r;
  resize(r, count);
  r.max_voxel = t.max_voxel;
  auto copy = [&](const std::vector<double>& from, std::vector<double>& to, int64_t width) {
    std::copy_n(from.begin() + first * width, count * width, to.begin());
  };
  copy(t.e_inc, r.e_inc, 1);
  copy(t.e_tot, r.e_tot, 1);
  for (auto [from, to] : {std::pair{&t.e_layer, &r.e_layer},
                          {&t.ec_eta, &r.ec_eta},
                          {&t.ec_phi, &r.ec_phi},
                          {&t.width_eta, &r.width_eta},
                          {&t.width_phi, &r.width_phi},
                          {&t.ec_r, &r.ec_r},
                          {&t.width_r, &r.width_r},
                          {&t.sparsity, &r.sparsity}})
    copy(*from, *to, kLayers);
  copy(t.ring_energy_fraction, r.ring_energy_fraction, kRadii);
  copy(t.ring_occupancy, r.ring_occupancy, kRadii);
  return r;
}

Samples fpd_vectors(const FeatureTable& t) {
  Samples s;
  s.rows = t.rows;
  s.dims = kFpdDims;
  s.data.resize(static_cast<size_t>(t.rows * kFpdDims));
  for (int64_t i = 0; i < t.rows; ++i) {
    double* o = s.data.data() + i * kFpdDims;
    *o++ = std::log10(t.e_inc[i]);
    for (int l = 0; l < kLayers; ++l) *o++ = std::log10(t.layer(t.e_layer, i, l) + 1e-8);
    for (const auto* v : {&t.ec_eta, &t.ec_phi, &t.width_eta, &t.width_phi})
      for (int l = 0; l < kLayers; ++l) *o++ = t.layer(*v, i, l) / 100.0;
    *o++ = std::log10(t.e_tot[i] + 1e-8);
    for (int l = 0; l < kLayers; ++l) *o++ = t.layer(t.sparsity, i, l);
    for (const auto* v : {&t.ec_r, &t.width_r})
      for (int l = 0; l < kLayers; ++l) *o++ = t.layer(*v, i, l) / 100.0;
  }
  return s;
}

}  // namespace calo::eval
