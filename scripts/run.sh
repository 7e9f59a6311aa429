#!/usr/bin/env bash
# Installs the dependencies, builds, and runs k3anim's main job on its defaults.
#  - With a Kandinsky 3 model folder in $K3_MODEL (diffusers layout): renders examples/zoom-in.json
#    with the model to out/zoom-in.mp4.
#  - Without one (the default): a preview render (no model: camera motion only) of the same
#    example to out/preview.mp4. Noise, sharpening and colour matching are switched off for the
#    preview because without a denoiser between frames they compound into mush.
# The run folder (frames, settings.json, journal) goes to runs/<preset>-<date-time>/.
# Extra arguments go to `k3anim render`, e.g. `--frames 24`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p out
if [ -n "${K3_MODEL:-}" ]; then
  ./build/cli/k3anim render examples/zoom-in.json --model "$K3_MODEL" -o out/zoom-in.mp4 "$@"
else
  ./build/cli/k3anim render examples/zoom-in.json --preview -o out/preview.mp4 \
    --set 'generation.noise=0:(0)' --set 'generation.anti_blur.amount=0:(0)' \
    --set 'generation.color_coherence=None' "$@"
fi
