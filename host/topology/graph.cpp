#include "host/topology/graph.hpp"

#include <algorithm>
#include <sstream>
#include <unordered_set>

#include "host/error.hpp"

namespace calo {

namespace {

void finalize(QubitGraph& g) {
  for (auto& e : g.edges)
    if (e.first > e.second) std::swap(e.first, e.second);
  std::sort(g.edges.begin(), g.edges.end());
  g.edges.erase(std::unique(g.edges.begin(), g.edges.end()), g.edges.end());
  std::sort(g.nodes.begin(), g.nodes.end());
  g.nodes.erase(std::unique(g.nodes.begin(), g.nodes.end()), g.nodes.end());
}

void check_positive(const char* family, int v, const char* name) {
  if (v < 1) fail_input("{} graph: parameter {} = {} must be >= 1", family, name, v);
}

// Real QPUs have at most a few thousand qubits (Advantage: pegasus:16, 5640; Advantage2:
// zephyr:12,4, 4800) and tiles of t = 4; a graph beyond these bounds is a typo and would take
// gigabytes to build.
constexpr int64_t kMaxQubits = int64_t{1} << 18;
constexpr int kMaxTile = 16;
constexpr int kMaxSide = 4096;

void check_size(const char* family, const std::vector<int64_t>& shape, int64_t t) {
  for (int64_t v : shape)
    if (v > kMaxSide) fail_input("{} graph: parameter {} exceeds {}", family, v, kMaxSide);
  if (t > kMaxTile)
    fail_input("{} graph: tile size t = {} exceeds {} (D-Wave graphs use t = 4)", family, t,
               kMaxTile);
}

void check_qubits(const char* family, int64_t qubits) {
  if (qubits > kMaxQubits)
    fail_input("{} graph: {} qubits exceed the limit of {} (real QPUs have a few thousand)", family,
               qubits, kMaxQubits);
}

}  // namespace

bool QubitGraph::has_node(int64_t q) const {
  return std::binary_search(nodes.begin(), nodes.end(), q);
}

bool QubitGraph::has_edge(int64_t a, int64_t b) const {
  if (a > b) std::swap(a, b);
  return std::binary_search(edges.begin(), edges.end(), std::make_pair(a, b));
}

int64_t zephyr_linear(const ZephyrCoord& c, int m, int t) {
  return ((((int64_t(c.u) * (2 * m + 1) + c.w) * t + c.k) * 2 + c.j) * m) + c.z;
}

ZephyrCoord zephyr_coord(int64_t q, int m, int t) {
  ZephyrCoord c{};
  c.z = int(q % m);
  q /= m;
  c.j = int(q % 2);
  q /= 2;
  c.k = int(q % t);
  q /= t;
  c.w = int(q % (2 * m + 1));
  c.u = int(q / (2 * m + 1));
  return c;
}

int64_t pegasus_linear(const PegasusCoord& c, int m) {
  return ((int64_t(c.u) * m + c.w) * 12 + c.k) * (m - 1) + c.z;
}

PegasusCoord pegasus_coord(int64_t q, int m) {
  PegasusCoord c{};
  c.z = int(q % (m - 1));
  q /= (m - 1);
  c.k = int(q % 12);
  q /= 12;
  c.w = int(q % m);
  c.u = int(q / m);
  return c;
}

int64_t chimera_linear(const ChimeraCoord& c, int n, int t) {
  return ((int64_t(c.i) * n + c.j) * 2 + c.u) * t + c.k;
}

ChimeraCoord chimera_coord(int64_t q, int n, int t) {
  ChimeraCoord c{};
  c.k = int(q % t);
  q /= t;
  c.u = int(q % 2);
  q /= 2;
  c.j = int(q % n);
  c.i = int(q / n);
  return c;
}

QubitGraph zephyr_graph(int m, int t) {
  check_positive("zephyr", m, "m");
  check_positive("zephyr", t, "t");
  check_size("zephyr", {m}, t);
  check_qubits("zephyr", int64_t(4) * t * m * (2 * int64_t(m) + 1));
  QubitGraph g;
  g.family = "zephyr";
  g.shape = {m, t};
  g.num_nominal_qubits = int64_t(4) * t * m * (2 * m + 1);
  for (int64_t q = 0; q < g.num_nominal_qubits; ++q) g.nodes.push_back(q);
  auto L = [&](int u, int w, int k, int j, int z) { return zephyr_linear({u, w, k, j, z}, m, t); };
  for (int u = 0; u < 2; ++u)
    for (int w = 0; w <= 2 * m; ++w)
      for (int k = 0; k < t; ++k) {
        for (int j = 0; j < 2; ++j)
          for (int z = 0; z + 1 < m; ++z)
            g.edges.emplace_back(L(u, w, k, j, z), L(u, w, k, j, z + 1));  // external
        for (int z = 0; z < m; ++z) {
          g.edges.emplace_back(L(u, w, k, 0, z), L(u, w, k, 1, z));  // odd
          if (z > 0) g.edges.emplace_back(L(u, w, k, 0, z), L(u, w, k, 1, z - 1));
        }
      }
  // internal: (0,w0,k0,j0,z0) ~ (1,w1,k1,j1,z1) iff w0-2z1-j1 in {0,1} and w1-2z0-j0 in {0,1}
  for (int w0 = 0; w0 <= 2 * m; ++w0)
    for (int j0 = 0; j0 < 2; ++j0)
      for (int z0 = 0; z0 < m; ++z0)
        for (int j1 = 0; j1 < 2; ++j1)
          for (int z1 = 0; z1 < m; ++z1) {
            const int d0 = w0 - 2 * z1 - j1;
            if (d0 != 0 && d0 != 1) continue;
            for (int w1 = 2 * z0 + j0; w1 <= 2 * z0 + j0 + 1 && w1 <= 2 * m; ++w1)
              for (int k0 = 0; k0 < t; ++k0)
                for (int k1 = 0; k1 < t; ++k1)
                  g.edges.emplace_back(L(0, w0, k0, j0, z0), L(1, w1, k1, j1, z1));
          }
  finalize(g);
  return g;
}

QubitGraph pegasus_graph(int m) {
  if (m < 2) fail_input("pegasus graph: m = {} must be >= 2", m);
  check_size("pegasus", {m}, 0);
  check_qubits("pegasus", int64_t(24) * m * (m - 1));
  QubitGraph g;
  g.family = "pegasus";
  g.shape = {m};
  g.num_nominal_qubits = int64_t(24) * m * (m - 1);
  // dwave-networkx offsets_index 0 (S0 indexed by k0, S1 by k1; research/dwave.md says S0 = S1,
  // which does not match dwave-networkx 0.8.19).
  static constexpr int S0[12] = {2, 2, 2, 2, 10, 10, 10, 10, 6, 6, 6, 6};
  static constexpr int S1[12] = {6, 6, 6, 6, 2, 2, 2, 2, 10, 10, 10, 10};
  auto L = [&](int u, int w, int k, int z) { return pegasus_linear({u, w, k, z}, m); };
  std::unordered_set<int64_t> fabric;
  for (int w0 = 0; w0 < m; ++w0)
    for (int k0 = 0; k0 < 12; ++k0)
      for (int z0 = 0; z0 < m - 1; ++z0)
        for (int k1 = 0; k1 < 12; ++k1) {
          const int w1 = z0 + (k1 < S0[k0] ? 1 : 0);
          const int z1 = w0 - (k0 < S1[k1] ? 1 : 0);
          if (w1 < 0 || w1 >= m || z1 < 0 || z1 >= m - 1) continue;
          const int64_t a = L(0, w0, k0, z0), b = L(1, w1, k1, z1);
          g.edges.emplace_back(a, b);
          fabric.insert(a);
          fabric.insert(b);
        }
  for (int u = 0; u < 2; ++u)
    for (int w = 0; w < m; ++w)
      for (int k = 0; k < 12; ++k)
        for (int z = 0; z < m - 1; ++z) {
          const int64_t a = L(u, w, k, z);
          if (!fabric.count(a)) continue;
          if (z + 1 < m - 1 && fabric.count(L(u, w, k, z + 1)))
            g.edges.emplace_back(a, L(u, w, k, z + 1));
          if (k % 2 == 0 && fabric.count(L(u, w, k + 1, z)))
            g.edges.emplace_back(a, L(u, w, k + 1, z));
        }
  g.nodes.assign(fabric.begin(), fabric.end());
  finalize(g);
  return g;
}

QubitGraph chimera_graph(int m, int n, int t) {
  check_positive("chimera", m, "m");
  check_positive("chimera", n, "n");
  check_positive("chimera", t, "t");
  check_size("chimera", {m, n}, t);
  check_qubits("chimera", int64_t(2) * m * n * t);
  QubitGraph g;
  g.family = "chimera";
  g.shape = {m, n, t};
  g.num_nominal_qubits = int64_t(2) * m * n * t;
  for (int64_t q = 0; q < g.num_nominal_qubits; ++q) g.nodes.push_back(q);
  auto L = [&](int i, int j, int u, int k) { return chimera_linear({i, j, u, k}, n, t); };
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < t; ++k) {
        for (int kk = 0; kk < t; ++kk) g.edges.emplace_back(L(i, j, 0, k), L(i, j, 1, kk));
        if (i + 1 < m) g.edges.emplace_back(L(i, j, 0, k), L(i + 1, j, 0, k));
        if (j + 1 < n) g.edges.emplace_back(L(i, j, 1, k), L(i, j + 1, 1, k));
      }
  finalize(g);
  return g;
}

QubitGraph parse_topology(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos)
    fail_input("topology '{}': expected family:shape, e.g. zephyr:6,4 pegasus:16 chimera:16,16,4",
               spec);
  const std::string family = spec.substr(0, colon);
  std::vector<int> shape;
  std::stringstream ss(spec.substr(colon + 1));
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      shape.push_back(std::stoi(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      fail_input("topology '{}': shape entry '{}' is not an integer", spec, item);
    }
  }
  if (family == "zephyr" && (shape.size() == 1 || shape.size() == 2))
    return zephyr_graph(shape[0], shape.size() == 2 ? shape[1] : 4);
  if (family == "pegasus" && shape.size() == 1) return pegasus_graph(shape[0]);
  if (family == "chimera" && (shape.size() >= 1 && shape.size() <= 3))
    return chimera_graph(shape[0], shape.size() > 1 ? shape[1] : shape[0],
                         shape.size() > 2 ? shape[2] : 4);
  fail_input(
      "topology '{}': unknown family or wrong number of shape values (zephyr:m[,t], pegasus:m, "
      "chimera:m[,n[,t]])",
      spec);
}

QubitGraph restrict_graph(const QubitGraph& g, const std::vector<int64_t>& working_nodes,
                          const std::vector<std::pair<int64_t, int64_t>>& working_edges) {
  QubitGraph r;
  r.family = g.family;
  r.shape = g.shape;
  r.num_nominal_qubits = g.num_nominal_qubits;
  for (int64_t q : working_nodes) {
    if (!g.has_node(q))
      fail_input("restrict_graph: working qubit {} is not a node of the {} graph", q, g.family);
    r.nodes.push_back(q);
  }
  finalize(r);
  if (working_edges.empty()) {
    for (const auto& e : g.edges)
      if (r.has_node(e.first) && r.has_node(e.second)) r.edges.push_back(e);
  } else {
    for (auto e : working_edges) {
      if (!g.has_edge(e.first, e.second))
        fail_input("restrict_graph: working coupler ({}, {}) is not an edge of the {} graph",
                   e.first, e.second, g.family);
      if (r.has_node(e.first) && r.has_node(e.second)) r.edges.push_back(e);
    }
  }
  finalize(r);
  return r;
}

int four_color(const QubitGraph& g, int64_t q) {
  if (g.family == "zephyr") {
    const auto c = zephyr_coord(q, g.shape[0], g.shape[1]);
    return (2 * c.u + c.w + 2 * c.z + c.j) & 3;
  }
  if (g.family == "pegasus") {
    const auto c = pegasus_coord(q, g.shape[0]);
    return 2 * c.u + ((c.k ^ c.z) & 1);
  }
  if (g.family == "chimera") {
    const auto c = chimera_coord(q, g.shape[1], g.shape[2]);
    return 2 * c.u + ((c.i + c.j) & 1);
  }
  fail_input("four_color: unknown graph family '{}'", g.family);
}

}  // namespace calo
