#!/usr/bin/env node
/**
 * Draws build/icon.png (512×512, RGBA): a blue rounded square with a white
 * keyhole. No image library: pixels are computed here (4×4 supersampled for
 * smooth edges) and written as a PNG with node:zlib. electron-builder turns
 * this one file into the macOS .icns, the Windows .ico and the Linux icons.
 *
 *   node build/make-icon.mjs            # writes build/icon.png
 *   node build/make-icon.mjs out.png    # writes elsewhere
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const SAMPLES = 4;
const BACKGROUND = [11, 87, 208];
const FOREGROUND = [255, 255, 255];

/** Signed distance to a rounded square centred in the canvas (negative inside). */
function roundedSquare(x, y) {
  const half = SIZE / 2 - 16;
  const radius = 104;
  const dx = Math.abs(x - SIZE / 2) - (half - radius);
  const dy = Math.abs(y - SIZE / 2) - (half - radius);
  const outside = Math.hypot(Math.max(dx, 0), Math.max(dy, 0));
  return outside + Math.min(Math.max(dx, dy), 0) - radius;
}

/** True inside the keyhole: a circle above a tapered slot. */
function keyhole(x, y) {
  const cx = SIZE / 2;
  const circleY = 212;
  if (Math.hypot(x - cx, y - circleY) <= 72) return true;
  const top = 240;
  const bottom = 392;
  if (y < top || y > bottom) return false;
  const t = (y - top) / (bottom - top);
  const halfWidth = 30 + t * 26;
  return Math.abs(x - cx) <= halfWidth;
}

function pixel(px, py) {
  let cover = 0;
  let hole = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      const x = px + (sx + 0.5) / SAMPLES;
      const y = py + (sy + 0.5) / SAMPLES;
      if (roundedSquare(x, y) <= 0) {
        cover++;
        if (keyhole(x, y)) hole++;
      }
    }
  }
  const total = SAMPLES * SAMPLES;
  if (cover === 0) return [0, 0, 0, 0];
  const mix = hole / cover;
  const rgb = BACKGROUND.map((c, i) => Math.round(c * (1 - mix) + (FOREGROUND[i] ?? 0) * mix));
  return [...rgb, Math.round((255 * cover) / total)];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let crc = 0xffffffff;
  for (const byte of buffer) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function renderIconPng() {
  const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE);
  for (let y = 0; y < SIZE; y++) {
    const row = y * (SIZE * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < SIZE; x++) {
      const [r, g, b, a] = pixel(x, y);
      raw.set([r, g, b, a], row + 1 + x * 4);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  header[10] = 0; // compression
  header[11] = 0; // filter
  header[12] = 0; // no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, 'icon.png'));
writeFileSync(out, renderIconPng());
console.log(`wrote ${path.relative(process.cwd(), out) || out} (${SIZE}x${SIZE})`);
