#!/usr/bin/env bash
# Builds the tree with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and runs the whole test suite there. Slower than scripts/test.sh
# (not part of CI's time budget); run it before landing runtime changes.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh" --no-build
lock=/tmp/rg-build.lock
flock "$lock" cmake -S "$repo" -B "$repo/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRG_SANITIZE=ON -DRG_BUILD_BENCH=OFF
flock "$lock" cmake --build "$repo/build-asan" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$repo/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir "$repo/build-asan" --output-on-failure
