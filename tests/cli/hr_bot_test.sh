#!/bin/sh
# Runs examples/hr_bot on the replay engine: copies EXAMPLE to a temp folder,
# swaps the `models:` of its config.yml for DATA/models.yml (a replay model
# whose canned completions script the conversation), pipes DATA/input.txt
# into `railguard chat --config TMP --verbose` and requires
#   - stdout equal to DATA/expected.txt, byte for byte;
#   - exactly as many LLM calls as DATA/models.yml has responses (a flow
#     that costs one call more or less than planned fails the test even when
#     the replies happen to match).
#   usage: hr_bot_test.sh EXAMPLE DATA
# $RAILGUARD names the binary (default: build/bin/railguard).
set -eu
if [ $# -ne 2 ]; then
  echo "usage: $0 EXAMPLE DATA" >&2
  exit 2
fi
example=$1 data=$2
railguard=${RAILGUARD:-build/bin/railguard}
unset COLANGPATH
unset OPENAI_API_KEY
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL (hr_bot): $*" >&2
  exit 1
}

mkdir "$tmp/config"
cp -R "$example"/. "$tmp/config/"
# Drop the top-level `models:` key and the indented lines under it, then
# append the replay models.
awk '
  /^models:/ { skip = 1; next }
  skip && /^([ \t]|$)/ { next }
  { skip = 0; print }
' "$example/config.yml" >"$tmp/config/config.yml"
cat "$data/models.yml" >>"$tmp/config/config.yml"
[ "$(grep -c '^models:' "$tmp/config/config.yml")" -eq 1 ] ||
  fail "config.yml should have exactly one models: key after the swap"
grep -q 'engine: replay' "$tmp/config/config.yml" || fail "replay model missing"
if grep -q 'engine: openai' "$tmp/config/config.yml"; then
  fail "the openai model is still in the config"
fi

status=0
"$railguard" chat --config "$tmp/config" --verbose <"$data/input.txt" \
  >"$tmp/actual" 2>"$tmp/log" || status=$?
if [ "$status" -ne 0 ]; then
  cat "$tmp/log" >&2
  fail "railguard chat exited with status $status"
fi

if ! cmp -s "$data/expected.txt" "$tmp/actual"; then
  echo "stdout differs from $data/expected.txt:" >&2
  diff -u "$data/expected.txt" "$tmp/actual" >&2 || true
  echo "--- railguard --verbose log:" >&2
  # The LLM calls (task, completion) and the rails of each turn.
  awk '/^\[(llm|rail)\]/ { print } c { print "    -> " $0; c = 0 }
       /^--- completion/ { c = 1 }' "$tmp/log" >&2
  fail "replies differ"
fi

planned=$(grep -c '^        - ' "$data/models.yml")
made=$(grep -c '^\[llm\] ' "$tmp/log" || true)
if [ "$made" -ne "$planned" ]; then
  grep -E '^\[(llm|rail)\]' "$tmp/log" >&2 || true
  fail "$made LLM calls made, $planned responses scripted in $data/models.yml"
fi
echo "ok: $(wc -l <"$data/input.txt") turns, $made LLM calls"
