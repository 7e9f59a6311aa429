# Sourced by gpu-test.sh and gpu-bench.sh on a CUDA machine: configures and builds ./build-gpu
# (every target of K3_CORE_ONLY: k3_core, k3_depth, the core tests, the core/pipeline/depth
# benchmarks) against the CUDA libtorch of the machine's Python; that machine has no OpenCV/libav.
# Catch2, nlohmann_json, sentencepiece and the fixtures come from ./gpu-deps (scripts/gpu-stage.sh,
# run on the development machine). The build keeps going past errors (-k 0) so that one run shows
# them all; K3_GPU_TARGETS (a space-separated list) builds only those targets. "$@" goes to CMake's configure step.
export PATH=/usr/local/cuda/bin:$PATH
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
if [ -d "$PWD/gpu-deps/usr" ]; then
  export LD_LIBRARY_PATH="$PWD/gpu-deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ -d "$PWD/gpu-deps/shared/fixtures" ]; then
  export K3_FIXTURES="${K3_FIXTURES:-$PWD/gpu-deps/shared/fixtures}"
  export K3_SPECS="${K3_SPECS:-$PWD/gpu-deps/shared/specs}"
fi
TORCH_PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))' || true
if [ ! -f build-gpu/build.ninja ]; then
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DK3_CORE_ONLY=ON \
    -DCMAKE_PREFIX_PATH="$PWD/gpu-deps/usr;$TORCH_PREFIX" -DCMAKE_CUDA_ARCHITECTURES=90 "$@"
fi
cmake --build build-gpu -j "$(nproc)" ${K3_GPU_TARGETS:+--target $K3_GPU_TARGETS} -- -k 0
