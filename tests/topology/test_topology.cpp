#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "host/error.hpp"
#include "host/topology/graph.hpp"

using namespace calo;

namespace {

QubitGraph read_fixture(const std::string& name) {
  std::ifstream f(std::string(CALO_TEST_DATA_DIR) + "/topology/" + name + ".txt");
  EXPECT_TRUE(f.good()) << name;
  QubitGraph g;
  std::string tag;
  size_t count = 0;
  f >> tag >> count;
  g.nodes.resize(count);
  for (auto& q : g.nodes) f >> q;
  f >> tag >> count;
  g.edges.resize(count);
  for (auto& e : g.edges) f >> e.first >> e.second;
  return g;
}

void expect_same(const QubitGraph& mine, const std::string& fixture) {
  const QubitGraph ref = read_fixture(fixture);
  ASSERT_FALSE(ref.nodes.empty()) << fixture;
  EXPECT_EQ(mine.nodes, ref.nodes) << fixture;
  ASSERT_EQ(mine.edges.size(), ref.edges.size()) << fixture;
  EXPECT_EQ(mine.edges, ref.edges) << fixture;
}

void expect_proper_coloring(const QubitGraph& g) {
  for (const auto& e : g.edges)
    ASSERT_NE(four_color(g, e.first), four_color(g, e.second)) << e.first << "-" << e.second;
}

}  // namespace

TEST(Topology, ZephyrMatchesDwaveNetworkx) {
  expect_same(zephyr_graph(1, 2), "zephyr_1_2");
  expect_same(zephyr_graph(2, 4), "zephyr_2_4");
  expect_same(zephyr_graph(3, 2), "zephyr_3_2");
  expect_same(parse_topology("zephyr:6,4"), "zephyr_6_4");
}

TEST(Topology, PegasusMatchesDwaveNetworkx) {
  expect_same(pegasus_graph(2), "pegasus_2");
  expect_same(pegasus_graph(3), "pegasus_3");
  expect_same(parse_topology("pegasus:6"), "pegasus_6");
}

TEST(Topology, ChimeraMatchesDwaveNetworkx) {
  expect_same(chimera_graph(2, 3, 4), "chimera_2_3_4");
  expect_same(parse_topology("chimera:4,4,4"), "chimera_4_4_4");
}

TEST(Topology, ZephyrCoordinatesDocstringVectors) {
  EXPECT_EQ(zephyr_linear({0, 1, 2, 1, 0}, 2, 4), 26);
  const auto c = zephyr_coord(137, 2, 4);
  EXPECT_EQ(c.u, 1);
  EXPECT_EQ(c.w, 3);
  EXPECT_EQ(c.k, 2);
  EXPECT_EQ(c.j, 0);
  EXPECT_EQ(c.z, 1);
  const auto g = zephyr_graph(6, 4);
  for (int64_t q : g.nodes) ASSERT_EQ(zephyr_linear(zephyr_coord(q, 6, 4), 6, 4), q);
  EXPECT_EQ(g.edges.size(), 11400u);
}

TEST(Topology, RoundTripsPegasusChimera) {
  for (int64_t q = 0; q < 24 * 6 * 5; ++q) ASSERT_EQ(pegasus_linear(pegasus_coord(q, 6), 6), q);
  for (int64_t q = 0; q < 2 * 4 * 3 * 4; ++q)
    ASSERT_EQ(chimera_linear(chimera_coord(q, 3, 4), 3, 4), q);
}

TEST(Topology, FourColoringsAreProperAndZephyrBalanced) {
  const auto z = zephyr_graph(6, 4);
  expect_proper_coloring(z);
  int count[4] = {0, 0, 0, 0};
  for (int64_t q : z.nodes) ++count[four_color(z, q)];
  for (int c : count) EXPECT_EQ(c, 312);
  expect_proper_coloring(pegasus_graph(6));
  expect_proper_coloring(chimera_graph(3, 4, 4));
}

TEST(Topology, RestrictShrinksGraph) {
  const auto g = zephyr_graph(2, 4);
  std::vector<int64_t> working;
  for (int64_t q : g.nodes)
    if (q % 7 != 3) working.push_back(q);
  const auto r = restrict_graph(g, working, {});
  EXPECT_EQ(r.nodes, working);
  size_t expected = 0;
  for (const auto& e : g.edges) expected += (e.first % 7 != 3 && e.second % 7 != 3);
  EXPECT_EQ(r.edges.size(), expected);
  // explicit coupler yield: keep every second edge
  std::vector<std::pair<int64_t, int64_t>> we;
  for (size_t i = 0; i < g.edges.size(); i += 2) we.push_back(g.edges[i]);
  const auto r2 = restrict_graph(g, g.nodes, we);
  EXPECT_EQ(r2.edges, we);
  EXPECT_THROW(restrict_graph(g, {100000}, {}), InputError);
  EXPECT_THROW(restrict_graph(g, g.nodes, {{0, 159}}), InputError);  // (0,159) is no coupler
}

TEST(Topology, ParseErrors) {
  EXPECT_THROW(parse_topology("zephyr"), InputError);
  EXPECT_THROW(parse_topology("zephyr:x"), InputError);
  EXPECT_THROW(parse_topology("torus:3"), InputError);
  EXPECT_EQ(parse_topology("zephyr:2").shape, (std::vector<int>{2, 4}));
}
