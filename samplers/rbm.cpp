#include "samplers/rbm.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>

#include "host/atomic_file.hpp"
#include "host/error.hpp"
#include "kernels/philox.hpp"

namespace calo {

Rbm Rbm::from_graph(const QubitGraph& g, int nodes_per_partition) {
  if (nodes_per_partition < 1)
    fail_input("Rbm::from_graph: nodes_per_partition = {} must be >= 1", nodes_per_partition);
  std::array<std::vector<int64_t>, 4> parts;
  for (int64_t q : g.nodes) {
    auto& p = parts[size_t(four_color(g, q))];
    if (int(p.size()) < nodes_per_partition) p.push_back(q);
  }
  for (int p = 0; p < 4; ++p)
    if (int(parts[size_t(p)].size()) < nodes_per_partition)
      fail_input(
          "Rbm::from_graph: partition {} of the {} graph has only {} working qubits, fewer than "
          "nodes_per_partition = {}; lower nodes_per_partition",
          p, g.family, parts[size_t(p)].size(), nodes_per_partition);
  return from_partitions(g, parts);
}

Rbm Rbm::from_partitions(const QubitGraph& g, const std::array<std::vector<int64_t>, 4>& qubits) {
  Rbm r;
  r.graph_ = g;
  r.n_ = int(qubits[0].size());
  r.qubits_ = qubits;
  for (int p = 0; p < 4; ++p) {
    if (int(qubits[size_t(p)].size()) != r.n_)
      fail_input("Rbm: partition {} has {} qubits, partition 0 has {}; all must be equal", p,
                 qubits[size_t(p)].size(), r.n_);
    for (int s = 0; s < r.n_; ++s) {
      const int64_t q = qubits[size_t(p)][size_t(s)];
      if (!g.has_node(q))
        fail_input("Rbm: qubit {} (partition {}, slot {}) is not a node of the graph", q, p, s);
      if (!r.slot_.emplace(q, std::make_pair(p, s)).second)
        fail_input("Rbm: qubit {} appears twice in the partitions", q);
    }
    r.b_[size_t(p)].assign(size_t(r.n_), 0.0f);
  }
  r.build_masks();
  return r;
}

void Rbm::build_masks() {
  const size_t nn = size_t(n_) * size_t(n_);
  for (int k = 0; k < 6; ++k) {
    mask_[size_t(k)].assign(nn, 0);
    if (w_[size_t(k)].size() != nn) w_[size_t(k)].assign(nn, 0.0f);
  }
  for (const auto& e : graph_.edges) {
    auto a = slot_of(e.first), b = slot_of(e.second);
    if (!a || !b) continue;
    if (a->first == b->first)
      fail_input(
          "Rbm: coupler ({}, {}) joins two qubits of partition {}; the partition is not a "
          "colouring",
          e.first, e.second, a->first);
    if (a->first > b->first) std::swap(a, b);
    mask_[size_t(rbm_pair_index(a->first, b->first))]
         [size_t(a->second) * size_t(n_) + size_t(b->second)] = 1;
  }
  apply_mask();
}

void Rbm::apply_mask() {
  for (int k = 0; k < 6; ++k)
    for (size_t i = 0; i < w_[size_t(k)].size(); ++i)
      if (!mask_[size_t(k)][i]) w_[size_t(k)][i] = 0.0f;
}

std::vector<float> Rbm::pack() const {
  std::vector<float> packed;
  packed.reserve(size_t(packed_rbm_size(n_)));
  for (const auto& w : w_) packed.insert(packed.end(), w.begin(), w.end());
  for (const auto& b : b_) packed.insert(packed.end(), b.begin(), b.end());
  return packed;
}

void Rbm::unpack(std::span<const float> packed) {
  if (int64_t(packed.size()) != packed_rbm_size(n_))
    fail_input("Rbm::unpack: {} values, an RBM of {} nodes per partition packs into {}",
               packed.size(), n_, packed_rbm_size(n_));
  const size_t nn = size_t(n_) * size_t(n_);
  for (size_t k = 0; k < 6; ++k)
    for (size_t i = 0; i < nn; ++i)
      if (!mask_[k][i] && packed[k * nn + i] != 0.0f)
        fail_input("Rbm::unpack: coupling {} of pair {} is {} where this graph has no coupler", i,
                   k, packed[k * nn + i]);
  for (size_t k = 0; k < 6; ++k) std::copy_n(packed.begin() + long(k * nn), nn, w_[k].begin());
  for (size_t p = 0; p < 4; ++p)
    std::copy_n(packed.begin() + long(6 * nn + p * size_t(n_)), size_t(n_), b_[p].begin());
}

std::optional<std::pair<int, int>> Rbm::slot_of(int64_t qubit) const {
  const auto it = slot_.find(qubit);
  if (it == slot_.end()) return std::nullopt;
  return it->second;
}

void Rbm::init_random(uint64_t seed, const std::array<float, 6>& w_std, float b_std) {
  uint64_t idx = 0;
  auto normal = [&] {
    const auto u = uniform2_double(seed, 0x5eed0f4b, idx++);
    return std::sqrt(-2.0 * std::log(u.u[0])) * std::cos(6.283185307179586 * u.u[1]);
  };
  for (int k = 0; k < 6; ++k)
    for (size_t i = 0; i < w_[size_t(k)].size(); ++i) {
      const double v = normal();
      w_[size_t(k)][i] = mask_[size_t(k)][i] ? float(w_std[size_t(k)] * v) : 0.0f;
    }
  for (auto& b : b_)
    for (auto& x : b) x = float(b_std * normal());
}

double Rbm::energy_conditional(const uint8_t* z) const {
  const size_t n = size_t(n_);
  double e = 0;
  for (int p = 1; p < 4; ++p)
    for (size_t i = 0; i < n; ++i) e -= double(b_[size_t(p)][i]) * z[size_t(p) * n + i];
  // Only rows and columns of units that are on contribute: list them once per partition.
  std::vector<uint32_t> on[4];
  for (int p = 0; p < 4; ++p)
    for (size_t i = 0; i < n; ++i)
      if (z[size_t(p) * n + i]) on[p].push_back(static_cast<uint32_t>(i));
  for (int k = 0; k < 6; ++k) {
    const auto [p, q] = kRbmPairs[size_t(k)];
    const auto& w = w_[size_t(k)];
    for (uint32_t i : on[p]) {
      const float* row = w.data() + size_t(i) * n;
      for (uint32_t j : on[q]) e -= double(row[j]);
    }
  }
  return e;
}

double Rbm::energy(const uint8_t* z) const {
  double e = energy_conditional(z);
  for (size_t i = 0; i < size_t(n_); ++i) e -= double(b_[0][i]) * z[i];
  return e;
}

namespace {

struct H {
  hid_t id;
  herr_t (*close)(hid_t);
  ~H() {
    if (id >= 0) close(id);
  }
};

template <class T>
void write_ds(hid_t file, const std::string& name, hid_t type, const std::vector<T>& v,
              std::vector<hsize_t> dims) {
  H space{H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose};
  H ds{H5Dcreate2(file, name.c_str(), type, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
       H5Dclose};
  if (ds.id < 0 || H5Dwrite(ds.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    fail("RBM checkpoint: cannot write dataset {}", name);
}

template <class T>
std::vector<T> read_ds(hid_t file, const std::string& path, const std::string& name, hid_t type,
                       size_t expected) {
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0)
    fail_input(
        "RBM checkpoint {}: dataset {} is missing; is this an RBM checkpoint written by calo4pq?",
        path, name);
  H ds{H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose};
  H space{H5Dget_space(ds.id), H5Sclose};
  const hssize_t count = H5Sget_simple_extent_npoints(space.id);
  if (expected != size_t(-1) && size_t(count) != expected)
    fail_input("RBM checkpoint {}: dataset {} has {} values, expected {}", path, name, count,
               expected);
  std::vector<T> v(static_cast<size_t>(count));
  if (count > 0 && H5Dread(ds.id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    fail_input("RBM checkpoint {}: cannot read dataset {}", path, name);
  return v;
}

const char* kPairNames[6] = {"01", "02", "03", "12", "13", "23"};

}  // namespace

// Layout (group /rbm): family (uint8 string bytes), shape (int32), num_nominal_qubits (int64),
// nodes (int64), edges (int64 E x 2), qubits (int64 4 x n), bias (float32 4 x n),
// weights_<pq> (float32 n x n).
void Rbm::save(const std::string& path) const {
  write_atomically(path, [&](const std::string& tmp) {
    H file{H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose};
    if (file.id < 0) fail("RBM checkpoint: cannot create {}", tmp);
    H grp{H5Gcreate2(file.id, "rbm", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
    std::vector<uint8_t> fam(graph_.family.begin(), graph_.family.end());
    write_ds(grp.id, "family", H5T_NATIVE_UINT8, fam, {fam.size()});
    write_ds(grp.id, "shape", H5T_NATIVE_INT32, graph_.shape, {graph_.shape.size()});
    write_ds(grp.id, "num_nominal_qubits", H5T_NATIVE_INT64,
             std::vector<int64_t>{graph_.num_nominal_qubits}, {1});
    write_ds(grp.id, "nodes", H5T_NATIVE_INT64, graph_.nodes, {graph_.nodes.size()});
    std::vector<int64_t> e;
    for (const auto& [a, b] : graph_.edges) {
      e.push_back(a);
      e.push_back(b);
    }
    write_ds(grp.id, "edges", H5T_NATIVE_INT64, e, {graph_.edges.size(), 2});
    std::vector<int64_t> q;
    std::vector<float> b;
    for (int p = 0; p < 4; ++p) {
      q.insert(q.end(), qubits_[size_t(p)].begin(), qubits_[size_t(p)].end());
      b.insert(b.end(), b_[size_t(p)].begin(), b_[size_t(p)].end());
    }
    write_ds(grp.id, "qubits", H5T_NATIVE_INT64, q, {4, hsize_t(n_)});
    write_ds(grp.id, "bias", H5T_NATIVE_FLOAT, b, {4, hsize_t(n_)});
    for (int k = 0; k < 6; ++k)
      write_ds(grp.id, std::string("weights_") + kPairNames[k], H5T_NATIVE_FLOAT, w_[size_t(k)],
               {hsize_t(n_), hsize_t(n_)});
  });
}

Rbm Rbm::load(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  H file{H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose};
  if (file.id < 0)
    fail_input("RBM checkpoint {}: cannot open as HDF5 (missing or not an HDF5 file)", path);
  const size_t any = size_t(-1);
  const auto fam = read_ds<uint8_t>(file.id, path, "rbm/family", H5T_NATIVE_UINT8, any);
  QubitGraph g;
  g.family.assign(fam.begin(), fam.end());
  g.shape = read_ds<int>(file.id, path, "rbm/shape", H5T_NATIVE_INT32, any);
  g.num_nominal_qubits =
      read_ds<int64_t>(file.id, path, "rbm/num_nominal_qubits", H5T_NATIVE_INT64, 1)[0];
  g.nodes = read_ds<int64_t>(file.id, path, "rbm/nodes", H5T_NATIVE_INT64, any);
  const auto e = read_ds<int64_t>(file.id, path, "rbm/edges", H5T_NATIVE_INT64, any);
  for (size_t i = 0; i + 1 < e.size(); i += 2) g.edges.emplace_back(e[i], e[i + 1]);
  const auto q = read_ds<int64_t>(file.id, path, "rbm/qubits", H5T_NATIVE_INT64, any);
  if (q.size() % 4 != 0 || q.empty())
    fail_input("RBM checkpoint {}: rbm/qubits must be 4 x n", path);
  const size_t n = q.size() / 4;
  std::array<std::vector<int64_t>, 4> parts;
  for (size_t p = 0; p < 4; ++p)
    parts[p].assign(q.begin() + long(p * n), q.begin() + long((p + 1) * n));
  Rbm r = from_partitions(g, parts);
  const auto b = read_ds<float>(file.id, path, "rbm/bias", H5T_NATIVE_FLOAT, 4 * n);
  for (size_t p = 0; p < 4; ++p)
    r.b_[p].assign(b.begin() + long(p * n), b.begin() + long((p + 1) * n));
  for (int k = 0; k < 6; ++k)
    r.w_[size_t(k)] = read_ds<float>(file.id, path, std::string("rbm/weights_") + kPairNames[k],
                                     H5T_NATIVE_FLOAT, n * n);
  for (int k = 0; k < 6; ++k)
    for (size_t i = 0; i < n * n; ++i)
      if (!r.mask_[size_t(k)][i] && r.w_[size_t(k)][i] != 0.0f)
        fail_input(
            "RBM checkpoint {}: weights_{} has a nonzero entry at ({}, {}) where the graph has no "
            "coupler",
            path, kPairNames[k], i / n, i % n);
  return r;
}

std::vector<std::pair<std::string, std::vector<float>>> Rbm::to_named_arrays(
    const std::string& prefix) const {
  std::vector<std::pair<std::string, std::vector<float>>> out;
  for (int p = 0; p < 4; ++p) {
    std::vector<float> q(qubits_[size_t(p)].begin(), qubits_[size_t(p)].end());
    out.emplace_back(prefix + "qubits_" + std::to_string(p), q);
  }
  for (int p = 0; p < 4; ++p) out.emplace_back(prefix + "bias_" + std::to_string(p), b_[size_t(p)]);
  for (int k = 0; k < 6; ++k) out.emplace_back(prefix + "weights_" + kPairNames[k], w_[size_t(k)]);
  return out;
}

Rbm Rbm::from_named_arrays(const QubitGraph& g,
                           const std::vector<std::pair<std::string, std::vector<float>>>& arrays,
                           const std::string& prefix) {
  auto find = [&](const std::string& name) -> const std::vector<float>& {
    for (const auto& [k, v] : arrays)
      if (k == prefix + name) return v;
    fail_input("RBM parameters: array '{}{}' is missing from the checkpoint", prefix, name);
  };
  std::array<std::vector<int64_t>, 4> parts;
  for (int p = 0; p < 4; ++p)
    for (float q : find("qubits_" + std::to_string(p)))
      parts[size_t(p)].push_back(int64_t(std::llround(q)));
  Rbm r = from_partitions(g, parts);
  const size_t n = size_t(r.n_);
  for (int p = 0; p < 4; ++p) {
    const auto& b = find("bias_" + std::to_string(p));
    if (b.size() != n)
      fail_input("RBM parameters: {}bias_{} has {} values, expected {}", prefix, p, b.size(), n);
    r.b_[size_t(p)] = b;
  }
  for (int k = 0; k < 6; ++k) {
    const auto& w = find(std::string("weights_") + kPairNames[k]);
    if (w.size() != n * n)
      fail_input("RBM parameters: {}weights_{} has {} values, expected {}", prefix, kPairNames[k],
                 w.size(), n * n);
    for (size_t i = 0; i < n * n; ++i)
      if (!r.mask_[size_t(k)][i] && w[i] != 0.0f)
        fail_input(
            "RBM parameters: {}weights_{} is nonzero at ({}, {}) where the graph has no coupler",
            prefix, kPairNames[k], i / n, i % n);
    r.w_[size_t(k)] = w;
  }
  return r;
}

}  // namespace calo
