// RBM -> Ising mapping (energy identity, clipping, flux clamp through the stand-in) and the beta
// calibration loop recovering the stand-in's hidden inverse temperature.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "grid_rbm.hpp"
#include "host/error.hpp"
#include "kernels/philox.hpp"
#include "qpu/beta_estimation.hpp"
#include "qpu/calibrate.hpp"
#include "qpu/ising_mapping.hpp"
#include "qpu/ising_math.hpp"
#include "qpu/sapi_client.hpp"
#include "qpu/sapi_standin.hpp"

using namespace calo::qpu;
using namespace calo::qpu::testing;

namespace {
const double kH[2] = {-4, 4};
const double kJ[2] = {-1, 1};
}  // namespace

TEST(IsingMapping, EnergyIdentityWithRbm) {
  const RbmParams r = grid_rbm(3, -1.2, 1.2, 1.0);
  const double c = 0.25;
  const IsingMapping m = rbm_to_ising(r, c, kH, kJ);
  EXPECT_EQ(m.clip.h_clipped + m.clip.j_clipped, 0);
  EXPECT_EQ(m.problem.J.size(), grid_graph().couplers.size());
  std::vector<int> active;
  for (const auto& [q, v] : m.problem.h) active.push_back(q);
  // E_rbm(x) - E_ising(s) / c must be the same constant for every state.
  double constant = 0;
  for (int t = 0; t < 50; ++t) {
    std::vector<int8_t> s(active.size());
    for (size_t i = 0; i < s.size(); ++i) s[i] = calo::uniform(9, uint64_t(t), i) < 0.5f ? 1 : -1;
    const std::vector<uint8_t> x = spins_to_states(m, r.n, active, s);
    const double d = rbm_energy(r, x) - ising_energy(m.problem, active, s) / c;
    if (t == 0) constant = d;
    EXPECT_NEAR(d, constant, 1e-9) << t;
  }
}

TEST(IsingMapping, ClipsToRangesAndReportsHowMuch) {
  const RbmParams r = grid_rbm(4, -1.2, 1.2, 1.0);
  const IsingMapping m = rbm_to_ising(r, 4.0, kH, kJ);  // J up to 1.2, h up to ~4.4
  EXPECT_GT(m.clip.j_clipped, 0);
  EXPECT_GT(m.clip.j_excess, 0.0);
  EXPECT_LE(m.clip.j_excess, 0.2 + 1e-12);
  for (const auto& [e, v] : m.problem.J) EXPECT_LE(std::abs(v), 1.0);
  for (const auto& [q, v] : m.problem.h) EXPECT_LE(std::abs(v), 4.0);
}

TEST(IsingMapping, FluxBiasSignAndConstants) {
  const std::vector<int> p0 = {5, 7, 9};
  const std::vector<uint8_t> bits = {1, 0, 1};
  const auto fb = clamp_flux_biases(12, p0, bits, 20.0);
  ASSERT_EQ(fb.size(), 12u);
  EXPECT_NEAR(fb[5], 20 * 4.213e-4, 1e-12);  // bit 1 -> h = -20 -> fb = +0.0084 Phi0 (CaloQVAE)
  EXPECT_NEAR(fb[7], -20 * 4.213e-4, 1e-12);
  EXPECT_EQ(fb[0], 0.0);
  EXPECT_NEAR(fluxbias_to_h(fb[5]), -20.0, 1e-9);
  EXPECT_THROW(clamp_flux_biases(6, p0, bits, 20.0), calo::InputError);
}

TEST(IsingMapping, ClampedPartitionZeroComesBackClampedInEveryRead) {
  const StandinOptions o = grid_standin("t", 5.0, 50);
  StandinServer server(o);
  server.start();
  SapiClient client({server.endpoint(), "t", 5, 2, 0.01, 1, 60});
  const SolverInfo s = client.get_solver(o.solver_name);
  const RbmParams r = grid_rbm(5, -1.5, 1.5, 2.0);
  const IsingMapping m = rbm_to_ising(r, 1.0 / 5.0, s.h_range, s.j_range);
  std::vector<uint8_t> bits(size_t(r.n));
  for (size_t i = 0; i < bits.size(); ++i) bits[i] = uint8_t((i * 7 + 3) % 3 == 0);
  nlohmann::json prm = {
      {"num_reads", 32},
      {"answer_mode", "raw"},
      {"auto_scale", false},
      {"flux_drift_compensation", false},
      {"flux_biases", clamp_flux_biases(s.graph.num_qubits, r.qubit[0], bits, 20.0)}};
  const QpAnswer a = client.sample_ising(s, m.problem, prm);
  ASSERT_EQ(a.solutions.size(), 32u);
  int other_ones = 0;
  for (const auto& sol : a.solutions) {
    const auto x = spins_to_states(m, r.n, a.active_variables, sol);
    for (size_t i = 0; i < bits.size(); ++i) ASSERT_EQ(x[i], bits[i]) << i;
    for (size_t i = bits.size(); i < x.size(); ++i) other_ones += x[i];
  }
  EXPECT_GT(other_ones, 0);  // the unclamped partitions are not frozen
}

TEST(BetaEstimation, RecoversTheStandinsHiddenBeta) {
  const double hidden = 6.0;
  const StandinOptions o = grid_standin("t", hidden, 200);
  StandinServer server(o);
  server.start();
  SapiClient client({server.endpoint(), "t", 30, 2, 0.01, 1, 60});
  const SolverInfo s = client.get_solver(o.solver_name);
  const RbmParams r = grid_rbm(11, -3.0, 1.0, 2.0);
  const IsingMapping unscaled = rbm_to_ising(r, 1.0, kH, kJ);
  std::vector<int> active;
  for (const auto& [q, v] : unscaled.problem.h) active.push_back(q);
  // Reference: the classical model itself (beta = 1 on the unscaled Ising form).
  const int reads = 256;
  std::vector<double> ref;
  for (const auto& sp : gibbs_sample_ising(unscaled.problem, active, 1.0, reads, 200, 99, 1))
    ref.push_back(ising_energy(unscaled.problem, active, sp));
  auto qpu = [&](double beta) {
    const IsingMapping m = rbm_to_ising(r, 1.0 / beta, s.h_range, s.j_range);
    const QpAnswer a = client.sample_ising(
        s, m.problem, {{"num_reads", reads}, {"answer_mode", "raw"}, {"auto_scale", false}});
    std::vector<double> e;
    for (const auto& sp : a.solutions)
      e.push_back(ising_energy(unscaled.problem, a.active_variables, sp));
    return e;
  };
  BetaEstimateOptions opt;  // reference defaults: beta 4, delta 4, const 1.5, 11 iterations
  const BetaEstimate est = estimate_beta(ref, qpu, opt);
  EXPECT_TRUE(est.converged);
  EXPECT_NEAR(est.beta, hidden, 0.1 * hidden) << "iterations " << est.betas.size();
  EXPECT_GT(est.betas.size(), 1u);  // it started away from the answer and moved
}

TEST(BetaEstimation, UpdateRuleFollowsTheReference) {
  // Synthetic energies: the first call returns mean -2 (ref mean -1) with variance 1, so
  // delta = max(4, 2/1) = 4 and beta_1 = 3 * 2^4 = 48; then the means agree and it stops
  // (threshold 1.5 * 2 * 1 * 0.141 / (sqrt(2) * 1.141) = 0.26 < |-2 - -1| on the first call).
  std::vector<double> ref = {-1.1, -0.9};
  int calls = 0;
  auto qpu = [&](double) -> std::vector<double> {
    ++calls;
    if (calls == 1) return {-2 - std::sqrt(0.5), -2 + std::sqrt(0.5)};
    return {-1.1, -0.9};
  };
  BetaEstimateOptions opt;
  opt.beta_init = 3.0;
  const BetaEstimate est = estimate_beta(ref, qpu, opt);
  ASSERT_EQ(est.betas.size(), 2u);
  EXPECT_NEAR(est.betas[1], 48.0, 1e-9);
  EXPECT_TRUE(est.converged);
  EXPECT_EQ(est.beta, 48.0);
}

TEST(BetaEstimation, CalibrateThroughQpuSamplerAndStoreWithModel) {
  const double hidden = 6.0;
  const StandinOptions o = grid_standin("t", hidden, 200);
  StandinServer server(o);
  server.start();
  QpuOptions q;
  q.endpoint = server.endpoint();
  q.token = "t";
  QpuSampler sampler(q);
  const RbmParams r = grid_rbm(11, -3.0, 1.0, 2.0);
  // Reference RBM states at beta = 1 (Gibbs on the unscaled Ising form, spins -> states).
  const IsingMapping unscaled = rbm_to_ising(r, 1.0, kH, kJ);
  std::vector<int> active;
  for (size_t p = 0; p < 4; ++p)
    for (int qb : r.qubit[p]) active.push_back(qb);
  std::vector<uint8_t> states;
  for (const auto& sp : gibbs_sample_ising(unscaled.problem, active, 1.0, 256, 200, 99, 1))
    for (int8_t v : sp) states.push_back(v > 0 ? 1 : 0);
  const BetaEstimate est = calibrate_beta_eff(sampler, r, states, {}, 256, BetaEstimateOptions{});
  EXPECT_TRUE(est.converged);
  EXPECT_NEAR(est.beta, hidden, 0.1 * hidden);
  const std::string model = ::testing::TempDir() + "/qpu_model.bin";
  std::remove(beta_sidecar_path(model).c_str());
  EXPECT_FALSE(load_beta_eff(model).has_value());
  store_beta_eff(model, est, sampler.solver().name);
  EXPECT_EQ(load_beta_eff(model).value(), est.beta);
  {
    std::ofstream bad(beta_sidecar_path(model));
    bad << "{\"beta_eff\": -1}";
  }
  EXPECT_THROW(load_beta_eff(model), calo::InputError);
}
