#pragma once
// The small solver graph the SAPI tests serve: 10 nominal qubits, qubit 4 missing (yield), a ring
// 0-1-2-3-5-6-7-8-9-0 plus chords.
#include "qpu/sapi_client.hpp"

namespace calo::qpu {

inline SolverGraph ring_test_graph() {
  SolverGraph g;
  g.num_qubits = 10;
  g.qubits = {0, 1, 2, 3, 5, 6, 7, 8, 9};
  g.couplers = {{0, 1}, {1, 2}, {2, 3}, {3, 5}, {5, 6}, {6, 7},
                {7, 8}, {8, 9}, {0, 9}, {0, 5}, {2, 7}};
  return g;
}

}  // namespace calo::qpu
