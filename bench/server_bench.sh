#!/usr/bin/env bash
# server_bench: the rails server under load (issue 4's bench).
#
#   bench/server_bench.sh [CONFIG_DIR] [SECONDS] [CONNECTIONS]
#
# Starts build/bin/railguard server on a free loopback port with CONFIG_DIR
# (default examples/hello_world), then runs wrk (Debian package `wrk`) with
# CONNECTIONS (64) for SECONDS (10) against GET /health and against
# POST /v1/chat/completions ("hi" -> the guarded answer), one after the
# other in the same run, and prints req/s, p50 and p99 latency of both and
# the ratio chat/health. /health is the server's own ceiling on this machine
# (HTTP parsing, routing, one small response): the fraction of it that the
# chat path reaches is the share of the limit we report.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
config=${1:-$repo/examples/hello_world}
seconds=${2:-10}
connections=${3:-64}
bin=${RAILGUARD:-$repo/build/bin/railguard}
command -v wrk >/dev/null || { echo "server_bench: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$bin" ] || { echo "server_bench: $bin not built" >&2; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" server --config "$config" --port "$port" --data-dir "$work/data" --disable-chat-ui \
  >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

config_id=$(basename "$config")
body="{\"config_id\": \"$config_id\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"
answer=$(curl -fs -X POST -H 'Content-Type: application/json' -d "$body" \
  "http://127.0.0.1:$port/v1/chat/completions")
echo "chat answer: $answer"
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
LUA

run() {  # run NAME URL [wrk args...] -> "req/s p50_ms p99_ms"
  local out
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "${@:2}" 2>&1)
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  echo "$1 $rps $p50 $p99"
}
to_ms() {  # wrk prints 1.23ms / 456.00us / 1.02s
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
read -r _ h_rps h_p50 h_p99 < <(run health "http://127.0.0.1:$port/health")
read -r _ c_rps c_p50 c_p99 < <(run chat "http://127.0.0.1:$port/v1/chat/completions" -s "$work/post.lua")
echo
echo "server_bench: $config_id, $connections connections, ${seconds}s each, $(nproc) cores"
echo "| route | req/s | p50 ms | p99 ms |"
echo "|---|---:|---:|---:|"
echo "| GET /health | $h_rps | $(to_ms "$h_p50") | $(to_ms "$h_p99") |"
echo "| POST /v1/chat/completions | $c_rps | $(to_ms "$c_p50") | $(to_ms "$c_p99") |"
awk -v c="$c_rps" -v h="$h_rps" 'BEGIN { if (h > 0) printf "chat / health throughput: %.0f %%\n", 100 * c / h }'
