// QpuSampler end to end against the loopback stand-in: a small RBM -> Ising -> SAPI -> states,
// partition 0 clamped to the incident-energy code in every read, one problem per distinct code.
#include <gtest/gtest.h>

#include "grid_rbm.hpp"
#include "host/error.hpp"
#include "kernels/transform.hpp"
#include "qpu/qpu_sampler.hpp"
#include "qpu/sapi_standin.hpp"

using namespace calo::qpu;
using namespace calo::qpu::testing;

namespace {
constexpr int kSide = 16;  // n = 64 >= 60, so partition 0 carries one full energy code

StandinOptions side16_standin() {
  return grid_standin("tok-abc", 5.0, 50, kSide);
}
}  // namespace

TEST(QpuSampler, StatesHaveClampedPartitionZeroAndOneProblemPerCode) {
  StandinServer server(side16_standin());
  server.start();
  QpuOptions q;
  q.endpoint = server.endpoint();
  q.token = "tok-abc";
  q.beta_eff = 5.0;
  q.num_reads = 2;
  q.timeout_s = 10;
  QpuSampler sampler(q);
  const RbmParams r = grid_rbm(21, -1.5, 1.5, 1.0, kSide);
  const std::vector<float> energies = {1000.f, 65536.f, 1000.f, 250000.f};
  const std::vector<uint8_t> x = sampler.sample(r, energies);
  const size_t n = size_t(r.n), row = 4 * n;
  ASSERT_EQ(x.size(), energies.size() * 2 * row);
  std::vector<uint8_t> code(n);
  int ones = 0;
  for (size_t k = 0; k < energies.size(); ++k) {
    calo::energy_code(energies[k], int(n), code.data());
    for (size_t rd = 0; rd < 2; ++rd) {
      const uint8_t* s = x.data() + (k * 2 + rd) * row;
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(s[i], code[i]) << "shower " << k << " slot " << i;
      for (size_t i = n; i < row; ++i) ones += s[i];
    }
  }
  EXPECT_GT(ones, 0);
  // 1 solver listing request + 3 distinct codes.
  EXPECT_EQ(server.requests_seen(), 1 + 3);
}

TEST(QpuSampler, PerShowerModeSubmitsOneProblemEach) {
  StandinServer server(side16_standin());
  server.start();
  QpuOptions q;
  q.endpoint = server.endpoint();
  q.token = "tok-abc";
  q.solver = "Advantage2_standin";
  q.per_shower = true;
  QpuSampler sampler(q);
  const RbmParams r = grid_rbm(22, -1.0, 1.0, 1.0, kSide);
  const std::vector<float> energies = {500.f, 500.f, 500.f};
  EXPECT_EQ(sampler.sample(r, energies).size(), 3 * 4 * size_t(r.n));
  EXPECT_EQ(server.requests_seen(), 1 + 3);
}

TEST(QpuSampler, WeakClampIsReportedNotHidden) {
  StandinOptions o = side16_standin();
  o.beta = 0.05;  // nearly infinite temperature: a tiny clamp cannot hold
  StandinServer server(o);
  server.start();
  QpuOptions q;
  q.endpoint = server.endpoint();
  q.token = "tok-abc";
  q.clamp_strength = 0.01;
  q.num_reads = 8;
  QpuSampler sampler(q);
  const RbmParams r = grid_rbm(23, -1.0, 1.0, 1.0, kSide);
  const std::vector<float> energies = {4096.f};
  try {
    sampler.sample(r, energies);
    FAIL() << "expected a clamp error";
  } catch (const calo::RemoteError& e) {
    EXPECT_NE(std::string(e.what()).find("clamp_strength"), std::string::npos) << e.what();
  }
}

TEST(QpuSampler, MissingTokenIsAnInputError) {
  ::setenv("DWAVE_API_TOKEN", "", 1);
  ::setenv("DWAVE_CONFIG_FILE", "/nonexistent/dwave.conf", 1);
  QpuOptions q;
  q.endpoint = "http://127.0.0.1:9/sapi/";
  QpuSampler sampler(q);
  const RbmParams r = grid_rbm(24, -1.0, 1.0, 1.0, kSide);
  const std::vector<float> energies = {4096.f};
  EXPECT_THROW(sampler.sample(r, energies), calo::InputError);
}
