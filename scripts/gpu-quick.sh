#!/usr/bin/env bash
# On a CUDA machine, when little device time is left: builds only the two core benchmarks and
# measures the MoVQ at 1024 px (stage by stage, GroupNorm libtorch vs ours, CUDA graph) and the
# UNet guided step at 1024 px fp16 eager vs CUDA graph, per block. Log in $OUT/log.
set -uo pipefail
cd "$(dirname "$0")/.."
LOG="${OUT:-/tmp}/log"
{
  K3_GPU_TARGETS="bench_core_movq bench_core_unet" source scripts/gpu-configure.sh > "${OUT:-/tmp}/build.log" 2>&1
  echo "build exit $?"
  grep -m 10 -A6 'error:' "${OUT:-/tmp}/build.log"
  ./build-gpu/bench/bench_core_movq --device cuda --dtype fp16 --sizes 1024 --repeats 5
  ./build-gpu/bench/bench_core_unet --cuda-fp16-only --latent 128 --repeats 10
} 2>&1 | tee "$LOG"
