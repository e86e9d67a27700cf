#include "qpu/qpu_sampler.hpp"

#include <map>

#include "host/error.hpp"
#include "host/latent_layout.hpp"
#include "host/log.hpp"
#include "kernels/transform.hpp"
#include "qpu/flux_constants.hpp"
#include "qpu/sapi_standin.hpp"

namespace calo::qpu {

SapiConfig sapi_config_from(const QpuOptions& o) {
  SapiConfig c = SapiConfig::from_environment();
  if (!o.endpoint.empty()) c.endpoint = o.endpoint;
  if (!o.token.empty()) c.token = o.token;
  if (o.timeout_s > 0) c.timeout_s = o.timeout_s;  // else dwave.conf request_timeout or 60 s
  c.retries = o.retries;
  return c;
}

QpuSampler::QpuSampler(QpuOptions options) : options_(std::move(options)) {
  if (!(options_.beta_eff > 0))
    fail_input("QPU beta_eff must be positive, got {}", options_.beta_eff);
  if (options_.num_reads < 1) fail_input("QPU num_reads must be >= 1, got {}", options_.num_reads);
}

const SolverInfo& QpuSampler::solver() {
  if (!client_) client_ = std::make_unique<SapiClient>(sapi_config_from(options_));
  if (!solver_) {
    // A name or a JSON filter; empty: dwave.conf / DWAVE_API_SOLVER, else the first listed.
    solver_ = std::make_unique<SolverInfo>(client_->select_solver(options_.solver));
    spdlog::info("QPU solver {} ({} {} qubits, topology {})", solver_->name,
                 solver_->graph.qubits.size(), solver_->graph.num_qubits, solver_->topology_type);
    const FluxConstants fc = flux_constants_for(solver_->name, solver_->topology_type);
    phi0_per_h_ = fc.phi0_per_h();
    if (fc.guessed)
      spdlog::warn(
          "QPU solver {}: no flux-bias constants known for this name; using {}'s (B = {} GHz, "
          "M_AFM = {} pH, {:.4g} Phi0 per unit h) from its {} topology",
          solver_->name, fc.family, fc.b_ghz, fc.m_afm_ph, phi0_per_h_, solver_->topology_type);
    else
      spdlog::debug("QPU flux-bias constants of {}: {:.4g} Phi0 per unit h", fc.family,
                    phi0_per_h_);
  }
  return *solver_;
}

double QpuSampler::phi0_per_h() {
  solver();
  return phi0_per_h_;
}

nlohmann::json QpuSampler::params(int num_reads, std::span<const double> fb) const {
  nlohmann::json p = {{"num_reads", num_reads}, {"answer_mode", "raw"}, {"auto_scale", false}};
  if (!fb.empty()) {
    p["flux_biases"] = std::vector<double>(fb.begin(), fb.end());
    p["flux_drift_compensation"] = false;
  }
  if (options_.annealing_time_us > 0) p["annealing_time"] = options_.annealing_time_us;
  return p;
}

std::vector<uint8_t> QpuSampler::sample(const RbmParams& rbm, std::span<const float> energies) {
  const SolverInfo& s = solver();
  const IsingMapping m = rbm_to_ising(rbm, 1.0 / options_.beta_eff, s.h_range, s.j_range);
  const size_t n = size_t(rbm.n), row = 4 * n, reads = size_t(options_.num_reads);
  std::vector<uint8_t> out(energies.size() * reads * row);
  // Group showers by their partition-0 code.
  // Key: the n code bits as characters, and the shower index when per_shower is set.
  std::map<std::pair<std::string, size_t>, std::vector<size_t>> groups;
  for (size_t k = 0; k < energies.size(); ++k) {
    std::string key(n, '\0');
    LatentLayout(int(n)).encode(double(energies[k]), reinterpret_cast<uint8_t*>(key.data()));
    groups[{key, options_.per_shower ? k : 0}].push_back(k);
  }
  size_t done = 0;
  bool margin_checked = false;
  for (const auto& [key, showers] : groups) {
    const std::span<const uint8_t> bits(reinterpret_cast<const uint8_t*>(key.first.data()), n);
    const auto fb = clamp_flux_biases(s.graph.num_qubits, rbm.qubit[0], bits,
                                      options_.clamp_strength, phi0_per_h_);
    if (!margin_checked) {  // |h_fb| = clamp_strength for every code: check once
      check_clamp_margin(m.problem, fb, phi0_per_h_);
      margin_checked = true;
    }
    size_t next = 0;  // next (shower, read) slot of this group
    const size_t total = showers.size() * reads;
    while (next < total) {
      const int batch = int(std::min<size_t>(total - next, 10000));
      const QpAnswer a = client_->sample_ising(s, m.problem, params(batch, fb), options_.label);
      if (a.solutions.size() != size_t(batch))
        throw RemoteError(fmt::format("QPU returned {} reads for num_reads = {} (answer_mode raw)",
                                      a.solutions.size(), batch));
      for (const auto& sol : a.solutions) {
        const std::vector<uint8_t> x = spins_to_states(m, rbm.n, a.active_variables, sol);
        for (size_t i = 0; i < n; ++i)
          if (x[i] != bits[i])
            throw RemoteError(
                fmt::format("QPU read broke the partition-0 clamp at slot {} (qubit {}); raise "
                            "clamp_strength (now {})",
                            i, rbm.qubit[0][i], options_.clamp_strength));
        const size_t shower = showers[next / reads], r = next % reads;
        std::copy(x.begin(), x.end(), out.begin() + std::ptrdiff_t((shower * reads + r) * row));
        ++next;
      }
    }
    done += showers.size();
    spdlog::debug("QPU prior: {}/{} showers sampled", done, energies.size());
  }
  return out;
}

std::vector<double> QpuSampler::ising_energies(const RbmParams& rbm, double beta, int num_reads,
                                               std::span<const uint8_t> bits) {
  const SolverInfo& s = solver();
  const double big[2] = {-1e300, 1e300};
  const IsingMapping unscaled = rbm_to_ising(rbm, 1.0, big, big);
  const IsingMapping m = rbm_to_ising(rbm, 1.0 / beta, s.h_range, s.j_range);
  std::vector<double> fb;
  if (!bits.empty())
    fb = clamp_flux_biases(s.graph.num_qubits, rbm.qubit[0], bits, options_.clamp_strength,
                           phi0_per_h_);
  const QpAnswer a =
      client_->sample_ising(s, m.problem, params(num_reads, fb), options_.label + "-beta");
  std::vector<double> e;
  for (const auto& sol : a.solutions)
    e.push_back(ising_energy(unscaled.problem, a.active_variables, sol));
  return e;
}

}  // namespace calo::qpu
