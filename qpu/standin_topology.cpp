#include "qpu/standin_topology.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "host/error.hpp"
#include "kernels/philox.hpp"

namespace calo::qpu {

namespace {
std::vector<int> parse_ints(const std::string& text, const std::string& spec) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      out.push_back(std::stoi(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      fail_input("topology '{}': '{}' is not an integer", spec, item);
    }
  }
  return out;
}
}  // namespace

StandinTopology standin_topology(const std::string& spec, double missing_fraction, uint64_t seed) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos)
    fail_input("topology '{}' must look like 'zephyr:6,4' or 'grid:8'", spec);
  StandinTopology t;
  t.type = spec.substr(0, colon);
  t.shape = parse_ints(spec.substr(colon + 1), spec);
  std::set<std::pair<int, int>> edges;
  int nodes = 0;
  if (t.type == "zephyr") {
    if (t.shape.size() == 1) t.shape.push_back(4);
    if (t.shape.size() != 2 || t.shape[0] < 1 || t.shape[1] < 1)
      fail_input("topology '{}': zephyr needs m,t >= 1", spec);
    const int m = t.shape[0], tt = t.shape[1];
    auto idx = [&](int u, int w, int k, int j, int z) {
      return (((u * (2 * m + 1) + w) * tt + k) * 2 + j) * m + z;
    };
    nodes = 4 * tt * m * (2 * m + 1);
    auto add = [&](int a, int b) { edges.insert({std::min(a, b), std::max(a, b)}); };
    for (int u = 0; u < 2; ++u)
      for (int w = 0; w <= 2 * m; ++w)
        for (int k = 0; k < tt; ++k)
          for (int z = 0; z < m; ++z) {
            for (int j = 0; j < 2; ++j)
              if (z + 1 < m) add(idx(u, w, k, j, z), idx(u, w, k, j, z + 1));  // external
            add(idx(u, w, k, 0, z), idx(u, w, k, 1, z));                       // odd
            if (z >= 1) add(idx(u, w, k, 0, z), idx(u, w, k, 1, z - 1));
          }
    // internal: vertical (0,w0,k0,j0,z0) ~ horizontal (1,w1,k1,j1,z1) iff w0 - 2 z1 - j1 in {0,1}
    // and w1 - 2 z0 - j0 in {0,1}
    for (int w0 = 0; w0 <= 2 * m; ++w0)
      for (int j0 = 0; j0 < 2; ++j0)
        for (int z0 = 0; z0 < m; ++z0)
          for (int z1 = 0; z1 < m; ++z1)
            for (int j1 = 0; j1 < 2; ++j1) {
              const int d0 = w0 - 2 * z1 - j1;
              if (d0 != 0 && d0 != 1) continue;
              for (int w1 = 2 * z0 + j0; w1 <= std::min(2 * m, 2 * z0 + j0 + 1); ++w1)
                for (int k0 = 0; k0 < tt; ++k0)
                  for (int k1 = 0; k1 < tt; ++k1)
                    add(idx(0, w0, k0, j0, z0), idx(1, w1, k1, j1, z1));
            }
  } else if (t.type == "grid") {
    if (t.shape.size() != 1 || t.shape[0] < 2)
      fail_input("topology '{}': grid needs a side >= 2", spec);
    const int s = t.shape[0];
    nodes = s * s;
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        if (x + 1 < s) edges.insert({y * s + x, y * s + x + 1});
        if (y + 1 < s) edges.insert({y * s + x, (y + 1) * s + x});
      }
  } else {
    fail_input("topology '{}': unknown family '{}' (the stand-in knows zephyr and grid)", spec,
               t.type);
  }
  t.graph.num_qubits = nodes;
  std::vector<uint8_t> gone(size_t(nodes), 0);
  for (int q = 0; q < nodes; ++q)
    gone[size_t(q)] =
        missing_fraction > 0 && calo::uniform(seed, 77, uint64_t(q)) < missing_fraction;
  for (int q = 0; q < nodes; ++q)
    if (!gone[size_t(q)]) t.graph.qubits.push_back(q);
  for (const auto& e : edges)
    if (!gone[size_t(e.first)] && !gone[size_t(e.second)]) t.graph.couplers.push_back(e);
  return t;
}

}  // namespace calo::qpu
