#pragma once
// Solver graphs for the stand-in server: "zephyr:m,t" (research/dwave.md section 1, linear index
// q = (((u (2m+1) + w) t + k) 2 + j) m + z) or "grid:s" (an s x s square grid, for tiny tests).
// An optional fraction of qubits is removed at random to mimic yield.
#include <cstdint>
#include <string>
#include <vector>

#include "qpu/qp_codec.hpp"

namespace calo::qpu {

struct StandinTopology {
  std::string type;
  std::vector<int> shape;
  SolverGraph graph;
};

StandinTopology standin_topology(const std::string& spec, double missing_fraction = 0.0,
                                 uint64_t seed = 1);

}  // namespace calo::qpu
