#!/usr/bin/env python3
"""perf/results/scaling.md from perf/scaling's measurements (environment) and perf/comm_volume's
per-step reduction volumes (argv[1], one JSON object per line). Standard library only."""
import json
import os
import sys

# Inputs of the estimate, each with its source.
NVLINK_BW = 450e9  # B/s per direction per GPU: H100 SXM NVLink 4, 900 GB/s bidirectional
IB_NIC_BW = 50e9  # B/s per direction: one 400 Gb/s NDR port (ConnectX-7)
IB_HDR_NODE_BW = 25e9  # B/s per direction: one 200 Gb/s HDR port for the whole node
# NCCL's own cost model (NVIDIA/nccl src/graph/tuning.cc, ring algorithm, Simple protocol for the
# gradient buffer, LL for small messages): latency = base + intra steps x hw_intra + inter steps x
# hw_net, with 2 (K - 1) steps of which 2 x nodes cross the network.
RING_SIMPLE = {"base": 8.4e-6, "nvlink": 3.4e-6, "net": 14.0e-6}
RING_LL = {"base": 6.6e-6, "nvlink": 0.6e-6, "net": 2.7e-6}
HOST_ROUND_TRIP = 20e-6  # s: device -> host -> device copies around each host-side MPI reduction
# (assumption, not measured: two synchronous cudaMemcpy of a few KB)
MPI_SHM_BW = 10e9  # B/s: Open MPI shared-memory point-to-point inside a node (assumption)
ROW_BYTES = 6481 * 4  # one training row in the batch exchange: 6480 voxels + the energy, float


def ring_latency(model, ranks, nodes):
    steps = 2 * (ranks - 1)
    inter = 2 * nodes if nodes > 1 else 0
    return model["base"] + (steps - inter) * model["nvlink"] + inter * model["net"]


def ring_time(nbytes, ranks, nodes, busbw, model):
    """Ring all-reduce: T = latency(K) + 2 (K - 1) / K x S / B_bus."""
    return ring_latency(model, ranks, nodes) + 2.0 * (ranks - 1) / ranks * nbytes / busbw


def fmt_bytes(b):
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{b} B"


def fmt_s(t):
    return f"{t * 1e3:.3g} ms" if t >= 1e-3 else f"{t * 1e6:.3g} us"


def main():
    vols = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    e = os.environ
    out = []
    w = out.append
    w("# Data-parallel scaling (issue 15)")
    w("")
    w("Written by `perf/scaling` (commit " + e.get("COMMIT", "?") + "). CPU: " + e.get("CPU", "?") +
      f", {e.get('CORES', '?')} cores; load average at the end {e.get('LOAD', '?')}. This machine "
      "has only 2 cores and was shared with other jobs (builds, a training run) while measuring, "
      "so the absolute rates are noisy; the ratios come from the same run.")
    w("")
    w("## Measured on this machine (CPU backend, mpirun --oversubscribe)")
    w("")

    def rate(name):
        v = e.get(name, "")
        return float(v) if v else None

    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "-"

    t11, t12, t21 = rate("TRAIN_11"), rate("TRAIN_12"), rate("TRAIN_21")
    g11, g12, g21 = rate("GEN_11"), rate("GEN_12"), rate("GEN_21")
    w(f"Training: `configs/quickstart.yaml`, one epoch of {e.get('EVENTS')} synthetic showers "
      "(the trainer's showers/s). Generation: the model trained with K=1 x 2 threads, "
      f"{e.get('GEN_EVENTS')} showers, 100 Gibbs sweeps, batch 64 (calo_gen's showers/s, start-up "
      "included).")
    w("")
    w("| ranks x threads | train showers/s | / 1x1 | generate showers/s | / 1x1 |")
    w("|---|---|---|---|---|")
    for label, t, g in (("1 x 1", t11, g11), ("1 x 2", t12, g12), ("2 x 1", t21, g21)):
        w(f"| {label} | {t if t else '-'} | {ratio(t, t11)} | {g if g else '-'} | {ratio(g, g11)} |")
    w("")
    w(f"The K=1 and K=2 generated files are identical (h5diff): **{e.get('SAME', '?')}**. On 2 "
      "cores, 2 ranks x 1 thread and 1 rank x 2 threads use the same cores; the row 2 x 1 against "
      "1 x 1 is the scaling of adding a rank, and 2 x 1 against 1 x 2 the cost of ranks over "
      "threads (the all-reduces, the batch exchange, MPI start-up; generation: rank 0 also writes "
      "every block). When 1 x 2 is no faster than 1 x 1, the second core was taken by another job "
      "during the measurement.")
    w("")
    w("## Bytes all-reduced per training step")
    w("")
    w("Counted from the model each config builds (`perf/comm_volume`; which reductions a step "
      "makes: the comment at its top). Joint phase; after `freeze_after_epoch` the gradient "
      "buffer is not reduced.")
    w("")
    w("| config | parameters | gradients (float) | BatchNorm (double) | RBM moments (double) | "
      "total per step | all-reduce calls |")
    w("|---|---|---|---|---|---|---|")
    for v in vols:
        name = os.path.basename(v["config"])
        w(f"| {name} | {v['parameters'] / 1e6:.2f}M | {fmt_bytes(v['gradient_bytes'])} | "
          f"{fmt_bytes(v['batchnorm_bytes'])} ({v['batchnorm_layers']} layers) | "
          f"{fmt_bytes(v['rbm_bytes'])} (N = {v['rbm_nodes']}) | {fmt_bytes(v['bytes_per_step'])} | "
          f"{v['allreduce_calls_per_step']} |")
    w("")
    w("The RBM moments travel as dense N x N doubles although only the graph's couplers are used "
      "(Zephyr Z(6,4): N = 1208, 11.7 MB per moment set); reducing the coupler entries only would "
      "cut that term by two orders of magnitude.")
    w("")
    w("## Estimate: communication per step on 8 GPUs (NVLink) and 2 nodes (InfiniBand)")
    w("")
    w("Ring all-reduce of S bytes on K ranks, the model NCCL itself uses to pick an algorithm:")
    w("")
    w("    T(S, K) = L(K) + 2 (K - 1) / K * S / B_bus")
    w("    L(K)    = base + (2 (K - 1) - 2 nodes) * lat_intra + 2 nodes * lat_net   (nodes > 1)")
    w("    L(K)    = base + 2 (K - 1) * lat_intra                                    (one node)")
    w("")
    w("Per step: the gradient buffer goes through NCCL (Simple protocol); the BatchNorm sums (3 per "
      "layer), the RBM moments, the loss terms and the stop flag go through MPI in host memory, "
      "each costing a host round trip plus a small-message (LL) all-reduce:")
    w("")
    w("    T_comm = T_Simple(S_grad, K) + sum over the other calls of "
      "[T_LL(S_call, K) + t_host] + T_exchange")
    w("    T_exchange = (B / K) (K - 1) / K * 25924 B / B_rank   (each rank fetches the rows of "
      "its batch shard that other ranks hold: one alltoallv of 6480 voxels + the energy per row)")
    w("")
    w("Inputs:")
    w("")
    w("| input | value | source |")
    w("|---|---|---|")
    w("| NVLink bandwidth per GPU, one direction | 450 GB/s | NVIDIA H100 SXM datasheet: NVLink 4, "
      "900 GB/s bidirectional per GPU (also the HGX-H100 setup of the ASTRA-sim NCCL validation) |")
    w("| InfiniBand, one NIC per GPU | 50 GB/s per GPU (8 x 400 Gb/s NDR per node) | NDR = 400 Gb/s "
      "per port; DGX H100 reference: 8 ConnectX-7 compute ports per node |")
    w("| InfiniBand, one NIC per node | 25 GB/s per node (200 Gb/s HDR) | HDR = 200 Gb/s per port; a "
      "typical university/HEP cluster node |")
    w("| ring latency, Simple | base 8.4 us, 3.4 us per NVLink step, 14 us per network step | "
      "NCCL cost model, NVIDIA/nccl src/graph/tuning.cc (baseLat, hwLat) |")
    w("| ring latency, LL | base 6.6 us, 0.6 us per NVLink step, 2.7 us per network step | same |")
    w("| host round trip per MPI reduction | 20 us | assumption (two synchronous cudaMemcpy), not "
      "measured |")
    w("| MPI shared-memory bandwidth in a node | 10 GB/s | assumption, not measured |")
    w("")
    w("Bus bandwidth B_bus: NVLink 450 GB/s; 2 nodes with a NIC per GPU: the 8 rings each cross "
      "the network through their own NIC, 8 x 50 = 400 GB/s; 2 nodes with one NIC: 25 GB/s. "
      "These are link rates; nccl-tests typically reach 70-90% of them, so the times below are "
      "lower bounds on the communication.")
    w("")
    cases = [("8 GPUs, one node, NVLink", 8, 1, NVLINK_BW),
             ("16 GPUs, 2 nodes, NIC per GPU", 16, 2, 8 * IB_NIC_BW),
             ("16 GPUs, 2 nodes, one HDR NIC per node", 16, 2, IB_HDR_NODE_BW)]
    w("| config | case | gradients | other calls | batch exchange | T_comm per step | "
      "per global batch of |")
    w("|---|---|---|---|---|---|---|")
    for v in vols:
        name = os.path.basename(v["config"])
        small_calls = v["allreduce_calls_per_step"] - 1
        small_bytes = v["bytes_per_step"] - v["gradient_bytes"]
        for label, k, nodes, bw in cases:
            tg = ring_time(v["gradient_bytes"], k, nodes, bw, RING_SIMPLE)
            # The RBM moments dominate the small calls' bytes; they go at the same bus rate.
            ts = small_calls * (ring_latency(RING_LL, k, nodes) + HOST_ROUND_TRIP) + \
                2.0 * (k - 1) / k * small_bytes / bw
            # The batch exchange (alltoallv through host memory): each rank fetches the
            # (K - 1) / K of its B / K rows that other ranks hold; across nodes half of those.
            rows = v["batch_size"] / k * (k - 1) / k
            link = MPI_SHM_BW if nodes == 1 else min(MPI_SHM_BW, bw / (k / nodes))
            tx = rows * ROW_BYTES / link
            w(f"| {name} | {label} | {fmt_s(tg)} | {fmt_s(ts)} | {fmt_s(tx)} | "
              f"**{fmt_s(tg + ts + tx)}** | {v['batch_size']} showers |")
    w("")
    w("Step time = compute of B/K showers on one GPU + T_comm: calo4pq all-reduces after the "
      "backward pass (no overlap of communication with compute). The GPU compute per step has "
      "never been measured (no GPU here; `scripts/gpu_check` does not exist yet), so the step time "
      "itself stays an expression. For `dataset2_zephyr` (batch 1024, 128 showers per GPU on 8, "
      "64 on 16) the communication is a few ms per step on NVLink and with a NIC per GPU, where "
      "the host round trips of the 51 small reductions (an assumption) weigh as much as the "
      "553 MB gradient; with one HDR NIC per node it is tens of ms and the gradient dominates. "
      "The 3000-sweep CD chains and the convolutions of 64-128 showers per GPU should take longer "
      "than the first two cases' communication, so K = 8-16 should scale well there, and be "
      "communication bound with one NIC per node unless the gradient reduction overlaps the "
      "backward pass (not done).")
    print("\n".join(out))


if __name__ == "__main__":
    main()
