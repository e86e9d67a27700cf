#pragma once
// beta_eff calibration against a QPU (or the stand-in) and its storage beside the model:
// "<model>.qpu.json" holds {"beta_eff", "solver", "converged", "betas", "mean_qpu", "mean_ref"}.
#include <optional>
#include <span>
#include <string>

#include "qpu/beta_estimation.hpp"
#include "qpu/qpu_sampler.hpp"

namespace calo::qpu {

// Unscaled-model Ising energies of RBM states (rows of 4 n values in {0,1}, partition-major).
std::vector<double> reference_ising_energies(const RbmParams& rbm, std::span<const uint8_t> states);

// Runs estimate_beta with the QPU drawing `num_reads` samples per iteration (partition 0 clamped
// to `clamp_bits` when not empty) against reference states sampled classically at beta = 1.
BetaEstimate calibrate_beta_eff(QpuSampler& qpu, const RbmParams& rbm,
                                std::span<const uint8_t> reference_states,
                                std::span<const uint8_t> clamp_bits, int num_reads,
                                const BetaEstimateOptions& options);

std::string beta_sidecar_path(const std::string& model_path);
void store_beta_eff(const std::string& model_path, const BetaEstimate& estimate,
                    const std::string& solver);
// The stored beta_eff, or nothing when the model has no sidecar; a malformed sidecar is an error.
std::optional<double> load_beta_eff(const std::string& model_path);

}  // namespace calo::qpu
