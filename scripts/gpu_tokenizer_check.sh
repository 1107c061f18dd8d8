#!/usr/bin/env bash
# scripts/gpu_tokenizer_check.sh: exactness of llm/local/tokenizer/ against HF
# `tokenizers`, on a machine that has python3 with tokenizers (the GPU
# machine; no GPU is used):
#   1. tests/gpu/tokenizer/make_tokenizers.py trains six small tokenizers
#      (llama3, qwen2, gpt2 byte-level; SentencePiece-style with byte fallback,
#      declared by the legacy normalizer and by Metaspace first/always)
#      and records HF's ids/decodes on 3000 strings each, plus a small sample
#      (< 450 KB) to commit under tests/data/tokenizer/;
#   2. builds tests/gpu/tokenizer/ standalone (rg_llm_tokenizer + the check);
#   3. runs tokenizer_check on both; the summary comes last.
#
#   scripts/gpu_tokenizer_check.sh [OUT_DIR]     (default $OUT or /tmp/rg-gpu-out)
#
# Needs nlohmann/ under build-device/include (copy /usr/include/nlohmann here
# and carry build-device/include with the run). OUT_DIR/tokenizer-sample/ is the
# sample to commit: cp -r OUT_DIR/tokenizer-sample/* tests/data/tokenizer/
# OUT_DIR/hf_unicode.json is HF's \p{L}/\p{N}/\s; if the check says our tables
# differ: python3 scripts/gen_tokenizer_unicode.py --from-hf-dump OUT_DIR/hf_unicode.json
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-/tmp/rg-gpu-out}}"
mkdir -p "$out"
data=/tmp/rg-tokenizer-cases
build=build-device/tokenizer
step() { echo; echo "=== $*"; }

step "tokenizers (HF)"
python3 -c 'import sys, tokenizers; print("python", sys.version.split()[0], "tokenizers", tokenizers.__version__)'
rm -rf "$data" "$out/tokenizer-sample"
if ! python3 tests/gpu/tokenizer/make_tokenizers.py --out "$data" --unicode-dump "$out/hf_unicode.json" \
     --sample "$out/tokenizer-sample" >"$out/make_tokenizers.log" 2>&1; then
  tail -30 "$out/make_tokenizers.log"
  exit 1
fi
cat "$out/make_tokenizers.log"

step "build"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S tests/gpu/tokenizer -B "$build" "${gen[@]}" -DRG_EXTRA_INCLUDE="$PWD/build-device/include" \
  >"$out/tokenizer_configure.log" 2>&1 || { cat "$out/tokenizer_configure.log"; exit 1; }
if ! cmake --build "$build" -j 8 >"$out/tokenizer_build.log" 2>&1; then
  grep -E "error|Error" "$out/tokenizer_build.log" | head -40
  exit 1
fi
echo "built"

status=0
step "check: full set ($data)"
"$build/bin/tokenizer_check" "$data" "$out/hf_unicode.json" | tee "$out/tokenizer_check.log" || status=1
step "check: sample ($out/tokenizer-sample)"
"$build/bin/tokenizer_check" "$out/tokenizer-sample" | tee "$out/tokenizer_sample_check.log" || status=1

step "summary"
echo "full set:"; sed -n '/=== summary/,$p' "$out/tokenizer_check.log" | tail -n +2
echo "sample ($(du -sb "$out/tokenizer-sample" | cut -f1) bytes):"
sed -n '/=== summary/,$p' "$out/tokenizer_sample_check.log" | tail -n +2
exit $status
