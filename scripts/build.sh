#!/usr/bin/env bash
# Configures and builds k3anim into ./build (Release, Ninja, ccache when present).
# Extra arguments go to CMake's configure step, e.g. -DK3_SANITIZE=address,undefined.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${K3_BUILD_DIR:-build}"
if command -v ccache >/dev/null; then
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/k3anim-ccache}"
  # Paths relative to the checkout: clones and worktrees in other folders share the cache.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
  # Precompiled torch headers are safe to cache with these (ccache manual, "Precompiled headers").
  export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
  # The settings travel in the launcher itself, so a plain `cmake --build` uses the same cache.
  LAUNCHER=("-DCMAKE_CXX_COMPILER_LAUNCHER=env;CCACHE_DIR=$CCACHE_DIR;CCACHE_BASEDIR=$CCACHE_BASEDIR;CCACHE_SLOPPINESS=$CCACHE_SLOPPINESS;ccache")
else
  LAUNCHER=()
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${K3_BUILD_TYPE:-Release}" "${LAUNCHER[@]}" "$@"
# Two libtorch translation units at once already fill 24 GB machines with 2 cores; cap jobs by memory.
cmake --build "$BUILD_DIR" -j "${K3_JOBS:-$(nproc)}" ${K3_TARGETS:+--target $K3_TARGETS}
