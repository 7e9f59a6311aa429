#!/usr/bin/env bash
# The layering rules of DESIGN.md, checked from the #include lines (run by scripts/test.sh, so by
# CI). Each folder may include its own headers and those of the layers below it; third-party
# libraries only where its layer uses them. Prints every violation as FILE:LINE and exits 1.
#   base/             the standard library and nlohmann_json only
#   schedules/        base/ (+ nlohmann_json): no torch, OpenCV or libav
#   src/public/       base/ and itself: the front door of k3_core, no torch in it
#   src/ (stages)     base/, src/ (+ torch, nlohmann_json, sentencepiece); never src/convert/
#   src/convert/      base/, src/: only the CLI links it
#   depth/            src/, base/ (+ torch): nothing of animation or the CLI
#   animation/ops/    base/ (+ OpenCV): no torch, no model, no run folders
#   animation/video/  base/ (+ OpenCV, libav): no torch, no model
#   animation/render/ the libraries above through their front doors (src/public/, depth's
#                     estimator), never cli/
#   cli/              the front doors only: src/public/, the convert and depth headers, render
#   tests/, bench/:   anything (they test the private stages too)
# CMake gives each library its own include root (k3_include_root), so most of these also fail to
# compile; the script says why, and catches what a shared include root would let through.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
# check FOLDER ALLOWED_PROJECT_PREFIXES FORBIDDEN_SYSTEM_REGEX
check() {
  local folder=$1 allowed=$2 forbidden=$3
  while IFS= read -r hit; do
    local file=${hit%%:*} rest=${hit#*:}
    local line=${rest%%:*} text=${rest#*:}
    local target
    if [[ $text =~ \#include\ \"([^\"]+)\" ]]; then
      target=${BASH_REMATCH[1]}
      local ok=0
      for prefix in $allowed; do [[ $target == "$prefix"/* || $target == "$prefix" ]] && ok=1; done
      if (( ! ok )); then
        echo "$file:$line: $folder may include only ${allowed// /, }; got \"$target\""
        status=1
      fi
    elif [[ -n $forbidden && $text =~ \#include\ \<([^>]+)\> ]]; then
      target=${BASH_REMATCH[1]}
      if [[ $target =~ $forbidden ]]; then
        echo "$file:$line: $folder may not use <$target>"
        status=1
      fi
    fi
  done < <(grep -rnE '^\s*#\s*include' "$folder" --include='*.h' --include='*.hpp' --include='*.cpp' || true)
}

check base "base" '^(torch|ATen|c10|opencv2|libav|sentencepiece)'
check schedules "schedules base" '^(torch|ATen|c10|opencv2|libav)'
check src/public "src/public base" '^(torch|ATen|c10|opencv2|libav)'
for stage in src/io src/nn src/models src/text src/sampling src/pipeline; do
  check $stage "src/io src/nn src/models src/text src/sampling src/pipeline src/public base" '^(opencv2|libav)'
done
check src/convert "src base" '^(opencv2|libav)'
check depth "depth src/io src/nn src/models src/pipeline src/public base" '^(opencv2|libav)'
check animation/ops "animation/ops base" '^(torch|ATen|c10|libav)'
check animation/video "animation/video base" '^(torch|ATen|c10)'
check animation/render "animation/render animation/ops animation/video schedules src/public depth/depth_estimator.h base" \
  '^(torch|ATen|c10)'
check cli "cli animation/render animation/video schedules src/public src/convert/original_checkpoint.h depth/depth_estimator.h depth/depth_report.h base" \
  '^(torch|ATen|c10)'
# Every file of src/ sits in a stage folder: a new flat file would undo the split.
for file in src/*.h src/*.cpp; do
  [[ -e $file ]] || continue
  echo "$file: src/ holds stage folders only (io, nn, models, text, sampling, pipeline, public, convert)"
  status=1
done

if (( status )); then
  echo "check-layout: the include rules above were broken (scripts/check-layout.sh says why each exists)" >&2
else
  echo "check-layout: every folder includes only what its layer may"
fi
exit $status
