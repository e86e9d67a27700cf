#include "qpu/standin_job.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "host/topology/graph.hpp"
#include "qpu/flux_constants.hpp"
#include "qpu/ising_math.hpp"

namespace calo::qpu {

namespace {
[[noreturn]] void reject(const std::string& msg, int code = 400) {
  throw JobError{code, msg};
}

bool has_range(const double (&r)[2]) {
  return r[0] != 0 || r[1] != 0;
}

double number(const nlohmann::json& params, const char* key) {
  const auto& v = params.at(key);
  if (!v.is_number()) reject(fmt::format("Parameter '{}' must be a number.", key));
  return v.get<double>();
}

bool boolean(const nlohmann::json& params, const char* key, bool fallback) {
  if (!params.contains(key)) return fallback;
  if (!params[key].is_boolean()) reject(fmt::format("Parameter '{}' must be a boolean.", key));
  return params[key].get<bool>();
}

void within(double v, const double (&r)[2], const std::string& what, const char* range) {
  if (!(v >= r[0] && v <= r[1]))
    reject(fmt::format("{} = {} is outside {} [{}, {}].", what, v, range, r[0], r[1]));
}

std::vector<double> num_qubits_list(const nlohmann::json& params, const char* key, int n) {
  const auto& v = params.at(key);
  if (!v.is_array() ||
      !std::all_of(v.begin(), v.end(), [](const auto& x) { return x.is_number(); }))
    reject(fmt::format("Parameter '{}' must be a list of numbers.", key));
  if (v.size() != size_t(n))
    reject(fmt::format("{} must have num_qubits = {} entries, got {}.", key, n, v.size()));
  return v.get<std::vector<double>>();
}

// [[t, v], ...] with t starting at 0 and strictly increasing; returns the pairs.
std::vector<std::pair<double, double>> schedule(const nlohmann::json& params, const char* key,
                                                int max_points) {
  const auto& v = params.at(key);
  std::vector<std::pair<double, double>> out;
  if (!v.is_array() || v.size() < 2)
    reject(fmt::format("Parameter '{}' must be a list of at least two [t, value] points.", key));
  if (int(v.size()) > max_points)
    reject(
        fmt::format("{} has {} points; the solver allows at most {}.", key, v.size(), max_points));
  for (const auto& p : v) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
      reject(fmt::format("Every point of '{}' must be a [t, value] pair of numbers.", key));
    out.emplace_back(p[0].get<double>(), p[1].get<double>());
  }
  if (out.front().first != 0) reject(fmt::format("{} must start at t = 0.", key));
  for (size_t i = 1; i < out.size(); ++i)
    if (!(out[i].first > out[i - 1].first))
      reject(fmt::format("{} times must increase strictly (point {}).", key, i));
  return out;
}

int floor_div(int a, int b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

IsingProblem qubo_to_ising(const IsingProblem& q) {
  IsingProblem s;
  for (const auto& [v, a] : q.h) s.h[v] += a / 2;
  for (const auto& [e, b] : q.J) {
    s.J[e] = b / 4;
    s.h[e.first] += b / 4;
    s.h[e.second] += b / 4;
  }
  return s;
}
}  // namespace

std::map<std::pair<int, int>, double> zephyr_group_sums(const IsingProblem& ising, int m, int t) {
  std::map<std::pair<int, int>, double> sums;
  const auto add = [&](int q, int other, double v) {
    const ZephyrCoord a = zephyr_coord(q, m, t), b = zephyr_coord(other, m, t);
    int group;
    if (a.u != b.u)
      group = 2 * a.z + a.j + 1 - b.w;  // internal
    else if (a.w == b.w && a.k == b.k && a.j != b.j)
      group = a.z + a.j - b.z;  // odd
    else
      group = (floor_div(b.z - a.z, 2) % 2 + 2) % 2;  // external (Python // and %)
    sums[{q, group}] += v;
  };
  for (const auto& [e, v] : ising.J) {
    add(e.first, e.second, v);
    add(e.second, e.first, v);
  }
  return sums;
}

double auto_scale_divisor(const IsingProblem& s, const StandinOptions& o) {
  double r = 0;
  const auto ratio = [&r](double v, const double(&range)[2]) {
    if (v > 0 && range[1] > 0) r = std::max(r, v / range[1]);
    if (v < 0 && range[0] < 0) r = std::max(r, v / range[0]);
  };
  for (const auto& [q, v] : s.h) ratio(v, o.h_range);
  for (const auto& [e, v] : s.J) ratio(v, o.extended_j_range);
  if (has_range(o.per_group_coupling_range) && o.topology_type == "zephyr" &&
      o.topology_shape.size() == 2)
    for (const auto& [k, v] : zephyr_group_sums(s, o.topology_shape[0], o.topology_shape[1]))
      ratio(v, o.per_group_coupling_range);
  if (has_range(o.per_qubit_coupling_range)) {
    std::map<int, double> per;
    for (const auto& [e, v] : s.J) {
      per[e.first] += v;
      per[e.second] += v;
    }
    for (const auto& [q, v] : per) ratio(v, o.per_qubit_coupling_range);
  }
  return r > 0 ? r : 1.0;
}

double qubo_energy(const IsingProblem& qubo, const std::vector<int>& active,
                   const std::vector<int8_t>& spins) {
  std::map<int, int> x;
  for (size_t i = 0; i < active.size(); ++i) x[active[i]] = spins[i] > 0 ? 1 : 0;
  double e = 0;
  for (const auto& [q, v] : qubo.h) e += v * x.at(q);
  for (const auto& [p, v] : qubo.J) e += v * x.at(p.first) * x.at(p.second);
  return e;
}

StandinJob prepare_job(const nlohmann::json& job, const StandinOptions& o) {
  if (!job.is_object()) reject("Problem must be a JSON object.");
  if (!job.contains("solver") || !job["solver"].is_object() ||
      job["solver"].value("name", std::string()) != o.solver_name)
    reject("Solver not found.", 404);
  StandinJob out;
  out.type = job.value("type", std::string());
  if (out.type != "ising" && out.type != "qubo")
    reject(fmt::format("Unsupported problem type '{}' (the solver supports 'ising' and 'qubo').",
                       out.type));
  if (!job.contains("data") || !job["data"].is_object() ||
      job["data"].value("format", "") != "qp" || !job["data"].contains("lin") ||
      !job["data"].contains("quad") || !job["data"]["lin"].is_string() ||
      !job["data"]["quad"].is_string())
    reject("Problem data must have format 'qp' with base64 'lin' and 'quad'.");
  try {
    out.programmed = decode_qp(
        o.graph, {job["data"]["lin"].get<std::string>(), job["data"]["quad"].get<std::string>()});
  } catch (const std::exception& e) {
    reject(std::string("Malformed problem data: ") + e.what());
  }
  for (const auto& [q, v] : out.programmed.h) out.active.push_back(q);  // h set on every active
  out.ising = out.type == "qubo" ? qubo_to_ising(out.programmed) : out.programmed;

  const nlohmann::json params = job.value("params", nlohmann::json::object());
  if (!params.is_object()) reject("'params' must be a JSON object.");
  static const std::set<std::string> known = {"num_reads",
                                              "answer_mode",
                                              "auto_scale",
                                              "flux_drift_compensation",
                                              "flux_biases",
                                              "annealing_time",
                                              "anneal_offsets",
                                              "anneal_schedule",
                                              "fast_anneal",
                                              "h_gain_schedule",
                                              "initial_state",
                                              "programming_thermalization",
                                              "readout_thermalization",
                                              "reduce_intersample_correlation",
                                              "reinitialize_state"};
  for (const auto& [k, v] : params.items())
    if (!known.count(k) && k.rfind("x_", 0) != 0) reject("Unknown parameter '" + k + "'.");

  if (params.contains("num_reads")) {
    if (!params["num_reads"].is_number_integer())
      reject("Parameter 'num_reads' must be an integer.");
    out.num_reads = params["num_reads"].get<int>();
  }
  if (out.num_reads < 1 || out.num_reads > o.max_num_reads)
    reject(fmt::format("num_reads = {} is outside num_reads_range [1, {}].", out.num_reads,
                       o.max_num_reads));
  if (params.contains("answer_mode")) {
    const auto& m = params["answer_mode"];
    if (!m.is_string() || (m != "raw" && m != "histogram"))
      reject("answer_mode must be 'raw' or 'histogram'.");
    out.histogram = m == "histogram";
  }
  const bool auto_scale = boolean(params, "auto_scale", true);
  boolean(params, "flux_drift_compensation", true);  // validated; no drift to compensate
  const bool fast = boolean(params, "fast_anneal", false);
  boolean(params, "reduce_intersample_correlation", false);
  boolean(params, "reinitialize_state", true);  // validated; the sampler has no memory

  // Anneal duration: annealing_time or the last point of anneal_schedule.
  double anneal = o.default_annealing_time_us;
  const auto& anneal_range = fast ? o.fast_anneal_time_range : o.annealing_time_range;
  const char* anneal_range_name = fast ? "fast_anneal_time_range" : "annealing_time_range";
  if (params.contains("annealing_time") && params.contains("anneal_schedule"))
    reject("annealing_time and anneal_schedule are mutually exclusive.");
  if (params.contains("annealing_time")) {
    anneal = number(params, "annealing_time");
    within(anneal, anneal_range, "annealing_time", anneal_range_name);
  }
  bool reverse = false;
  if (params.contains("anneal_schedule")) {
    const auto pts = schedule(params, "anneal_schedule", 12);
    for (const auto& [t, s] : pts)
      if (!(s >= 0 && s <= 1)) reject("anneal_schedule s values must lie in [0, 1].");
    if (pts.back().second != 1) reject("anneal_schedule must end at s = 1.");
    if (pts.front().second != 0 && pts.front().second != 1)
      reject("anneal_schedule must start at s = 0 (forward) or s = 1 (reverse).");
    reverse = pts.front().second == 1;
    anneal = pts.back().first;
    within(anneal, anneal_range, "anneal_schedule duration", anneal_range_name);
  }
  if (params.contains("initial_state")) {
    if (!reverse) reject("initial_state requires a reverse anneal_schedule (starting at s = 1).");
    const auto st = num_qubits_list(params, "initial_state", o.graph.num_qubits);
    const double lo = out.type == "qubo" ? 0 : -1;
    for (size_t q = 0; q < st.size(); ++q)
      if (st[q] != lo && st[q] != 1 && st[q] != 3)
        reject(fmt::format("initial_state[{}] = {} is not {}, 1 or 3 (unused).", q, st[q], lo));
  } else if (reverse) {
    reject("A reverse anneal_schedule (starting at s = 1) requires initial_state.");
  }
  if (params.contains("h_gain_schedule"))
    for (const auto& [t, g] : schedule(params, "h_gain_schedule", 20))
      if (!(g >= -4 && g <= 4))
        reject("h_gain_schedule gains must lie in h_gain_schedule_range [-4, 4].");
  if (params.contains("anneal_offsets")) {
    const auto off = num_qubits_list(params, "anneal_offsets", o.graph.num_qubits);
    const std::set<int> working(o.graph.qubits.begin(), o.graph.qubits.end());
    for (size_t q = 0; q < off.size(); ++q) {
      const double zero[2] = {0, 0};
      within(off[q], working.count(int(q)) ? o.anneal_offset_range : zero,
             fmt::format("anneal_offsets[{}]", q), "anneal_offset_ranges");
    }
  }
  double prog_therm = o.default_programming_thermalization_us;
  double read_therm = o.default_readout_thermalization_us;
  if (params.contains("programming_thermalization")) {
    prog_therm = number(params, "programming_thermalization");
    within(prog_therm, o.programming_thermalization_range, "programming_thermalization",
           "programming_thermalization_range");
  }
  if (params.contains("readout_thermalization")) {
    read_therm = number(params, "readout_thermalization");
    within(read_therm, o.readout_thermalization_range, "readout_thermalization",
           "readout_thermalization_range");
  }
  const double run = prog_therm + out.num_reads * (anneal + read_therm);
  if (run > o.problem_run_duration_range[1])
    reject(
        fmt::format("Estimated run duration {} us (programming_thermalization + num_reads * "
                    "(annealing_time + readout_thermalization)) exceeds "
                    "problem_run_duration_range [{}, {}]; lower num_reads.",
                    run, o.problem_run_duration_range[0], o.problem_run_duration_range[1]));

  std::vector<double> fb;
  if (params.contains("flux_biases")) {
    if (auto_scale) reject("flux_biases cannot be used with auto_scale=true.");
    fb = num_qubits_list(params, "flux_biases", o.graph.num_qubits);
  }
  if (!auto_scale) {
    for (const auto& [q, v] : out.ising.h)
      if (v < o.h_range[0] || v > o.h_range[1])
        reject(fmt::format("h on qubit {} is {}, outside h_range [{}, {}].", q, v, o.h_range[0],
                           o.h_range[1]));
    for (const auto& [e, v] : out.ising.J)
      if (v < o.extended_j_range[0] || v > o.extended_j_range[1])
        reject(
            fmt::format("J on coupler ({}, {}) is {}, outside extended_j_range [{}, {}] "
                        "(j_range [{}, {}]).",
                        e.first, e.second, v, o.extended_j_range[0], o.extended_j_range[1],
                        o.j_range[0], o.j_range[1]));
    if (has_range(o.per_group_coupling_range) && o.topology_type == "zephyr" &&
        o.topology_shape.size() == 2)
      for (const auto& [k, v] :
           zephyr_group_sums(out.ising, o.topology_shape[0], o.topology_shape[1]))
        if (v < o.per_group_coupling_range[0] || v > o.per_group_coupling_range[1])
          reject(fmt::format(
              "Sum of J in coupling group {} of qubit {} is {}, outside "
              "per_group_coupling_range [{}, {}].",
              k.second, k.first, v, o.per_group_coupling_range[0], o.per_group_coupling_range[1]));
    if (has_range(o.per_qubit_coupling_range)) {
      std::map<int, double> per;
      for (const auto& [e, v] : out.ising.J) {
        per[e.first] += v;
        per[e.second] += v;
      }
      for (const auto& [q, v] : per)
        if (v < o.per_qubit_coupling_range[0] || v > o.per_qubit_coupling_range[1])
          reject(
              fmt::format("Sum of J on qubit {} is {}, outside per_qubit_coupling_range [{}, "
                          "{}].",
                          q, v, o.per_qubit_coupling_range[0], o.per_qubit_coupling_range[1]));
    }
  } else {
    out.divisor = auto_scale_divisor(out.ising, o);
  }
  out.field = out.ising;
  for (auto& [q, v] : out.field.h) v /= out.divisor;
  for (auto& [e, v] : out.field.J) v /= out.divisor;
  if (!fb.empty()) {
    const double k = flux_constants_for(o.solver_name, o.topology_type).phi0_per_h();
    for (auto& [q, v] : out.field.h) v += fluxbias_to_h(fb[size_t(q)], k);
  }

  const double programming = o.typical_programming_time_us + prog_therm;
  const double delay = o.qpu_delay_time_per_sample_us + read_therm;
  const double per_sample = anneal + o.readout_time_per_sample_us + delay;
  out.timing = {{"qpu_sampling_time", out.num_reads * per_sample},
                {"qpu_anneal_time_per_sample", anneal},
                {"qpu_readout_time_per_sample", o.readout_time_per_sample_us},
                {"qpu_access_time", programming + out.num_reads * per_sample},
                {"qpu_access_overhead_time", 6535.24},
                {"qpu_programming_time", programming},
                {"qpu_delay_time_per_sample", delay},
                {"total_post_processing_time", 0.0},
                {"post_processing_overhead_time", 0.0}};
  return out;
}

}  // namespace calo::qpu
