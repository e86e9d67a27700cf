// Write failures (issue 17): when a file-size limit (RLIMIT_FSIZE, as `ulimit -f` sets) hits
// during a checkpoint or an output write, the app says so in one line, exits non-zero, and the
// previous checkpoint or output file is untouched, byte for byte. The apps ignore SIGXFSZ, so the
// write fails with EFBIG instead of killing them; the test does not ignore it for them.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "host/nn/checkpoint.hpp"
#include "tests/apps/app_fixture.hpp"
#include "tests/apps/proc_util.hpp"

namespace fs = std::filesystem;
using namespace calo::testing;

namespace {
bool have_apps() {
  return fs::exists(kBinDir + "/calo_train") && fs::exists(kBinDir + "/calo_gen");
}

// The one error line: stderr's lines that start with "error:".
std::vector<std::string> error_lines(const std::string& log) {
  std::vector<std::string> out;
  for (const auto& l : lines_of(slurp(log)))
    if (l.rfind("error:", 0) == 0) out.push_back(l);
  return out;
}
}  // namespace

TEST(WriteFailures, CheckpointHitsFileSizeLimitPreviousCheckpointUntouched) {
  if (!have_apps()) GTEST_SKIP() << "apps not built in " << kBinDir;
  AppFixture f("calo_wfail_train");
  f.write_config(2);
  const std::string out = f.path("run"), ck = out + "/checkpoint";
  // A first checkpoint after 2 batches (as after Ctrl-C).
  ASSERT_EQ(run({kBinDir + "/calo_train", "--config", f.path("config.yaml"), "--data", f.data,
                 "--out", out, "--no-progress", "--max-batches", "2"},
                {.err_file = f.path("first.log")}),
            0)
      << slurp(f.path("first.log"));
  std::map<std::string, std::string> before;
  for (const auto& e : fs::directory_iterator(ck))
    before[e.path().filename().string()] = slurp(e.path().string());
  ASSERT_GT(before.at("params.bin").size(), 64u * 1024u);

  // Resume with a 64 KiB file-size limit: the next checkpoint's params.bin cannot be written.
  const int rc = run({kBinDir + "/calo_train", "--resume", "--data", f.data, "--out", out,
                      "--no-progress", "--checkpoint-every", "1"},
                     {.err_file = f.path("limited.log"), .fsize_limit = 64 * 1024});
  EXPECT_NE(rc, 0);
  EXPECT_LT(rc, 128) << "killed by a signal (SIGXFSZ not ignored?)";
  const auto errors = error_lines(f.path("limited.log"));
  ASSERT_EQ(errors.size(), 1u) << slurp(f.path("limited.log"));
  EXPECT_NE(errors[0].find("File too large"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("previous one"), std::string::npos) << errors[0];
  for (const auto& [name, bytes] : before)
    EXPECT_EQ(slurp(ck + "/" + name), bytes) << name << " changed";
  EXPECT_FALSE(fs::exists(ck + ".tmp"));
  // Without the limit the run continues from the untouched checkpoint.
  EXPECT_EQ(
      run({kBinDir + "/calo_train", "--resume", "--data", f.data, "--out", out, "--no-progress"},
          {.err_file = f.path("resumed.log")}),
      0)
      << slurp(f.path("resumed.log"));
}

TEST(WriteFailures, GenOutputHitsFileSizeLimitPreviousFileUntouched) {
  if (!have_apps()) GTEST_SKIP() << "apps not built in " << kBinDir;
  AppFixture f("calo_wfail_gen");
  f.write_config(1);
  ASSERT_EQ(run({kBinDir + "/calo_train", "--config", f.path("config.yaml"), "--data", f.data,
                 "--out", f.path("model"), "--no-progress"},
                {.err_file = f.path("train.log")}),
            0)
      << slurp(f.path("train.log"));
  const std::string out = f.path("gen.h5");
  auto gen = [&](int events) {
    return std::vector<std::string>{kBinDir + "/calo_gen",
                                    "--model",
                                    f.path("model"),
                                    "--out",
                                    out,
                                    "--events",
                                    std::to_string(events),
                                    "--batch",
                                    "64",
                                    "--sweeps",
                                    "5",
                                    "--no-progress"};
  };
  ASSERT_EQ(run(gen(16), {.err_file = f.path("gen.log")}), 0) << slurp(f.path("gen.log"));
  const std::string previous = slurp(out);
  ASSERT_FALSE(previous.empty());

  // 512 showers of 6480 floats do not fit in 256 KiB, however well they compress.
  const int rc = run(gen(512), {.err_file = f.path("limited.log"), .fsize_limit = 256 * 1024});
  EXPECT_NE(rc, 0);
  EXPECT_LT(rc, 128) << "killed by a signal (SIGXFSZ not ignored?)";
  const auto errors = error_lines(f.path("limited.log"));
  ASSERT_EQ(errors.size(), 1u) << slurp(f.path("limited.log"));
  EXPECT_NE(errors[0].find("file-size limit"), std::string::npos) << errors[0];
  EXPECT_EQ(slurp(out), previous) << "the previous output changed";
  EXPECT_FALSE(fs::exists(out + ".tmp"));
}
