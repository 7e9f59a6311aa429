#!/usr/bin/env bash
# Installs the dependencies, builds, and runs k3anim's main job on its defaults: a preview
# render (no model needed: camera motion, colour and noise only) of a 2D example to out/preview.mp4
# (its frames, settings and run journal go to runs/zoom-in-<date-time>/).
# Extra arguments go to `k3anim render`, e.g. `--frames 24`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p out
./build/cli/k3anim render examples/zoom-in.json --preview -o out/preview.mp4 "$@"
