#!/usr/bin/env bash
# On a CUDA machine, in one short run: builds (gpu-configure.sh), runs the [gpu] tests (CUDA
# graph replay against eager among them) and the three figures of issue #14's GPU goals: the
# UNet guided step at 512/1024 px fp16 eager vs CUDA graph, MoVQ encode/decode stage by stage,
# and the diffused 2D frame at 1024 px (eager and graphed). The whole log goes to $OUT/log
# when OUT is set. gpu-test.sh and gpu-bench.sh remain the complete sets.
set -uo pipefail
cd "$(dirname "$0")/.."
LOG="${OUT:-/tmp}/log"
{
  source scripts/gpu-configure.sh > "${OUT:-/tmp}/build.log" 2>&1
  echo "build exit $? ($(grep -c 'error:' "${OUT:-/tmp}/build.log") error lines)"
  grep -m 20 -B2 -A6 'error:' "${OUT:-/tmp}/build.log"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  ./build-gpu/tests/k3_tests_core "[gpu]~[slow]" --durations yes 2>&1 | grep -v '^$' | tail -80
  ./build-gpu/bench/bench_core_movq --device cuda --dtype fp16 --sizes 512,1024 --repeats 5
  ./build-gpu/bench/bench_core_unet --cuda --latent 64,128 --repeats 10
  ./build-gpu/bench/bench_pipeline_full --device cuda --sizes 1024 --offload none --prompts 1 --frame-steps 25
} 2>&1 | tee "$LOG"
# The benchmark's crash at exit on CUDA (seen since the first GPU session, a jump to address 0):
# a backtrace, and where the jump came from (the return address on the stack). The exports of
# gpu-configure.sh were made inside the pipeline's subshell above, so they are repeated here.
[ -d gpu-deps/shared/fixtures ] && export K3_FIXTURES="${K3_FIXTURES:-$PWD/gpu-deps/shared/fixtures}"
[ -d gpu-deps/usr ] && export LD_LIBRARY_PATH="$PWD/gpu-deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
GDB=$(command -v cuda-gdb || command -v gdb || true)
if [ -n "$GDB" ]; then
  "$GDB" -batch -ex 'set pagination off' -ex run -ex bt -ex 'info symbol *(void**)$sp' \
    -ex 'info symbol *((void**)$sp + 1)' -ex 'thread apply all bt 6' \
    --args ./build-gpu/bench/bench_pipeline_full --device cuda --sizes 256 --prompts 1 \
    2>&1 | grep -v '^\[New Thread\|^\[Thread' | tail -60 | tee -a "$LOG"
fi
