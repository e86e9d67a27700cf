#pragma once
// Solver profiles for the SAPI stand-in: the properties a real QPU solver advertises (ranges,
// timing model, thermalization defaults, anneal-offset ranges, coupling limits, chip_id, tags)
// and its working graph, for the machines the stand-in mimics (selectable by name):
//   Advantage2_standin   Zephyr Z(6,4), full yield (the historical default)
//   Advantage2_system1   Zephyr Z(12,4), 4577 of 4800 qubits and 41515 of 45864 couplers working
//   Advantage_system4.1  Pegasus P16, 5627 of 5640 fabric qubits and 40279 couplers working
// The inactive qubits and couplers are drawn with Philox from the seed, so the counts match
// D-Wave's published ones (solver_properties_specific) while the exact sets are synthetic.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "qpu/sapi_standin.hpp"

namespace calo::qpu {

// Names accepted by standin_profile().
std::vector<std::string> standin_profile_names();
// Options of a named profile (solver_name = profile name); throws InputError listing the names.
StandinOptions standin_profile(const std::string& name, uint64_t seed = 1);
// The "properties" object of the solver definition the stand-in serves for `options`.
nlohmann::json standin_solver_properties(const StandinOptions& options);
// Removes qubits, then couplers, at random (Philox, seed) until exactly `working_qubits` and
// `working_couplers` remain; InputError when the graph is too small.
SolverGraph thin_graph(const SolverGraph& full, int working_qubits, int working_couplers,
                       uint64_t seed);

}  // namespace calo::qpu
