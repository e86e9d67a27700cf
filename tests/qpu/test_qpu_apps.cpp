// calo_sapi_standin + calo_qpu_calibrate as processes on a loopback port: the calibration app
// recovers the stand-in's hidden beta within 10% and stores it beside the RBM; a wrong token is a
// one-line error that does not echo the token. Skips when the apps were not built.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "host/topology/graph.hpp"
#include "qpu/calibrate.hpp"
#include "qpu/sapi_client.hpp"
#include "samplers/rbm.hpp"

namespace {
const std::string kBin = CALO_BIN_DIR;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Standin {
  pid_t pid = -1;
  std::string endpoint;
  Standin(const std::string& dir, double beta) {
    const int port = free_port();
    endpoint = "http://127.0.0.1:" + std::to_string(port) + "/sapi/";
    const std::string pidfile = dir + "/standin.pid";
    const std::string cmd = "exec " + kBin + "/calo_sapi_standin --port " + std::to_string(port) +
                            " --topology zephyr:3,4 --beta " + std::to_string(beta) +
                            " --log-level warn > " + dir + "/standin.log 2>&1 & echo $! > " +
                            pidfile;
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    pid = std::stoi(slurp(pidfile));
    calo::qpu::SapiConfig c;
    c.endpoint = endpoint;
    c.token = "standin-token";
    c.retries = 40;
    c.backoff_s = 0.05;
    c.timeout_s = 5;
    calo::qpu::SapiClient client(c);
    client.list_solvers();  // waits (bounded) until the server listens
  }
  ~Standin() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
};
}  // namespace

TEST(QpuApps, CalibrateRecoversHiddenBetaAndStoresIt) {
  if (!std::filesystem::exists(kBin + "/calo_sapi_standin") ||
      !std::filesystem::exists(kBin + "/calo_qpu_calibrate"))
    GTEST_SKIP() << "apps not built in " << kBin;
  const std::string dir = ::testing::TempDir() + "/qpu_apps";
  std::filesystem::create_directories(dir);
  const std::string rbm_path = dir + "/rbm.h5";
  calo::Rbm rbm = calo::Rbm::from_graph(calo::zephyr_graph(3, 4), 64);
  rbm.init_random(7, {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f}, 1.0f);
  rbm.save(rbm_path);
  std::filesystem::remove(calo::qpu::beta_sidecar_path(rbm_path));
  const double hidden = 6.0;
  Standin server(dir, hidden);
  const std::string cmd = kBin + "/calo_qpu_calibrate --rbm " + rbm_path + " --endpoint " +
                          server.endpoint +
                          " --token standin-token --num-reads 256 --reference-samples 256 "
                          "--gibbs-sweeps 300 --log-level warn > " +
                          dir + "/calibrate.out 2>&1";
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc)) << slurp(dir + "/calibrate.out");
  EXPECT_EQ(WEXITSTATUS(rc), 0) << slurp(dir + "/calibrate.out");
  const auto beta = calo::qpu::load_beta_eff(rbm_path);
  ASSERT_TRUE(beta.has_value());
  EXPECT_NEAR(*beta, hidden, 0.1 * hidden);

  const std::string bad = kBin + "/calo_qpu_calibrate --rbm " + rbm_path + " --endpoint " +
                          server.endpoint + " --token WRONG-secret-77 --retries 0 > " + dir +
                          "/bad.out 2>&1";
  const int rc2 = std::system(bad.c_str());
  EXPECT_EQ(WEXITSTATUS(rc2), 1);
  const std::string out = slurp(dir + "/bad.out");
  EXPECT_NE(out.find("error: "), std::string::npos) << out;
  EXPECT_NE(out.find("401"), std::string::npos) << out;
  EXPECT_EQ(out.find("WRONG-secret-77"), std::string::npos) << out;
}

TEST(QpuApps, StandinRejectsAnUnknownProfileListingTheKnownOnes) {
  if (!std::filesystem::exists(kBin + "/calo_sapi_standin")) GTEST_SKIP() << "app not built";
  const std::string out = ::testing::TempDir() + "/standin_profile.txt";
  const std::string cmd = kBin + "/calo_sapi_standin --port " + std::to_string(free_port()) +
                          " --profile Advantage_system9 > " + out + " 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_NE(rc, 0);
  const std::string text = slurp(out);
  EXPECT_NE(text.find("unknown stand-in solver profile 'Advantage_system9'"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Advantage2_system1, Advantage_system4.1"), std::string::npos) << text;
}
