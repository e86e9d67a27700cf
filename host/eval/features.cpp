#include "host/eval/features.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "host/error.hpp"
#include "host/eval/block_stream.hpp"
#include "host/h5io.hpp"

namespace calo::eval {

FeatureTable feature_table(const std::shared_ptr<const EvalDataset>& dataset, int64_t n) {
  CALO_ASSERT(dataset);
  FeatureTable t;
  t.dataset = dataset;
  t.rows = n;
  t.layers = dataset->n_layers();
  t.rings = dataset->n_rings();
  t.e_inc.assign(static_cast<size_t>(n), 0.0);
  t.e_tot.assign(static_cast<size_t>(n), 0.0);
  for (auto* v : {&t.e_layer, &t.ec_eta, &t.ec_phi, &t.width_eta, &t.width_phi, &t.ec_r, &t.width_r,
                  &t.sparsity})
    v->assign(static_cast<size_t>(n * t.layers), 0.0);
  t.ring_energy_fraction.assign(static_cast<size_t>(n * t.rings), 0.0);
  t.ring_occupancy.assign(static_cast<size_t>(n * t.rings), 0.0);
  return t;
}

double add_block(FeatureTable& t, int64_t first, int64_t rows, const float* energies,
                 const float* showers) {
  const EvalDataset& d = *t.dataset;
  const int nv = d.n_voxels();
  double mx = 0;
#pragma omp parallel
  {
    std::vector<float> buf(static_cast<size_t>(nv));
#pragma omp for reduction(max : mx) schedule(static)
    for (int64_t i = 0; i < rows; ++i) {
      const float* s = showers + i * nv;
      for (int k = 0; k < nv; ++k) {
        buf[size_t(k)] = static_cast<float>(d.thresholded(s[k]));
        mx = std::max(mx, static_cast<double>(buf[size_t(k)]));
      }
      add_event(t, first + i, buf.data(), energies[i]);
    }
  }
  return mx;
}

void add_event(FeatureTable& t, int64_t i, const float* shower, double e_inc) {
  const EvalDataset& d = *t.dataset;
  t.e_inc[size_t(i)] = e_inc;
  double tot = 0;
  std::vector<double> ring_e(size_t(t.rings), 0.0), ring_hits(size_t(t.rings), 0.0);
  std::vector<float> layer;
  for (int l = 0; l < t.layers; ++l) {
    const int off = d.layer_offset(l), n = d.layer_voxels(l);
    layer.resize(size_t(n));
    for (int k = 0; k < n; ++k) {
      layer[size_t(k)] = static_cast<float>(d.thresholded(shower[off + k]));
      const auto rb = static_cast<size_t>(d.ring[size_t(off + k)]);
      ring_e[rb] += layer[size_t(k)];
      ring_hits[rb] += layer[size_t(k)] > 0.0f ? 1.0 : 0.0;
    }
    const LayerFeatures f =
        layer_features(layer.data(), d.x.data() + off, d.y.data() + off, d.r.data() + off, n);
    const size_t j = static_cast<size_t>(i * t.layers + l);
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
  t.e_tot[size_t(i)] = tot;
  for (int r = 0; r < t.rings; ++r) {
    const size_t j = static_cast<size_t>(i * t.rings + r);
    t.ring_energy_fraction[j] = tot > 0 ? ring_e[size_t(r)] / tot : 0.0;
    t.ring_occupancy[j] = ring_hits[size_t(r)] / double(d.voxels_in_ring[size_t(r)]);
  }
}

FeatureTable features_of_showers(const std::vector<float>& energies,
                                 const std::vector<float>& showers,
                                 const std::shared_ptr<const EvalDataset>& dataset) {
  const auto n = static_cast<int64_t>(energies.size());
  const int nv = dataset->n_voxels();
  if (showers.size() != static_cast<size_t>(n) * nv)
    fail_input("features: {} showers need {} voxel values, got {}", n, n * nv, showers.size());
  FeatureTable t = feature_table(dataset, n);
  t.max_voxel = add_block(t, 0, n, energies.data(), showers.data());
  return t;
}

FeatureTable features_of_file(const std::string& path,
                              const std::shared_ptr<const EvalDataset>& dataset,
                              int64_t block_rows) {
  ShowerFileReader reader(path);
  if (reader.num_voxels() != dataset->n_voxels())
    fail_input(
        "{}: dataset 'showers' has {} voxels per event, but CaloChallenge dataset {} has {} "
        "(its binning XML); pass the matching --dataset (1-photons 368, 1-pions 533, 2 6480, "
        "3 40500) or --binning FILE.xml",
        path, reader.num_voxels(), dataset->name, dataset->n_voxels());
  if (reader.num_events() < 2)
    fail_input("{}: holds {} showers; need at least 2 to evaluate", path, reader.num_events());
  FeatureTable t = feature_table(dataset, reader.num_events());
  for_each_block(reader, block_rows, [&](const ShowerBlock& b) {
    t.max_voxel = std::max(t.max_voxel,
                           add_block(t, b.first_row, b.rows, b.energies.data(), b.showers.data()));
  });
  return t;
}

FeatureTable rows_of(const FeatureTable& t, int64_t first, int64_t count) {
  CALO_ASSERT(first >= 0 && count >= 0 && first + count <= t.rows);
  FeatureTable r = feature_table(t.dataset, count);
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
    copy(*from, *to, t.layers);
  copy(t.ring_energy_fraction, r.ring_energy_fraction, t.rings);
  copy(t.ring_occupancy, r.ring_occupancy, t.rings);
  return r;
}

Samples fpd_vectors(const FeatureTable& t) {
  const EvalDataset& d = *t.dataset;
  Samples s;
  s.rows = t.rows;
  s.dims = d.fpd_dims();
  s.data.resize(static_cast<size_t>(t.rows * s.dims));
  const int L = t.layers;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < t.rows; ++i) {
    double* o = s.data.data() + i * s.dims;
    *o++ = std::log10(t.e_inc[size_t(i)]);
    for (int l = 0; l < L; ++l) *o++ = std::log10(t.layer(t.e_layer, i, l) + 1e-8);
    for (const auto* v : {&t.ec_eta, &t.ec_phi, &t.width_eta, &t.width_phi})
      for (int l = 0; l < L; ++l)
        if (d.alpha_binned[size_t(l)]) *o++ = t.layer(*v, i, l) / 100.0;
    *o++ = std::log10(t.e_tot[size_t(i)] + 1e-8);
    for (int l = 0; l < L; ++l) *o++ = t.layer(t.sparsity, i, l);
    for (const auto* v : {&t.ec_r, &t.width_r})
      for (int l = 0; l < L; ++l) *o++ = t.layer(*v, i, l) / 100.0;
  }
  return s;
}

}  // namespace calo::eval
