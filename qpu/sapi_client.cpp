#include "qpu/sapi_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string_view>
#include <thread>

#include "host/error.hpp"
#include "host/json_int.hpp"
#include "host/log.hpp"

#include <fmt/ranges.h>
#include "qpu/solver_filter.hpp"

namespace calo::qpu {

namespace {
constexpr const char* kMedia = "application/vnd.dwave.sapi.";
constexpr const char* kVersion = "; version=3.0.0";
constexpr const char* kDefaultRegion = "na-west-1";
constexpr const char* kDefaultMetadata = "https://cloud.dwavesys.com/metadata/v1/";
constexpr const char* kDefaultEndpoint = "https://cloud.dwavesys.com/sapi/";

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

size_t write_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// Keeps the Retry-After header of a reply (seconds; 429 and 503 carry it), -1 when absent.
size_t read_header(char* data, size_t size, size_t n, void* user) {
  const std::string line(data, size * n);
  constexpr std::string_view name = "retry-after:";
  if (line.size() > name.size()) {
    std::string head = line.substr(0, name.size());
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (head == name) {
      const std::string v = trim(line.substr(name.size()));
      char* end = nullptr;
      const double secs = std::strtod(v.c_str(), &end);
      if (end != v.c_str() && secs >= 0) *static_cast<double*>(user) = secs;
    }
  }
  return size * n;
}

}  // namespace

std::string server_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error_msg") && j["error_msg"].is_string())
    return j["error_msg"].get<std::string>();
  return body.size() > 300 ? body.substr(0, 300) + "..." : body;
}

nlohmann::json parse_json(const std::string& body, const std::string& what) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded())
    throw RemoteError(fmt::format("SAPI {} reply is not valid JSON: {}", what,
                                  body.substr(0, std::min<size_t>(body.size(), 200))));
  return j;
}

ProblemStatus parse_status(const nlohmann::json& j) {
  if (!j.is_object()) throw RemoteError("SAPI problem status is not a JSON object");
  if (j.contains("error_code"))
    throw RemoteError(fmt::format("SAPI rejected the problem ({}): {}", j["error_code"].dump(),
                                  j.contains("error_msg") && j["error_msg"].is_string()
                                      ? j["error_msg"].get<std::string>()
                                      : std::string("no message")),
                      json_integer<long>(j["error_code"]).value_or(0));
  if (!j.contains("id") || !j["id"].is_string() || !j.contains("status") ||
      !j["status"].is_string())
    throw RemoteError("SAPI problem status lacks 'id' or 'status': " + j.dump().substr(0, 200));
  ProblemStatus s{j["id"].get<std::string>(), j["status"].get<std::string>(), "", std::nullopt};
  if (j.contains("error_message") && j["error_message"].is_string())
    s.error_message = j["error_message"].get<std::string>();
  if (j.contains("answer") && j["answer"].is_object()) s.answer = j["answer"];
  return s;
}

namespace {
// An integer of a solver description; a fraction or a value beyond int is not a qubit label.
int solver_int(const nlohmann::json& j, const char* what) {
  const auto v = json_integer<int>(j);
  if (!v)
    throw RemoteError(fmt::format("SAPI solver description: {} is {}, not an integer", what,
                                  j.dump().substr(0, 40)));
  return *v;
}
std::vector<int> solver_ints(const nlohmann::json& j, const char* what) {
  if (!j.is_array())
    throw RemoteError(fmt::format("SAPI solver description: {} is not a list", what));
  std::vector<int> out;
  for (const auto& v : j) out.push_back(solver_int(v, what));
  return out;
}
}  // namespace

SolverInfo parse_solver(const nlohmann::json& j) {
  try {
    SolverInfo s;
    s.identity = j.at("identity");
    s.name = s.identity.at("name").get<std::string>();
    const auto& p = j.at("properties");
    s.properties = p;
    if (p.contains("topology")) {
      s.topology_type = p["topology"].value("type", std::string());
      if (p["topology"].contains("shape"))
        s.topology_shape = solver_ints(p["topology"]["shape"], "topology.shape");
    }
    s.graph.num_qubits = solver_int(p.at("num_qubits"), "num_qubits");
    s.graph.qubits = solver_ints(p.at("qubits"), "qubits");
    for (const auto& e : p.at("couplers")) {
      const int a = solver_int(e.at(0), "couplers"), b = solver_int(e.at(1), "couplers");
      s.graph.couplers.emplace_back(std::min(a, b), std::max(a, b));
    }
    if (p.contains("h_range")) {
      s.h_range[0] = p["h_range"].at(0).get<double>();
      s.h_range[1] = p["h_range"].at(1).get<double>();
    }
    if (p.contains("j_range")) {
      s.j_range[0] = p["j_range"].at(0).get<double>();
      s.j_range[1] = p["j_range"].at(1).get<double>();
    }
    if (p.contains("parameters")) s.parameters = p["parameters"];
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw RemoteError(
        fmt::format("SAPI solver description is incomplete ({}); it needs identity.name, "
                    "properties.num_qubits, qubits and couplers",
                    e.what()));
  }
}

SapiClient::SapiClient(SapiConfig config) : config_(std::move(config)) {
  if (config_.token.empty())
    fail_input(
        "no D-Wave API token: set DWAVE_API_TOKEN or add 'token = ...' to "
        "~/.config/dwave/dwave.conf");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  curl_ = curl_easy_init();
  if (!curl_) fail("libcurl could not create a handle");
  if (config_.endpoint.empty()) {
    try {
      resolve_region();
    } catch (...) {  // the destructor will not run: close the handle and its connection now
      curl_easy_cleanup(static_cast<CURL*>(curl_));
      curl_ = nullptr;
      throw;
    }
  }
  if (config_.endpoint.back() != '/') config_.endpoint += '/';
}

void SapiClient::resolve_region() {
  const std::string region = config_.region.empty() ? kDefaultRegion : config_.region;
  std::string meta = config_.metadata_endpoint;
  if (meta.empty()) meta = kDefaultMetadata;
  if (meta.back() != '/') meta += '/';
  // Ocean short-circuits the default region on the default Metadata API.
  if (region == kDefaultRegion && meta == kDefaultMetadata) {
    config_.endpoint = kDefaultEndpoint;
    return;
  }
  const std::string saved = config_.endpoint;
  config_.endpoint = meta;
  nlohmann::json list;
  try {
    list = parse_json(request("GET", "regions/", "", "", 0,
                              "application/vnd.dwave.metadata.regions+json; version=1.0.0")
                          .body,
                      "Metadata API regions");
  } catch (const RemoteError& e) {
    config_.endpoint = saved;
    throw RemoteError(fmt::format("cannot resolve region '{}' through the Metadata API at {}: {}; "
                                  "set DWAVE_API_ENDPOINT (or 'endpoint' in dwave.conf) instead",
                                  region, meta, e.what()),
                      e.http_status());
  }
  std::vector<std::string> known;
  if (list.is_array())
    for (const auto& r : list) {
      if (!r.is_object() || !r.value("code", nlohmann::json()).is_string() ||
          !r.value("endpoint", nlohmann::json()).is_string())
        continue;
      known.push_back(r["code"].get<std::string>());
      if (r["code"] == region) {
        config_.endpoint = r["endpoint"].get<std::string>();
        spdlog::debug("SAPI region {} -> {}", region, config_.endpoint);
        return;
      }
    }
  throw InputError(fmt::format("region '{}' is unknown to the Metadata API at {}; try one of: {}",
                               region, meta, fmt::join(known, ", ")));
}

SapiClient::~SapiClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

SapiClient::Response SapiClient::request(const std::string& method, const std::string& path,
                                         const std::string& accept, const std::string& body,
                                         double extra_timeout_s) {
  return request(method, path, accept, body, extra_timeout_s, "");
}

SapiClient::Response SapiClient::request(const std::string& method, const std::string& path,
                                         const std::string& accept, const std::string& body,
                                         double extra_timeout_s, const std::string& full_accept) {
  CURL* curl = static_cast<CURL*>(curl_);
  const std::string url = config_.endpoint + path;
  double delay = config_.backoff_s;
  for (int attempt = 0;; ++attempt) {
    curl_easy_reset(curl);
    std::string reply;
    struct curl_slist* headers = nullptr;
    const std::string auth = "X-Auth-Token: " + config_.token;
    const std::string acc =
        "Accept: " + (full_accept.empty() ? std::string(kMedia) + accept + kVersion : full_accept);
    // The token goes to SAPI only, never to the Metadata API (a different service).
    if (full_accept.empty()) headers = curl_slist_append(headers, auth.c_str());
    headers = curl_slist_append(headers, acc.c_str());
    if (!body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (!body.empty() || method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, long(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
    double retry_after = -1;
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &retry_after);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, long((config_.timeout_s + extra_timeout_s) * 1000));
    if (!config_.proxy.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, config_.proxy.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     long(std::min(config_.timeout_s, 60.0) * 1000));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);

    spdlog::debug("SAPI {} {} -> curl {} HTTP {} ({} bytes)", method, redact(url, config_.token),
                  int(rc), status, reply.size());
    std::string problem;
    bool transient = false;
    // A plain GET or DELETE that timed out is repeated here. A long poll (extra_timeout_s > 0)
    // goes back to wait(), which polls again within its budget; a POST is never repeated: the
    // server may have accepted the problem, and a second submission would sample it twice.
    if (rc == CURLE_OPERATION_TIMEDOUT && method != "POST" && extra_timeout_s <= 0) {
      problem = fmt::format(
          "did not answer within {} s (timeout; the server is slow or "
          "unreachable, retry later or raise the timeout)",
          config_.timeout_s);
      transient = true;
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      throw SapiTimeout(
          fmt::format("SAPI {} {} did not answer within {} s (timeout); the server is "
                      "slow or unreachable, retry later or raise the timeout",
                      method, redact(url, config_.token), config_.timeout_s + extra_timeout_s));
    } else if (rc != CURLE_OK) {
      problem = fmt::format("connection error: {}", curl_easy_strerror(rc));
      transient = true;
    } else if (status == 429 || status >= 500) {
      problem = fmt::format("HTTP {}: {}", status, server_message(reply));
      transient = true;
    } else if (status >= 400 || status < 200) {
      std::string hint;
      if (status == 401) hint = " (check DWAVE_API_TOKEN)";
      if (status == 404) hint = " (unknown solver or problem id)";
      throw RemoteError(redact(fmt::format("SAPI {} {} failed with HTTP {}: {}{}", method, url,
                                           status, server_message(reply), hint),
                               config_.token),
                        status);
    } else {
      return {status, std::move(reply)};
    }
    if (!transient || attempt >= config_.retries)
      throw RemoteError(redact(fmt::format("SAPI {} {} failed after {} attempts: {}", method, url,
                                           attempt + 1, problem),
                               config_.token),
                        status);
    // The server's Retry-After (429, 503) is a lower bound on the wait, capped at a minute.
    const double wait = std::max(delay, std::min(retry_after, 60.0));
    spdlog::warn("{}", redact(fmt::format("SAPI {} {}: {}; retry {} of {} in {:.2f} s", method, url,
                                          problem, attempt + 1, config_.retries, wait),
                              config_.token));
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    delay = std::min(delay * 2, 10.0);
  }
}

std::vector<SolverInfo> SapiClient::list_solvers() {
  auto j = parse_json(request("GET", "solvers/remote/", "solver-definition-list+json").body,
                      "solver list");
  if (!j.is_array()) throw RemoteError("SAPI solver list is not a JSON array");
  std::vector<SolverInfo> out;
  for (const auto& s : j) out.push_back(parse_solver(s));
  return out;
}

SolverInfo SapiClient::get_solver(const std::string& name) {
  return parse_solver(parse_json(
      request("GET", "solvers/remote/" + name + "/", "solver-definition+json").body, "solver"));
}

ProblemStatus SapiClient::submit_ising(const SolverInfo& solver, const IsingProblem& problem,
                                       const nlohmann::json& params, const std::string& label) {
  const QpData qp = encode_qp(solver.graph, problem);
  nlohmann::json job = {
      {"solver", solver.identity},
      {"type", "ising"},
      {"data", {{"format", "qp"}, {"lin", qp.lin}, {"quad", qp.quad}, {"offset", 0.0}}},
      {"params", params}};
  if (!label.empty()) job["label"] = label;
  const nlohmann::json body = nlohmann::json::array({job});
  auto j = parse_json(request("POST", "problems/", "problems+json", body.dump()).body, "submit");
  if (!j.is_array() || j.size() != 1)
    throw RemoteError("SAPI submit reply is not a list with one status: " +
                      j.dump().substr(0, 200));
  return parse_status(j[0]);
}

QpAnswer SapiClient::wait(const ProblemStatus& submitted) {
  ProblemStatus s = submitted;
  const auto start = std::chrono::steady_clock::now();
  const auto waited = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int polls = 0, timeouts = 0;
  while (true) {
    if (s.status == "COMPLETED") {
      if (!s.answer) {
        auto j =
            parse_json(request("GET", "problems/" + s.id + "/", "problem+json").body, "problem");
        s = parse_status(j);
        if (!s.answer)
          throw RemoteError(fmt::format("SAPI problem {} is COMPLETED but has no answer", s.id));
      }
      if (polls > 0)
        spdlog::debug("SAPI problem {} completed after {:.1f} s ({} polls)", s.id, waited(), polls);
      return decode_qp_answer(*s.answer);
    }
    if (s.status == "FAILED")
      throw RemoteError(fmt::format("SAPI problem {} FAILED: {}", s.id,
                                    s.error_message.empty() ? "no message" : s.error_message));
    if (s.status == "CANCELLED")
      throw RemoteError(fmt::format("SAPI problem {} was cancelled", s.id));
    if (s.status != "PENDING" && s.status != "IN_PROGRESS")
      throw RemoteError(fmt::format("SAPI problem {} has unknown status '{}'", s.id, s.status));
    const double remaining = config_.wait_timeout_s - waited();
    if (remaining <= 0)
      throw RemoteError(fmt::format(
          "SAPI problem {} still {} after waiting {:.1f} s ({} polls, {} timed out; wait budget "
          "{} s: raise polling_timeout / wait_timeout_s or cancel it)",
          s.id, s.status, waited(), polls, timeouts, config_.wait_timeout_s));
    // Long-poll for at most the remaining budget; the transfer may take the window plus the
    // request timeout.
    const int window =
        std::clamp(std::min(config_.poll_timeout_s, int(std::ceil(remaining))), 1, 30);
    ++polls;
    try {
      auto j = parse_json(request("GET", fmt::format("problems/?id={}&timeout={}", s.id, window),
                                  "problems+json", "", window)
                              .body,
                          "poll");
      if (!j.is_array() || j.empty()) throw RemoteError("SAPI poll reply is not a non-empty list");
      s = parse_status(j[0]);
    } catch (const SapiTimeout&) {
      ++timeouts;
      spdlog::warn(
          "SAPI poll of problem {} timed out after {:.1f} s of waiting; polling again "
          "within the {} s budget",
          s.id, waited(), config_.wait_timeout_s);
    }
  }
}

QpAnswer SapiClient::sample_ising(const SolverInfo& solver, const IsingProblem& problem,
                                  const nlohmann::json& params, const std::string& label) {
  return wait(submit_ising(solver, problem, params, label));
}

SolverInfo SapiClient::select_solver(const std::string& spec_in) {
  const std::string spec = spec_in.empty() ? config_.solver : spec_in;
  nlohmann::json filter = nlohmann::json::parse(spec, nullptr, false);
  if (!spec.empty() && !filter.is_object()) return get_solver(spec);  // a plain name
  if (spec.empty()) filter = nlohmann::json::object();
  if (config_.client == "qpu" && !filter.contains("qpu")) filter["qpu"] = true;
  auto all = parse_json(request("GET", "solvers/remote/", "solver-definition-list+json").body,
                        "solver list");
  if (!all.is_array()) throw RemoteError("SAPI solver list is not a JSON array");
  const auto hits = filter_solvers(all, filter);
  if (hits.empty()) {
    std::vector<std::string> names;
    for (const auto& x : all)
      if (x.contains("identity")) names.push_back(x["identity"].value("name", "?"));
    throw InputError(
        fmt::format("no solver matches {} (from {}); the endpoint lists: {}",
                    spec.empty() ? std::string("the defaults") : "'" + spec + "'",
                    config_.source.empty() ? std::string("the caller") : config_.source,
                    fmt::join(names, ", ")));
  }
  return parse_solver(all[hits.front()]);
}

ProblemStatus SapiClient::cancel(const std::string& id) {
  return parse_status(
      parse_json(request("DELETE", "problems/" + id, "problem+json").body, "cancel"));
}

}  // namespace calo::qpu
