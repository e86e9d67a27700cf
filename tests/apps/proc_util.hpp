#pragma once
// Runs the apps as child processes for the app-level tests: spawn with stdout/stderr into files
// and an optional file-size limit (RLIMIT_FSIZE), wait with a timeout, SIGKILL.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace calo::testing {

inline const std::string kBinDir = CALO_BIN_DIR;

struct SpawnOptions {
  std::string out_file = "/dev/null", err_file = "/dev/null";
  long fsize_limit = -1;  // bytes; RLIMIT_FSIZE of the child (the app must ignore SIGXFSZ itself)
};

inline pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& o = {}) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(o.out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(o.err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out >= 0) ::dup2(out, 1);
    if (err >= 0) ::dup2(err, 2);
    if (o.fsize_limit >= 0) {
      const rlimit r{rlim_t(o.fsize_limit), rlim_t(o.fsize_limit)};
      ::setrlimit(RLIMIT_FSIZE, &r);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// Exit status (0..255), 128 + signal when killed, -1 on timeout (the child is then killed).
inline int wait_for(pid_t pid, double timeout_s = 600) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -2;
}

inline int run(const std::vector<std::string>& argv, const SpawnOptions& o = {},
               double timeout_s = 600) {
  return wait_for(spawn(argv, o), timeout_s);
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

}  // namespace calo::testing
