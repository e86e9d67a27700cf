// SAPI client against the in-process stand-in on a loopback port: flows, validation, clamping,
// fault injection (503 then 200, dropped connections, slow replies), malformed answers, and the
// stand-in's Gibbs sampler against exact enumeration.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>

#include "host/error.hpp"
#include "qpu/ising_math.hpp"
#include "qpu/sapi_client.hpp"
#include "qpu/sapi_standin.hpp"
#include "tests/qpu/ring_graph.hpp"

using namespace calo::qpu;

namespace {
StandinOptions options() {
  StandinOptions o;
  o.graph = ring_test_graph();
  o.topology_shape = {1, 1};
  o.token = "s3cr3t-TOKEN-value";
  o.sweeps = 50;
  return o;
}

SapiConfig config(const StandinServer& s, const std::string& token = "s3cr3t-TOKEN-value") {
  SapiConfig c;
  c.endpoint = s.endpoint();
  c.token = token;
  c.timeout_s = 5;
  c.retries = 3;
  c.backoff_s = 0.01;
  c.poll_timeout_s = 1;
  return c;
}

IsingProblem ring_problem() {
  IsingProblem p;
  for (int q : ring_test_graph().qubits) p.h[q] = 0.1 * (q % 3) - 0.1;
  for (const auto& [a, b] : ring_test_graph().couplers) p.add_J(a, b, -0.5);
  return p;
}

nlohmann::json params(int reads) {
  return {{"num_reads", reads}, {"answer_mode", "raw"}, {"auto_scale", false}};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Sapi, SolverPropertiesRoundTrip) {
  StandinServer server(options());
  server.start();
  SapiClient client(config(server));
  const auto solvers = client.list_solvers();
  ASSERT_EQ(solvers.size(), 1u);
  const SolverInfo s = client.get_solver("Advantage2_standin");
  EXPECT_EQ(s.topology_type, "zephyr");
  EXPECT_EQ(s.graph.num_qubits, 10);
  EXPECT_EQ(s.graph.qubits, ring_test_graph().qubits);
  EXPECT_EQ(s.graph.couplers, ring_test_graph().couplers);
  EXPECT_EQ(s.h_range[0], -4);
  EXPECT_EQ(s.j_range[1], 1);
  EXPECT_TRUE(s.parameters.contains("flux_biases"));
  const std::string msg = error_of([&] { client.get_solver("NoSuchSolver"); });
  EXPECT_NE(msg.find("404"), std::string::npos) << msg;
}

TEST(Sapi, SampleReturnsConsistentEnergiesAndTiming) {
  StandinServer server(options());
  server.start();
  SapiClient client(config(server));
  const SolverInfo s = client.get_solver("Advantage2_standin");
  const IsingProblem p = ring_problem();
  const QpAnswer a = client.sample_ising(s, p, params(16), "energies");
  ASSERT_EQ(a.solutions.size(), 16u);
  EXPECT_EQ(a.active_variables, ring_test_graph().qubits);
  for (size_t r = 0; r < a.solutions.size(); ++r)
    EXPECT_NEAR(a.energies[r], ising_energy(p, a.active_variables, a.solutions[r]), 1e-12);
  EXPECT_NEAR(
      a.timing["qpu_access_time"].get<double>(),
      a.timing["qpu_programming_time"].get<double>() + a.timing["qpu_sampling_time"].get<double>(),
      1e-9);
}

TEST(Sapi, FluxBiasedQubitsComeBackClampedInEveryRead) {
  StandinServer server(options());
  server.start();
  SapiClient client(config(server));
  const SolverInfo s = client.get_solver("Advantage2_standin");
  const IsingProblem p = ring_problem();  // ferromagnetic: neighbours pull towards agreement
  std::vector<double> fb(10, 0.0);
  const std::map<int, int> want = {{0, 1}, {2, -1}, {6, 1}, {8, -1}};
  for (const auto& [q, spin] : want) fb[size_t(q)] = h_to_fluxbias(-20.0 * spin);
  nlohmann::json prm = params(64);
  prm["flux_biases"] = fb;
  prm["flux_drift_compensation"] = false;
  const QpAnswer a = client.sample_ising(s, p, prm);
  for (const auto& sol : a.solutions)
    for (size_t i = 0; i < a.active_variables.size(); ++i)
      if (want.count(a.active_variables[i])) {
        EXPECT_EQ(sol[i], want.at(a.active_variables[i]));
      }
}

TEST(Sapi, RejectsMalformedProblemsLikeSapi) {
  StandinServer server(options());
  server.start();
  SapiClient client(config(server));
  SolverInfo s = client.get_solver("Advantage2_standin");
  IsingProblem big = ring_problem();
  big.h[3] = 7.5;
  std::string msg = error_of([&] { client.sample_ising(s, big, params(1)); });
  EXPECT_NE(msg.find("outside h_range"), std::string::npos) << msg;
  nlohmann::json prm = params(1);
  prm["flux_biases"] = std::vector<double>(3, 0.0);
  msg = error_of([&] { client.sample_ising(s, ring_problem(), prm); });
  EXPECT_NE(msg.find("num_qubits = 10"), std::string::npos) << msg;
  prm = params(1);
  prm["bogus_param"] = 1;
  msg = error_of([&] { client.sample_ising(s, ring_problem(), prm); });
  EXPECT_NE(msg.find("bogus_param"), std::string::npos) << msg;
  SolverInfo other = s;
  other.identity["name"] = "Advantage_system9.9";
  msg = error_of([&] { client.sample_ising(other, ring_problem(), params(1)); });
  EXPECT_NE(msg.find("Solver not found"), std::string::npos) << msg;
  // A malformed body straight through the transport: the server's message is quoted.
  msg = error_of([&] { client.request("POST", "problems/", "problems+json", "{not json"); });
  EXPECT_NE(msg.find("JSON list"), std::string::npos) << msg;
  // Bad base64 in 'lin': SAPI answers 200 with an error item; the client quotes it.
  const auto reply =
      nlohmann::json::parse(client
                                .request("POST", "problems/", "problems+json",
                                         R"([{"solver":{"name":"Advantage2_standin"},"type":"ising",
                        "data":{"format":"qp","lin":"@@@@","quad":""}}])")
                                .body);
  ASSERT_TRUE(reply.is_array());
  EXPECT_EQ(reply[0]["error_code"], 400);
  EXPECT_NE(reply[0]["error_msg"].get<std::string>().find("Malformed problem data"),
            std::string::npos);
}

TEST(Sapi, BadTokenIsRejectedAndNeverEchoed) {
  StandinServer server(options());
  server.start();
  SapiClient client(config(server, "wrong-token-123456"));
  const std::string msg = error_of([&] { client.list_solvers(); });
  EXPECT_NE(msg.find("401"), std::string::npos) << msg;
  EXPECT_NE(msg.find("DWAVE_API_TOKEN"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("wrong-token-123456"), std::string::npos) << msg;
}

TEST(Sapi, RetriesOn503ThenSucceeds) {
  StandinOptions o = options();
  o.fail_first = 2;
  StandinServer server(o);
  server.start();
  SapiClient client(config(server));
  const SolverInfo s = client.get_solver("Advantage2_standin");
  EXPECT_EQ(s.graph.num_qubits, 10);
  EXPECT_EQ(server.requests_seen(), 3);
}

TEST(Sapi, GivesUpAfterRetriesQuotingTheServer) {
  StandinOptions o = options();
  o.fail_first = 100;
  StandinServer server(o);
  server.start();
  SapiConfig c = config(server);
  c.retries = 2;
  SapiClient client(c);
  const std::string msg = error_of([&] { client.list_solvers(); });
  EXPECT_NE(msg.find("HTTP 503"), std::string::npos) << msg;
  EXPECT_NE(msg.find("injected"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 attempts"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(c.token), std::string::npos) << msg;
}

TEST(Sapi, SurvivesDroppedConnection) {
  StandinOptions o = options();
  o.drop_first = 1;
  StandinServer server(o);
  server.start();
  SapiClient client(config(server));
  const SolverInfo s = client.get_solver("Advantage2_standin");
  EXPECT_EQ(s.graph.qubits.size(), 9u);
  EXPECT_EQ(server.requests_seen(), 2);
}

TEST(Sapi, SlowResponseBeyondTimeoutIsAClearError) {
  StandinOptions o = options();
  o.delay_s = 1.5;
  StandinServer server(o);
  server.start();
  SapiConfig c = config(server);
  c.timeout_s = 0.3;
  SapiClient client(c);
  const std::string msg = error_of([&] { client.list_solvers(); });
  EXPECT_NE(msg.find("did not answer within 0.3 s"), std::string::npos) << msg;
}

TEST(Sapi, MalformedAnswerIsAClearError) {
  StandinOptions o = options();
  o.malformed_answer = true;
  StandinServer server(o);
  server.start();
  SapiClient client(config(server));
  const SolverInfo s = client.get_solver("Advantage2_standin");
  const std::string msg = error_of([&] { client.sample_ising(s, ring_problem(), params(8)); });
  EXPECT_NE(msg.find("'solutions'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Sapi, PendingProblemsArePolledAndCanBeCancelled) {
  StandinOptions o = options();
  o.pending_first = true;
  StandinServer server(o);
  server.start();
  SapiClient client(config(server));
  const SolverInfo s = client.get_solver("Advantage2_standin");
  const ProblemStatus st = client.submit_ising(s, ring_problem(), params(4));
  EXPECT_EQ(st.status, "PENDING");
  const QpAnswer a = client.wait(st);
  EXPECT_EQ(a.solutions.size(), 4u);
  // cancelling a finished problem: 409 with the server's message
  std::string msg = error_of([&] { client.cancel(st.id); });
  EXPECT_NE(msg.find("409"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Problem has been finished"), std::string::npos) << msg;
  const ProblemStatus st2 = client.submit_ising(s, ring_problem(), params(4));
  EXPECT_EQ(client.cancel(st2.id).status, "CANCELLED");
  msg = error_of([&] { client.wait(st2); });
  EXPECT_NE(msg.find("cancelled"), std::string::npos) << msg;
}

TEST(StandinGibbs, MatchesExactEnumerationOnThreeSpins) {
  IsingProblem p;
  p.h = {{0, 0.3}, {1, -0.2}, {2, 0.1}};
  p.add_J(0, 1, -0.4);
  p.add_J(1, 2, 0.6);
  p.add_J(0, 2, 0.25);
  const std::vector<int> active = {0, 1, 2};
  const double beta = 1.7;
  std::vector<double> exact(8);
  double z = 0;
  for (int k = 0; k < 8; ++k) {
    std::vector<int8_t> s = {int8_t(k & 1 ? 1 : -1), int8_t(k & 2 ? 1 : -1),
                             int8_t(k & 4 ? 1 : -1)};
    exact[size_t(k)] = std::exp(-beta * ising_energy(p, active, s));
    z += exact[size_t(k)];
  }
  const int reads = 20000;
  const auto samples = gibbs_sample_ising(p, active, beta, reads, 10, 7, 1);
  std::vector<double> freq(8, 0.0);
  for (const auto& s : samples)
    freq[size_t((s[0] > 0) + 2 * (s[1] > 0) + 4 * (s[2] > 0))] += 1.0 / reads;
  for (int k = 0; k < 8; ++k) {
    const double pk = exact[size_t(k)] / z;
    EXPECT_NEAR(freq[size_t(k)], pk, 4 * std::sqrt(pk * (1 - pk) / reads)) << k;
  }
}

TEST(SapiConfigTest, TokenAndEndpointFromEnvironmentOrDwaveConf) {
  const std::string path = ::testing::TempDir() + "/dwave_test.conf";
  {
    std::ofstream f(path);
    f << "[defaults]\nendpoint = https://defaults.example/sapi/\n\n[prod]\ntoken = file-token-1\n"
         "\n[other]\ntoken = file-token-2\nendpoint = https://other.example/sapi\n";
  }
  ::setenv("DWAVE_CONFIG_FILE", path.c_str(), 1);
  ::unsetenv("DWAVE_API_TOKEN");
  ::unsetenv("DWAVE_API_ENDPOINT");
  ::unsetenv("DWAVE_PROFILE");
  SapiConfig c = SapiConfig::from_environment();
  EXPECT_EQ(c.token, "file-token-1");                       // first profile
  EXPECT_EQ(c.endpoint, "https://defaults.example/sapi/");  // inherited from [defaults]
  ::setenv("DWAVE_PROFILE", "other", 1);
  c = SapiConfig::from_environment();
  EXPECT_EQ(c.token, "file-token-2");
  EXPECT_EQ(c.endpoint, "https://other.example/sapi");
  ::setenv("DWAVE_API_TOKEN", "env-token", 1);
  ::setenv("DWAVE_API_ENDPOINT", "http://127.0.0.1:1/sapi/", 1);
  c = SapiConfig::from_environment();
  EXPECT_EQ(c.token, "env-token");
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:1/sapi/");
  ::unsetenv("DWAVE_API_TOKEN");
  ::unsetenv("DWAVE_API_ENDPOINT");
  ::unsetenv("DWAVE_PROFILE");
  ::unsetenv("DWAVE_CONFIG_FILE");
  SapiConfig empty;
  empty.token = "";
  EXPECT_THROW(SapiClient{empty}, calo::InputError);
}

TEST(Sapi, ConnectionRefusedIsRetriedThenReported) {
  SapiConfig c;
  c.endpoint = "http://127.0.0.1:9/sapi/";  // discard port: nothing listens
  c.token = "tok-zzz-999";
  c.retries = 1;
  c.backoff_s = 0.01;
  c.timeout_s = 2;
  SapiClient client(c);
  const std::string msg = error_of([&] { client.list_solvers(); });
  EXPECT_NE(msg.find("connection error"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 attempts"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("tok-zzz-999"), std::string::npos) << msg;
}

TEST(Sapi, PollsWithinTheWaitBudget) {
  // A problem queued for 3 s with a 2 s request timeout: the long poll is held for its window
  // (plus the request timeout) and the wait succeeds.
  StandinOptions o = options();
  o.queue_s = 3.0;
  StandinServer server(o);
  server.start();
  SapiConfig c = config(server);
  c.timeout_s = 2;
  c.poll_timeout_s = 30;
  c.wait_timeout_s = 20;
  SapiClient client(c);
  const SolverInfo s = client.get_solver("Advantage2_standin");
  const auto t0 = std::chrono::steady_clock::now();
  const ProblemStatus st = client.submit_ising(s, ring_problem(), params(4));
  EXPECT_EQ(st.status, "PENDING");
  EXPECT_EQ(client.wait(st).solutions.size(), 4u);
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(dt, 2.5);
  EXPECT_LT(dt, 10.0);
  // A budget shorter than the queue: the polls shrink to it and the error says how long it waited.
  StandinOptions slow = options();
  slow.queue_s = 30;
  StandinServer server2(slow);
  server2.start();
  SapiConfig c2 = config(server2);
  c2.poll_timeout_s = 30;
  c2.wait_timeout_s = 1.5;
  SapiClient client2(c2);
  const auto t1 = std::chrono::steady_clock::now();
  const std::string msg = error_of([&] { client2.sample_ising(s, ring_problem(), params(1)); });
  const double dt2 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  EXPECT_NE(msg.find("still PENDING after waiting"), std::string::npos) << msg;
  EXPECT_NE(msg.find("wait budget 1.5 s"), std::string::npos) << msg;
  EXPECT_LT(dt2, 5.0);  // not the 30 s window
}
