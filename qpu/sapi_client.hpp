#pragma once
// SAPI REST client on libcurl (research/dwave.md section 3): solver listing, qp submission,
// long-polling, answer decoding, cancellation; retries with exponential backoff on 429/5xx and
// connection errors. The token is sent only in the X-Auth-Token header and never appears in a log
// line or an error message.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "qpu/qp_codec.hpp"

namespace calo::qpu {

struct SapiConfig {
  std::string endpoint = "https://cloud.dwavesys.com/sapi/";
  std::string token;
  double timeout_s = 60.0;       // whole-request timeout (connect + transfer)
  int retries = 5;               // extra attempts after a transient failure
  double backoff_s = 0.1;        // first retry delay; doubles each time, capped at 10 s
  int poll_timeout_s = 30;       // long-poll window (1..30)
  double wait_timeout_s = 3600;  // give up waiting for a problem after this long

  // Token from DWAVE_API_TOKEN, else the dwave config file (DWAVE_CONFIG_FILE or
  // ~/.config/dwave/dwave.conf, section [defaults] or the first profile); endpoint from
  // DWAVE_API_ENDPOINT, else the config file, else the default above.
  static SapiConfig from_environment();
};

struct SolverInfo {
  std::string name;
  nlohmann::json identity;  // copied verbatim into submissions
  std::string topology_type;
  std::vector<int> topology_shape;
  SolverGraph graph;
  double h_range[2] = {-4, 4};
  double j_range[2] = {-1, 1};
  nlohmann::json parameters = nlohmann::json::object();
  nlohmann::json properties;
};

SolverInfo parse_solver(const nlohmann::json& config);

struct ProblemStatus {
  std::string id, status, error_message;
  std::optional<nlohmann::json> answer;
};

// Parsers of SAPI replies, used by SapiClient (public for tests/fuzz/fuzz_sapi.cpp). Each throws
// RemoteError for a reply it cannot use.
nlohmann::json parse_json(const std::string& body, const std::string& what);
ProblemStatus parse_status(const nlohmann::json& status);
std::string server_message(const std::string& error_body);  // error_msg, else the body (cut)

class SapiClient {
 public:
  explicit SapiClient(SapiConfig config);
  ~SapiClient();
  SapiClient(const SapiClient&) = delete;
  SapiClient& operator=(const SapiClient&) = delete;

  std::vector<SolverInfo> list_solvers();
  SolverInfo get_solver(const std::string& name);
  // Submits one ising problem (qp encoding); returns its status (may already be COMPLETED).
  ProblemStatus submit_ising(const SolverInfo& solver, const IsingProblem& problem,
                             const nlohmann::json& params, const std::string& label = "");
  // Long-polls until the problem is terminal; returns the decoded answer or throws RemoteError.
  QpAnswer wait(const ProblemStatus& submitted);
  // submit_ising + wait.
  QpAnswer sample_ising(const SolverInfo& solver, const IsingProblem& problem,
                        const nlohmann::json& params, const std::string& label = "");
  ProblemStatus cancel(const std::string& id);

  struct Response {
    long status = 0;
    std::string body;
  };
  // One HTTP exchange with retries; throws RemoteError on a non-2xx final answer.
  Response request(const std::string& method, const std::string& path, const std::string& accept,
                   const std::string& body = "");

 private:
  SapiConfig config_;
  void* curl_ = nullptr;
};

}  // namespace calo::qpu
