#!/usr/bin/env bash
# Installs the dependencies, builds, and runs k3anim's main job on its defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/cli/k3anim --help
