#include "qpu/solver_profile.hpp"

#include <algorithm>
#include <numeric>
#include <set>

#include <fmt/ranges.h>

#include "host/error.hpp"
#include "kernels/philox.hpp"
#include "qpu/standin_topology.hpp"

namespace calo::qpu {

namespace {
// Ranks items by a Philox draw and returns the `count` lowest-ranked indices (the ones to drop).
std::set<size_t> pick(size_t n, size_t count, uint64_t seed, uint64_t stream) {
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), size_t(0));
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const float ua = calo::uniform(seed, stream, a), ub = calo::uniform(seed, stream, b);
    return ua != ub ? ua < ub : a < b;
  });
  return std::set<size_t>(idx.begin(), idx.begin() + std::ptrdiff_t(count));
}

StandinOptions from_topology(const std::string& spec) {
  const StandinTopology t = standin_topology(spec);
  StandinOptions o;
  o.graph = t.graph;
  o.topology_type = t.type;
  o.topology_shape = t.shape;
  return o;
}
}  // namespace

std::vector<std::string> standin_profile_names() {
  return {"Advantage2_standin", "Advantage2_system1", "Advantage_system4.1"};
}

SolverGraph thin_graph(const SolverGraph& full, int working_qubits, int working_couplers,
                       uint64_t seed) {
  if (working_qubits > int(full.qubits.size()) || working_qubits < 0)
    fail_input("cannot keep {} working qubits of a graph with {}", working_qubits,
               full.qubits.size());
  const auto gone_q =
      pick(full.qubits.size(), full.qubits.size() - size_t(working_qubits), seed, 91);
  SolverGraph g;
  g.num_qubits = full.num_qubits;
  std::set<int> dead;
  for (size_t i = 0; i < full.qubits.size(); ++i)
    if (gone_q.count(i))
      dead.insert(full.qubits[i]);
    else
      g.qubits.push_back(full.qubits[i]);
  std::vector<std::pair<int, int>> alive;
  for (const auto& e : full.couplers)
    if (!dead.count(e.first) && !dead.count(e.second)) alive.push_back(e);
  if (int(alive.size()) < working_couplers)
    fail_input("removing {} qubits left {} couplers, fewer than the {} wanted",
               full.qubits.size() - size_t(working_qubits), alive.size(), working_couplers);
  const auto gone_c = pick(alive.size(), alive.size() - size_t(working_couplers), seed, 92);
  for (size_t i = 0; i < alive.size(); ++i)
    if (!gone_c.count(i)) g.couplers.push_back(alive[i]);
  return g;
}

StandinOptions standin_profile(const std::string& name, uint64_t seed) {
  StandinOptions o;
  if (name == "Advantage2_standin") {
    o = from_topology("zephyr:6,4");
    o.chip_id = "Advantage2_standin";
    o.per_group_coupling_range[0] = -13;
    o.per_group_coupling_range[1] = 10;
  } else if (name == "Advantage2_system1") {
    o = from_topology("zephyr:12,4");
    o.graph = thin_graph(o.graph, 4577, 41515, seed);
    o.chip_id = "Advantage2_system1.6";
    o.per_group_coupling_range[0] = -13;
    o.per_group_coupling_range[1] = 10;
    // Advantage2_system1 published timing: programming ~33600 us, delay 60.6 us per sample.
    o.typical_programming_time_us = 32600;
    o.qpu_delay_time_per_sample_us = 60.6;
    o.readout_time_per_sample_us = 57.0;
  } else if (name == "Advantage_system4.1") {
    o = from_topology("pegasus:16");
    o.graph = thin_graph(o.graph, 5627, 40279, seed);
    o.chip_id = "Advantage_system4.1";
    o.per_qubit_coupling_range[0] = -18;
    o.per_qubit_coupling_range[1] = 15;
  } else {
    fail_input("unknown stand-in solver profile '{}'; known: {}", name,
               fmt::join(standin_profile_names(), ", "));
  }
  o.solver_name = name;
  o.seed = seed;
  return o;
}

nlohmann::json standin_solver_properties(const StandinOptions& o) {
  nlohmann::json couplers = nlohmann::json::array();
  for (const auto& [a, b] : o.graph.couplers) couplers.push_back({a, b});
  const auto range = [](const double(&r)[2]) { return nlohmann::json::array({r[0], r[1]}); };
  nlohmann::json offsets = nlohmann::json::array();
  std::set<int> working(o.graph.qubits.begin(), o.graph.qubits.end());
  for (int q = 0; q < o.graph.num_qubits; ++q)
    offsets.push_back(working.count(q) ? range(o.anneal_offset_range)
                                       : nlohmann::json::array({0.0, 0.0}));
  const nlohmann::json timing = {
      {"version", "1.0.0"},
      {"typical_programming_time", o.typical_programming_time_us},
      {"reverse_annealing_with_reinit_prog_time_delta", 0.0},
      {"reverse_annealing_without_reinit_prog_time_delta", 5.55},
      {"default_programming_thermalization", o.default_programming_thermalization_us},
      {"default_annealing_time", o.default_annealing_time_us},
      {"readout_time_model", "pwl_log_log"},
      // Advantage_system4.1 readout model (dwave-cloud-client testing mocks, August 2022).
      {"readout_time_model_parameters",
       {0.0, 0.7699665876947938, 1.7242758696010096, 2.711975459489206, 3.1639057672764026,
        3.750276915153992, 1.539131714800995, 1.8726623164229292, 2.125631787097315,
        2.332672340068556, 2.371606651233025, 2.3716219271760215}},
      {"qpu_delay_time_per_sample", o.qpu_delay_time_per_sample_us},
      {"reverse_annealing_with_reinit_delay_time_delta", -4.5},
      {"reverse_annealing_without_reinit_delay_time_delta", -1.5},
      {"default_readout_thermalization", o.default_readout_thermalization_us},
      {"decorrelation_max_nominal_anneal_time", 2000.0},
      {"decorrelation_time_range", {500.0, 10000.0}}};
  nlohmann::json p = {
      {"category", "qpu"},
      {"chip_id", o.chip_id.empty() ? o.solver_name : o.chip_id},
      {"tags", {"standin", "lowpass"}},
      {"supported_problem_types", {"ising", "qubo"}},
      {"topology", {{"type", o.topology_type}, {"shape", o.topology_shape}}},
      {"num_qubits", o.graph.num_qubits},
      {"qubits", o.graph.qubits},
      {"couplers", couplers},
      {"h_range", range(o.h_range)},
      {"j_range", range(o.j_range)},
      {"extended_j_range", range(o.extended_j_range)},
      {"num_reads_range", {1, o.max_num_reads}},
      {"annealing_time_range", range(o.annealing_time_range)},
      {"fast_anneal_time_range", range(o.fast_anneal_time_range)},
      {"default_annealing_time", o.default_annealing_time_us},
      {"default_programming_thermalization", o.default_programming_thermalization_us},
      {"default_readout_thermalization", o.default_readout_thermalization_us},
      {"programming_thermalization_range", range(o.programming_thermalization_range)},
      {"readout_thermalization_range", range(o.readout_thermalization_range)},
      {"problem_run_duration_range", range(o.problem_run_duration_range)},
      {"problem_timing_data", timing},
      {"anneal_offset_ranges", offsets},
      {"anneal_offset_step", -0.0001500217998314891},
      {"anneal_offset_step_phi0", 1.4303846404537006e-05},
      {"max_anneal_schedule_points", 12},
      {"max_h_gain_schedule_points", 20},
      {"h_gain_schedule_range", {-4, 4}},
      {"problem_type", {"ising", "qubo"}},
      {"vfyc", false},
      {"parameters",
       {{"num_reads", "Number of states to read (answers to return)."},
        {"answer_mode", "Whether to return a histogram (default) or every read (raw)."},
        {"auto_scale", "Rescale h and J to the h_range and extended_j_range (default true)."},
        {"flux_biases", "Per-qubit flux bias offsets in Phi0 (length num_qubits)."},
        {"flux_drift_compensation", "Whether the QPU compensates for flux drift (default true)."},
        {"annealing_time", "Quantum annealing duration per read, in microseconds."},
        {"anneal_offsets", "Per-qubit anneal offsets (length num_qubits)."},
        {"anneal_schedule", "Piecewise-linear anneal schedule [[t, s], ...]."},
        {"fast_anneal", "Use the fast-anneal protocol."},
        {"h_gain_schedule", "Piecewise-linear time-dependent gain on h [[t, g], ...]."},
        {"initial_state", "Initial state for reverse annealing (length num_qubits, 3 = unused)."},
        {"programming_thermalization", "Wait after programming, in microseconds."},
        {"readout_thermalization", "Wait after each read, in microseconds."},
        {"reduce_intersample_correlation", "Add delay between reads to decorrelate them."},
        {"reinitialize_state", "Reapply initial_state before every read (reverse annealing)."}}}};
  if (o.per_group_coupling_range[0] != 0 || o.per_group_coupling_range[1] != 0)
    p["per_group_coupling_range"] = range(o.per_group_coupling_range);
  if (o.per_qubit_coupling_range[0] != 0 || o.per_qubit_coupling_range[1] != 0)
    p["per_qubit_coupling_range"] = range(o.per_qubit_coupling_range);
  return p;
}

}  // namespace calo::qpu
