#pragma once
// The processes of a data-parallel job and the collectives they exchange (host memory). Serial
// (one process, every collective a copy or a no-op) or MPI (host/dist/mpi_communicator.cpp, built
// when Open MPI is found). Ranks are started by mpirun or srun; a process started by hand is a
// one-rank job and never touches MPI.
#include <cstdint>
#include <memory>
#include <span>

namespace calo::dist {

class NcclAllreduce;  // host/dist/nccl_allreduce.hpp

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }
  // Element-wise sum over ranks, in place, the same result on every rank.
  virtual void allreduce_sum(std::span<float> values) = 0;
  virtual void allreduce_sum(std::span<double> values) = 0;
  // Root's bytes to every rank.
  virtual void broadcast(std::span<uint8_t> bytes, int root) = 0;
  virtual void barrier() = 0;
  virtual void send(std::span<const float> values, int dest, int tag) = 0;
  virtual void recv(std::span<float> values, int source, int tag) = 0;
  // Personalised exchange: send[send_offsets[r] .. + send_counts[r]) goes to rank r, and what rank
  // r sends here lands in recv[recv_offsets[r] ..]. Counts in floats, known on both sides.
  virtual void alltoallv(std::span<const float> send, std::span<const int64_t> send_counts,
                         std::span<float> recv, std::span<const int64_t> recv_counts) = 0;
  // Sums of device (CUDA) buffers: NCCL, created by the first call (collective: every rank calls
  // it at the same point), when the build has NCCL and CALO_NCCL is not "off"; null when the
  // job has one rank or no NCCL path (the caller goes through host memory and MPI).
  virtual NcclAllreduce* device_allreduce() { return nullptr; }
  // Ends every rank of the job (after an error on this rank, so the others do not wait forever
  // in a collective). Never returns.
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

// One process: rank 0 of 1.
std::unique_ptr<Communicator> serial_communicator();

// The launcher's rank count when mpirun/srun started this process (OMPI_COMM_WORLD_SIZE,
// PMI_SIZE, PMIX_SIZE / SLURM_NTASKS with a PMIx rank), 0 when started by hand.
int launcher_world_size();

// The job this process belongs to: MPI when started by a launcher with more than one rank and
// built with MPI (MPI_Init here, MPI_Finalize when the communicator is destroyed), serial
// otherwise. A multi-rank launch of a build without MPI is an error (it would run K identical
// copies).
std::unique_ptr<Communicator> world_communicator();

// Whether this build carries the MPI implementation.
bool built_with_mpi();

}  // namespace calo::dist
