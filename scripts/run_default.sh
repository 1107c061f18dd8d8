#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then starts the rails server on the
# hello_world example (Colang 2.x) and prints its URL and a curl line.
#   PORT=9000 ./scripts/run_default.sh      another port
#   ./scripts/run_default.sh chat           the terminal chat instead
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
if [ "${1:-}" = "chat" ]; then
  shift
  exec "$repo/build/bin/railguard" chat --config "$repo/examples/hello_world" "$@"
fi
port=${PORT:-8000}
cat <<MSG
railguard server on examples/hello_world
  chat page:  http://127.0.0.1:$port/
  try:        curl -s http://127.0.0.1:$port/v1/chat/completions -H 'Content-Type: application/json' \\
                -d '{"config_id": "hello_world", "messages": [{"role": "user", "content": "hi"}]}'
  (Ctrl-C stops it)
MSG
exec "$repo/build/bin/railguard" server --config "$repo/examples/hello_world" --port "$port" \
  --data-dir "$repo/build/server-data" "$@"
