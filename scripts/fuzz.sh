#!/usr/bin/env bash
# Builds the schedule-parser fuzzers with clang (libFuzzer + ASan + UBSan) and runs one.
# Usage: scripts/fuzz.sh [SECONDS=300] [TARGET=fuzz_schedule_parser | fuzz_prompt_schedule]
# Installs clang and the libFuzzer/sanitizer runtimes (libclang-rt-14-dev) if missing.
# Runs under `nice -n 10` with one job: the machines are shared.
set -euo pipefail
SECONDS_TO_RUN=${1:-300}
TARGET=${2:-fuzz_schedule_parser}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${K3_FUZZ_BUILD:-$ROOT/build-fuzz}

need=()
command -v clang++ >/dev/null || need+=(clang)
dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed" || need+=(libclang-rt-14-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DK3_FUZZ=ON -DK3_SCHEDULES_ONLY=ON -DK3_SANITIZE=address,undefined >/dev/null
nice -n 10 ninja -C "$BUILD" -j1 "$TARGET"

CORPUS="$BUILD/corpus-$TARGET"
mkdir -p "$CORPUS"
# Seeds: byte 0 = frame count, byte 1 = mode/seed, then a schedule.
seed() { printf '%b%s' "$1" "$2" > "$CORPUS/seed-$3"; }
if [ "$TARGET" = fuzz_prompt_schedule ]; then
  seed '\x1e\x00' '{"0": "winter forest", "48": "spring forest --neg blurry"}' 1
  seed '\x3f\x07' '{"0": "a --neg b", "max_f/2": "c", "max_f": "d", "99": "e"}' 2
else
  seed '\x1e\x00' '0:(1.0025+0.002*sin(1.25*3.14*t/30))' 1
  seed '\x3f\x01' '0:(0), 10:(5), "max_f-1":(where(t>5, t%15, -t**2))' 2
  seed '\x20\x02' 'cubic: 0:(1), 10:(2), 20:(0.5), 30:(s/1e4)' 3
  seed '\x20\x03' 'bezier(0.25,0.1,0.25,1): 0:(0), max_f:(fps*2),' 4
  seed '\x0a\x00' '0: (1), 5: (max(t, 2) ^ 2 // 3), 9:(arctan2(t, max_f))' 5
fi

cd "$BUILD"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  nice -n 10 "./schedules/$TARGET" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
  -max_len=4096 -print_final_stats=1 "$CORPUS"
