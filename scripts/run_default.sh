#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then starts a chat with the
# hello_world example. Say "hi".
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
exec "$repo/build/bin/railguard" chat --config "$repo/examples/hello_world" "$@"
