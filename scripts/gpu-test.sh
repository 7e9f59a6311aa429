#!/usr/bin/env bash
# On a CUDA machine: builds (gpu-configure.sh) and runs every [gpu] test: UNet, MoVQ, T5 and
# text-to-image in fp16/bf16 against CPU fp32, offload modes, inpainting, each against its bound.
# Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu-configure.sh "$@"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
# Every [gpu] case, each printing its error against its bound; the full-size T5 one last.
./build-gpu/tests/k3_tests_core "[gpu]~[slow]" --durations yes
./build-gpu/tests/k3_tests_core "[gpu][slow]" --durations yes
