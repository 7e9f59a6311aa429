#!/usr/bin/env bash
# The layering rules of DESIGN.md, checked from the #include lines (run by scripts/test.sh, so by
# CI). Each folder may include its own headers and those of the layers below it; third-party
# libraries only where its layer uses them. Prints every violation as FILE:LINE and exits 1.
#   base/             the standard library only
#   schedules/        base/ (+ nlohmann_json): no torch, OpenCV or libav
#   src/              base/ (+ torch, nlohmann_json, sentencepiece): nothing of animation or the CLI
#   depth/            src/, base/ (+ torch): nothing of animation or the CLI
#   animation/ops/    base/ (+ OpenCV): no torch, no model, no run folders
#   animation/video/  base/ (+ OpenCV, libav): no torch, no model
#   animation/render/ every library above, never cli/
#   cli/, tests/, bench/: anything
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
      for prefix in $allowed; do [[ $target == "$prefix"/* ]] && ok=1; done
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

check base "base" '^(torch|ATen|c10|opencv2|libav|nlohmann|sentencepiece)'
check schedules "schedules base" '^(torch|ATen|c10|opencv2|libav)'
check src "src base" '^(opencv2|libav)'
check depth "depth src base" '^(opencv2|libav)'
check animation/ops "animation/ops base" '^(torch|ATen|c10|libav)'
check animation/video "animation/video base" '^(torch|ATen|c10)'
check animation/render "animation/render animation/ops animation/video schedules src depth base" ''

if (( status )); then
  echo "check-layout: the include rules above were broken (scripts/check-layout.sh says why each exists)" >&2
else
  echo "check-layout: every folder includes only what its layer may"
fi
exit $status
