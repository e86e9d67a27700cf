#include "host/dist/communicator.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "host/error.hpp"

namespace calo::dist {

namespace {

class SerialCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(std::span<float>) override {}
  void allreduce_sum(std::span<double>) override {}
  void broadcast(std::span<uint8_t>, int) override {}
  void barrier() override {}
  void send(std::span<const float>, int dest, int) override {
    fail("serial communicator: send to rank {} in a one-rank job", dest);
  }
  void recv(std::span<float>, int source, int) override {
    fail("serial communicator: receive from rank {} in a one-rank job", source);
  }
  void alltoallv(std::span<const float> send, std::span<const int64_t> send_counts,
                 std::span<float> recv, std::span<const int64_t> recv_counts) override {
    if (send_counts.size() != 1 || recv_counts.size() != 1 || send_counts[0] != recv_counts[0] ||
        int64_t(send.size()) < send_counts[0] || int64_t(recv.size()) < recv_counts[0])
      fail("serial communicator: alltoallv counts do not match one rank");
    std::copy_n(send.begin(), send_counts[0], recv.begin());
  }
  [[noreturn]] void abort(int exit_code) override { std::_Exit(exit_code); }
};

int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

std::unique_ptr<Communicator> serial_communicator() {
  return std::make_unique<SerialCommunicator>();
}

int launcher_world_size() {
  // Open MPI's mpirun, MPICH/Intel (PMI), PMIx launchers and Slurm's srun (SLURM_NTASKS is set
  // for every step of an allocation, so only count it when srun also gave this process a rank).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const int n = env_int(name); n > 0) return n;
  if (std::getenv("SLURM_PROCID") && std::getenv("SLURM_STEP_ID"))
    if (const int n = env_int("SLURM_NTASKS"); n > 0) return n;
  return 0;
}

std::unique_ptr<Communicator> mpi_world_communicator();  // mpi_communicator.cpp

std::unique_ptr<Communicator> world_communicator() {
  const int launched = launcher_world_size();
  if (launched <= 1) return serial_communicator();
  if (!built_with_mpi())
    fail_input(
        "started by a launcher with {} ranks, but this build has no MPI (Open MPI was not found "
        "at configure time): install libopenmpi-dev (scripts/setup) and rebuild, or run one "
        "process without mpirun/srun",
        launched);
  return mpi_world_communicator();
}

}  // namespace calo::dist
