#!/bin/sh
# `railguard generate` on a tiny random model written by WRITER (an HF
# folder), and on its GGUF conversion: text on stdout, the same for the same
# seed, the numbers line on stderr; --chat renders the template (more prompt
# tokens); a missing model is an error naming the path.
#   usage: generate_test.sh WRITER
set -eu
writer=$1
railguard=${RAILGUARD:-build/bin/railguard}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; for f in "$tmp"/*.out "$tmp"/*.err; do [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done; exit 1; }

"$writer" "$tmp/tiny" || fail "could not write the model"
stats='^prompt [0-9]+ tokens, generated [0-9]+ tokens \((stop|length)\), prefill [0-9.]+ tok/s, decode [0-9.]+ tok/s, device cpu'

gen() {  # NAME ARGS...: runs generate into NAME.out / NAME.err
  name=$1
  shift
  "$railguard" generate --device cpu --threads 1 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || fail "generate $* exited with an error"
  grep -Eq "$stats" "$tmp/$name.err" || fail "no numbers line on stderr for generate $*"
}

gen a --model "$tmp/tiny" --prompt "hello world" --max-tokens 12 --temperature 0.8 --seed 7
gen b --model "$tmp/tiny" --prompt "hello world" --max-tokens 12 --temperature 0.8 --seed 7
[ -s "$tmp/a.out" ] || fail "no text on stdout"
cmp -s "$tmp/a.out" "$tmp/b.out" || fail "same seed, different text"
grep -Eq 'generated ([1-9]|1[0-2]) tokens' "$tmp/a.err" || fail "--max-tokens 12 not respected"

prompt_tokens() { sed -En 's/^prompt ([0-9]+) tokens.*/\1/p' "$tmp/$1.err"; }
gen chat --model "$tmp/tiny" --prompt "hello world" --chat --max-tokens 4
[ "$(prompt_tokens chat)" -gt "$(prompt_tokens a)" ] || fail "--chat did not add the template's tokens"

"$railguard" convert --model "$tmp/tiny" --out "$tmp/tiny.gguf" --type f16 >"$tmp/convert.out" 2>"$tmp/convert.err" || fail "convert failed"
gen gguf --model "$tmp/tiny.gguf" --prompt "hello world" --max-tokens 6
[ "$(prompt_tokens gguf)" -eq "$(prompt_tokens a)" ] || fail "the GGUF tokenizer counts the prompt differently"

if "$railguard" generate --device cpu --model "$tmp/missing" --prompt hi >"$tmp/missing.out" 2>"$tmp/missing.err"; then
  fail "a missing model was accepted"
fi
grep -q "local model $tmp/missing: no such file" "$tmp/missing.err" || fail "the error does not name the path"
echo PASS
