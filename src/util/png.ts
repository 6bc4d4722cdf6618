/** Minimal PNG encoder for 8-bit grayscale and RGB images (sample images, demo thumbnails; no dependency). */
import { deflateSync } from 'node:zlib';
import { crc32 } from './crc32.js';

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** PNG bytes of 8-bit pixels, `channels` per pixel (1: grayscale, 3: RGB), row-major. */
function encodePng(name: string, pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Buffer {
  if (pixels.length !== width * height * channels) {
    throw new Error(`${name}: ${pixels.length} ${channels === 1 ? 'pixels' : 'bytes'} for a ${width}x${height} image${channels === 1 ? '' : ` (${channels} bytes a pixel)`}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // grayscale or truecolour
  const row = width * channels;
  const raw = Buffer.alloc((row + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * row, (y + 1) * row), y * (row + 1) + 1); // filter 0 per row
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** PNG bytes of a width×height grayscale image (row-major, one byte per pixel). */
export function encodeGrayPng(pixels: Uint8Array, width: number, height: number): Buffer {
  return encodePng('encodeGrayPng', pixels, width, height, 1);
}

/** PNG bytes of a width×height RGB image (row-major HWC, three bytes per pixel). */
export function encodeRgbPng(rgb: Uint8Array, width: number, height: number): Buffer {
  return encodePng('encodeRgbPng', rgb, width, height, 3);
}
