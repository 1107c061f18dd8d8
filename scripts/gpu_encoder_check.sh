#!/usr/bin/env bash
# scripts/gpu_encoder_check.sh: on the GPU machine, build the GPU encoder
# standalone (tests/gpu/encoder/CMakeLists.txt: kernels/ + the check, the
# test and bench/embed; nothing else of railguard), make the reference
# fixtures with Hugging Face transformers, and run
#   1. tests/gpu/encoder_forward_test (doctest, vs a float64 reference),
#   2. encoder_gpu_check on an all-MiniLM-L6-v2-shaped random model
#      (tests/data/encoder/make_fixture.py --big) and a bge/e5-small-shaped
#      one (tests/gpu/encoder/make_long_fixture.py: 12 layers, up to 512
#      tokens): min cosine of GPU fp32 / bf16 (and encode_cpu) vs HF fp32,
#   3. bench/embed (the table for bench/RESULTS.md).
#
#   scripts/gpu_encoder_check.sh [--tiny] [--sanitize] [--no-bench] [--profile] [OUT_DIR]
#
# --tiny also writes make_fixture.py's tiny fixture to OUT_DIR/tiny.
# --sanitize runs the test under compute-sanitizer memcheck (and racecheck) too.
# --profile adds ncu's per-kernel time of one batch of 256 x 128 tokens.
# Needs nlohmann/ and doctest/ headers under build-device/include (copy them
# from /usr/include here and carry build-device/include with the run).
set -uo pipefail
cd "$(dirname "$0")/.."
tiny=0 sanitize=0 bench=1 profile=0 out=""
for a in "$@"; do
  case "$a" in
    --tiny) tiny=1 ;;
    --sanitize) sanitize=1 ;;
    --no-bench) bench=0 ;;
    --profile) profile=1 ;;
    *) out="$a" ;;
  esac
done
out="${out:-${OUT:-/tmp/rg-gpu-out}}"
mkdir -p "$out"
build=build-device/gpu
fixtures=/tmp/rg-encoder-fixtures
export PYTHONUNBUFFERED=1
status=0
step() { echo; echo "=== $*"; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1
nvcc --version | tail -1
git log -1 --format='commit %h %s' 2>/dev/null || true

# The fixtures (CPU, PyTorch) are made while the build runs.
step "fixtures (background)"
mkdir -p "$fixtures"
(
  python3 tests/data/encoder/make_fixture.py --big --out "$fixtures/minilm-l6" &&
  python3 tests/gpu/encoder/make_long_fixture.py --out "$fixtures/bge-small" &&
  if [ "$tiny" = 1 ]; then python3 tests/data/encoder/make_fixture.py --out "$out/tiny"; fi
) >"$out/fixtures.log" 2>&1 &
fixture_pid=$!

step "build"
cmake -S tests/gpu/encoder -B "$build" -G Ninja -DRG_EXTRA_INCLUDE="$PWD/build-device/include" \
  >"$out/configure.log" 2>&1 || { cat "$out/configure.log"; exit 1; }
if ! cmake --build "$build" -j 16 >"$out/build.log" 2>&1; then
  grep -E "error|Error" "$out/build.log" | head -40
  exit 1
fi
echo "built"

step "encoder_forward_test"
"$build/bin/encoder_forward_test" 2>&1 | tee "$out/test.log" | grep -E "MESSAGE|min cosine|encode_cpu|SKIPPED|test cases|Status|ERROR|FAILED" || true
[ "${PIPESTATUS[0]}" = 0 ] || status=1
if [ "$sanitize" = 1 ]; then
  step "compute-sanitizer memcheck (encoder_forward_test)"
  timeout 300 compute-sanitizer --tool memcheck --leak-check no "$build/bin/encoder_forward_test" \
    >"$out/memcheck.log" 2>&1
  echo "memcheck exit $?"; grep -E "ERROR SUMMARY|Invalid" "$out/memcheck.log" | head -5
  step "compute-sanitizer racecheck (attention, head sizes 32 and 64)"
  timeout 300 compute-sanitizer --tool racecheck "$build/bin/encoder_forward_test" \
    '-tc=*mean pooling*,*CLS pooling*' >"$out/racecheck.log" 2>&1
  echo "racecheck exit $?"; grep -E "ERROR SUMMARY|RACE REPORT|hazard" "$out/racecheck.log" | head -5
fi

wait "$fixture_pid" || { step "fixtures FAILED"; cat "$out/fixtures.log"; exit 1; }
cat "$out/fixtures.log"

step "encoder_gpu_check"
"$build/bin/encoder_gpu_check" "$fixtures/minilm-l6" "$fixtures/bge-small" 2>&1 | tee "$out/check.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1

if [ "$bench" = 1 ]; then
  step "bench/embed"
  "$build/bin/embed" 2>&1 | tee "$out/bench.log"
fi
if [ "$profile" = 1 ]; then
  for p in fp32 bf16; do
    step "ncu: per-kernel time, $p, batch 256 x 128 tokens"
    ncu --csv --clock-control none --cache-control none --metrics gpu__time_duration.sum \
      "$build/bin/embed" --profile "$p" 256 128 >"$out/ncu_$p.csv" 2>&1
    python3 tests/gpu/encoder/ncu_breakdown.py <"$out/ncu_$p.csv" || tail -5 "$out/ncu_$p.csv"
  done
fi
exit $status
