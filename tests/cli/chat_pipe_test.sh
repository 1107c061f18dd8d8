#!/bin/sh
# Pipes INPUT into `railguard chat --config CONFIG` and compares stdout with
# EXPECTED byte for byte.
#   usage: chat_pipe_test.sh CONFIG INPUT EXPECTED
# $RAILGUARD names the binary (default: build/bin/railguard).
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 CONFIG INPUT EXPECTED" >&2
  exit 2
fi
config=$1 input=$2 expected=$3
railguard=${RAILGUARD:-build/bin/railguard}
unset COLANGPATH
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT

status=0
"$railguard" chat --config "$config" <"$input" >"$actual" || status=$?
if [ "$status" -ne 0 ]; then
  echo "railguard chat exited with status $status" >&2
  exit 1
fi
if ! cmp -s "$expected" "$actual"; then
  echo "stdout differs from $expected:" >&2
  diff -u "$expected" "$actual" >&2 || true
  exit 1
fi
