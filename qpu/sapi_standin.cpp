#include "qpu/sapi_standin.hpp"

#include <httplib.h>

#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include "host/error.hpp"
#include "host/log.hpp"
#include "kernels/philox.hpp"
#include "qpu/ising_math.hpp"

namespace calo::qpu {

namespace {
constexpr const char* kMedia = "application/vnd.dwave.sapi.";
// Advantage-like timing model (microseconds), research/dwave.md section 3.
constexpr double kProgramming = 15062.36, kAnneal = 20.0, kReadout = 36.4, kDelay = 20.54;

struct Problem {
  std::string id, status, label;
  nlohmann::json answer;
};
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
  std::map<std::string, Problem> problems;
  uint64_t next_id = 1;
  std::atomic<int> requests{0};
  int port = 0;
};

StandinServer::StandinServer(StandinOptions options) : state_(std::make_unique<State>()) {
  state_->opt = std::move(options);
  State* st = state_.get();
  auto& svr = st->server;

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
    if (req.get_header_value("X-Auth-Token") != st->opt.token) {
      send_error(res, 401, "Invalid token or access denied.");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  svr.Get(R"(/sapi/solvers/remote/?)", [this, send_json](const httplib::Request&,
                                                         httplib::Response& res) {
    send_json(res, 200, nlohmann::json::array({solver_config()}), "solver-definition-list+json");
  });
  svr.Get(R"(/sapi/solvers/remote/([^/]+)/?)",
          [this, st, send_json, send_error](const httplib::Request& req, httplib::Response& res) {
            if (req.matches[1] != st->opt.solver_name)
              return send_error(res, 404, "Solver not found.");
            send_json(res, 200, solver_config(), "solver-definition+json");
          });

  // Validates and samples one job; returns a status object or an error item.
  auto run_job = [this, st](const nlohmann::json& job) -> nlohmann::json {
    auto err = [](int code, const std::string& msg) {
      return nlohmann::json{{"error_code", code}, {"error_msg", msg}};
    };
    if (!job.is_object()) return err(400, "Problem must be a JSON object.");
    const auto& o = st->opt;
    if (!job.contains("solver") || !job["solver"].is_object() ||
        job["solver"].value("name", std::string()) != o.solver_name)
      return err(404, "Solver not found.");
    if (job.value("type", std::string()) != "ising")
      return err(400, "Unsupported problem type (this stand-in accepts 'ising').");
    if (!job.contains("data") || !job["data"].is_object() ||
        job["data"].value("format", "") != "qp" || !job["data"].contains("lin") ||
        !job["data"].contains("quad") || !job["data"]["lin"].is_string() ||
        !job["data"]["quad"].is_string())
      return err(400, "Problem data must have format 'qp' with base64 'lin' and 'quad'.");
    IsingProblem p;
    try {
      p = decode_qp(
          o.graph, {job["data"]["lin"].get<std::string>(), job["data"]["quad"].get<std::string>()});
    } catch (const std::exception& e) {
      return err(400, std::string("Malformed problem data: ") + e.what());
    }
    const nlohmann::json params = job.value("params", nlohmann::json::object());
    static const std::set<std::string> known = {"num_reads",
                                                "answer_mode",
                                                "auto_scale",
                                                "flux_drift_compensation",
                                                "flux_biases",
                                                "annealing_time",
                                                "programming_thermalization",
                                                "readout_thermalization"};
    for (const auto& [k, v] : params.items())
      if (!known.count(k) && k.rfind("x_", 0) != 0)
        return err(400, "Unknown parameter '" + k + "'.");
    const int num_reads = params.value("num_reads", 1);
    if (num_reads < 1 || num_reads > 10000) return err(400, "num_reads out of range [1, 10000].");
    const bool auto_scale = params.value("auto_scale", true);
    std::vector<double> fb;
    if (params.contains("flux_biases")) {
      if (auto_scale) return err(400, "flux_biases cannot be used with auto_scale=true.");
      fb = params["flux_biases"].get<std::vector<double>>();
      if (fb.size() != size_t(o.graph.num_qubits))
        return err(400, "flux_biases must have num_qubits = " + std::to_string(o.graph.num_qubits) +
                            " entries, got " + std::to_string(fb.size()) + ".");
    }
    if (!auto_scale) {
      for (const auto& [q, v] : p.h)
        if (v < o.h_range[0] || v > o.h_range[1])
          return err(400, "h on qubit " + std::to_string(q) + " is outside h_range.");
      for (const auto& [e, v] : p.J)
        if (v < o.j_range[0] || v > o.j_range[1])
          return err(400, "J on coupler (" + std::to_string(e.first) + ", " +
                              std::to_string(e.second) + ") is outside j_range.");
    }
    // auto_scale: divide by the largest range ratio, like SAPI.
    double scale = 1.0;
    if (auto_scale) {
      double r = 0;
      for (const auto& [q, v] : p.h) r = std::max(r, std::abs(v) / o.h_range[1]);
      for (const auto& [e, v] : p.J) r = std::max(r, std::abs(v) / o.j_range[1]);
      if (r > 0) scale = 1.0 / r;
    }
    std::vector<int> active;
    for (const auto& [q, v] : p.h) active.push_back(q);  // decode_qp sets h on every active qubit
    IsingProblem field = p;
    for (auto& [q, v] : field.h) v *= scale;
    for (auto& [e, v] : field.J) v *= scale;
    if (!fb.empty())
      for (auto& [q, v] : field.h) v += fluxbias_to_h(fb[size_t(q)]);
    uint64_t stream;
    std::string id;
    {
      std::lock_guard<std::mutex> lock(st->mutex);
      stream = st->next_id++;
      id = "standin-" + std::to_string(stream);
    }
    const auto samples =
        gibbs_sample_ising(field, active, o.beta, num_reads, o.sweeps, o.seed, stream);
    QpAnswer a;
    a.num_variables = o.graph.num_qubits;
    a.active_variables = active;
    a.solutions = samples;
    for (const auto& s : samples) a.energies.push_back(ising_energy(p, active, s));
    a.num_occurrences.assign(samples.size(), 1);
    const double per_sample = kAnneal + kReadout + kDelay;
    a.timing = {{"qpu_sampling_time", num_reads * per_sample},
                {"qpu_anneal_time_per_sample", kAnneal},
                {"qpu_readout_time_per_sample", kReadout},
                {"qpu_access_time", kProgramming + num_reads * per_sample},
                {"qpu_access_overhead_time", 6535.24},
                {"qpu_programming_time", kProgramming},
                {"qpu_delay_time_per_sample", kDelay},
                {"total_post_processing_time", 0.0},
                {"post_processing_overhead_time", 0.0}};
    nlohmann::json answer = encode_qp_answer(a);
    if (o.malformed_answer) {
      std::string sol = answer["solutions"].get<std::string>();
      answer["solutions"] = sol.substr(0, sol.size() / 2 / 4 * 4);
    }
    Problem pr{id, o.pending_first ? "PENDING" : "COMPLETED", job.value("label", std::string()),
               answer};
    std::lock_guard<std::mutex> lock(st->mutex);
    st->problems[id] = pr;
    return nlohmann::json{{"stored", id}};
  };

  auto status_json = [this](const Problem& p, bool with_answer) {
    nlohmann::json j = {
        {"id", p.id},
        {"type", "ising"},
        {"solver", solver_config()["identity"]},
        {"label", p.label},
        {"status", p.status},
        {"submitted_on", "2026-01-01T00:00:00.000000Z"},
        {"solved_on", p.status == "COMPLETED" ? nlohmann::json("2026-01-01T00:00:01.000000Z")
                                              : nlohmann::json(nullptr)}};
    if (with_answer && p.status == "COMPLETED") j["answer"] = p.answer;
    return j;
  };

  svr.Post(R"(/sapi/problems/?)", [st, run_job, status_json, send_json, send_error](
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

  svr.Get(R"(/sapi/problems/?)", [st, status_json, send_json, send_error](
                                     const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("id")) return send_error(res, 400, "Missing 'id' parameter.");
    if (req.has_param("timeout")) {
      const int t = std::atoi(req.get_param_value("timeout").c_str());
      if (t < 1 || t > 30) return send_error(res, 400, "timeout must be within [1, 30].");
    }
    nlohmann::json out = nlohmann::json::array();
    std::string ids = req.get_param_value("id");
    std::lock_guard<std::mutex> lock(st->mutex);
    size_t pos = 0;
    while (pos <= ids.size()) {
      const size_t comma = std::min(ids.find(',', pos), ids.size());
      const std::string id = ids.substr(pos, comma - pos);
      pos = comma + 1;
      auto it = st->problems.find(id);
      if (it == st->problems.end())
        return send_error(res, 404, "Problem does not exist or apitoken does not have access.");
      if (it->second.status == "PENDING") it->second.status = "COMPLETED";
      out.push_back(status_json(it->second, false));
    }
    send_json(res, 200, out, "problems+json");
  });

  svr.Get(R"(/sapi/problems/([^/]+)/?)", [st, status_json, send_json, send_error](
                                             const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(st->mutex);
    auto it = st->problems.find(req.matches[1]);
    if (it == st->problems.end())
      return send_error(res, 404, "Problem does not exist or apitoken does not have access.");
    send_json(res, 200, status_json(it->second, true), "problem+json");
  });
  svr.Get(
      R"(/sapi/problems/([^/]+)/answer/?)",
      [st, send_json, send_error](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(st->mutex);
        auto it = st->problems.find(req.matches[1]);
        if (it == st->problems.end() || it->second.status != "COMPLETED")
          return send_error(res, 404, "Problem does not exist or apitoken does not have access.");
        send_json(res, 200, nlohmann::json{{"answer", it->second.answer}}, "problem-answer+json");
      });
  svr.Delete(
      R"(/sapi/problems/([^/]+)/?)", [st, status_json, send_json, send_error](
                                         const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(st->mutex);
        auto it = st->problems.find(req.matches[1]);
        if (it == st->problems.end())
          return send_error(res, 404, "Problem does not exist or apitoken does not have access.");
        if (it->second.status != "PENDING")
          return send_error(res, 409, "Problem has been finished.");
        it->second.status = "CANCELLED";
        send_json(res, 200, status_json(it->second, false), "problem+json");
      });
}

StandinServer::~StandinServer() {
  stop();
}

nlohmann::json StandinServer::solver_config() const {
  const auto& o = state_->opt;
  nlohmann::json couplers = nlohmann::json::array();
  for (const auto& [a, b] : o.graph.couplers) couplers.push_back({a, b});
  return {{"identity", {{"name", o.solver_name}, {"version", {{"graph_id", "standin0001"}}}}},
          {"status", "ONLINE"},
          {"description", "calo4pq offline SAPI stand-in (Gibbs sampler at a hidden beta)"},
          {"avg_load", 0.0},
          {"properties",
           {{"category", "qpu"},
            {"supported_problem_types", {"ising"}},
            {"topology", {{"type", o.topology_type}, {"shape", o.topology_shape}}},
            {"num_qubits", o.graph.num_qubits},
            {"qubits", o.graph.qubits},
            {"couplers", couplers},
            {"h_range", {o.h_range[0], o.h_range[1]}},
            {"j_range", {o.j_range[0], o.j_range[1]}},
            {"extended_j_range", {2 * o.j_range[0], o.j_range[1]}},
            {"num_reads_range", {1, 10000}},
            {"parameters",
             {{"num_reads", "Number of states to read."},
              {"answer_mode", "raw or histogram."},
              {"auto_scale", "Rescale h and J to the ranges."},
              {"flux_biases", "Per-qubit flux bias offsets (Phi0)."},
              {"flux_drift_compensation", "Flux drift compensation."},
              {"annealing_time", "Anneal duration in microseconds."}}}}}};
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
  state_->server.stop();
  if (thread_.joinable()) thread_.join();
}

std::string StandinServer::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/sapi/";
}

int StandinServer::requests_seen() const {
  return state_->requests.load();
}

}  // namespace calo::qpu
