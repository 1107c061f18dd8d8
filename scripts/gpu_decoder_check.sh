#!/usr/bin/env bash
# scripts/gpu_decoder_check.sh: on the GPU machine, build the decoder engine
# standalone (tests/gpu/decoder/CMakeLists.txt: kernels/ + llm/local + the
# tests and bench/decode; nothing else of railguard) and run
#   1. tests/gpu/decoder_gpu_test (doctest: GPU vs the CPU fp32 reference),
#   2. --hf: the comparison with HF transformers (tests/gpu/decoder/hf_check.py
#      makes random-weight Llama and Qwen2 models, runs HF, then hf_check runs
#      our engine from the HF folder and from our GGUF conversion),
#   3. bench/decode (unless --no-bench; --quick for a short one; --dtype f16
#      for the fp16 engine, --dtype both for one run of each).
#
#   scripts/gpu_decoder_check.sh [--hf] [--no-bench] [--quick] [--sanitize] [--only 1b|8b]
#                                [--dtype bf16|f16|both] [OUT_DIR]
#
# Needs nlohmann/ and doctest/ headers under build-device/include (copy them
# from /usr/include here and carry build-device/include with the run).
set -uo pipefail
cd "$(dirname "$0")/.."
hf=0 bench=1 quick="" sanitize=0 only="" out="" dtypes="bf16"
while [ $# -gt 0 ]; do
  case "$1" in
    --hf) hf=1 ;;
    --no-bench) bench=0 ;;
    --quick) quick="--quick" ;;
    --sanitize) sanitize=1 ;;
    --only) only="--only $2"; shift ;;
    --dtype) dtypes="$2"; [ "$dtypes" = both ] && dtypes="bf16 f16"; shift ;;
    *) out="$1" ;;
  esac
  shift
done
out="${out:-${OUT:-/tmp/rg-gpu-out}}"
mkdir -p "$out"
build=build-device/decoder
export PYTHONUNBUFFERED=1
status=0
step() { echo; echo "=== $*"; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1
nvcc --version | tail -1
git log -1 --format='commit %h %s' 2>/dev/null || true

hf_pid=""
if [ "$hf" = 1 ]; then
  step "HF reference models (background)"
  python3 tests/gpu/decoder/hf_check.py make --out /tmp/rg-hf >"$out/hf_make.log" 2>&1 &
  hf_pid=$!
fi

step "build"
cmake -S tests/gpu/decoder -B "$build" -G Ninja -DRG_EXTRA_INCLUDE="$PWD/build-device/include" \
  >"$out/configure.log" 2>&1 || { cat "$out/configure.log"; exit 1; }
if ! cmake --build "$build" -j 16 >"$out/build.log" 2>&1; then
  grep -E "error|Error" "$out/build.log" | head -40
  exit 1
fi
echo "built"

step "decoder_gpu_test"
"$build/bin/decoder_gpu_test" 2>&1 | tee "$out/test.log" | grep -E "MESSAGE|rel error|agreement|sample|SKIPPED|test cases|Status|ERROR|FAILED|CHECK|REQUIRE|==" || true
[ "${PIPESTATUS[0]}" = 0 ] || status=1
if [ "$sanitize" = 1 ]; then
  step "compute-sanitizer memcheck (decoder_gpu_test, small cases)"
  timeout 400 compute-sanitizer --tool memcheck --leak-check no "$build/bin/decoder_gpu_test" \
    '-tc=*llama shapes*,*graph replay*,*sampling*,*f16 engine*,*sliding-window*' >"$out/memcheck.log" 2>&1
  echo "memcheck exit $?"; grep -E "ERROR SUMMARY|Invalid" "$out/memcheck.log" | head -5
fi

if [ "$hf" = 1 ]; then
  wait "$hf_pid" || { step "HF models FAILED"; tail -30 "$out/hf_make.log"; exit 1; }
  tail -5 "$out/hf_make.log"
  step "hf_check"
  if [ -x "$build/bin/hf_check" ]; then
    python3 tests/gpu/decoder/hf_check.py compare --models /tmp/rg-hf --bin "$build/bin/hf_check" \
      2>&1 | tee "$out/hf_check.log"
    [ "${PIPESTATUS[0]}" = 0 ] || status=1
  else
    echo "hf_check was not built (llm/local missing?)"; status=1
  fi
fi

if [ "$bench" = 1 ]; then
  for d in $dtypes; do
    step "bench/decode ($d)"
    "$build/bin/decode" $quick $only --dtype "$d" 2>&1 | tee -a "$out/bench.log"
  done
fi
exit $status
