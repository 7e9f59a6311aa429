#!/usr/bin/env bash
# Run HERE (the development machine) before sending work to a GPU machine: fills ./gpu-deps (git-ignored,
# carried along) with what that machine lacks: Debian's Catch2 v2, nlohmann_json and sentencepiece
# (+ its protobuf-lite) unpacked with dpkg -x, and copies of the tiny fixtures and the depth key
# lists from ../shared, which does not travel. gpu-configure.sh points CMake and the tests at them.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${K3_SHARED:-$PWD/../shared}"
rm -rf gpu-deps && mkdir -p gpu-deps/debs gpu-deps/shared/fixtures gpu-deps/shared/specs
(cd gpu-deps/debs && apt-get download catch2 nlohmann-json3-dev libsentencepiece-dev libsentencepiece0 libprotobuf-lite32)
for deb in gpu-deps/debs/*.deb; do dpkg -x "$deb" gpu-deps; done
rm -rf gpu-deps/debs gpu-deps/usr/share/doc
cp -r "$SHARED/fixtures/k3-tiny" "$SHARED/fixtures/k3-tiny-golden" gpu-deps/shared/fixtures/
cp -r "$SHARED/specs/depth-keys" gpu-deps/shared/specs/
du -sh gpu-deps
