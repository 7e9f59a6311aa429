#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) and runs one, or all in turn.
# Usage: scripts/fuzz.sh [SECONDS=300] [TARGET=fuzz_schedule_parser | all]
# Targets: fuzz_schedule_parser fuzz_prompt_schedule fuzz_preset fuzz_deforum_import
#          fuzz_safetensors fuzz_model_config fuzz_pickle
# The run starts from the target's seeds in tests/fuzz/corpus/<target>/ and grows a working
# corpus in $K3_FUZZ_BUILD/corpus-<target>/; crashes, leaks and timeouts are written to
# $K3_FUZZ_BUILD/artifacts-<target>/. Copy each into tests/fuzz/corpus/<target>/ once fixed, so
# that the normal build replays it (CTest fuzz-corpus-<target>).
# Installs clang and the libFuzzer/sanitizer runtimes (libclang-rt-14-dev) if missing.
# Runs under `nice -n 10` with one job: the machines are shared.
set -euo pipefail
SECONDS_TO_RUN=${1:-300}
TARGET=${2:-fuzz_schedule_parser}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${K3_FUZZ_BUILD:-$ROOT/build-fuzz}
ALL=(fuzz_schedule_parser fuzz_prompt_schedule fuzz_preset fuzz_deforum_import fuzz_safetensors fuzz_model_config fuzz_pickle)

need=()
command -v clang++ >/dev/null || need+=(clang)
dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed" || need+=(libclang-rt-14-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DK3_FUZZ_ONLY=ON -DK3_SANITIZE=address,undefined >/dev/null

run_one() {
  local target=$1
  nice -n 10 ninja -C "$BUILD" -j1 "$target"
  local corpus="$BUILD/corpus-$target" artifacts="$BUILD/artifacts-$target"
  mkdir -p "$corpus" "$artifacts"
  echo "== $target: ${SECONDS_TO_RUN} s, seeds from tests/fuzz/corpus/$target"
  (cd "$BUILD" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    nice -n 10 "tests/fuzz/$target" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" "$ROOT/tests/fuzz/corpus/$target")
}

if [ "$TARGET" = all ]; then
  for t in "${ALL[@]}"; do run_one "$t"; done
else
  run_one "$TARGET"
fi
