// Crash consistency (issue 17): calo_train is SIGKILLed at random moments (inside batches, while
// the checkpoint directory is being written, between its two renames), resumed each time, and
// its final parameters and optimizer state equal an uninterrupted run's bit for bit; after every
// kill the checkpoint on disk is complete and readable. calo_gen is killed the same way: the
// output name never holds a truncated file (the previous complete file stays until the rename).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "host/h5io.hpp"
#include "host/nn/checkpoint.hpp"
#include "tests/apps/app_fixture.hpp"
#include "tests/apps/proc_util.hpp"

namespace fs = std::filesystem;
using namespace calo::testing;

namespace {

bool have_apps() {
  return fs::exists(kBinDir + "/calo_train") && fs::exists(kBinDir + "/calo_gen");
}

std::vector<std::string> train_cmd(const AppFixture& f, const std::string& out, bool resume) {
  std::vector<std::string> c = {
      kBinDir + "/calo_train", "--data", f.data, "--out", out, "--no-progress",
      "--checkpoint-every",    "1"};
  if (resume)
    c.push_back("--resume");
  else {
    c.push_back("--config");
    c.push_back(f.path("config.yaml"));
  }
  return c;
}

constexpr int kKilled = -9;

// Kills `pid` when `trigger` turns true (polled every 50 us) or after `max_s`, whichever first;
// returns kKilled, or the exit status when the process ended by itself first.
template <typename Trigger>
int kill_when(pid_t pid, Trigger trigger, double max_s) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_s);
  int status = 0;
  while (std::chrono::steady_clock::now() < end) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (trigger()) break;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return kKilled;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST(CrashConsistency, TrainKilledAndResumedEqualsUninterruptedRun) {
  if (!have_apps()) GTEST_SKIP() << "apps not built in " << kBinDir;
  AppFixture f("calo_crash_train");
  f.write_config(3);
  // Reference: one uninterrupted run (same checkpoint cadence).
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(run(train_cmd(f, f.path("ref"), false), {.err_file = f.path("ref.log")}), 0)
      << slurp(f.path("ref.log"));
  const double ref_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string ref_params = slurp(f.path("ref/checkpoint/params.bin"));
  const std::string ref_optim = slurp(f.path("ref/checkpoint/optim.bin"));
  ASSERT_GT(ref_params.size(), 1000u);

  // Kill schedule: random moments, the moment the next checkpoint's temporary directory appears
  // (a kill during the write), and the moment the previous checkpoint is moved aside (a kill
  // between the renames). Fixed seed: the test is reproducible.
  const std::string out = f.path("killed");
  const fs::path ck = fs::path(out) / "checkpoint";
  std::mt19937 rng(1717);
  int kills = 0, kills_in_write = 0, kills_between_renames = 0, runs = 0;
  bool done = false;
  for (int attempt = 0; attempt < 40 && !done; ++attempt) {
    const bool resume = calo::nn::checkpoint_exists(ck.string());
    const pid_t pid = spawn(train_cmd(f, out, resume), {.err_file = f.path("killed.log")});
    ++runs;
    const int mode = attempt < 9 ? attempt % 3 : 3;  // after 9 kills, let it finish
    int rc = kKilled;
    const fs::path tmp = ck.string() + ".tmp", old = ck.string() + ".old";
    if (mode == 0) {
      const double at = std::uniform_real_distribution<double>(0.05, 0.5)(rng) * ref_s;
      rc = kill_when(
          pid, [] { return false; }, at);
    } else if (mode == 1) {
      // Skip a random number of checkpoint writes, then kill inside one.
      int skip = std::uniform_int_distribution<int>(0, 3)(rng);
      bool was = false;
      rc = kill_when(
          pid,
          [&] {
            const bool now = fs::exists(tmp / "config.yaml");
            if (now && !was && skip-- == 0) return true;
            was = now;
            return false;
          },
          ref_s * 2);
      if (rc == kKilled) ++kills_in_write;
    } else if (mode == 2) {
      rc = kill_when(
          pid, [&] { return fs::exists(old); }, ref_s * 2);
      if (rc == kKilled) ++kills_between_renames;
    } else {
      rc = wait_for(pid, 600);
    }
    if (rc == kKilled) {
      ++kills;
    } else {  // it ended by itself before the kill: successfully
      ASSERT_EQ(rc, 0) << slurp(f.path("killed.log"));
      done = true;
    }
    // Whatever the moment, the checkpoint on disk is complete (or absent before the first one).
    if (calo::nn::checkpoint_exists(ck.string())) {
      EXPECT_NO_THROW({
        const calo::nn::CheckpointData d = calo::nn::read_checkpoint(ck.string());
        EXPECT_FALSE(d.params.empty());
      }) << "after kill "
         << kills << " (mode " << mode << ")";
    }
  }
  ASSERT_TRUE(done);
  // A finished run resumed once more is a no-op that keeps the result.
  ASSERT_EQ(run(train_cmd(f, out, true), {.err_file = f.path("again.log")}), 0)
      << slurp(f.path("again.log"));
  std::printf(
      "calo_train: %d runs, %d SIGKILLs (%d inside a checkpoint write, %d between the "
      "renames, while checkpoint.old existed); uninterrupted run %.1f s\n",
      runs, kills, kills_in_write, kills_between_renames, ref_s);
  EXPECT_GE(kills, 6);
  EXPECT_GE(kills_in_write, 1);
  EXPECT_EQ(slurp(ck / "params.bin"), ref_params) << "parameters differ from the uninterrupted run";
  EXPECT_EQ(slurp(ck / "optim.bin"), ref_optim) << "optimizer state differs";
  EXPECT_TRUE(fs::exists(fs::path(out) / "rbm.h5"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "log.csv"));
  EXPECT_FALSE(fs::exists(ck.string() + ".tmp"));
}

TEST(CrashConsistency, GenKilledNeverLeavesATruncatedOutput) {
  if (!have_apps()) GTEST_SKIP() << "apps not built in " << kBinDir;
  AppFixture f("calo_crash_gen");
  f.write_config(1);
  ASSERT_EQ(run(train_cmd(f, f.path("model"), false), {.err_file = f.path("train.log")}), 0)
      << slurp(f.path("train.log"));
  const std::string out = f.path("gen.h5");
  const std::vector<std::string> gen = {kBinDir + "/calo_gen",
                                        "--model",
                                        f.path("model"),
                                        "--out",
                                        out,
                                        "--events",
                                        "96",
                                        "--batch",
                                        "8",
                                        "--sweeps",
                                        "20",
                                        "--no-progress"};
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(run(gen, {.err_file = f.path("gen.log")}), 0) << slurp(f.path("gen.log"));
  const double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const calo::ShowerBlock ref = calo::read_shower_file(out);
  ASSERT_EQ(ref.rows, 96);
  const std::string ref_bytes = slurp(out);

  std::mt19937 rng(2929);
  int kills = 0, kills_with_tmp = 0;
  for (int i = 0; i < 8; ++i) {
    const pid_t pid = spawn(gen, {.err_file = f.path("gen_killed.log")});
    int rc;
    if (i % 2 == 0) {
      const double at = std::uniform_real_distribution<double>(0.05, 0.95)(rng) * gen_s;
      rc = kill_when(
          pid, [] { return false; }, at);
    } else {
      // Kill while the temporary file is being filled.
      const auto appear = std::uniform_real_distribution<double>(0.0, 0.8)(rng) * gen_s;
      const auto start = std::chrono::steady_clock::now();
      rc = kill_when(
          pid,
          [&] {
            return fs::exists(out + ".tmp") &&
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
                       appear;
          },
          gen_s * 2);
      if (rc == kKilled && fs::exists(out + ".tmp")) ++kills_with_tmp;
    }
    if (rc == kKilled)
      ++kills;
    else
      ASSERT_EQ(rc, 0) << slurp(f.path("gen_killed.log"));
    // The final name holds the previous complete file, byte for byte (the kill came before the
    // rename) or a new complete one with the same showers.
    ASSERT_TRUE(fs::exists(out));
    if (slurp(out) != ref_bytes) {
      const calo::ShowerBlock b = calo::read_shower_file(out);
      ASSERT_EQ(b.rows, ref.rows);
      EXPECT_EQ(b.showers, ref.showers);
    }
  }
  std::printf("calo_gen: %d SIGKILLs (%d while the temporary file existed); run %.2f s\n", kills,
              kills_with_tmp, gen_s);
  EXPECT_GE(kills, 6);
  // A fresh run after the kills replaces the leftover temporary file and succeeds.
  ASSERT_EQ(run(gen, {.err_file = f.path("gen.log")}), 0) << slurp(f.path("gen.log"));
  EXPECT_EQ(calo::read_shower_file(out).showers, ref.showers);
  EXPECT_FALSE(fs::exists(out + ".tmp"));
}
