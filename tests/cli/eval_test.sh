#!/bin/sh
# `railguard eval` on a replayed `self check input`: one hit, one correct
# allow, one false positive, one miss -> detection 0.5, false positives 0.5,
# one LLM call per item; a malformed dataset line is named.
#   usage: eval_test.sh DATA_DIR
set -eu
data=$1
railguard=${RAILGUARD:-build/bin/railguard}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$railguard" eval --config "$data" --dataset "$data/dataset.jsonl" --show-errors >"$tmp/out" 2>"$tmp/err" || {
  cat "$tmp/out" "$tmp/err" >&2
  echo "FAIL: eval exited with an error" >&2
  exit 1
}
cat "$tmp/out"
grep -Eq '^input +4 +2 +0\.5000 +0\.5000 +[0-9.]+ +[0-9.]+ +1\.00 +0$' "$tmp/out" || { echo "FAIL: unexpected summary" >&2; exit 1; }
grep -q 'dataset.jsonl:3: false positive (self check input)' "$tmp/out" || { echo "FAIL: false positive not listed" >&2; exit 1; }
grep -q 'dataset.jsonl:4: missed' "$tmp/out" || { echo "FAIL: miss not listed" >&2; exit 1; }
printf '{"text": "x", "label": "maybe"}\n' >"$tmp/bad.jsonl"
if "$railguard" eval --config "$data" --dataset "$tmp/bad.jsonl" 2>"$tmp/err2"; then
  echo "FAIL: a bad label was accepted" >&2
  exit 1
fi
grep -q 'bad.jsonl:1: "label" must be "block" or "allow"' "$tmp/err2" || { cat "$tmp/err2"; echo "FAIL: bad line not named" >&2; exit 1; }
echo PASS
