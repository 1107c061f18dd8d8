#!/bin/sh
# Runs railguard with ARGS, requires a non-zero exit status and output
# (stdout and stderr together) that matches the extended regex PATTERN.
#   usage: expect_failure_test.sh PATTERN ARGS...
# $RAILGUARD names the binary (default: build/bin/railguard).
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 PATTERN ARGS..." >&2
  exit 2
fi
pattern=$1
shift
railguard=${RAILGUARD:-build/bin/railguard}
unset COLANGPATH
output=$(mktemp)
trap 'rm -f "$output"' EXIT

status=0
"$railguard" "$@" >"$output" 2>&1 </dev/null || status=$?
if [ "$status" -eq 0 ]; then
  echo "expected railguard $* to fail, but it exited with 0; output:" >&2
  cat "$output" >&2
  exit 1
fi
if ! grep -Eq -- "$pattern" "$output"; then
  echo "output of railguard $* does not match /$pattern/:" >&2
  cat "$output" >&2
  exit 1
fi
