#!/usr/bin/env bash
# Builds k3_core and its benchmark against the CUDA libtorch of the machine's Python (a GPU
# machine without OpenCV/libav: K3_CORE_ONLY) and times the full-size UNet on the GPU.
# Catch2 v2 comes from gpu-deps/ (Debian's catch2 unpacked with dpkg -x) when the machine lacks it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu-configure.sh
cmake --build build-gpu --target bench_core_unet -j "$(nproc)"
./build-gpu/bench/bench_core_unet --cuda --latent 32,64,128 --repeats 5
# The whole pipeline at 1024x1024 under the default plan and each offload mode: per-stage time and
# peak memory (host RSS; the GPU's peak is printed by the benchmark when it runs on CUDA).
cmake --build build-gpu --target bench_pipeline_full -j "$(nproc)"
for mode in none model sequential; do
  ./build-gpu/bench/bench_pipeline_full --device cuda --sizes 1024 --offload "$mode" --prompts 2
done
