#!/usr/bin/env bash
# Installs k3anim's build and test dependencies from Debian 12's archive (run as root).
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev                       # libtorch 1.13 (CPU)
  libopenblas0-openmp                # replaces reference BLAS: matmuls 30x faster (ENVIRONMENT.md trap 3)
  libopencv-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libsentencepiece-dev sentencepiece # tokenizer; spm_train/spm_encode for the tokenizer test
  nlohmann-json3-dev libcli11-dev catch2
  libmuparser-dev                    # evaluated and not linked: schedules/expression.h says why we parse ourselves
  ffmpeg                             # ffprobe for video tests, ffmpeg for the encode benchmark
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "install-deps: all ${#PKGS[@]} packages present"
