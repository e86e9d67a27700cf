#pragma once
// One rank per GPU: which CUDA device a rank of a job uses. A node's ranks take devices
// local_rank % visible devices, so `mpirun -np 8` on an 8-GPU node puts one rank on each GPU,
// and `srun --gpus-per-task 1` (one visible device per rank) keeps device 0.

namespace calo::dist {

// This process's rank among the job's ranks on its node (OMPI_COMM_WORLD_LOCAL_RANK,
// SLURM_LOCALID with a Slurm step, MPI_LOCALRANKID, PMI_LOCAL_RANK), -1 when no launcher says.
int launcher_local_rank();

// Makes device launcher_local_rank() % devices current when this build has CUDA, a launcher gave
// a local rank and more than one device is visible; returns the device used, -1 when it changed
// nothing. Call before the first CUDA allocation.
int select_local_cuda_device();

}  // namespace calo::dist
