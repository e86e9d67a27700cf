#!/usr/bin/env bash
# Profiles a short `calo_train --backend cuda` run with Nsight Systems and Nsight Compute.
# Run on a GPU node:  perf/nsight/profile_train.sh DATA.h5 [CONFIG]
# calo_train --max-batches N stops after N batches (checkpoint written, exit 0). With a config
# that sets model.decoder_attention: true (off in the Dataset-2 configs) the decoder's
# LinearAttention runs its softmax/context part on the host (host/nn/attention.hpp): expect
# device<->host copies of (B, 96, 45, 16, 9) in the trace.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD_DIR:-$root/build}
data=${1:?usage: profile_train.sh DATA.h5 [CONFIG]}
config=${2:-$root/configs/dataset2_zephyr.yaml}
out=$root/perf/nsight/out
mkdir -p "$out"
command -v nsys >/dev/null || { echo "nsys not found (install Nsight Systems or add /usr/local/cuda/bin to PATH)" >&2; exit 1; }
rm -rf "$out/train-model"
nsys profile --force-overwrite=true --trace=cuda,nvtx,osrt,cublas,cudnn -o "$out/train" \
  "$bin/calo_train" --config "$config" --data "$data" --out "$out/train-model" --backend cuda \
  --max-batches 50
nsys stats --report cuda_gpu_kern_sum,cuda_api_sum "$out/train.nsys-rep" | tee "$out/train-summary.txt"
if command -v ncu >/dev/null; then
  rm -rf "$out/train-model-ncu"
  ncu --force-overwrite --set full --launch-count 100 -o "$out/train-kernels" \
    "$bin/calo_train" --config "$config" --data "$data" --out "$out/train-model-ncu" --backend cuda \
    --max-batches 3
fi
echo "profiles in $out"
