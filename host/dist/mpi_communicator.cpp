// The MPI communicator (Open MPI from Debian): MPI_COMM_WORLD with errors returned as exceptions
// instead of MPI's default abort, so a failed collective names itself. A rank that dies is seen
// by the launcher (mpirun ends the job; srun --kill-on-bad-exit does); a rank that throws calls
// abort() from the app so the others do not wait in their next collective.
#include "host/dist/communicator.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

#include "host/dist/nccl_allreduce.hpp"
#include "host/error.hpp"

#if CALO_HAVE_MPI
#include <mpi.h>

#include <cstring>
#include <memory>
#include <vector>
#endif

namespace calo::dist {

#if CALO_HAVE_MPI

bool built_with_mpi() {
  return true;
}

namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  fail("MPI {} failed: {} (another rank probably died; see its error above)", what,
       std::string(text, size_t(len)));
}

int count_of(size_t n, const char* what) {
  if (n > size_t(INT32_MAX)) fail("MPI {}: {} values exceed one message (2^31)", what, n);
  return static_cast<int>(n);
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      // One thread calls MPI (OpenMP regions never do).
      if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        fail("MPI_Init failed: start the job with mpirun or srun from the same MPI");
      owns_ = true;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiCommunicator() override {
    nccl_.reset();
    if (owns_) MPI_Finalize();
  }
  NcclAllreduce* device_allreduce() override {
    if (!built_with_nccl()) return nullptr;
    if (const char* v = std::getenv("CALO_NCCL"); v && std::strcmp(v, "off") == 0) return nullptr;
    if (!nccl_) nccl_ = make_nccl_allreduce(*this);
    return nccl_.get();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(std::span<float> v) override {
    check(MPI_Allreduce(MPI_IN_PLACE, v.data(), count_of(v.size(), "allreduce"), MPI_FLOAT, MPI_SUM,
                        MPI_COMM_WORLD),
          "allreduce");
  }
  void allreduce_sum(std::span<double> v) override {
    check(MPI_Allreduce(MPI_IN_PLACE, v.data(), count_of(v.size(), "allreduce"), MPI_DOUBLE,
                        MPI_SUM, MPI_COMM_WORLD),
          "allreduce");
  }
  void broadcast(std::span<uint8_t> bytes, int root) override {
    check(MPI_Bcast(bytes.data(), count_of(bytes.size(), "broadcast"), MPI_BYTE, root,
                    MPI_COMM_WORLD),
          "broadcast");
  }
  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "barrier"); }
  void send(std::span<const float> v, int dest, int tag) override {
    check(MPI_Send(v.data(), count_of(v.size(), "send"), MPI_FLOAT, dest, tag, MPI_COMM_WORLD),
          "send");
  }
  void recv(std::span<float> v, int source, int tag) override {
    check(MPI_Recv(v.data(), count_of(v.size(), "recv"), MPI_FLOAT, source, tag, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE),
          "recv");
  }
  void alltoallv(std::span<const float> send, std::span<const int64_t> send_counts,
                 std::span<float> recv, std::span<const int64_t> recv_counts) override {
    if (send_counts.size() != size_t(size_) || recv_counts.size() != size_t(size_))
      fail("MPI alltoallv: {} / {} counts for {} ranks", send_counts.size(), recv_counts.size(),
           size_);
    const size_t ranks = static_cast<size_t>(size_);
    std::vector<int> sc(ranks), sd(ranks), rc(ranks), rd(ranks);
    size_t s = 0, r = 0;
    for (size_t i = 0; i < size_t(size_); ++i) {
      sc[i] = count_of(size_t(send_counts[i]), "alltoallv");
      rc[i] = count_of(size_t(recv_counts[i]), "alltoallv");
      sd[i] = count_of(s, "alltoallv");
      rd[i] = count_of(r, "alltoallv");
      s += size_t(sc[i]);
      r += size_t(rc[i]);
    }
    if (s > send.size() || r > recv.size())
      fail("MPI alltoallv: counts ({} / {}) exceed the buffers ({} / {})", s, r, send.size(),
           recv.size());
    check(MPI_Alltoallv(send.data(), sc.data(), sd.data(), MPI_FLOAT, recv.data(), rc.data(),
                        rd.data(), MPI_FLOAT, MPI_COMM_WORLD),
          "alltoallv");
  }
  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);
  }

 private:
  int rank_ = 0, size_ = 1;
  bool owns_ = false;
  std::unique_ptr<NcclAllreduce> nccl_;
};

}  // namespace

std::unique_ptr<Communicator> mpi_world_communicator() {
  return std::make_unique<MpiCommunicator>();
}

#else

bool built_with_mpi() {
  return false;
}

std::unique_ptr<Communicator> mpi_world_communicator() {
  fail("this build has no MPI (configure found no Open MPI)");
}

#endif

}  // namespace calo::dist
