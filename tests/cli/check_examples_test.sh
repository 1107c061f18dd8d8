#!/bin/sh
# `railguard check` must accept every config under EXAMPLES (a folder holding
# config.yml), and every .co under EXAMPLES must belong to one of them.
#   usage: check_examples_test.sh EXAMPLES
# $RAILGUARD names the binary (default: build/bin/railguard).
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 EXAMPLES" >&2
  exit 2
fi
examples=$1
railguard=${RAILGUARD:-build/bin/railguard}
unset COLANGPATH

configs=$(find "$examples" -name config.yml -exec dirname {} \; | sort)
if [ -z "$configs" ]; then
  echo "no config.yml under $examples" >&2
  exit 1
fi
for co in $(find "$examples" -name '*.co' | sort); do
  owned=no
  for config in $configs; do
    case "$co" in "$config"/*) owned=yes ;; esac
  done
  if [ "$owned" = no ]; then
    echo "$co is in no config folder (no config.yml above it)" >&2
    exit 1
  fi
done

# shellcheck disable=SC2086 # one argument per config folder
output=$("$railguard" check $configs 2>&1) || {
  echo "railguard check failed:" >&2
  echo "$output" >&2
  exit 1
}
echo "$output"
echo "$output" | grep -Eq '^ok: [0-9]+ files?, [0-9]+ flows?$'
