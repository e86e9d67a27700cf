// dwave.conf and environment the way dwave-cloud-client reads them (issue 16, item 11): the XDG
// system folders, the user folder and ./dwave.conf, later files overriding earlier ones; region,
// client, solver (name or JSON filter), proxy, request_timeout, polling_timeout; DWAVE_API_REGION
// and DWAVE_API_SOLVER; a region resolved to its endpoint through the Metadata API (the stand-in
// serves it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "host/error.hpp"
#include "qpu/sapi_client.hpp"
#include "qpu/sapi_standin.hpp"
#include "qpu/solver_filter.hpp"
#include "qpu/solver_profile.hpp"

using namespace calo::qpu;
namespace fs = std::filesystem;

namespace {
const char* kVars[] = {"DWAVE_CONFIG_FILE",  "DWAVE_PROFILE",    "DWAVE_API_TOKEN",
                       "DWAVE_API_ENDPOINT", "DWAVE_API_REGION", "DWAVE_API_SOLVER",
                       "DWAVE_API_CLIENT",   "DWAVE_API_PROXY",  "DWAVE_METADATA_API_ENDPOINT",
                       "XDG_CONFIG_DIRS",    "XDG_CONFIG_HOME"};

// A scratch tree with system, user and working folders; restores the environment and cwd.
class DwaveConf : public ::testing::Test {
 protected:
  fs::path root, cwd;
  void SetUp() override {
    cwd = fs::current_path();
    root = fs::path(::testing::TempDir()) /
           ("dwaveconf_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root);
    for (const char* d : {"sys1/dwave", "sys2/dwave", "home/dwave", "work"})
      fs::create_directories(root / d);
    for (const char* v : kVars) ::unsetenv(v);
    ::setenv("XDG_CONFIG_DIRS", ((root / "sys1").string() + ":" + (root / "sys2").string()).c_str(),
             1);
    ::setenv("XDG_CONFIG_HOME", (root / "home").c_str(), 1);
    fs::current_path(root / "work");
  }
  void TearDown() override {
    fs::current_path(cwd);
    for (const char* v : kVars) ::unsetenv(v);
    fs::remove_all(root);
  }
  void write(const std::string& rel, const std::string& text) { std::ofstream(root / rel) << text; }
};
}  // namespace

TEST_F(DwaveConf, SearchesSystemUserAndLocalFilesLaterOverridingEarlier) {
  write("sys2/dwave/dwave.conf",
        "[defaults]\ntoken = sys2-token\nsolver = SysSolver\nproxy = http://proxy.sys2:3128\n");
  write("sys1/dwave/dwave.conf", "[defaults]\ntoken = sys1-token\n");
  SapiConfig c = SapiConfig::from_environment();
  EXPECT_EQ(c.token, "sys1-token");  // the first XDG_CONFIG_DIRS entry wins among system files
  EXPECT_EQ(c.solver, "SysSolver");
  EXPECT_EQ(c.proxy, "http://proxy.sys2:3128");
  write("home/dwave/dwave.conf", "[defaults]\ntoken = user-token\nrequest_timeout = 12.5\n");
  c = SapiConfig::from_environment();
  EXPECT_EQ(c.token, "user-token");
  EXPECT_DOUBLE_EQ(c.timeout_s, 12.5);
  write("work/dwave.conf",
        "[defaults]\nprofile = prod\n\n[prod]\ntoken = local-token\nregion = eu-central-1\n"
        "client = qpu\npolling_timeout = 90\nrequest_timeout = (5, 30)\n"
        "solver = {\"num_qubits__gt\": 4000}\n");
  c = SapiConfig::from_environment();
  EXPECT_EQ(c.token, "local-token");
  EXPECT_EQ(c.region, "eu-central-1");
  EXPECT_TRUE(c.endpoint.empty());  // resolved through the Metadata API later
  EXPECT_EQ(c.client, "qpu");
  EXPECT_DOUBLE_EQ(c.wait_timeout_s, 90);
  EXPECT_DOUBLE_EQ(c.timeout_s, 30);
  EXPECT_EQ(c.solver, "{\"num_qubits__gt\": 4000}");
  EXPECT_EQ(c.proxy, "http://proxy.sys2:3128");  // inherited from the system [defaults]
  EXPECT_NE(c.source.find("./dwave.conf (profile 'prod')"), std::string::npos) << c.source;
}

TEST_F(DwaveConf, EnvironmentOverridesAndEndpointRegionExcludeEachOther) {
  write("home/dwave/dwave.conf",
        "[defaults]\ntoken = user-token\nendpoint = https://file.example/sapi/\nsolver = A\n");
  ::setenv("DWAVE_API_REGION", "eu-central-1", 1);
  ::setenv("DWAVE_API_SOLVER", "Advantage2_system1.6", 1);
  SapiConfig c = SapiConfig::from_environment();
  EXPECT_TRUE(c.endpoint.empty());  // the env region drops the file's endpoint
  EXPECT_EQ(c.region, "eu-central-1");
  EXPECT_EQ(c.solver, "Advantage2_system1.6");
  ::setenv("DWAVE_API_ENDPOINT", "http://127.0.0.1:1/sapi/v2/", 1);
  c = SapiConfig::from_environment();
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:1/sapi/v2/");  // same level: endpoint wins
  ::unsetenv("DWAVE_API_REGION");
  ::unsetenv("DWAVE_API_ENDPOINT");
  write("home/dwave/dwave.conf",
        "[defaults]\ntoken = t\nendpoint = https://file.example/sapi/\nregion = eu-central-1\n");
  c = SapiConfig::from_environment();
  EXPECT_EQ(c.endpoint, "https://file.example/sapi/");  // within the file the endpoint wins
}

TEST_F(DwaveConf, MalformedValuesNameTheFileAndKey) {
  write("work/dwave.conf", "[defaults]\ntoken = t\nrequest_timeout = soon\n");
  try {
    SapiConfig::from_environment();
    FAIL() << "expected InputError";
  } catch (const calo::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("dwave.conf:3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("request_timeout"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("= t\n"), std::string::npos) << msg;
  }
  write("work/dwave.conf", "[defaults]\nABCD-0123456789-pasted-token\n");
  try {  // a stray line may be a pasted token: never echoed
    SapiConfig::from_environment();
    FAIL() << "expected InputError";
  } catch (const calo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dwave.conf:2"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("ABCD-0123456789"), std::string::npos) << e.what();
  }
  write("work/dwave.conf", "token = ABCD-0123456789\n[defaults]\n");
  try {
    SapiConfig::from_environment();
    FAIL() << "expected InputError";
  } catch (const calo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("key 'token' comes before"), std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("ABCD-0123456789"), std::string::npos) << e.what();
  }
  write("work/dwave.conf", "[defaults]\ntoken = t\nclient = hybrid\n");
  EXPECT_THROW(SapiConfig::from_environment(), calo::InputError);
  ::setenv("DWAVE_CONFIG_FILE", (root / "nope.conf").c_str(), 1);
  EXPECT_THROW(SapiConfig::from_environment(), calo::InputError);
  ::setenv("DWAVE_PROFILE", "missing", 1);
  ::setenv("DWAVE_CONFIG_FILE", (root / "work/dwave.conf").c_str(), 1);
  write("work/dwave.conf", "[defaults]\ntoken = t\n[prod]\ntoken = p\n");
  EXPECT_THROW(SapiConfig::from_environment(), calo::InputError);
}

TEST_F(DwaveConf, RegionResolvesThroughTheMetadataApi) {
  StandinOptions o;
  o.token = "region-token";
  StandinServer server(o);
  server.start();
  write("work/dwave.conf",
        "[defaults]\ntoken = region-token\nregion = eu-central-1\nmetadata_api_endpoint = " +
            server.metadata_endpoint() + "\n");
  SapiConfig c = SapiConfig::from_environment();
  SapiClient client(c);
  EXPECT_EQ(client.config().endpoint,
            server.endpoint().substr(0, server.endpoint().size() - 6) + "/eu-central-1/sapi/v2/");
  EXPECT_EQ(client.list_solvers().size(), 1u);  // the resolved endpoint is served
  EXPECT_FALSE(server.metadata_saw_token());    // the token goes to SAPI only
  ::setenv("DWAVE_API_REGION", "ap-south-9", 1);
  c = SapiConfig::from_environment();
  try {
    SapiClient bad(c);
    FAIL() << "expected InputError";
  } catch (const calo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("na-west-1, eu-central-1"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("region-token"), std::string::npos);
  }
  // The default region on the default Metadata API needs no request (Ocean's short-circuit).
  SapiConfig d;
  d.token = "x";
  d.endpoint.clear();
  d.region = "na-west-1";
  EXPECT_EQ(SapiClient(d).config().endpoint, "https://cloud.dwavesys.com/sapi/");
}

TEST_F(DwaveConf, ProxyFromTheFileCarriesTheRequests) {
  StandinOptions o = standin_profile("Advantage2_standin");
  o.token = "proxy-token";
  StandinServer server(o);
  server.start();
  write("work/dwave.conf", "[defaults]\ntoken = proxy-token\nendpoint = " + server.endpoint() +
                               "\nproxy = http://127.0.0.1:9\n");
  ::unsetenv("NO_PROXY");
  ::unsetenv("no_proxy");
  SapiConfig c = SapiConfig::from_environment();
  EXPECT_EQ(c.proxy, "http://127.0.0.1:9");
  c.retries = 0;
  try {  // nothing listens on the proxy's port: the request must fail there
    SapiClient(c).list_solvers();
    FAIL() << "the request bypassed the proxy";
  } catch (const calo::RemoteError& e) {
    EXPECT_NE(std::string(e.what()).find("connection error"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.requests_seen(), 0);
  c.proxy.clear();
  EXPECT_EQ(SapiClient(c).list_solvers().size(), 1u);
}

TEST_F(DwaveConf, SolverIsANameOrAJsonFilter) {
  StandinOptions o = standin_profile("Advantage2_standin");
  o.token = "sel-token";
  StandinServer server(o);
  server.start();
  SapiConfig c;
  c.endpoint = server.endpoint();
  c.token = "sel-token";
  c.retries = 0;
  c.solver = R"({"topology__type": "zephyr", "num_qubits__gte": 1248, "name__regex": "Adv.*"})";
  EXPECT_EQ(SapiClient(c).select_solver().name, "Advantage2_standin");
  c.solver = "Advantage2_standin";
  EXPECT_EQ(SapiClient(c).select_solver().name, "Advantage2_standin");
  c.solver = R"({"topology__type": "pegasus"})";
  try {
    SapiClient(c).select_solver();
    FAIL() << "expected InputError";
  } catch (const calo::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("lists: Advantage2_standin"), std::string::npos)
        << e.what();
  }
  const nlohmann::json s = server.solver_config();
  EXPECT_TRUE(solver_matches(
      s, {{"qpu", true}, {"online", true}, {"supported_problem_types__contains", "qubo"}}));
  EXPECT_TRUE(solver_matches(s, {{"num_reads_range__within", {1, 20000}}, {"vfyc", false}}));
  EXPECT_FALSE(solver_matches(s, {{"num_qubits__lt", 100}}));
  EXPECT_TRUE(solver_matches(s, {{"per_qubit_coupling_range__available", false}}));
  EXPECT_TRUE(solver_matches(s, {{"per_group_coupling_range__available", true}}));
  EXPECT_THROW(solver_matches(s, {{"name__gt", 3}}), calo::InputError);
}
