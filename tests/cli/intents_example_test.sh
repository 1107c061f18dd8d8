#!/bin/sh
# examples/intents with the built-in embedder: unseen utterances reach the
# right intent with no LLM, and `railguard index` saves the indexes once and
# finds them the second time. Skipped (77) when the word-vector file is
# absent: the n-gram fallback matches spelling, not meaning.
#   usage: intents_example_test.sh EXAMPLE_DIR
set -eu
example=$1
railguard=${RAILGUARD:-build/bin/railguard}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf 'hey there\nis it going to be sunny?\nhow do I bake bread?\nhi\n' >"$tmp/input"
"$railguard" chat --config "$example" <"$tmp/input" >"$tmp/out" 2>"$tmp/err" || {
  cat "$tmp/err" >&2
  echo "FAIL: railguard chat exited with an error" >&2
  exit 1
}
if grep -q "word vectors not found" "$tmp/err"; then
  echo "SKIPPED: no word-vector file (scripts/setup.sh fetches it)"
  exit 77
fi
cat >"$tmp/expected" <<'OUT'
Hello World!
I cannot see the sky from here, but I hope it is sunny.
I can only greet you and talk about the weather.
Hello World!
OUT
if ! diff -u "$tmp/expected" "$tmp/out"; then
  cat "$tmp/err" >&2
  echo "FAIL: unexpected replies" >&2
  exit 1
fi

"$railguard" index --config "$example" --cache-dir "$tmp/cache" >"$tmp/first" 2>/dev/null
"$railguard" index --config "$example" --cache-dir "$tmp/cache" >"$tmp/second" 2>/dev/null
grep -q "user examples .* built " "$tmp/first" || { cat "$tmp/first"; echo "FAIL: first index run built nothing" >&2; exit 1; }
grep -q "user examples .* cached " "$tmp/second" || { cat "$tmp/second"; echo "FAIL: second index run did not load" >&2; exit 1; }
if grep -q " built " "$tmp/second"; then cat "$tmp/second"; echo "FAIL: second index run embedded again" >&2; exit 1; fi
echo "PASS"
