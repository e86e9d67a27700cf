#include "qpu/sapi_standin.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <set>

#include "host/error.hpp"
#include "host/log.hpp"
#include "kernels/philox.hpp"
#include "qpu/answer_histogram.hpp"
#include "qpu/ising_math.hpp"
#include "qpu/solver_profile.hpp"
#include "qpu/standin_job.hpp"

namespace calo::qpu {

namespace {
constexpr const char* kMedia = "application/vnd.dwave.sapi.";
// Route prefix: /sapi/, /sapi/v2/ and a regional /<region>/sapi/v2/ (regions served here).
const std::string kPrefix = R"((?:/[a-z]+-[a-z]+-[0-9]+)?/sapi(?:/v2)?)";

using Clock = std::chrono::steady_clock;

struct Problem {
  std::string id, status, label, type;
  nlohmann::json answer, data, params;
  std::string submitted_on, solved_on;
  Clock::time_point ready;  // when a PENDING problem completes
  bool complete_on_poll = false;
};

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:06d}Z", buf, us);
}

bool terminal(const std::string& status) {
  return status == "COMPLETED" || status == "FAILED" || status == "CANCELLED";
}

// Seconds of a ?timeout= parameter (0 when absent); -1 when outside SAPI's [1, 30].
int poll_timeout(const httplib::Request& req) {
  if (!req.has_param("timeout")) return 0;
  const int t = std::atoi(req.get_param_value("timeout").c_str());
  return t < 1 || t > 30 ? -1 : t;
}
}  // namespace

std::vector<std::vector<int8_t>> gibbs_sample_ising(const IsingProblem& problem,
                                                    const std::vector<int>& active, double beta,
                                                    int reads, int sweeps, uint64_t seed,
                                                    uint64_t stream) {
  const size_t n = active.size();
  std::map<int, size_t> index;
  for (size_t i = 0; i < n; ++i) index[active[i]] = i;
  std::vector<double> h(n, 0.0);
  for (const auto& [q, v] : problem.h) h[index.at(q)] += v;
  std::vector<std::vector<std::pair<size_t, double>>> nbr(n);
  for (const auto& [e, v] : problem.J) {
    const size_t a = index.at(e.first), b = index.at(e.second);
    nbr[a].emplace_back(b, v);
    nbr[b].emplace_back(a, v);
  }
  std::vector<std::vector<int8_t>> out(static_cast<size_t>(reads), std::vector<int8_t>(n));
  for (int r = 0; r < reads; ++r) {
    auto& s = out[size_t(r)];
    const uint64_t st = stream * 1000003ull + uint64_t(r);
    for (size_t i = 0; i < n; ++i) s[i] = calo::uniform(seed, st, i) < 0.5f ? 1 : -1;
    for (int sweep = 1; sweep <= sweeps; ++sweep) {
      for (size_t i = 0; i < n; ++i) {
        double f = h[i];
        for (const auto& [j, v] : nbr[i]) f += v * s[j];
        const auto u = calo::uniform2_double(seed, st, uint64_t(sweep) * n + i);
        s[i] = heat_bath_spin(beta, f, u.u[0]);
      }
    }
  }
  return out;
}

double ising_energy(const IsingProblem& problem, const std::vector<int>& active,
                    const std::vector<int8_t>& spins) {
  std::map<int, int> s;
  for (size_t i = 0; i < active.size(); ++i) s[active[i]] = spins[i];
  double e = 0;
  for (const auto& [q, v] : problem.h) e += v * s.at(q);
  for (const auto& [p, v] : problem.J) e += v * s.at(p.first) * s.at(p.second);
  return e;
}

struct StandinServer::State {
  StandinOptions opt;
  httplib::Server server;
  std::mutex mutex;
  std::condition_variable changed;  // a problem was added, cancelled or completed
  std::map<std::string, Problem> problems;
  std::vector<std::string> order;  // submission order, for listing
  uint64_t next_id = 1;
  bool stopping = false;  // wakes long polls at shutdown
  std::atomic<bool> metadata_saw_token{false};
  std::atomic<int> requests{0};
  int port = 0;

  // Completes a PENDING problem whose queue time has passed. Caller holds `mutex`.
  void refresh(Problem& p) {
    if (p.status == "PENDING" && !p.complete_on_poll && Clock::now() >= p.ready) {
      p.status = "COMPLETED";
      p.solved_on = utc_now();
    }
  }
  // Blocks (holding `lock`) until one of `ids` is terminal or `seconds` pass.
  void long_poll(std::unique_lock<std::mutex>& lock, const std::vector<std::string>& ids,
                 int seconds) {
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (true) {
      auto wake = deadline;
      for (const auto& id : ids) {
        auto it = problems.find(id);
        if (it == problems.end()) return;
        refresh(it->second);
        // pending_first problems complete on this poll: answer at once
        if (terminal(it->second.status) || it->second.complete_on_poll) return;
        wake = std::min(wake, it->second.ready);
      }
      if (stopping || Clock::now() >= deadline) return;
      changed.wait_until(lock, wake);
    }
  }
};

StandinServer::StandinServer(StandinOptions options) : state_(std::make_unique<State>()) {
  state_->opt = std::move(options);
  State* st = state_.get();
  auto& svr = st->server;
  const std::string P = kPrefix;

  auto send_json = [](httplib::Response& res, int status, const nlohmann::json& j,
                      const std::string& media) {
    res.status = status;
    res.set_content(j.dump(), std::string(kMedia) + media + "; version=3.0.0; charset=utf-8");
  };
  auto send_error = [](httplib::Response& res, int status, const std::string& msg) {
    res.status = status;
    res.set_content(nlohmann::json{{"error_code", status}, {"error_msg", msg}}.dump(),
                    "application/json");
  };
  const std::string not_found = "Problem does not exist or apitoken does not have access.";

  svr.set_pre_routing_handler([st, send_error](const httplib::Request& req,
                                               httplib::Response& res) {
    const int k = st->requests++;
    if (st->opt.delay_s > 0)
      std::this_thread::sleep_for(std::chrono::duration<double>(st->opt.delay_s));
    if (k < st->opt.fail_first) {
      send_error(res, st->opt.fail_status, "Service temporarily unavailable (injected)");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (k < st->opt.fail_first + st->opt.drop_first) {
      res.status = 200;
      res.set_content_provider(1000, "application/json", [](size_t, size_t, httplib::DataSink&) {
        return false;
      });  // abort mid-reply
      return httplib::Server::HandlerResponse::Handled;
    }
    // The Metadata API is public; everything under sapi/ needs the token.
    if (req.path.rfind("/metadata/", 0) != 0 &&
        req.get_header_value("X-Auth-Token") != st->opt.token) {
      send_error(res, 401, "Invalid token or access denied.");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Metadata API: the regions this server answers for.
  auto regions = [](const httplib::Request& req) {
    const std::string root = "http://" + req.get_header_value("Host");
    return nlohmann::json::array({{{"code", "na-west-1"},
                                   {"name", "North America (stand-in)"},
                                   {"endpoint", root + "/sapi/v2/"}},
                                  {{"code", "eu-central-1"},
                                   {"name", "Europe (stand-in)"},
                                   {"endpoint", root + "/eu-central-1/sapi/v2/"}}});
  };
  svr.Get(R"(/metadata/v1/regions/?)", [st, regions](const httplib::Request& req,
                                                     httplib::Response& res) {
    st->metadata_saw_token = st->metadata_saw_token || req.has_header("X-Auth-Token");
    res.set_content(regions(req).dump(),
                    "application/vnd.dwave.metadata.regions+json; version=1.0.0; charset=utf-8");
  });
  svr.Get(R"(/metadata/v1/regions/([^/]+)/?)", [regions, send_error](const httplib::Request& req,
                                                                     httplib::Response& res) {
    for (const auto& r : regions(req))
      if (r["code"] == std::string(req.matches[1])) {
        res.set_content(r.dump(),
                        "application/vnd.dwave.metadata.region+json; version=1.0.0; charset=utf-8");
        return;
      }
    send_error(res, 404, "Region not found.");
  });

  svr.Get(P + R"(/solvers/remote/?)", [this, send_json](const httplib::Request&,
                                                        httplib::Response& res) {
    send_json(res, 200, nlohmann::json::array({solver_config()}), "solver-definition-list+json");
  });
  svr.Get(P + R"(/solvers/remote/([^/]+)/?)",
          [this, st, send_json, send_error](const httplib::Request& req, httplib::Response& res) {
            if (req.matches[1] != st->opt.solver_name)
              return send_error(res, 404, "Solver not found.");
            send_json(res, 200, solver_config(), "solver-definition+json");
          });

  // Validates and samples one job; returns {"stored": id} or an error item.
  auto run_job = [st](const nlohmann::json& job) -> nlohmann::json {
    const auto& o = st->opt;
    StandinJob j;
    try {
      j = prepare_job(job, o);
    } catch (const JobError& e) {
      return nlohmann::json{{"error_code", e.code}, {"error_msg", e.message}};
    }
    uint64_t stream;
    std::string id;
    {
      std::lock_guard<std::mutex> lock(st->mutex);
      stream = st->next_id++;
      id = "standin-" + std::to_string(stream);
    }
    const auto samples =
        gibbs_sample_ising(j.field, j.active, o.beta, j.num_reads, o.sweeps, o.seed, stream);
    QpAnswer a;
    a.num_variables = o.graph.num_qubits;
    a.active_variables = j.active;
    a.solutions = samples;
    for (const auto& s : samples)
      a.energies.push_back(j.type == "qubo" ? qubo_energy(j.programmed, j.active, s)
                                            : ising_energy(j.programmed, j.active, s));
    a.num_occurrences.assign(samples.size(), 1);
    a.timing = j.timing;
    nlohmann::json answer = encode_qp_answer(j.histogram ? histogram_answer(a) : a);
    if (o.malformed_answer) {
      std::string sol = answer["solutions"].get<std::string>();
      answer["solutions"] = sol.substr(0, sol.size() / 2 / 4 * 4);
    }
    Problem pr;
    pr.id = id;
    pr.type = j.type;
    pr.label = job.value("label", std::string());
    pr.answer = answer;
    pr.data = job["data"];
    pr.params = job.value("params", nlohmann::json::object());
    pr.submitted_on = utc_now();
    pr.ready = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o.queue_s));
    pr.complete_on_poll = o.pending_first;
    const bool pending = o.pending_first || o.queue_s > 0;
    pr.status = pending ? "PENDING" : "COMPLETED";
    if (!pending) pr.solved_on = pr.submitted_on;
    std::lock_guard<std::mutex> lock(st->mutex);
    st->problems[id] = pr;
    st->order.push_back(id);
    st->changed.notify_all();
    return nlohmann::json{{"stored", id}};
  };

  // Only the identity: solver_config() rebuilds the whole graph (45k couplers on Z(12,4)).
  auto identity = [st] {
    return nlohmann::json{{"name", st->opt.solver_name},
                          {"version", {{"graph_id", "standin0001"}}}};
  };
  auto status_json = [identity](const Problem& p, bool with_answer) {
    nlohmann::json j = {
        {"id", p.id},
        {"type", p.type},
        {"solver", identity()},
        {"label", p.label},
        {"status", p.status},
        {"submitted_on", p.submitted_on},
        {"solved_on", p.solved_on.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.solved_on)}};
    if (with_answer && p.status == "COMPLETED") j["answer"] = p.answer;
    return j;
  };

  svr.Post(P + R"(/problems/?)", [st, run_job, status_json, send_json, send_error](
                                     const httplib::Request& req, httplib::Response& res) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_array())
      return send_error(res, 400, "Request body must be a JSON list of problems.");
    nlohmann::json out = nlohmann::json::array();
    for (const auto& job : body) {
      nlohmann::json r = run_job(job);
      if (!r.contains("stored")) {
        out.push_back(r);
        continue;
      }
      std::lock_guard<std::mutex> lock(st->mutex);
      out.push_back(status_json(st->problems.at(r["stored"].get<std::string>()), true));
    }
    send_json(res, 200, out, "problems+json");
  });

  // GET problems/?id=a,b&timeout=N: statuses (long poll); without id: the problem list, filtered
  // by label, status, solver and max_results (newest first, like SAPI).
  svr.Get(P + R"(/problems/?)", [st, status_json, send_json, send_error, not_found](
                                    const httplib::Request& req, httplib::Response& res) {
    const int timeout = poll_timeout(req);
    if (timeout < 0) return send_error(res, 400, "timeout must be within [1, 30].");
    std::unique_lock<std::mutex> lock(st->mutex);
    nlohmann::json out = nlohmann::json::array();
    if (!req.has_param("id")) {
      static const std::set<std::string> statuses = {"PENDING", "IN_PROGRESS", "COMPLETED",
                                                     "FAILED", "CANCELLED"};
      const std::string status = req.get_param_value("status");
      if (!status.empty() && !statuses.count(status))
        return send_error(res, 400, "Unknown status filter '" + status + "'.");
      const std::string label = req.get_param_value("label"),
                        solver = req.get_param_value("solver");
      int max_results = 1000;
      if (req.has_param("max_results")) {
        max_results = std::atoi(req.get_param_value("max_results").c_str());
        if (max_results < 1 || max_results > 1000)
          return send_error(res, 400, "max_results must be within [1, 1000].");
      }
      for (auto it = st->order.rbegin(); it != st->order.rend() && int(out.size()) < max_results;
           ++it) {
        Problem& p = st->problems.at(*it);
        st->refresh(p);
        if (!status.empty() && p.status != status) continue;
        if (!label.empty() && p.label != label) continue;
        if (!solver.empty() && solver != st->opt.solver_name) continue;
        out.push_back(status_json(p, false));
      }
      return send_json(res, 200, out, "problems+json");
    }
    std::vector<std::string> ids;
    const std::string list = req.get_param_value("id");
    for (size_t pos = 0; pos <= list.size();) {
      const size_t comma = std::min(list.find(',', pos), list.size());
      ids.push_back(list.substr(pos, comma - pos));
      pos = comma + 1;
    }
    if (ids.size() > 1000) return send_error(res, 400, "At most 1000 ids per request.");
    for (const auto& id : ids)
      if (!st->problems.count(id)) return send_error(res, 404, not_found);
    if (timeout > 0) st->long_poll(lock, ids, timeout);
    for (const auto& id : ids) {
      Problem& p = st->problems.at(id);
      st->refresh(p);
      if (p.complete_on_poll && p.status == "PENDING") {
        p.status = "COMPLETED";
        p.solved_on = utc_now();
      }
      out.push_back(status_json(p, false));
    }
    send_json(res, 200, out, "problems+json");
  });

  svr.Get(P + R"(/problems/([^/]+)/?)", [st, status_json, send_json, send_error, not_found](
                                            const httplib::Request& req, httplib::Response& res) {
    const int timeout = poll_timeout(req);
    if (timeout < 0) return send_error(res, 400, "timeout must be within [1, 30].");
    std::unique_lock<std::mutex> lock(st->mutex);
    const std::string id = req.matches[1];
    if (!st->problems.count(id)) return send_error(res, 404, not_found);
    if (timeout > 0) st->long_poll(lock, {id}, timeout);
    Problem& p = st->problems.at(id);
    st->refresh(p);
    send_json(res, 200, status_json(p, true), "problem+json");
  });
  svr.Get(
      P + R"(/problems/([^/]+)/answer/?)",
      [st, send_json, send_error, not_found](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(st->mutex);
        auto it = st->problems.find(req.matches[1]);
        if (it != st->problems.end()) st->refresh(it->second);
        if (it == st->problems.end() || it->second.status != "COMPLETED")
          return send_error(res, 404, not_found);
        send_json(res, 200, nlohmann::json{{"answer", it->second.answer}}, "problem-answer+json");
      });
  svr.Get(
      P + R"(/problems/([^/]+)/info/?)", [identity, st, send_json, send_error, not_found](
                                             const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(st->mutex);
        auto it = st->problems.find(req.matches[1]);
        if (it == st->problems.end()) return send_error(res, 404, not_found);
        Problem& p = it->second;
        st->refresh(p);
        nlohmann::json info = {{"id", p.id},
                               {"data", p.data},
                               {"params", p.params},
                               {"metadata",
                                {{"solver", identity()},
                                 {"type", p.type},
                                 {"label", p.label},
                                 {"status", p.status},
                                 {"submitted_by", "standin-user"},
                                 {"submitted_on", p.submitted_on},
                                 {"solved_on", p.solved_on.empty() ? nlohmann::json(nullptr)
                                                                   : nlohmann::json(p.solved_on)},
                                 {"messages", nlohmann::json::array()}}}};
        if (p.status == "COMPLETED") info["answer"] = p.answer;
        send_json(res, 200, info, "problem-data+json");
      });
  svr.Get(
      P + R"(/problems/([^/]+)/messages/?)",
      [st, send_json, send_error, not_found](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(st->mutex);
        if (!st->problems.count(req.matches[1])) return send_error(res, 404, not_found);
        send_json(res, 200, nlohmann::json::array(), "problem-message+json");
      });

  // Cancels one problem under the lock: its status, or an error item (404, 409).
  auto cancel_one = [st, status_json, not_found](const std::string& id) -> nlohmann::json {
    auto it = st->problems.find(id);
    if (it == st->problems.end()) return {{"error_code", 404}, {"error_msg", not_found}};
    st->refresh(it->second);
    if (it->second.status != "PENDING" && it->second.status != "IN_PROGRESS")
      return {{"error_code", 409}, {"error_msg", "Problem has been finished."}};
    it->second.status = "CANCELLED";
    it->second.solved_on = utc_now();
    st->changed.notify_all();
    return status_json(it->second, false);
  };
  svr.Delete(P + R"(/problems/?)", [st, cancel_one, send_json, send_error](
                                       const httplib::Request& req, httplib::Response& res) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_array() ||
        !std::all_of(body.begin(), body.end(), [](const auto& x) { return x.is_string(); }))
      return send_error(res, 400, "Request body must be a JSON list of problem ids.");
    nlohmann::json out = nlohmann::json::array();
    std::lock_guard<std::mutex> lock(st->mutex);
    for (const auto& id : body) out.push_back(cancel_one(id.get<std::string>()));
    send_json(res, 200, out, "problems+json");
  });
  svr.Delete(
      P + R"(/problems/([^/]+)/?)",
      [st, cancel_one, send_json, send_error](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(st->mutex);
        const nlohmann::json r = cancel_one(req.matches[1]);
        if (r.contains("error_code"))
          return send_error(res, r["error_code"].get<int>(), r["error_msg"].get<std::string>());
        send_json(res, 200, r, "problem+json");
      });
}

StandinServer::~StandinServer() {
  stop();
}

nlohmann::json StandinServer::solver_config() const {
  const auto& o = state_->opt;
  return {{"identity", {{"name", o.solver_name}, {"version", {{"graph_id", "standin0001"}}}}},
          {"status", "ONLINE"},
          {"description", "calo4pq offline SAPI stand-in (Gibbs sampler at a hidden beta)"},
          {"avg_load", 0.0},
          {"properties", standin_solver_properties(o)}};
}

int StandinServer::start(const std::string& host, int port) {
  auto& svr = state_->server;
  if (port == 0) {
    state_->port = svr.bind_to_any_port(host);
  } else {
    state_->port = svr.bind_to_port(host, port) ? port : -1;
  }
  if (state_->port < 0) fail("SAPI stand-in could not bind {}:{}; pick another --port", host, port);
  thread_ = std::thread([this] { state_->server.listen_after_bind(); });
  for (int i = 0; i < 2000 && !svr.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return state_->port;
}

void StandinServer::run(const std::string& host, int port) {
  if (!state_->server.bind_to_port(host, port))
    fail("SAPI stand-in could not bind {}:{}; pick another --port", host, port);
  state_->port = port;
  state_->server.listen_after_bind();
}

void StandinServer::stop() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
    state_->changed.notify_all();
  }
  state_->server.stop();
  if (thread_.joinable()) thread_.join();
}

std::string StandinServer::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/sapi/";
}

std::string StandinServer::metadata_endpoint() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/metadata/v1/";
}

bool StandinServer::metadata_saw_token() const {
  return state_->metadata_saw_token.load();
}

int StandinServer::requests_seen() const {
  return state_->requests.load();
}

}  // namespace calo::qpu
