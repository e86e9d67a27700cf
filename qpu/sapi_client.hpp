#pragma once
// SAPI REST client on libcurl (research/dwave.md section 3): solver listing and selection, qp
// submission, long-polling within the wait budget, answer decoding, cancellation, region
// resolution through the Metadata API; retries with exponential backoff on 429/5xx and
// connection errors. Configuration: qpu/dwave_config.cpp. The token is sent only in the
// X-Auth-Token header and never appears in a log line or an error message.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "host/error.hpp"
#include "qpu/qp_codec.hpp"

namespace calo::qpu {

struct SapiConfig {
  // Empty endpoint: resolve `region` through the Metadata API (as Ocean does) when the client
  // starts; the default region with the default Metadata API needs no request.
  std::string endpoint = "https://cloud.dwavesys.com/sapi/";
  std::string token;
  double timeout_s = 60.0;       // whole-request timeout (connect + transfer); request_timeout
  int retries = 5;               // extra attempts after a transient failure
  double backoff_s = 0.1;        // first retry delay; doubles each time, capped at 10 s
  int poll_timeout_s = 30;       // long-poll window (1..30), shortened to the remaining budget
  double wait_timeout_s = 3600;  // give up waiting for a problem after this long; polling_timeout
  std::string region{};          // e.g. "eu-central-1"; only used when endpoint is empty
  std::string metadata_endpoint = "https://cloud.dwavesys.com/metadata/v1/";
  std::string
      solver{};  // default solver: a name or a JSON feature filter ({"num_qubits__gt": 5000})
  std::string client{};  // dwave.conf "client": "qpu" restricts the default solver to QPUs
  std::string proxy{};   // HTTP(S) proxy URL, passed to libcurl
  std::string source{};  // where the values came from (file paths, env), for messages

  // Ocean's lookup (dwave-cloud-client config/loaders.py): DWAVE_CONFIG_FILE, else every existing
  // file of $XDG_CONFIG_DIRS/dwave/dwave.conf (default /etc/xdg), $XDG_CONFIG_HOME or
  // ~/.config/dwave/dwave.conf and ./dwave.conf, later files overriding earlier ones key by key.
  // Profile: DWAVE_PROFILE, else [defaults] "profile", else the first section; [defaults] values
  // are inherited. Keys read: token, endpoint, region, metadata_api_endpoint, solver, client,
  // proxy, request_timeout, polling_timeout. The environment (DWAVE_API_TOKEN, DWAVE_API_ENDPOINT,
  // DWAVE_API_REGION, DWAVE_API_SOLVER, DWAVE_API_CLIENT, DWAVE_API_PROXY,
  // DWAVE_METADATA_API_ENDPOINT) overrides the file; an endpoint and a region exclude each other
  // across levels (a region in the environment drops the file's endpoint), and within one level
  // the endpoint wins. Malformed numbers are InputErrors naming the file and key.
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

// The server did not answer within the request timeout.
class SapiTimeout : public RemoteError {
 public:
  using RemoteError::RemoteError;
};

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
  // Solver by name, or the first listed solver matching a JSON feature filter (Ocean's syntax:
  // {"name__regex": "Advantage2.*", "num_qubits__gt": 4000, "topology__type": "zephyr"}).
  // Empty spec: the configured solver, else the first (QPU, with client = qpu) solver listed.
  SolverInfo select_solver(const std::string& spec = "");
  const SapiConfig& config() const { return config_; }

  struct Response {
    long status = 0;
    std::string body;
  };
  // One HTTP exchange with retries; throws RemoteError on a non-2xx final answer.
  // extra_timeout_s extends the transfer timeout (a long poll is held that long by the server).
  Response request(const std::string& method, const std::string& path, const std::string& accept,
                   const std::string& body = "", double extra_timeout_s = 0);

 private:
  SapiConfig config_;
  void resolve_region();
  // full_accept non-empty: a Metadata API request with that Accept header and no token.
  Response request(const std::string& method, const std::string& path, const std::string& accept,
                   const std::string& body, double extra_timeout_s, const std::string& full_accept);
  void* curl_ = nullptr;
};

}  // namespace calo::qpu
