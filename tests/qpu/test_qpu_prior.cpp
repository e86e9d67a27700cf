// make_qpu_prior_sampler end to end with the project's Rbm on a Zephyr graph against the loopback
// stand-in (whose Zephyr generator is independent of host/topology: the couplers must agree), and
// the Rbm -> Ising energy identity with Rbm::energy.
#include <gtest/gtest.h>

#include "host/error.hpp"
#include "host/topology/graph.hpp"
#include "kernels/philox.hpp"
#include "kernels/transform.hpp"
#include "qpu/qpu_prior_sampler.hpp"
#include "qpu/sapi_standin.hpp"
#include "qpu/standin_topology.hpp"

using namespace calo::qpu;

namespace {
calo::Rbm zephyr_rbm(uint64_t seed) {
  calo::Rbm rbm = calo::Rbm::from_graph(calo::zephyr_graph(3, 4), 64);  // n = 64 >= 60 code bits
  rbm.init_random(seed, {0.6f, 0.6f, 0.6f, 0.6f, 0.6f, 0.6f}, 0.5f);
  return rbm;
}
}  // namespace

TEST(QpuPrior, RbmEnergyIdentityThroughTheAdapter) {
  const calo::Rbm rbm = zephyr_rbm(5);
  const RbmParams r = rbm_params(rbm);
  const double c = 0.2, big[2] = {-1e300, 1e300};
  const IsingMapping m = rbm_to_ising(r, c, big, big);
  EXPECT_GT(m.problem.J.size(), 100u);
  std::vector<int> active;
  for (int p = 0; p < 4; ++p)
    for (int64_t q : rbm.qubits(p)) active.push_back(int(q));
  double constant = 0;
  for (int t = 0; t < 20; ++t) {
    std::vector<uint8_t> z(size_t(rbm.num_nodes()));
    std::vector<int8_t> s(z.size());
    for (size_t i = 0; i < z.size(); ++i) {
      z[i] = calo::uniform(3, uint64_t(t), i) < 0.5f;
      s[i] = z[i] ? 1 : -1;
    }
    const double d = rbm.energy(z.data()) - ising_energy(m.problem, active, s) / c;
    if (t == 0) constant = d;
    EXPECT_NEAR(d, constant, 1e-6 * (1 + std::abs(constant))) << t;
  }
}

TEST(QpuPrior, EndToEndAgainstStandinClampsPartitionZero) {
  const auto topo = standin_topology("zephyr:3,4");
  StandinOptions o;
  o.graph = topo.graph;
  o.topology_shape = topo.shape;
  o.token = "prior-token";
  o.beta = 4.0;
  o.sweeps = 30;
  StandinServer server(o);
  server.start();
  QpuOptions q;
  q.endpoint = server.endpoint();
  q.token = "prior-token";
  q.beta_eff = 4.0;
  q.timeout_s = 20;
  auto sampler = calo::make_qpu_prior_sampler(q);
  EXPECT_EQ(sampler->name(), "qpu");
  const calo::Rbm rbm = zephyr_rbm(6);
  const std::vector<float> energies = {1000.f, 52000.f, 1000.f, 700000.f};
  const std::vector<uint8_t> z = sampler->sample(rbm, energies, 1);
  const size_t n = size_t(rbm.n()), row = 4 * n;
  ASSERT_EQ(z.size(), energies.size() * row);
  std::vector<uint8_t> code(n);
  size_t ones = 0;
  for (size_t k = 0; k < energies.size(); ++k) {
    calo::energy_code(energies[k], int(n), code.data());
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(z[k * row + i], code[i]) << "shower " << k << " slot " << i;
    for (size_t i = n; i < row; ++i) ones += z[k * row + i];
  }
  EXPECT_GT(ones, 0u);
  EXPECT_LT(ones, energies.size() * 3 * n);
  EXPECT_EQ(server.requests_seen(), 1 + 3);  // solver listing + 3 distinct codes

  QpuOptions bad = q;
  bad.num_reads = 4;
  EXPECT_THROW(calo::make_qpu_prior_sampler(bad), calo::InputError);
}
