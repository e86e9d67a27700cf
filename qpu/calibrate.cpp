#include "qpu/calibrate.hpp"

#include <filesystem>

#include "host/atomic_file.hpp"
#include "host/error.hpp"
#include "host/text_file.hpp"
#include "qpu/sapi_standin.hpp"

namespace calo::qpu {

std::vector<double> reference_ising_energies(const RbmParams& rbm,
                                             std::span<const uint8_t> states) {
  const size_t n = size_t(rbm.n), row = 4 * n;
  if (row == 0 || states.size() % row != 0)
    fail_input("reference states have {} values, not a multiple of 4 n = {}", states.size(), row);
  const double big[2] = {-1e300, 1e300};
  const IsingMapping m = rbm_to_ising(rbm, 1.0, big, big);
  std::vector<int> active;
  for (size_t p = 0; p < 4; ++p)
    for (size_t i = 0; i < n; ++i) active.push_back(rbm.qubit[p][i]);
  std::vector<double> e;
  std::vector<int8_t> s(row);
  for (size_t r = 0; r < states.size() / row; ++r) {
    for (size_t k = 0; k < row; ++k) s[k] = states[r * row + k] ? 1 : -1;
    e.push_back(ising_energy(m.problem, active, s));
  }
  return e;
}

BetaEstimate calibrate_beta_eff(QpuSampler& qpu, const RbmParams& rbm,
                                std::span<const uint8_t> reference_states,
                                std::span<const uint8_t> clamp_bits, int num_reads,
                                const BetaEstimateOptions& options) {
  const std::vector<double> ref = reference_ising_energies(rbm, reference_states);
  return estimate_beta(
      ref, [&](double beta) { return qpu.ising_energies(rbm, beta, num_reads, clamp_bits); },
      options);
}

std::string beta_sidecar_path(const std::string& model_path) {
  return model_path + ".qpu.json";
}

void store_beta_eff(const std::string& model_path, const BetaEstimate& e,
                    const std::string& solver) {
  const nlohmann::json j = {{"beta_eff", e.beta},       {"solver", solver},
                            {"converged", e.converged}, {"betas", e.betas},
                            {"mean_qpu", e.mean_qpu},   {"mean_ref", e.mean_ref}};
  write_text_atomically(beta_sidecar_path(model_path), j.dump(2) + "\n");
}

std::optional<double> load_beta_eff(const std::string& model_path) {
  const std::string path = beta_sidecar_path(model_path);
  if (!std::filesystem::exists(path)) return std::nullopt;
  const auto j = nlohmann::json::parse(read_text_file(path).value_or(""), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("beta_eff") || !j["beta_eff"].is_number() ||
      !(j["beta_eff"].get<double>() > 0))
    fail_input("{}: expected JSON with a positive 'beta_eff'; rerun calo_qpu_calibrate", path);
  return j["beta_eff"].get<double>();
}

}  // namespace calo::qpu
