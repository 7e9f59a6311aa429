# Sourced by gpu-bench.sh and gpu-test.sh: configures ./build-gpu against the CUDA libtorch of the
# machine's Python (K3_CORE_ONLY: the machine has no OpenCV/libav). Catch2 v2 comes from
# gpu-deps/ (Debian's catch2 unpacked with dpkg -x) when the machine lacks it. "$@" goes to CMake.
export PATH=/usr/local/cuda/bin:$PATH
TORCH_PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DK3_CORE_ONLY=ON \
  -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$PWD/gpu-deps/usr" -DCMAKE_CUDA_ARCHITECTURES=90 "$@"
