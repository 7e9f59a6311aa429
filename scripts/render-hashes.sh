#!/usr/bin/env bash
# Hashes of every frame of a fixed set of renders (preview and the tiny fixture model), so a
# refactor can prove that it changed no pixel: run before and after, then diff the two lists.
#   scripts/render-hashes.sh [K3ANIM] > hashes.txt
# Sizes are multiples of 64; frames are few so the whole set runs in a few minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
k3anim=${1:-$root/build/cli/k3anim}
model=${K3_FIXTURES:-$root/../shared/fixtures}/k3-tiny
depth=${K3_FIXTURES:-$root/../shared/fixtures}/depth-tiny/depth-anything-tiny
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

render() {  # NAME ARGS...: one render into its own run folder, then one hash line per frame
  local name=$1; shift
  "$k3anim" --quiet render "$@" --run-dir "$work/$name" -o "$work/$name.mp4" >/dev/null
  (cd "$work/$name/frames" && sha256sum -- *.png) | sed "s|^|$name |"
}

small=(--set width=128 --set height=128 --set seed.seed=5)
for preset in "$root"/examples/*.json; do
  name=$(basename "$preset" .json)
  render "preview-$name" "$preset" --preview --frames 6 "${small[@]}"
done
for preset in perspective flipping_phi around_left spin_clockwise zoomin_sinus_x; do
  render "preview-$preset" "$preset" --preview --frames 5 "${small[@]}"
done
tiny=(--model "$model" --set seed.seed=11 --set width=64 --set height=64 --set generation.steps="0:(4)")
render model-zoom-in "$root/examples/zoom-in.json" --frames 4 "${tiny[@]}"
cat > "$work/story.json" <<'JSON'
{"name": "story", "fps": 4, "negative_prompt": "blurry",
 "story": [{"prompt": "a valley in winter", "duration": 1, "motion": "zoomin"},
           {"prompt": "a valley in spring", "duration": 1, "motion": "right"}],
 "generation": {"cadence": 2, "color_coherence": "LAB"}}
JSON
render model-story "$work/story.json" "${tiny[@]}"
render model-zoom-out "$root/examples/zoom-out.json" --frames 4 "${tiny[@]}"
render model-3d "perspective" --frames 3 "${tiny[@]}" --set motion.depth_source=depth-anything-v2 --set motion.depth_path="$depth"
