// Flux-bias constants per solver family (issue 16, item 12): the Phi0-per-h factor against
// D-Wave's published numbers, the stand-in converting with its own family's constant (a clamp
// built with Advantage's constant is 1.6x off on Advantage2), and the clamp-margin check.
#include <gtest/gtest.h>

#include <cmath>

#include "qpu/flux_constants.hpp"
#include "qpu/ising_mapping.hpp"
#include "qpu/ising_math.hpp"
#include "qpu/sapi_client.hpp"
#include "qpu/sapi_standin.hpp"

using namespace calo::qpu;

TEST(FluxConstants, PerFamilyFactorsMatchDwave) {
  // research/dwave.md section 4: -4.213e-4 (Advantage_system4.1), -3.07e-4 (Advantage2_system1),
  // -2.93e-4 (Advantage2_system4), -2.63e-4 (Advantage2_prototype2.6) Phi0 per unit h.
  EXPECT_NEAR(flux_constants_for("Advantage_system4.1", "pegasus").phi0_per_h(), 4.213e-4, 1e-6);
  EXPECT_NEAR(flux_constants_for("Advantage_system6.4", "pegasus").phi0_per_h(), 4.213e-4, 1e-6);
  EXPECT_NEAR(flux_constants_for("Advantage2_system1.6", "zephyr").phi0_per_h(), 3.07e-4, 1e-6);
  EXPECT_NEAR(flux_constants_for("Advantage2_system4.1", "zephyr").phi0_per_h(), 2.93e-4, 1e-6);
  EXPECT_NEAR(flux_constants_for("Advantage2_prototype2.6", "zephyr").phi0_per_h(), 2.63e-4, 1e-6);
  EXPECT_FALSE(
      flux_constants_for("Advantage2_standin", "zephyr").guessed);  // no warning in the demo
  const FluxConstants g = flux_constants_for("Mystery_QPU", "zephyr");
  EXPECT_TRUE(g.guessed);
  EXPECT_EQ(g.family, "Advantage2_system1");
  EXPECT_FALSE(flux_constants_for("Advantage2_system1.6", "zephyr").guessed);
  EXPECT_EQ(flux_constants_for("Other", "pegasus").family, "Advantage_system4.1");
  EXPECT_DOUBLE_EQ(kFluxPerH, 4.213e-4);
}

TEST(FluxConstants, StandinConvertsWithItsFamilysConstant) {
  // One isolated qubit, h = 0, a flux bias worth h = -0.3 at beta 5: P(+1) = 1/(1+exp(-3)).
  StandinOptions o;
  o.solver_name = "Advantage2_system1.6";
  const std::string token = "flux-token-1";
  o.token = token;
  o.graph.num_qubits = 2;
  o.graph.qubits = {0, 1};
  o.sweeps = 5;
  StandinServer server(o);
  server.start();
  SapiConfig c;
  c.endpoint = server.endpoint();
  c.token = token;
  SapiClient client(c);
  const SolverInfo s = client.get_solver("Advantage2_system1.6");
  const double k = flux_constants_for(s.name, s.topology_type).phi0_per_h();
  IsingProblem p;
  p.h[0] = 0;
  const int reads = 6000;
  const auto up_fraction = [&](double phi0_per_h) {
    std::vector<double> fb = {h_to_fluxbias(-0.3, phi0_per_h), 0.0};
    const QpAnswer a = client.sample_ising(
        s, p,
        {{"num_reads", reads}, {"answer_mode", "raw"}, {"auto_scale", false}, {"flux_biases", fb}});
    double up = 0;
    for (const auto& sol : a.solutions) up += sol[0] > 0;
    return up / reads;
  };
  const double want = 1 / (1 + std::exp(-2 * 5.0 * 0.3));
  const double sigma = std::sqrt(want * (1 - want) / reads);
  EXPECT_NEAR(up_fraction(k), want, 4 * sigma);
  // Advantage's constant gives h = -0.3 * 4.213 / 3.07 = -0.41 on this solver: P(+1) = 0.984.
  const double wrong = 1 / (1 + std::exp(-2 * 5.0 * 0.3 * kFluxPerH / k));
  EXPECT_GT(wrong - want, 8 * sigma);
  EXPECT_NEAR(up_fraction(kFluxPerH), wrong, 4 * sigma);
}

TEST(FluxConstants, ClampMarginWarnsWhenCouplingsOutweighTheClamp) {
  IsingProblem p;
  p.h = {{0, 0}, {1, 0}, {2, 0}, {3, 0}};
  p.add_J(0, 1, -1.0);
  p.add_J(0, 2, 0.8);
  p.add_J(0, 3, -1.0);  // sum |J| on qubit 0: 2.8
  const double k = flux_constants_for("Advantage2_system1.6", "zephyr").phi0_per_h();
  std::vector<double> fb(4, 0.0);
  fb[0] = h_to_fluxbias(-2.0, k);
  ClampMargin m = check_clamp_margin(p, fb, k);
  EXPECT_EQ(m.clamped, 1);
  EXPECT_EQ(m.weak, 1);
  EXPECT_EQ(m.worst_qubit, 0);
  EXPECT_NEAR(m.worst_margin, 2.0 - 2.8, 1e-12);
  fb[0] = h_to_fluxbias(-20.0, k);
  m = check_clamp_margin(p, fb, k);
  EXPECT_EQ(m.weak, 0);
  EXPECT_NEAR(m.worst_margin, 20.0 - 2.8, 1e-9);
  // The clamp built for Advantage2 holds its strength after conversion on the same family.
  const std::vector<int> q0 = {0};
  const std::vector<uint8_t> bit = {1};
  const auto clamp = clamp_flux_biases(4, q0, bit, 3.0, k);
  EXPECT_NEAR(fluxbias_to_h(clamp[0], k), -3.0, 1e-12);
  EXPECT_EQ(check_clamp_margin(p, clamp, k).weak, 0);
  // Read with Advantage's constant the same flux bias is worth only 0.73x the h meant.
  EXPECT_NEAR(fluxbias_to_h(clamp[0], kFluxPerH) / -3.0, k / kFluxPerH, 1e-12);
}
