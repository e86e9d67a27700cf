#!/usr/bin/env bash
# Profiles `calo_gen --backend cuda` with Nsight Systems (timeline) and Nsight Compute (kernels).
# Run on a GPU node after scripts/build:  perf/nsight/profile_gen.sh MODEL_DIR [EVENTS]
# Output: perf/nsight/out/gen.nsys-rep, gen-kernels.ncu-rep (open in the Nsight GUIs).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD_DIR:-$root/build}
model=${1:?usage: profile_gen.sh MODEL_DIR [EVENTS]}
events=${2:-10000}
out=$root/perf/nsight/out
mkdir -p "$out"
command -v nsys >/dev/null || { echo "nsys not found (install Nsight Systems or add /usr/local/cuda/bin to PATH)" >&2; exit 1; }
nsys profile --force-overwrite=true --trace=cuda,nvtx,osrt,cublas --cuda-memory-usage=true \
  -o "$out/gen" "$bin/calo_gen" --model "$model" --out "$out/gen.h5" --backend cuda \
  --events "$events" --seed 1
nsys stats --report cuda_gpu_kern_sum,cuda_api_sum "$out/gen.nsys-rep" | tee "$out/gen-summary.txt"
if command -v ncu >/dev/null; then
  # Kernel-level metrics for the Gibbs and conv kernels on a short run.
  ncu --force-overwrite --set full --launch-count 50 -o "$out/gen-kernels" \
    "$bin/calo_gen" --model "$model" --out "$out/gen-ncu.h5" --backend cuda --events 1024 --seed 1
fi
echo "profiles in $out"
