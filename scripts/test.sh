#!/usr/bin/env bash
# Installs the dependencies, builds, and runs the whole test suite (all but [gpu]).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/check-layout.sh
bash scripts/build.sh
cd "${K3_BUILD_DIR:-build}"
ctest -LE gpu --output-on-failure -j "$(nproc)" --timeout 1800
