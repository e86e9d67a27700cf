// calo_sapi_standin: an offline SAPI-compatible HTTP server. It lists one solver (a named profile
// of a real machine, or a given topology), accepts ising and qubo problems in qp encoding, samples
// them with Gibbs at a hidden inverse temperature (flux biases act as strong fields) and answers
// like SAPI (raw or histogram), so the QPU path (calo_gen --backend qpu, calo_qpu_calibrate) and
// dwave-cloud-client run without an annealer:
//   calo_sapi_standin --port 8123 --beta 5 --profile Advantage2_system1 &
//   DWAVE_API_ENDPOINT=http://127.0.0.1:8123/sapi/v2/ DWAVE_API_TOKEN=standin-token calo_gen ...
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#include <fmt/ranges.h>

#include "host/error.hpp"
#include "host/log.hpp"
#include "host/runtime_policy.hpp"
#include "qpu/sapi_standin.hpp"
#include "qpu/solver_profile.hpp"
#include "qpu/standin_topology.hpp"

namespace {
calo::qpu::StandinServer* g_server = nullptr;
void on_signal(int) {
  if (g_server) g_server->stop();
}
}  // namespace

int main(int argc, char** argv) {
  calo::apply_runtime_policy(argc, argv);
  CLI::App app{"Offline SAPI stand-in: Gibbs sampling at a hidden inverse temperature"};
  int port = 8123;
  std::string host = "127.0.0.1", topology, token = "standin-token", solver, profile,
              log_level = "info";
  double beta = 5.0, missing = 0.0, delay = 0.0, queue = 0.0;
  int sweeps = 300, fail_first = 0;
  uint64_t seed = 1;
  app.add_option("--port", port, "TCP port to listen on")->required();
  app.add_option("--host", host, "address to bind (loopback by default)");
  app.add_option("--beta", beta, "hidden inverse temperature of the samples")
      ->check(CLI::PositiveNumber);
  app.add_option("--profile", profile,
                 "solver profile: Advantage2_standin (Z(6,4), default), Advantage2_system1 "
                 "(Z(12,4), 4577 qubits), Advantage_system4.1 (P16, 5627 qubits)");
  app.add_option("--topology", topology,
                 "solver graph instead of the profile's: zephyr:m,t, pegasus:m or grid:s");
  app.add_option("--queue", queue, "seconds a problem stays PENDING before it completes")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--missing-fraction", missing, "fraction of qubits removed to mimic yield")
      ->check(CLI::Range(0.0, 0.9));
  app.add_option("--token", token, "the API token clients must send (X-Auth-Token)");
  app.add_option("--solver", solver, "solver name to advertise (default: the profile name)");
  app.add_option("--sweeps", sweeps, "Gibbs sweeps per read")->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "random seed");
  app.add_option("--fail-first", fail_first, "answer the first k requests with HTTP 503");
  app.add_option("--delay", delay, "seconds to wait before every reply");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  try {
    calo::init_logging(log_level);
    calo::qpu::StandinOptions o =
        calo::qpu::standin_profile(profile.empty() ? "Advantage2_standin" : profile, seed);
    if (!topology.empty() || missing > 0) {
      const std::string spec =
          topology.empty() ? fmt::format("{}:{}", o.topology_type, fmt::join(o.topology_shape, ","))
                           : topology;
      const auto topo = calo::qpu::standin_topology(spec, missing, seed);
      o.graph = topo.graph;
      o.topology_type = topo.type;
      o.topology_shape = topo.shape;
      if (o.topology_type != "zephyr")
        o.per_group_coupling_range[0] = o.per_group_coupling_range[1] = 0;
    }
    o.token = token;
    if (!solver.empty()) o.solver_name = solver;
    o.queue_s = queue;
    o.beta = beta;
    o.sweeps = sweeps;
    o.seed = seed;
    o.fail_first = fail_first;
    o.delay_s = delay;
    calo::qpu::StandinServer server(o);
    g_server = &server;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    spdlog::info(
        "SAPI stand-in: solver {} ({} of {} qubits, {} couplers) at http://{}:{}/sapi/ (also "
        "/sapi/v2/; Metadata API at /metadata/v1/)",
        o.solver_name, o.graph.qubits.size(), o.graph.num_qubits, o.graph.couplers.size(), host,
        port);
    server.run(host, port);
    g_server = nullptr;
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
