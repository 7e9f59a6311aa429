#!/usr/bin/env bash
# On a CUDA machine: builds (gpu-configure.sh) and measures, at 1024x1024 on the full-size model
# (sparse zero weights): the UNet forward (fp32, fp16; eager vs replayed from a CUDA graph), MoVQ
# encode/decode stage by stage (cold, warm, cudnn.benchmark, channels-last, CUDA graph), the whole
# pipeline per stage under the default plan and each offload mode with its GPU peak, one diffused
# 2D frame (denoise 0.35 of 25 steps, MoVQ encode + decode included; eager and graphed, three
# times each) and the depth models per frame in fp16.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu-configure.sh "$@"
./build-gpu/bench/bench_core_unet --cuda --latent 64,128 --repeats 10
./build-gpu/bench/bench_core_movq --device cuda --dtype fp16 --sizes 512,1024 --repeats 5
./build-gpu/bench/bench_pipeline_full --device cuda --sizes 512,1024 --offload none --prompts 2 --frame-steps 25
./build-gpu/bench/bench_depth 5 512,1024 small,dpt-large cuda fp16
for mode in model sequential; do
  ./build-gpu/bench/bench_pipeline_full --device cuda --sizes 1024 --offload "$mode" --prompts 2 --frame-steps 25
done
