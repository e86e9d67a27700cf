// host/runtime_policy: the apps' thread settings reach libgomp and OpenBLAS (which read them
// before main) by a single re-exec, and a user's own setting wins. The child re-executes this
// test binary, whose probe (below) writes what it sees and exits.
#include <cblas.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "host/runtime_policy.hpp"

namespace {

const char* env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

// The re-executed child: writes what it sees and exits before any test runs.
const bool probe = [] {
  const char* out = std::getenv("CALO_POLICY_PROBE");
  if (!out) return false;
  std::ofstream(out) << env_or("OMP_WAIT_POLICY", "-") << " " << env_or("OPENBLAS_NUM_THREADS", "-")
                     << " " << env_or("CALO_RUNTIME_POLICY", "-") << "\n"
                     << env_or("OPENBLAS_CORETYPE", "-") << "\n"
                     << env_or("GLIBC_TUNABLES", "-") << "\n";
  std::_Exit(0);
}();

// Runs apply_runtime_policy in a child with `set` applied to a clean environment; returns what the
// probe saw ("" if the child never reached it): line 0 the thread settings, line 1
// OPENBLAS_CORETYPE, line 2 GLIBC_TUNABLES.
std::string child_environment(const std::string& set, calo::BlasThreads blas, int line_no = 0) {
  const std::string out = (std::filesystem::temp_directory_path() /
                           ("calo_policy_" + std::to_string(getpid()) + ".txt"))
                              .string();
  std::filesystem::remove(out);
  const pid_t pid = fork();
  if (pid == 0) {
    for (const char* v : {"OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "GOMP_SPINCOUNT",
                          "CALO_RUNTIME_POLICY", "OPENBLAS_CORETYPE", "GLIBC_TUNABLES",
                          "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"})
      unsetenv(v);
    if (!set.empty()) {
      const size_t eq = set.find('=');
      setenv(set.substr(0, eq).c_str(), set.substr(eq + 1).c_str(), 1);
    }
    setenv("CALO_POLICY_PROBE", out.c_str(), 1);
    char* args[] = {const_cast<char*>("test_runtime_policy"), nullptr};
    calo::apply_runtime_policy(1, args, blas);
    // Returned: nothing to change (or CALO_RUNTIME_POLICY=off); probe in this process.
    execv("/proc/self/exe", args);
    _exit(99);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(out);
  std::string line;
  for (int i = 0; i <= line_no; ++i) std::getline(in, line);
  std::filesystem::remove(out);
  return line;
}

TEST(RuntimePolicy, PassiveWaitAndSerialBlasWhenUnset) {
  EXPECT_EQ(child_environment("", calo::BlasThreads::serial), "passive 1 applied");
}

TEST(RuntimePolicy, LibraryBlasThreadsForCaloEval) {
  EXPECT_EQ(child_environment("", calo::BlasThreads::library), "passive - applied");
}

TEST(RuntimePolicy, TheUsersSettingWins) {
  EXPECT_EQ(child_environment("OMP_WAIT_POLICY=active", calo::BlasThreads::serial),
            "active 1 applied");
  EXPECT_EQ(child_environment("OPENBLAS_NUM_THREADS=4", calo::BlasThreads::serial),
            "passive 4 applied");
  // GOMP_SPINCOUNT is the user's own wait tuning: the policy leaves the wait alone.
  EXPECT_EQ(child_environment("GOMP_SPINCOUNT=1000", calo::BlasThreads::serial), "- 1 applied");
}

// OpenBLAS falls back to its SSE3 Prescott kernels on CPUs it does not know; only then does the
// policy choose kernels (from the CPU's instruction set), and a user's choice wins.
TEST(RuntimePolicy, OpenBlasCoreTypeOnlyOverridesThePrescottFallback) {
  const std::string detected = openblas_get_corename();  // this process: no policy applied
  const std::string set = child_environment("", calo::BlasThreads::library, 1);
  if (detected != "Prescott") {
    EXPECT_EQ(set, "-") << "OpenBLAS chose " << detected << " itself";
  } else {
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    EXPECT_EQ(set, avx512 ? "SkylakeX" : avx2 ? "Haswell" : "-");
  }
  EXPECT_EQ(child_environment("OPENBLAS_CORETYPE=Sandybridge", calo::BlasThreads::library, 1),
            "Sandybridge");
}

TEST(RuntimePolicy, MallocKeepsItsHeapUnlessTheUserTunedIt) {
  EXPECT_EQ(child_environment("", calo::BlasThreads::serial, 2), calo::kMallocTunables);
  EXPECT_EQ(
      child_environment("GLIBC_TUNABLES=glibc.malloc.arena_max=2", calo::BlasThreads::serial, 2),
      "glibc.malloc.arena_max=2");
  EXPECT_EQ(child_environment("MALLOC_TRIM_THRESHOLD_=0", calo::BlasThreads::serial, 2), "-");
  EXPECT_EQ(child_environment("CALO_RUNTIME_POLICY=off", calo::BlasThreads::serial, 2), "-");
}

TEST(RuntimePolicy, OffKeepsTheInheritedEnvironment) {
  EXPECT_EQ(child_environment("CALO_RUNTIME_POLICY=off", calo::BlasThreads::serial), "- - off");
}

}  // namespace
