#pragma once
// A fault-injecting HTTP proxy for the SAPI soak test: sits between SapiClient and an unmodified
// stand-in and, per request, from a seeded RNG, answers 503, 429 with Retry-After, or drops the
// connection mid-reply before forwarding; forwards and then sends the reply slowly, slower than
// the client's timeout, or truncated (GET only); and holds chosen problems PENDING (submit and poll
// replies rewritten) for longer than the client's HTTP timeout.
//
// Faults after forwarding are injected on GET only: a lost reply to a POST that the server
// accepted cannot be told apart from a POST that never arrived without a server-side lookup by
// label, which the stand-in does not offer; the proxy never creates that case.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

namespace calo::testing {

struct FaultPlan {
  uint64_t seed = 1;
  double p_503 = 0.04, p_429 = 0.01, p_drop = 0.04;         // before forwarding, any method
  double p_slow = 0.03, p_too_slow = 0.01, p_trunc = 0.04;  // after forwarding, GET only
  double slow_s = 0.3;      // a slow reply, below the client's timeout
  double too_slow_s = 2.5;  // a reply slower than the client's timeout
  double p_pending = 0.05;  // submissions answered PENDING (the client must poll)
  int hold_every = 250;     // every k-th submission stays PENDING for hold_s
  double hold_s = 2.5;      // longer than the client's HTTP timeout
  int max_consecutive = 2;  // faults in a row on the same request, below the client's retries
};

struct FaultCounts {
  std::atomic<int> requests{0}, forwarded{0}, e503{0}, e429{0}, drops{0}, slow{0}, too_slow{0},
      truncated{0}, pending{0}, held_polls{0};
  int failures() const {  // replies that cost the client an attempt
    return e503 + e429 + drops + too_slow + truncated;
  }
};

class FaultProxy {
 public:
  FaultProxy(std::string upstream_host, int upstream_port, FaultPlan plan)
      : host_(std::move(upstream_host)), port_(upstream_port), plan_(plan), rng_(plan.seed) {
    server_.Get(".*", [this](const httplib::Request& q, httplib::Response& r) { handle(q, r); });
    server_.Post(".*", [this](const httplib::Request& q, httplib::Response& r) { handle(q, r); });
    server_.Delete(".*", [this](const httplib::Request& q, httplib::Response& r) { handle(q, r); });
  }
  ~FaultProxy() { stop(); }

  int start() {
    const int port = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return port;
  }
  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  const FaultCounts& counts() const { return counts_; }
  // Submissions forwarded to the stand-in, by problem label.
  std::map<std::string, int> submissions_by_label() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return labels_;
  }

 private:
  enum class Fault { none, e503, e429, drop, slow, too_slow, trunc };

  Fault pick(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string key = req.method + " " + req.target + " " + req.body;
    int& run = consecutive_[key];
    std::uniform_real_distribution<double> u(0, 1);
    const double x = u(rng_);
    Fault f = Fault::none;
    double acc = 0;
    const bool get = req.method == "GET";
    for (auto [p, kind] : {std::pair{plan_.p_503, Fault::e503},
                           {plan_.p_429, Fault::e429},
                           {plan_.p_drop, Fault::drop},
                           {get ? plan_.p_slow : 0, Fault::slow},
                           {get ? plan_.p_too_slow : 0, Fault::too_slow},
                           {get ? plan_.p_trunc : 0, Fault::trunc}}) {
      acc += p;
      if (x < acc) {
        f = kind;
        break;
      }
    }
    if (f != Fault::none && f != Fault::slow && run >= plan_.max_consecutive) f = Fault::none;
    if (f == Fault::none || f == Fault::slow)
      consecutive_.erase(key);
    else
      ++run;
    return f;
  }

  static void error(httplib::Response& res, int status, const char* msg) {
    res.status = status;
    res.set_content(nlohmann::json{{"error_code", status}, {"error_msg", msg}}.dump(),
                    "application/json");
  }

  // Sends `body` in pieces over `seconds`, or only half of it before closing (truncate).
  static void send_body(httplib::Response& res, const std::string& type, std::string body,
                        double seconds, bool truncate) {
    auto shared = std::make_shared<std::string>(std::move(body));
    const size_t pieces = 8;
    res.set_content_provider(
        shared->size(), type,
        [shared, seconds, truncate, pieces](size_t offset, size_t, httplib::DataSink& sink) {
          const size_t step = std::max<size_t>(1, shared->size() / pieces);
          if (truncate && offset >= shared->size() / 2) return false;  // connection closed
          if (seconds > 0)
            std::this_thread::sleep_for(std::chrono::duration<double>(seconds / pieces));
          const size_t n = std::min(step, shared->size() - offset);
          sink.write(shared->data() + offset, n);
          return true;
        });
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    ++counts_.requests;
    const Fault f = pick(req);
    if (f == Fault::e503) {
      ++counts_.e503;
      return error(res, 503, "Service unavailable (injected)");
    }
    if (f == Fault::e429) {
      ++counts_.e429;
      res.set_header("Retry-After", "1");
      return error(res, 429, "Too many requests (injected)");
    }
    if (f == Fault::drop) {
      ++counts_.drops;
      res.status = 200;
      res.set_content_provider(1000, "application/json",
                               [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    // Held problems: polls answer PENDING (after a long-poll pause) until the hold ends.
    if (req.method == "GET" && req.has_param("id")) {
      const std::string id = req.get_param_value("id");
      std::unique_lock<std::mutex> lock(mutex_);
      auto it = holds_.find(id);
      if (it != holds_.end() && std::chrono::steady_clock::now() < it->second) {
        lock.unlock();
        ++counts_.held_polls;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        res.status = 200;
        res.set_content(nlohmann::json::array({{{"id", id}, {"status", "PENDING"}}}).dump(),
                        "application/vnd.dwave.sapi.problems+json; version=3.0.0");
        return;
      }
    }
    httplib::Client up(host_, port_);
    up.set_read_timeout(60, 0);
    httplib::Headers h;
    for (const char* name : {"X-Auth-Token", "Accept"})
      if (req.has_header(name)) h.emplace(name, req.get_header_value(name));
    httplib::Result r = req.method == "GET" ? up.Get(req.target.c_str(), h)
                        : req.method == "POST"
                            ? up.Post(req.target.c_str(), h, req.body, "application/json")
                            : up.Delete(req.target.c_str(), h);
    ++counts_.forwarded;
    if (!r) return error(res, 502, "Bad gateway: the stand-in did not answer");
    std::string body = r->body;
    const std::string type = r->get_header_value("Content-Type");
    if (req.method == "POST" && r->status == 200) body = rewrite_submit(req.body, body);
    res.status = r->status;
    if (f == Fault::slow) {
      ++counts_.slow;
      return send_body(res, type, std::move(body), plan_.slow_s, false);
    }
    if (f == Fault::too_slow) {
      ++counts_.too_slow;
      return send_body(res, type, std::move(body), plan_.too_slow_s, false);
    }
    if (f == Fault::trunc) {
      ++counts_.truncated;
      return send_body(res, type, std::move(body), 0, true);
    }
    res.set_content(body, type);
  }

  // Records the submission's label; answers some submissions PENDING (answer withheld) so that
  // the client polls, and starts the hold of every hold_every-th one.
  std::string rewrite_submit(const std::string& request, const std::string& reply) {
    auto jobs = nlohmann::json::parse(request, nullptr, false);
    auto out = nlohmann::json::parse(reply, nullptr, false);
    if (!jobs.is_array() || !out.is_array()) return reply;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& j : jobs) ++labels_[j.value("label", std::string())];
    for (auto& s : out) {
      if (!s.is_object() || !s.contains("id")) continue;
      ++submissions_;
      const bool hold = plan_.hold_every > 0 && submissions_ % plan_.hold_every == 0;
      if (hold || std::uniform_real_distribution<double>(0, 1)(rng_) < plan_.p_pending) {
        ++counts_.pending;
        s["status"] = "PENDING";
        s.erase("answer");
        if (hold)
          holds_[s["id"].get<std::string>()] = std::chrono::steady_clock::now() +
                                               std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                   std::chrono::duration<double>(plan_.hold_s));
      }
    }
    return out.dump();
  }

  std::string host_;
  int port_;
  FaultPlan plan_;
  httplib::Server server_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;
  std::map<std::string, int> consecutive_;
  std::map<std::string, int> labels_;
  std::map<std::string, std::chrono::steady_clock::time_point> holds_;
  int submissions_ = 0;
  FaultCounts counts_;
};

}  // namespace calo::testing
