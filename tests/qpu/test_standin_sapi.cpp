// The SAPI stand-in as D-Wave's client sees it (issue 16, items 1-9): /sapi/v2/ and regional
// prefixes, QUBO problems, answer modes, extended_j_range and the documented auto_scale divisor,
// annealing_time and thermalization parameters in the timing, the full parameter list, batch
// cancel / listing / info / messages, the properties Ocean's helpers read, and solver profiles of
// the real machines.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "host/error.hpp"
#include "host/topology/graph.hpp"
#include "qpu/qp_codec.hpp"
#include "qpu/sapi_client.hpp"
#include "qpu/sapi_standin.hpp"
#include "qpu/solver_profile.hpp"
#include "qpu/standin_job.hpp"
#include "tests/qpu/ring_graph.hpp"

using namespace calo::qpu;
using nlohmann::json;

namespace {
StandinOptions options() {
  StandinOptions o;
  o.graph = ring_test_graph();
  o.topology_shape = {1, 1};
  o.token = "tok-standin-1";
  o.sweeps = 30;
  return o;
}

SapiConfig config(const std::string& endpoint) {
  SapiConfig c;
  c.endpoint = endpoint;
  c.token = "tok-standin-1";
  c.timeout_s = 10;
  c.retries = 1;
  c.backoff_s = 0.01;
  c.poll_timeout_s = 1;
  return c;
}

json job(const StandinServer& s, const std::string& type, const IsingProblem& p, const json& params,
         const std::string& label = "") {
  const QpData qp = encode_qp(ring_test_graph(), p);
  json j = {{"solver", s.solver_config()["identity"]},
            {"type", type},
            {"data", {{"format", "qp"}, {"lin", qp.lin}, {"quad", qp.quad}}},
            {"params", params}};
  if (!label.empty()) j["label"] = label;
  return j;
}

// POSTs one job and returns the reply item (a status with answer, or an error item).
json submit(SapiClient& c, const json& one) {
  return json::parse(
      c.request("POST", "problems/", "problems+json", json::array({one}).dump()).body)[0];
}

std::string error_of(const json& item) {
  return item.contains("error_msg") ? item["error_msg"].get<std::string>() : "";
}

IsingProblem chain3() {  // qubits 0-1-2
  IsingProblem p;
  p.h = {{0, 0.2}, {1, -0.3}, {2, 0.1}};
  p.add_J(0, 1, -0.5);
  p.add_J(1, 2, 0.4);
  return p;
}
}  // namespace

TEST(StandinSapi, ServesSapiV2AndRegionalPrefixes) {
  StandinServer server(options());
  const int port = server.start();
  for (const std::string path : {"/sapi/", "/sapi/v2/", "/eu-central-1/sapi/v2/"}) {
    SapiClient c(config("http://127.0.0.1:" + std::to_string(port) + path));
    ASSERT_EQ(c.list_solvers().size(), 1u) << path;
    const QpAnswer a = c.sample_ising(c.get_solver("Advantage2_standin"), chain3(),
                                      {{"num_reads", 3}, {"answer_mode", "raw"}});
    EXPECT_EQ(a.solutions.size(), 3u) << path;
  }
  SapiClient bad(config("http://127.0.0.1:" + std::to_string(port) + "/sapi/v3/"));
  EXPECT_THROW(bad.list_solvers(), calo::RemoteError);
}

TEST(StandinSapi, QuboIsSampledAtBetaAndScoredAsQubo) {
  StandinOptions o = options();
  o.beta = 1.3;
  StandinServer server(o);
  server.start();
  SapiClient c(config(server.endpoint()));
  IsingProblem q;  // Q on x in {0,1}: diagonal in h, off-diagonal in J
  q.h = {{0, -1.0}, {1, 0.5}, {2, -0.25}};
  q.add_J(0, 1, 1.5);
  q.add_J(1, 2, -2.0);
  const int reads = 8000;
  const json r =
      submit(c, job(server, "qubo", q,
                    {{"num_reads", reads}, {"answer_mode", "raw"}, {"auto_scale", false}}));
  ASSERT_EQ(r.value("status", ""), "COMPLETED") << r.dump();
  EXPECT_EQ(r["type"], "qubo");
  const QpAnswer a = decode_qp_answer(r["answer"]);
  ASSERT_EQ(a.solutions.size(), size_t(reads));
  std::vector<double> freq(8, 0.0), exact(8, 0.0);
  double z = 0;
  for (int k = 0; k < 8; ++k) {
    std::vector<int8_t> s = {int8_t(k & 1 ? 1 : -1), int8_t(k & 2 ? 1 : -1),
                             int8_t(k & 4 ? 1 : -1)};
    exact[size_t(k)] = std::exp(-o.beta * qubo_energy(q, {0, 1, 2}, s));
    z += exact[size_t(k)];
  }
  for (size_t i = 0; i < a.solutions.size(); ++i) {
    const auto& s = a.solutions[i];
    EXPECT_NEAR(a.energies[i], qubo_energy(q, a.active_variables, s), 1e-12);
    freq[size_t((s[0] > 0) + 2 * (s[1] > 0) + 4 * (s[2] > 0))] += 1.0 / reads;
  }
  for (int k = 0; k < 8; ++k) {
    const double pk = exact[size_t(k)] / z;
    EXPECT_NEAR(freq[size_t(k)], pk, 4 * std::sqrt(pk * (1 - pk) / reads) + 1e-3) << k;
  }
  // Range checks apply to the Ising form: Q_01 = 10 gives J = 2.5 > 1.
  IsingProblem big = q;
  big.J[{0, 1}] = 10;
  EXPECT_NE(error_of(submit(c, job(server, "qubo", big, {{"auto_scale", false}})))
                .find("J on coupler (0, 1) is 2.5"),
            std::string::npos);
  EXPECT_NE(error_of(submit(c, job(server, "bqm", q, json::object()))).find("'ising' and 'qubo'"),
            std::string::npos);
}

TEST(StandinSapi, HistogramIsTheDefaultAndMergesReads) {
  StandinServer server(options());
  server.start();
  SapiClient c(config(server.endpoint()));
  const int reads = 500;
  for (const json& params :
       {json{{"num_reads", reads}}, json{{"num_reads", reads}, {"answer_mode", "histogram"}}}) {
    const QpAnswer h =
        decode_qp_answer(submit(c, job(server, "ising", chain3(), params))["answer"]);
    EXPECT_LE(h.solutions.size(), 8u);  // 3 spins: at most 8 distinct rows
    EXPECT_EQ(std::set<std::vector<int8_t>>(h.solutions.begin(), h.solutions.end()).size(),
              h.solutions.size());
    int total = 0;
    for (int n : h.num_occurrences) total += n;
    EXPECT_EQ(total, reads);
    EXPECT_TRUE(std::is_sorted(h.energies.begin(), h.energies.end()));
  }
  const QpAnswer raw = decode_qp_answer(submit(
      c, job(server, "ising", chain3(), {{"num_reads", reads}, {"answer_mode", "raw"}}))["answer"]);
  EXPECT_EQ(raw.solutions.size(), size_t(reads));
  EXPECT_FALSE(std::is_sorted(raw.energies.begin(), raw.energies.end()));
  EXPECT_NE(error_of(submit(c, job(server, "ising", chain3(), {{"answer_mode", "sorted"}})))
                .find("'raw' or 'histogram'"),
            std::string::npos);
}

TEST(StandinSapi, ExtendedJRangeAndDocumentedAutoScaleDivisor) {
  StandinServer server(options());
  server.start();
  SapiClient c(config(server.endpoint()));
  IsingProblem p = chain3();
  p.J[{0, 1}] = -1.5;  // outside j_range [-1, 1], inside extended_j_range [-2, 1]
  EXPECT_EQ(submit(c, job(server, "ising", p, {{"auto_scale", false}}))["status"], "COMPLETED");
  p.J[{0, 1}] = -2.5;
  EXPECT_NE(error_of(submit(c, job(server, "ising", p, {{"auto_scale", false}})))
                .find("extended_j_range [-2, 1]"),
            std::string::npos);
  p.J[{1, 2}] = 1.5;  // positive side of the extended range stays at 1
  p.J[{0, 1}] = 0;
  EXPECT_NE(
      error_of(submit(c, job(server, "ising", p, {{"auto_scale", false}}))).find("(1, 2) is 1.5"),
      std::string::npos);
  // Divisor: max(max h / 4, min h / -4, max J / 1, min J / -2, coupling limit).
  const StandinOptions o = options();
  IsingProblem d;
  d.h = {{0, 0.5}, {1, 0}};
  d.add_J(0, 1, -1.6);
  EXPECT_DOUBLE_EQ(auto_scale_divisor(d, o), 0.8);  // J = -1.6 -> -2
  d.h[0] = 6;
  EXPECT_DOUBLE_EQ(auto_scale_divisor(d, o), 1.5);
  d.h[0] = -6;
  d.J[{0, 1}] = 0.9;
  EXPECT_DOUBLE_EQ(auto_scale_divisor(d, o), 1.5);
  d.h = {{0, 0.1}, {1, 0.0}};
  d.J[{0, 1}] = 0.25;
  EXPECT_DOUBLE_EQ(auto_scale_divisor(d, o), 0.25);  // small problems are scaled up
}

TEST(StandinSapi, ZephyrCouplingGroupsSplitEachQubitIntoTwoGroupsOfTen) {
  const calo::QubitGraph g = calo::zephyr_graph(3, 4);
  IsingProblem p;
  for (const auto& [a, b] : g.edges) p.add_J(int(a), int(b), 1.0);
  const auto sums = zephyr_group_sums(p, 3, 4);
  std::map<int, std::vector<double>> per;
  for (const auto& [k, v] : sums) {
    ASSERT_TRUE(k.second == 0 || k.second == 1) << "qubit " << k.first << " group " << k.second;
    per[k.first].push_back(v);
  }
  int full = 0;
  for (const auto& [q, v] : per)
    if (v.size() == 2 && v[0] == 10 && v[1] == 10) ++full;
  EXPECT_GT(full, 0);  // interior qubits: 20 couplers, 10 per group
  for (const auto& [k, v] : sums) EXPECT_LE(v, 10) << k.first;
  // The Advantage2 profile enforces per_group_coupling_range [-13, 10] without auto_scale.
  StandinOptions o = standin_profile("Advantage2_standin");
  IsingProblem one;
  const calo::QubitGraph z6 = calo::zephyr_graph(6, 4);
  int q = -1;
  for (const auto& [k, v] : zephyr_group_sums(
           [&] {
             IsingProblem all;
             for (const auto& [a, b] : z6.edges) all.add_J(int(a), int(b), 1.0);
             return all;
           }(),
           6, 4))
    if (v == 10) {
      q = k.first;
      break;
    }
  ASSERT_GE(q, 0);
  for (const auto& [a, b] : z6.edges)
    if (a == q || b == q) one.add_J(int(a), int(b), -0.9);  // 10 x -0.9 = -9 per group: fine
  // Group sums of -9 against -13 beat J / extended min (0.45): divisor 9/13.
  EXPECT_NEAR(auto_scale_divisor(one, o), 9.0 / 13, 1e-12);
  StandinOptions no_groups = o;
  no_groups.per_group_coupling_range[0] = no_groups.per_group_coupling_range[1] = 0;
  EXPECT_NEAR(auto_scale_divisor(one, no_groups), 0.45, 1e-12);
}

TEST(StandinSapi, AnnealingTimeIsValidatedAndDrivesTheTiming) {
  StandinServer server(options());
  server.start();
  SapiClient c(config(server.endpoint()));
  for (double t : {-5.0, 0.1, 5000.0})
    EXPECT_NE(error_of(submit(c, job(server, "ising", chain3(), {{"annealing_time", t}})))
                  .find("annealing_time_range [0.5, 2000]"),
              std::string::npos)
        << t;
  const json r = submit(c, job(server, "ising", chain3(),
                               {{"num_reads", 10},
                                {"annealing_time", 100.0},
                                {"readout_thermalization", 7.0},
                                {"programming_thermalization", 250.0}}));
  const json& t = r["answer"]["timing"];
  EXPECT_DOUBLE_EQ(t["qpu_anneal_time_per_sample"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(t["qpu_delay_time_per_sample"].get<double>(), 20.54 + 7.0);
  EXPECT_DOUBLE_EQ(t["qpu_programming_time"].get<double>(), 14062.36 + 250.0);
  EXPECT_DOUBLE_EQ(t["qpu_sampling_time"].get<double>(), 10 * (100.0 + 36.4 + 27.54));
  EXPECT_DOUBLE_EQ(t["qpu_access_time"].get<double>(), 14312.36 + 10 * (100.0 + 36.4 + 27.54));
  // Defaults reproduce the historical Advantage timing.
  const json d = submit(c, job(server, "ising", chain3(), {{"num_reads", 10}}))["answer"]["timing"];
  EXPECT_DOUBLE_EQ(d["qpu_programming_time"].get<double>(), 15062.36);
  EXPECT_DOUBLE_EQ(d["qpu_anneal_time_per_sample"].get<double>(), 20.0);
}

TEST(StandinSapi, EveryAdvertisedParameterIsAcceptedAndChecked) {
  StandinServer server(options());
  server.start();
  SapiClient c(config(server.endpoint()));
  const json params = server.solver_config()["properties"]["parameters"];
  for (const char* name :
       {"num_reads", "answer_mode", "auto_scale", "flux_biases", "flux_drift_compensation",
        "annealing_time", "anneal_offsets", "anneal_schedule", "fast_anneal", "h_gain_schedule",
        "initial_state", "programming_thermalization", "readout_thermalization",
        "reduce_intersample_correlation", "reinitialize_state"})
    EXPECT_TRUE(params.contains(name)) << name;
  std::vector<double> offsets(10, 0.0), state(10, 3.0);
  offsets[0] = 0.1;
  for (int q : {0, 1, 2}) state[size_t(q)] = 1;
  const json ok = {{"anneal_offsets", offsets},
                   {"h_gain_schedule", {{0, 1}, {20, 1}}},
                   {"reduce_intersample_correlation", true},
                   {"fast_anneal", false},
                   {"anneal_schedule", {{0, 1}, {5, 0.45}, {10, 1}}},
                   {"initial_state", state},
                   {"reinitialize_state", true},
                   {"x_experimental", 1}};
  const json r = submit(c, job(server, "ising", chain3(), ok));
  ASSERT_EQ(r.value("status", ""), "COMPLETED") << r.dump();
  EXPECT_DOUBLE_EQ(r["answer"]["timing"]["qpu_anneal_time_per_sample"].get<double>(), 10.0);
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"anneal_offsets", std::vector<double>(3, 0.0)}}, "num_qubits = 10"},
      {{{"anneal_offsets", std::vector<double>(10, 0.9)}}, "anneal_offset_ranges"},
      {{{"anneal_schedule", {{0, 1}, {10, 1}}}}, "requires initial_state"},
      {{{"anneal_schedule", {{0, 0}, {10, 0.5}}}}, "end at s = 1"},
      {{{"anneal_schedule", {{0, 0}, {10, 1}}}, {"annealing_time", 10}}, "mutually exclusive"},
      {{{"initial_state", state}}, "requires a reverse anneal_schedule"},
      {{{"h_gain_schedule", {{0, 1}, {0, 2}}}}, "increase strictly"},
      {{{"readout_thermalization", -1}}, "readout_thermalization_range"},
      {{{"programming_thermalization", 20000}}, "programming_thermalization_range"},
      {{{"fast_anneal", "yes"}}, "must be a boolean"},
      {{{"num_reads", 20000}}, "num_reads_range"},
  };
  for (const auto& [p, want] : bad)
    EXPECT_NE(error_of(submit(c, job(server, "ising", chain3(), p))).find(want), std::string::npos)
        << p.dump() << " -> " << error_of(submit(c, job(server, "ising", chain3(), p)));
}

TEST(StandinSapi, BatchCancelListInfoAndMessages) {
  StandinOptions o = options();
  o.queue_s = 60;  // problems stay PENDING
  StandinServer server(o);
  server.start();
  SapiClient c(config(server.endpoint()));
  const std::string a =
      submit(c, job(server, "ising", chain3(), {{"num_reads", 2}}, "first"))["id"];
  const std::string b =
      submit(c, job(server, "qubo", chain3(), {{"num_reads", 2}}, "second"))["id"];
  const json list = json::parse(c.request("GET", "problems/", "problems+json").body);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], b);  // newest first
  EXPECT_EQ(list[0]["status"], "PENDING");
  const json labelled =
      json::parse(c.request("GET", "problems/?label=first", "problems+json").body);
  ASSERT_EQ(labelled.size(), 1u);
  EXPECT_EQ(labelled[0]["id"], a);
  const json info =
      json::parse(c.request("GET", "problems/" + a + "/info", "problem-data+json").body);
  EXPECT_EQ(info["id"], a);
  EXPECT_EQ(info["params"]["num_reads"], 2);
  EXPECT_EQ(info["data"]["format"], "qp");
  EXPECT_EQ(info["metadata"]["label"], "first");
  EXPECT_EQ(info["metadata"]["status"], "PENDING");
  EXPECT_FALSE(info.contains("answer"));
  EXPECT_EQ(
      json::parse(c.request("GET", "problems/" + a + "/messages/", "problem-message+json").body),
      json::array());
  const json cancelled = json::parse(
      c.request("DELETE", "problems/", "problems+json", json::array({a, b, "no-such-id"}).dump())
          .body);
  ASSERT_EQ(cancelled.size(), 3u);
  EXPECT_EQ(cancelled[0]["status"], "CANCELLED");
  EXPECT_EQ(cancelled[1]["status"], "CANCELLED");
  EXPECT_EQ(cancelled[2]["error_code"], 404);
  const json again =
      json::parse(c.request("DELETE", "problems/", "problems+json", json::array({a}).dump()).body);
  EXPECT_EQ(again[0]["error_code"], 409);
  EXPECT_EQ(again[0]["error_msg"], "Problem has been finished.");
  EXPECT_EQ(
      json::parse(c.request("GET", "problems/?status=CANCELLED", "problems+json").body).size(), 2u);
  EXPECT_THROW(c.request("GET", "problems/?status=BOGUS", "problems+json"), calo::RemoteError);
}

TEST(StandinSapi, LongPollBlocksUntilTheQueuedProblemCompletes) {
  StandinOptions o = options();
  o.queue_s = 1.0;
  StandinServer server(o);
  server.start();
  SapiClient c(config(server.endpoint()));
  const std::string id = submit(c, job(server, "ising", chain3(), {{"num_reads", 2}}))["id"];
  const auto t0 = std::chrono::steady_clock::now();
  const json s = json::parse(
      c.request("GET", "problems/?id=" + id + "&timeout=5", "problems+json", "", 5).body);
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(s[0]["status"], "COMPLETED");
  EXPECT_GT(dt, 0.5);
  EXPECT_LT(dt, 4.0);
}

TEST(StandinSapi, PropertiesOceanHelpersReadAreConsistent) {
  StandinServer server(options());
  server.start();
  SapiClient c(config(server.endpoint()));
  const json p = server.solver_config()["properties"];
  for (const char* key :
       {"problem_run_duration_range", "problem_timing_data", "annealing_time_range",
        "default_annealing_time", "default_programming_thermalization",
        "default_readout_thermalization", "programming_thermalization_range",
        "readout_thermalization_range", "anneal_offset_ranges", "chip_id", "tags",
        "extended_j_range", "num_reads_range"})
    EXPECT_TRUE(p.contains(key)) << key;
  EXPECT_EQ(p["anneal_offset_ranges"].size(), 10u);
  EXPECT_EQ(p["anneal_offset_ranges"][4], json::array({0.0, 0.0}));  // inactive qubit
  EXPECT_EQ(p["problem_timing_data"]["version"], "1.0.0");
  // Ocean's max_num_reads(annealing_time = 2000): min(num_reads_range max,
  // (run_duration_max - programming_thermalization) / (annealing_time + readout_thermalization)).
  const double dur = p["problem_run_duration_range"][1],
               prog = p["default_programming_thermalization"],
               read = p["default_readout_thermalization"];
  const int max_reads =
      std::min(p["num_reads_range"][1].get<int>(), int((dur - prog) / (2000 + read)));
  EXPECT_EQ(max_reads, 499);
  EXPECT_EQ(submit(c, job(server, "ising", chain3(),
                          {{"num_reads", max_reads}, {"annealing_time", 2000}}))
                .value("status", ""),
            "COMPLETED");
  EXPECT_NE(error_of(submit(c, job(server, "ising", chain3(),
                                   {{"num_reads", max_reads + 1}, {"annealing_time", 2000}})))
                .find("problem_run_duration_range"),
            std::string::npos);
}

TEST(StandinSapi, ProfilesOfTheRealMachines) {
  const StandinOptions a2 = standin_profile("Advantage2_system1");
  EXPECT_EQ(a2.topology_type, "zephyr");
  EXPECT_EQ(a2.topology_shape, (std::vector<int>{12, 4}));
  EXPECT_EQ(a2.graph.num_qubits, 4800);
  EXPECT_EQ(a2.graph.qubits.size(), 4577u);
  EXPECT_EQ(a2.graph.couplers.size(), 41515u);
  const calo::QubitGraph z12 = calo::zephyr_graph(12, 4);
  const std::set<int> working(a2.graph.qubits.begin(), a2.graph.qubits.end());
  for (const auto& [u, v] : a2.graph.couplers) {
    ASSERT_TRUE(z12.has_edge(u, v)) << u << "-" << v;
    ASSERT_TRUE(working.count(u) && working.count(v));
  }
  const StandinOptions a1 = standin_profile("Advantage_system4.1");
  EXPECT_EQ(a1.topology_type, "pegasus");
  EXPECT_EQ(a1.graph.num_qubits, 5760);
  EXPECT_EQ(a1.graph.qubits.size(), 5627u);
  EXPECT_EQ(a1.graph.couplers.size(), 40279u);
  EXPECT_EQ(standin_profile("Advantage2_system1", 7).graph.qubits.size(), 4577u);
  EXPECT_NE(standin_profile("Advantage2_system1", 7).graph.qubits, a2.graph.qubits);  // seeded
  try {
    standin_profile("Advantage_system9");
    FAIL() << "expected InputError";
  } catch (const calo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("Advantage2_system1"), std::string::npos) << e.what();
  }
  // Served: the client reads the large graph and the profile's limits.
  StandinOptions served = a2;
  served.token = "tok-standin-1";
  StandinServer server(served);
  server.start();
  SapiClient c(config(server.endpoint()));
  const SolverInfo s = c.get_solver("Advantage2_system1");
  EXPECT_EQ(s.graph.couplers.size(), 41515u);
  EXPECT_EQ(s.properties["per_group_coupling_range"], json::array({-13.0, 10.0}));
  EXPECT_EQ(s.properties["chip_id"], "Advantage2_system1.6");
  EXPECT_EQ(s.properties["problem_timing_data"]["qpu_delay_time_per_sample"], 60.6);
}
