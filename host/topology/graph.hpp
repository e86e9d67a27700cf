#pragma once
// D-Wave qubit graphs (Zephyr, Pegasus, Chimera) built natively, with the coordinates, linear
// indices and coupler lists of dwave-networkx (research/dwave.md sections 1-2).
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace calo {

struct QubitGraph {
  std::string family;  // zephyr | pegasus | chimera
  std::vector<int> shape;
  int64_t num_nominal_qubits = 0;
  std::vector<int64_t> nodes;                      // ascending
  std::vector<std::pair<int64_t, int64_t>> edges;  // (a < b), sorted
  bool has_node(int64_t q) const;
  bool has_edge(int64_t a, int64_t b) const;
};

QubitGraph zephyr_graph(int m, int t = 4);
QubitGraph pegasus_graph(int m);  // fabric nodes only (dwave-networkx fabric_only=True)
QubitGraph chimera_graph(int m, int n, int t);
// "zephyr:6,4" "zephyr:6" "pegasus:16" "chimera:16,16,4"
QubitGraph parse_topology(const std::string& spec);
// Keeps working nodes and working edges (both endpoints working); empty working_edges = all edges
// among working nodes. Unknown nodes/edges raise InputError.
QubitGraph restrict_graph(const QubitGraph& g, const std::vector<int64_t>& working_nodes,
                          const std::vector<std::pair<int64_t, int64_t>>& working_edges);

// Zephyr (u, w, k, j, z): q = (((u(2m+1) + w) t + k) 2 + j) m + z
struct ZephyrCoord {
  int u, w, k, j, z;
};
int64_t zephyr_linear(const ZephyrCoord& c, int m, int t);
ZephyrCoord zephyr_coord(int64_t q, int m, int t);
// Pegasus (u, w, k, z): q = ((u m + w) 12 + k)(m - 1) + z
struct PegasusCoord {
  int u, w, k, z;
};
int64_t pegasus_linear(const PegasusCoord& c, int m);
PegasusCoord pegasus_coord(int64_t q, int m);
// Chimera (i, j, u, k): q = ((i n + j) 2 + u) t + k
struct ChimeraCoord {
  int i, j, u, k;
};
int64_t chimera_linear(const ChimeraCoord& c, int n, int t);
ChimeraCoord chimera_coord(int64_t q, int n, int t);

// Partition (0..3) of a qubit for the 4-partite RBM: Zephyr (2u + w + 2z + j) mod 4, Pegasus
// 2u + ((k ^ z) & 1) (dnx pegasus_four_color), Chimera 2u + ((i + j) & 1)... (proper colourings).
int four_color(const QubitGraph& g, int64_t q);

}  // namespace calo
