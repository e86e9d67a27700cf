#include "qpu/standin_topology.hpp"

#include "host/topology/graph.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/ranges.h>

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
  std::vector<int64_t> graph_nodes;  // D-Wave families: the graph's nodes (Pegasus: fabric only)
  if (t.type == "zephyr" || t.type == "pegasus" || t.type == "chimera") {
    // The D-Wave graphs come from calo_topology (checked edge for edge against dwave-networkx).
    if (t.type == "zephyr" && t.shape.size() == 1) t.shape.push_back(4);
    const QubitGraph g = parse_topology(fmt::format("{}:{}", t.type, fmt::join(t.shape, ",")));
    nodes = static_cast<int>(g.num_nominal_qubits);
    for (const auto& [u, v] : g.edges) edges.insert({static_cast<int>(u), static_cast<int>(v)});
    graph_nodes = g.nodes;
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
    fail_input(
        "topology '{}': unknown family '{}' (the stand-in knows zephyr, pegasus, chimera and grid)",
        spec, t.type);
  }
  t.graph.num_qubits = nodes;
  std::vector<uint8_t> gone(size_t(nodes), graph_nodes.empty() ? 0 : 1);
  for (int64_t q : graph_nodes) gone[size_t(q)] = 0;
  for (int q = 0; q < nodes; ++q)
    if (!gone[size_t(q)])
      gone[size_t(q)] =
          missing_fraction > 0 && calo::uniform(seed, 77, uint64_t(q)) < missing_fraction;
  for (int q = 0; q < nodes; ++q)
    if (!gone[size_t(q)]) t.graph.qubits.push_back(q);
  for (const auto& e : edges)
    if (!gone[size_t(e.first)] && !gone[size_t(e.second)]) t.graph.couplers.push_back(e);
  return t;
}

}  // namespace calo::qpu
