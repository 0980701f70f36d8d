/**
 * Draws the portal icons as PNG files, with no image library: a dark blue rounded square with a white
 * cross and a folded-corner document (the "dossier"). Run `npm run icons -w @opendmp/portal` after a change;
 * the PNGs are committed (patient/public/icons, pro/public).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

type Rgba = readonly [number, number, number, number];

const BLUE: Rgba = [0x12, 0x3f, 0x73, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const TEAL: Rgba = [0x1f, 0x8a, 0x8a, 255];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) {
    c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const body = Buffer.concat([head.subarray(4), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([head.subarray(0, 4), body, crc]);
}

function png(size: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      // 4×4 supersampling for smooth edges.
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const p = pixel((x + (sx + 0.5) / 4) / size, (y + (sy + 0.5) / 4) / size);
          r += p[0] * p[3];
          g += p[1] * p[3];
          b += p[2] * p[3];
          a += p[3];
        }
      }
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = a ? Math.round(r / a) : 0;
      raw[o + 1] = a ? Math.round(g / a) : 0;
      raw[o + 2] = a ? Math.round(b / a) : 0;
      raw[o + 3] = Math.round(a / 16);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array()),
  ]);
}

function inRoundedRect(
  x: number,
  y: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  r: number,
): boolean {
  if (x < x0 || x > x1 || y < y0 || y > y1) {
    return false;
  }
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** `inset` is the share of the icon left around the drawing (maskable icons need a safe zone). */
function icon(inset: number, fullBleed: boolean, accent: Rgba) {
  return (x: number, y: number): Rgba => {
    const background = fullBleed ? true : inRoundedRect(x, y, 0, 0, 1, 1, 0.2);
    if (!background) {
      return [0, 0, 0, 0];
    }
    const u = (x - inset) / (1 - 2 * inset);
    const v = (y - inset) / (1 - 2 * inset);
    // Document: a white sheet with a folded corner.
    const inSheet =
      u > 0.22 && u < 0.78 && v > 0.14 && v < 0.86 && !(u > 0.62 && v < 0.14 + (u - 0.62));
    const fold = u > 0.62 && u < 0.78 && v > 0.14 && v < 0.3 && v > 0.14 + (u - 0.62) - 0.002;
    if (fold) {
      return [0xc9, 0xd6, 0xe6, 255];
    }
    if (inSheet) {
      const crossH = Math.abs(v - 0.56) < 0.07 && Math.abs(u - 0.5) < 0.19;
      const crossV = Math.abs(u - 0.5) < 0.07 && Math.abs(v - 0.56) < 0.19;
      return crossH || crossV ? accent : WHITE;
    }
    return BLUE;
  };
}

const root = dirname(fileURLToPath(import.meta.url));
const write = (path: string, data: Buffer): void => {
  const file = `${root}/../${path}`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, data);
  process.stdout.write(`${path} ${data.length} bytes\n`);
};

for (const [portal, accent] of [
  ['patient', TEAL],
  ['pro', [0xb4, 0x2b, 0x2b, 255] as Rgba],
] as const) {
  const dir = portal === 'patient' ? 'patient/public/icons' : 'pro/public';
  write(`${dir}/favicon-32.png`, png(32, icon(0.04, false, accent)));
  if (portal === 'patient') {
    write(`${dir}/icon-192.png`, png(192, icon(0.06, false, accent)));
    write(`${dir}/icon-512.png`, png(512, icon(0.06, false, accent)));
    write(`${dir}/icon-maskable-512.png`, png(512, icon(0.16, true, accent)));
    write(`${dir}/apple-touch-icon-180.png`, png(180, icon(0.1, true, accent)));
  }
}
