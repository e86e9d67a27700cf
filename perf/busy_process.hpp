#pragma once
// A competing busy process for the "busy node" benchmarks: a forked child that spins on one core
// until the guard goes out of scope (issue 18: throughput beside one busy process must stay at
// least proportional to the cores left).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace calo::perf {

class BusyProcess {
 public:
  explicit BusyProcess(bool on) {
    if (!on) return;
    pid_ = fork();
    if (pid_ == 0) {
      volatile unsigned long x = 0;
      for (;;) x = x + 1;  // killed by the parent
    }
  }
  ~BusyProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  BusyProcess(const BusyProcess&) = delete;
  BusyProcess& operator=(const BusyProcess&) = delete;

 private:
  pid_t pid_ = -1;
};

}  // namespace calo::perf
