// Stand-in Zephyr graphs against the dwave-graphs counts and coupler rules (research/dwave.md 1).
#include <gtest/gtest.h>

#include <map>

#include "host/error.hpp"
#include "host/topology/graph.hpp"
#include "qpu/standin_topology.hpp"

using namespace calo::qpu;

TEST(StandinTopology, ZephyrCountsMatchDwaveGraphs) {
  // nodes 4 t m (2m+1); edges 2t((8t+8)m^2 - 2m - 3) for m > 1, 2t(8t+3) for m = 1.
  const std::map<std::pair<int, int>, std::pair<size_t, size_t>> expect = {
      {{6, 4}, {1248, 11400}}, {{2, 4}, {160, 1224}}, {{1, 2}, {24, 76}}, {{3, 2}, {168, 828}}};
  for (const auto& [mt, ne] : expect) {
    const auto t =
        standin_topology("zephyr:" + std::to_string(mt.first) + "," + std::to_string(mt.second));
    EXPECT_EQ(t.graph.num_qubits, int(ne.first));
    EXPECT_EQ(t.graph.qubits.size(), ne.first);
    EXPECT_EQ(t.graph.couplers.size(), ne.second) << mt.first << "," << mt.second;
  }
}

TEST(StandinTopology, ZephyrDegreeAndColouring) {
  const auto t = standin_topology("zephyr:6,4");
  std::vector<int> degree(size_t(t.graph.num_qubits), 0);
  const int m = 6, tt = 4;
  auto colour = [&](int q) {  // (2u + w + 2z + j) mod 4 from the linear index
    const int z = q % m;
    q /= m;
    const int j = q % 2;
    q /= 2;
    q /= tt;
    const int w = q % (2 * m + 1), u = q / (2 * m + 1);
    return (2 * u + w + 2 * z + j) % 4;
  };
  for (const auto& [a, b] : t.graph.couplers) {
    ++degree[size_t(a)];
    ++degree[size_t(b)];
    EXPECT_NE(colour(a), colour(b)) << a << "-" << b;
  }
  EXPECT_EQ(*std::max_element(degree.begin(), degree.end()), 20);
}

TEST(StandinTopology, YieldAndErrors) {
  const auto t = standin_topology("zephyr:2,4", 0.1, 3);
  EXPECT_LT(t.graph.qubits.size(), 160u);
  EXPECT_GT(t.graph.qubits.size(), 120u);
  EXPECT_EQ(t.graph.num_qubits, 160);
  EXPECT_THROW(standin_topology("hexagon:16"), calo::InputError);
  // Pegasus comes from calo_topology: its (fabric) qubits and couplers are exactly the graph's.
  const auto p = standin_topology("pegasus:2");
  const calo::QubitGraph g = calo::pegasus_graph(2);
  EXPECT_EQ(p.graph.num_qubits, g.num_nominal_qubits);
  EXPECT_EQ(p.graph.qubits.size(), g.nodes.size());
  EXPECT_EQ(p.graph.couplers.size(), g.edges.size());
  EXPECT_THROW(standin_topology("zephyr:x,4"), calo::InputError);
  EXPECT_EQ(standin_topology("grid:4").graph.couplers.size(), 24u);
}
