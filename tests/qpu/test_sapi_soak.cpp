// A faulty network (issue 17): 1000 problems go from SapiClient through a fault-injecting proxy
// (tests/qpu/fault_proxy.hpp: dropped connections, 503, 429 with Retry-After, slow, too slow and
// truncated replies, submissions held PENDING past the HTTP timeout) to an unmodified stand-in.
// No sample is lost, none is submitted twice (the stand-in numbers its sampling streams by
// arrival, so a duplicate would also shift every later answer), the answers equal a fault-free
// run with the same seeds, every failed attempt is retried within the configured budget, and the
// token appears in no log line at trace level.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <sstream>

#include "qpu/sapi_client.hpp"
#include "qpu/sapi_standin.hpp"
#include "tests/qpu/fault_proxy.hpp"
#include "tests/qpu/ring_graph.hpp"

using namespace calo::qpu;

namespace {
constexpr const char* kToken = "soak-Secret-TOKEN-8d1f";

StandinOptions standin_options() {
  StandinOptions o;
  o.graph = ring_test_graph();
  o.topology_shape = {1, 1};
  o.token = kToken;
  o.sweeps = 10;
  o.seed = 77;
  return o;
}

IsingProblem problem(int i) {
  IsingProblem p;
  for (int q : ring_test_graph().qubits) p.h[q] = 0.1 * ((q + i) % 5) - 0.2;
  int k = 0;
  for (const auto& [a, b] : ring_test_graph().couplers) p.add_J(a, b, ((i + k++) % 3 - 1) * 0.5);
  return p;
}

SapiConfig client_config(const std::string& endpoint) {
  SapiConfig c;
  c.endpoint = endpoint;
  c.token = kToken;
  c.timeout_s = 1.5;
  c.retries = 6;
  c.backoff_s = 0.01;
  c.poll_timeout_s = 1;
  return c;
}

std::vector<QpAnswer> sample_all(SapiClient& client, int n) {
  const SolverInfo s = client.get_solver("Advantage2_standin");
  std::vector<QpAnswer> out;
  for (int i = 0; i < n; ++i)
    out.push_back(
        client.sample_ising(s, problem(i), {{"num_reads", 4}}, "soak-" + std::to_string(i)));
  return out;
}
}  // namespace

TEST(SapiSoak, ThousandProblemsThroughAFaultyNetwork) {
  const char* env = std::getenv("CALO_SOAK_PROBLEMS");
  const int n = env ? std::atoi(env) : 1000;

  // Fault-free reference: the client talks to a fresh stand-in directly.
  std::vector<QpAnswer> ref;
  {
    StandinServer server(standin_options());
    server.start();
    SapiClient client(client_config(server.endpoint()));
    ref = sample_all(client, n);
  }

  StandinServer server(standin_options());
  const int upstream = server.start();
  calo::testing::FaultPlan plan;
  plan.seed = 2026;
  plan.p_429 = 0.003;
  plan.p_too_slow = 0.005;
  plan.too_slow_s = 3.0;
  plan.hold_s = 3.0;
  calo::testing::FaultProxy proxy("127.0.0.1", upstream, plan);
  const int port = proxy.start();

  // Every log line at every level, trace included.
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "soak", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::trace);

  const SapiConfig cfg = client_config("http://127.0.0.1:" + std::to_string(port) + "/sapi/");
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<QpAnswer> got;
  std::string failure;
  try {
    SapiClient client(cfg);
    got = sample_all(client, n);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::set_default_logger(previous);
  proxy.stop();
  ASSERT_EQ(failure, "");

  // No sample lost, equal to the fault-free run.
  ASSERT_EQ(got.size(), ref.size());
  int differ = 0;
  for (int i = 0; i < n; ++i)
    if (got[size_t(i)].solutions != ref[size_t(i)].solutions ||
        got[size_t(i)].energies != ref[size_t(i)].energies)
      ++differ;
  EXPECT_EQ(differ, 0);
  // None submitted twice.
  const auto labels = proxy.submissions_by_label();
  int twice = 0;
  for (const auto& [label, count] : labels) twice += count > 1;
  EXPECT_EQ(labels.size(), size_t(n));
  EXPECT_EQ(twice, 0);

  // Retries: one per failed attempt, each within the budget.
  const std::string text = log.str();
  const std::regex retry_re("; retry ([0-9]+) of ([0-9]+) in");
  int retries = 0, max_retry = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), retry_re);
       it != std::sregex_iterator(); ++it) {
    ++retries;
    max_retry = std::max(max_retry, std::stoi((*it)[1].str()));
  }
  const auto& c = proxy.counts();
  EXPECT_EQ(retries, c.failures());
  EXPECT_LE(max_retry, cfg.retries);
  EXPECT_GT(c.failures(), n / 20) << "too few faults injected to mean anything";
  EXPECT_GT(c.held_polls.load(), 0);
  // The token is in no log line (and the log is not empty: trace and debug lines were written).
  EXPECT_EQ(text.find(kToken), std::string::npos);
  EXPECT_GT(std::count(text.begin(), text.end(), '\n'), n);

  std::printf(
      "soak: %d problems in %.1f s, %d requests (%d forwarded); faults injected: %d 503, %d 429 "
      "(Retry-After), %d dropped, %d truncated, %d slower than the timeout, %d slow, %d answered "
      "PENDING (%d polls held past the timeout); %d retries (max %d of %d per request); lost 0, "
      "submitted twice %d, answers differing %d\n",
      n, secs, c.requests.load(), c.forwarded.load(), c.e503.load(), c.e429.load(), c.drops.load(),
      c.truncated.load(), c.too_slow.load(), c.slow.load(), c.pending.load(), c.held_polls.load(),
      retries, max_retry, cfg.retries, twice, differ);
}
