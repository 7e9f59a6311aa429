#!/usr/bin/env bash
# On a CUDA machine: builds k3_core and its tests against the CUDA libtorch of the machine's Python
# (K3_CORE_ONLY: no OpenCV/libav needed) and runs every [gpu] test (fp16/bf16 against CPU fp32,
# offload modes, T5 streamed to the GPU). Catch2 v2 comes from gpu-deps/ (Debian's catch2
# unpacked with dpkg -x) when the machine lacks it. Extra arguments go to CMake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/gpu-configure.sh
cmake --build build-gpu --target k3_tests_core -j "$(nproc)"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
# Every [gpu] case, each printing its error against its bound.
./build-gpu/tests/k3_tests_core "[gpu]" --durations yes
