#include "host/eval/classifier_inputs.hpp"

#include <cmath>

#include "host/error.hpp"

namespace calo::eval {

const std::vector<std::string>& classifier_modes() {
  static const std::vector<std::string> m{"cls-low", "cls-low-normed", "cls-high"};
  return m;
}

bool classifier_needs_voxels(const std::string& mode) {
  return mode != "cls-high";
}

ClassifierData classifier_data(const std::string& mode, const ShowerBlock& voxels,
                               const FeatureTable& t) {
  ClassifierData d;
  d.rows = t.rows;
  if (mode == "cls-high") {
    auto x = std::make_shared<Samples>(fpd_vectors(t));
    d.dims = x->dims;
    d.fill = [x](int64_t i, float* out) {
      for (int j = 0; j < x->dims; ++j) out[j] = static_cast<float>(x->row(i)[j]);
    };
    return d;
  }
  if (mode != "cls-low" && mode != "cls-low-normed")
    fail_input("classifier '{}': expected one of cls-low, cls-low-normed, cls-high", mode);
  const EvalDataset* ds = t.dataset.get();
  const int nv = ds->n_voxels();
  if (voxels.rows != t.rows || voxels.num_voxels != nv)
    fail("classifier {}: {} voxel rows of {} for {} feature rows", mode, voxels.rows,
         voxels.num_voxels, t.rows);
  const ShowerBlock* v = &voxels;
  const FeatureTable* ft = &t;
  if (mode == "cls-low") {
    d.dims = 1 + nv;
    d.fill = [v, ds, nv](int64_t i, float* out) {
      const double e = v->energies[static_cast<size_t>(i)];
      out[0] = static_cast<float>(std::log10(e));
      const float* s = v->showers.data() + i * nv;
      for (int k = 0; k < nv; ++k) out[1 + k] = static_cast<float>(ds->thresholded(s[k]) / e);
    };
  } else {
    d.dims = 1 + nv + t.layers;
    d.fill = [v, ft, ds, nv](int64_t i, float* out) {
      out[0] = static_cast<float>(std::log10(static_cast<double>(v->energies[size_t(i)])));
      const float* s = v->showers.data() + i * nv;
      for (int l = 0; l < ft->layers; ++l) {
        const double el = ft->layer(ft->e_layer, i, l);
        const int off = ds->layer_offset(l), n = ds->layer_voxels(l);
        for (int k = 0; k < n; ++k)
          out[1 + off + k] = static_cast<float>(s[off + k] / (el + 1e-16));
        out[1 + nv + l] = static_cast<float>(std::log10(el + 1e-8));
      }
    };
  }
  return d;
}

ClassifierData rows_of(const ClassifierData& d, int64_t first, int64_t count) {
  CALO_ASSERT(first >= 0 && count >= 0 && first + count <= d.rows);
  ClassifierData r;
  r.rows = count;
  r.dims = d.dims;
  r.fill = [f = d.fill, first](int64_t i, float* out) { f(first + i, out); };
  return r;
}

}  // namespace calo::eval
