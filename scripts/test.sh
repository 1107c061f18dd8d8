#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs the whole test suite.
# Arguments are passed to ctest (e.g. -L unit, -R cli_).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
ctest --test-dir "$repo/build" --output-on-failure -j "$(nproc)" "$@"
