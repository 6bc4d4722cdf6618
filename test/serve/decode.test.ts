// Request decoding for `mimo serve`: every accepted image form round-trips, resizing matches a
// naive oracle, every bad input is a BadRequestError naming the item, and mutated files never
// crash or hang the decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { deflateSync } from 'node:zlib';
import { PNG, type ColorType } from 'pngjs';
import { encode as encodeJpeg } from 'jpeg-js';
import { BadRequestError, MAX_IMAGE_SIDE, decodeImageInput, parseClassifyBody } from '../../src/serve/decode.js';
import { axisTaps, resizeRgb } from '../../src/image/resize.js';
import { prngU32 as prng } from '../helpers/prng.js';

const SIZE = { height: 32, width: 32 };


/** A smooth-ish H x W x C test image (JPEG-friendly), row-major HWC. */
function pattern(h: number, w: number, c = 3): Uint8Array {
  const out = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[(y * w + x) * c + k] = Math.round(127.5 + 120 * Math.sin(0.21 * x * (k + 1) + 0.13 * y + k));
  }
  return out;
}

/** RGB → RGBA with the given alpha per pixel. */
function withAlpha(rgb: Uint8Array, alpha: (p: number) => number): Buffer {
  const out = Buffer.alloc((rgb.length / 3) * 4);
  for (let p = 0; p < rgb.length / 3; p++) {
    out.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    out[p * 4 + 3] = alpha(p);
  }
  return out;
}

/** pngjs PNG.sync.write of raw `data` laid out as `inputColorType` (16-bit data as native-endian uint16). */
function writePng(w: number, h: number, data: Buffer, colorType: ColorType, bitDepth: 8 | 16 = 8): Buffer {
  const png = new PNG({ width: w, height: h });
  png.data = data;
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: colorType === 4 || colorType === 6, bitDepth });
}

const rgbPng = (rgb: Uint8Array, w: number, h: number): Buffer => writePng(w, h, Buffer.from(rgb), 2);
const jpegOf = (rgb: Uint8Array, w: number, h: number, quality = 100): Buffer =>
  encodeJpeg({ width: w, height: h, data: withAlpha(rgb, () => 255) }, quality).data;
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** CRC-32 as PNG uses it (zlib.crc32 needs Node 20.15+). */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A PNG assembled chunk by chunk, for forms pngjs cannot write (palette, interlaced) and for broken headers. */
function pngChunks(chunks: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const [type, body] of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
    parts.push(head, body, crc);
  }
  return Buffer.concat(parts);
}

function ihdr(w: number, h: number, depth: number, colorType: number, interlace = 0): [string, Buffer] {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(w, 0);
  b.writeUInt32BE(h, 4);
  b.set([depth, colorType, 0, 0, interlace], 8);
  return ['IHDR', b];
}

/** Scanlines with filter 0 for a w x h image of `bpp` bytes per pixel, optionally Adam7-interlaced. */
function scanlines(pixels: Uint8Array, w: number, h: number, bpp: number, interlace: boolean): Buffer {
  const passes = interlace ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] : [[0, 0, 1, 1]];
  const out: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    if (x0 >= w || y0 >= h) continue;
    for (let y = y0; y < h; y += dy) {
      out.push(0);
      for (let x = x0; x < w; x += dx) out.push(...pixels.subarray((y * w + x) * bpp, (y * w + x + 1) * bpp));
    }
  }
  return Buffer.from(out);
}

const expectedGrey = (grey: Uint8Array): Uint8Array => Uint8Array.from(Array.from(grey).flatMap((v) => [v, v, v]));

// ---------- round trips ----------

test('PNG RGB round-trips exactly as a string, a data URL, {"png"} and with MIME line breaks', () => {
  const rgb = pattern(32, 32), png = rgbPng(rgb, 32, 32), text = b64(png);
  for (const input of [text, `data:image/png;base64,${text}`, `data:image/jpeg;base64,${text}`, { png: text },
    text.replace(/(.{76})/g, '$1\r\n'), text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')]) {
    assert.deepEqual(decodeImageInput(input, SIZE, 'image'), rgb);
  }
});

test('PNG colour types: RGBA drops alpha, grey and grey+alpha replicate, 16-bit rescales, palette expands', () => {
  const rgb = pattern(32, 32);
  const rgba = writePng(32, 32, withAlpha(rgb, (p) => p % 256), 6);
  assert.deepEqual(decodeImageInput(b64(rgba), SIZE, 'rgba'), rgb);

  const grey = pattern(32, 32, 1);
  assert.deepEqual(decodeImageInput(b64(writePng(32, 32, Buffer.from(grey), 0)), SIZE, 'grey'), expectedGrey(grey));
  const greyAlpha = Buffer.from(Array.from(grey).flatMap((v, p) => [v, (p * 3) % 256]));
  assert.deepEqual(decodeImageInput(b64(writePng(32, 32, greyAlpha, 4)), SIZE, 'grey+alpha'), expectedGrey(grey));

  // 16-bit v*257 is exactly 8-bit v after pngjs's rescale.
  const wide = Buffer.from(Uint16Array.from(rgb, (v) => v * 257).buffer);
  assert.deepEqual(decodeImageInput(b64(writePng(32, 32, wide, 2, 16)), SIZE, '16-bit'), rgb);

  const palette = Buffer.from([10, 20, 30, 200, 100, 0, 7, 250, 9]);
  const indices = Uint8Array.from({ length: 32 * 32 }, (_, p) => (p * 7) % 3);
  const paletted = pngChunks([ihdr(32, 32, 8, 3), ['PLTE', palette], ['IDAT', deflateSync(scanlines(indices, 32, 32, 1, false))], ['IEND', Buffer.alloc(0)]]);
  const want = Uint8Array.from(Array.from(indices).flatMap((i) => [...palette.subarray(i * 3, i * 3 + 3)]));
  assert.deepEqual(decodeImageInput(b64(paletted), SIZE, 'palette'), want);
});

for (const [w, h, colorType, depth] of [[32, 32, 2, 8], [13, 7, 2, 8], [1, 1, 0, 8], [9, 5, 0, 16]] as const) {
  test(`interlaced PNG ${w}x${h} colorType=${colorType} depth=${depth} decodes (and passes the inflate guard)`, () => {
    const channels = colorType === 2 ? 3 : 1, bpp = (channels * depth) / 8;
    const img = pattern(h, w, channels);
    const raw = depth === 8 ? img : Uint8Array.from(Array.from(img).flatMap((v) => [v, v])); // big-endian v*257
    const file = pngChunks([ihdr(w, h, depth, colorType, 1), ['IDAT', deflateSync(scanlines(raw, w, h, bpp, true))], ['IEND', Buffer.alloc(0)]]);
    const plain = pngChunks([ihdr(w, h, depth, colorType, 0), ['IDAT', deflateSync(scanlines(raw, w, h, bpp, false))], ['IEND', Buffer.alloc(0)]]);
    const want = channels === 3 ? img : expectedGrey(img);
    const size = { height: h, width: w };
    assert.deepEqual(decodeImageInput(b64(file), size, 'interlaced'), want);
    assert.deepEqual(decodeImageInput(b64(plain), size, 'plain'), want);
  });
}

test('JPEG quality 100 round-trips within a tolerance, as a string, a data URL and {"jpeg"}', () => {
  const rgb = pattern(32, 32), text = b64(jpegOf(rgb, 32, 32));
  for (const input of [text, `data:image/jpeg;base64,${text}`, `data:application/octet-stream;base64,${text}`, { jpeg: text }]) {
    const got = decodeImageInput(input, SIZE, 'image');
    let sum = 0, max = 0;
    for (let i = 0; i < rgb.length; i++) {
      const d = Math.abs(got[i] - rgb[i]);
      sum += d;
      max = Math.max(max, d);
    }
    assert.ok(max <= 12 && sum / rgb.length <= 2, `JPEG error too large: max ${max}, mean ${sum / rgb.length}`);
  }
});

test('raw arrays: {shape, data} with 3, 1 and 4 channels, a Uint8Array, and nested [H][W][C]', () => {
  const rgb = pattern(32, 32);
  assert.deepEqual(decodeImageInput({ shape: [32, 32, 3], data: [...rgb] }, SIZE, 'a'), rgb);
  assert.deepEqual(decodeImageInput({ data: rgb, shape: [32, 32, 3] }, SIZE, 'b'), rgb);
  const grey = pattern(32, 32, 1);
  assert.deepEqual(decodeImageInput({ shape: [32, 32, 1], data: [...grey] }, SIZE, 'c'), expectedGrey(grey));
  assert.deepEqual(decodeImageInput({ shape: [32, 32, 4], data: [...withAlpha(rgb, () => 0)] }, SIZE, 'd'), rgb);
  const nested = Array.from({ length: 32 }, (_, y) => Array.from({ length: 32 }, (_, x) => [...rgb.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)]));
  assert.deepEqual(decodeImageInput(nested, SIZE, 'e'), rgb);
  const nestedRgba = nested.map((row) => row.map((px) => [...px, 128]));
  assert.deepEqual(decodeImageInput(nestedRgba, SIZE, 'f'), rgb);
});

test('parseClassifyBody: "images" list, single "image", and n; the TSDoc examples', () => {
  const rgb = pattern(32, 32), png = b64(rgbPng(rgb, 32, 32));
  const many = parseClassifyBody({ images: [png, { shape: [32, 32, 3], data: [...rgb] }], n: 2 }, SIZE, { maxImages: 2 });
  assert.deepEqual(many, { images: [rgb, rgb], n: 2 });
  const one = parseClassifyBody({ image: png, extra: 'ignored' }, SIZE, { maxImages: 1 });
  assert.deepEqual(one, { images: [rgb] });
  assert.ok(!('n' in one));
  assert.equal(parseClassifyBody({ image: png, n: 'auto' }, SIZE, { maxImages: 1 }).n, 'auto');

  const { images, n } = parseClassifyBody({ image: [[[1, 2, 3]]], n: 'auto' }, { height: 1, width: 1 }, { maxImages: 8 });
  assert.deepEqual(images, [Uint8Array.of(1, 2, 3)]);
  assert.equal(n, 'auto');
  const red = decodeImageInput({ shape: [1, 1, 3], data: [255, 0, 0] }, { height: 2, width: 2 }, 'image');
  assert.deepEqual(red, Uint8Array.of(255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0));
});

// ---------- resizing ----------

test('axisTaps and resizeRgb: weights sum to 1; the TSDoc examples', () => {
  const grey = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(7) };
  assert.deepEqual(resizeRgb(grey, { height: 32, width: 32 }), new Uint8Array(3072).fill(7));
  assert.deepEqual(axisTaps(4, 2).map((t) => ({ start: t.start, weights: [...t.weights] })),
    [{ start: 0, weights: [0.5, 0.5] }, { start: 2, weights: [0.5, 0.5] }]);
  for (const [inSize, outSize] of [[1, 32], [16, 32], [31, 32], [32, 32], [33, 32], [50, 32], [4096, 32], [7, 3]]) {
    for (const { start, weights } of axisTaps(inSize, outSize)) {
      assert.ok(start >= 0 && start + weights.length <= inSize, `${inSize}→${outSize}: tap out of range`);
      assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-9, `${inSize}→${outSize}: weights do not sum to 1`);
    }
  }
});

for (const [h, w] of [[1, 1], [7, 50], [31, 33], [64, 64], [100, 17], [32, 32]]) {
  test(`resize ${h}x${w}→32x32: a constant image stays constant`, () => {
    const data = new Uint8Array(h * w * 3);
    for (let p = 0; p < h * w; p++) data.set([17, 200, 255], p * 3);
    const out = decodeImageInput({ shape: [h, w, 3], data }, SIZE, 'c');
    for (let p = 0; p < 32 * 32; p++) assert.deepEqual([...out.subarray(p * 3, p * 3 + 3)], [17, 200, 255]);
  });
}

test('resize: a 64x64 PNG of 2x2 constant blocks shrinks exactly to the 32x32 image', () => {
  const small = pattern(32, 32), big = new Uint8Array(64 * 64 * 3);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) {
    big.set(small.subarray(((y >> 1) * 32 + (x >> 1)) * 3, ((y >> 1) * 32 + (x >> 1)) * 3 + 3), (y * 64 + x) * 3);
  }
  assert.deepEqual(decodeImageInput(b64(rgbPng(big, 64, 64)), SIZE, 'big'), small);
});

test('resize: enlarging 16x16→32x32 keeps the corners, stays within the source range, and is bilinear inside', () => {
  const src = pattern(16, 16), out = resizeRgb({ width: 16, height: 16, data: src }, SIZE);
  const px = (d: Uint8Array, w: number, y: number, x: number): number[] => [...d.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];
  for (const [y, x, sy, sx] of [[0, 0, 0, 0], [0, 31, 0, 15], [31, 0, 15, 0], [31, 31, 15, 15]]) {
    assert.deepEqual(px(out, 32, y, x), px(src, 16, sy, sx), `corner (${y}, ${x})`);
  }
  const lo = Math.min(...src), hi = Math.max(...src);
  assert.ok(out.every((v) => v >= lo && v <= hi));
  // Output (1, 1) sits at source (0.25, 0.25): weights 0.75/0.25 on each axis.
  for (let c = 0; c < 3; c++) {
    const s = (y: number, x: number): number => src[(y * 16 + x) * 3 + c];
    const want = 0.5625 * s(0, 0) + 0.1875 * s(0, 1) + 0.1875 * s(1, 0) + 0.0625 * s(1, 1);
    assert.ok(Math.abs(out[(1 * 32 + 1) * 3 + c] - want) <= 0.5 + 1e-9);
  }
});

test('resize: area averaging matches a naive 2-D overlap-area oracle for 50x37→32x32', () => {
  const h = 50, w = 37, src = pattern(h, w), out = resizeRgb({ width: w, height: h, data: src }, SIZE);
  const overlap = (o: number, s: number, scale: number): number => Math.max(0, Math.min((o + 1) * scale, s + 1) - Math.max(o * scale, s));
  const sy = h / 32, sx = w / 32;
  for (let oy = 0; oy < 32; oy++) for (let ox = 0; ox < 32; ox++) for (let c = 0; c < 3; c++) {
    let v = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) v += overlap(oy, y, sy) * overlap(ox, x, sx) * src[(y * w + x) * 3 + c];
    v /= sy * sx;
    assert.ok(Math.abs(out[(oy * 32 + ox) * 3 + c] - v) <= 0.5 + 1e-6, `(${oy}, ${ox}, ${c}): ${out[(oy * 32 + ox) * 3 + c]} vs ${v}`);
  }
});

// ---------- bad inputs ----------

const goodRgb = pattern(32, 32);
const goodPng = rgbPng(goodRgb, 32, 32), goodJpeg = jpegOf(goodRgb, 32, 32);
const png = b64(goodPng), jpeg = b64(goodJpeg);
const badCrc = Buffer.from(goodPng);
badCrc[badCrc.indexOf('IEND') - 5] ^= 0xff; // the last byte of IDAT's CRC
const hugeJpeg = Buffer.from(goodJpeg);
{
  const sof = hugeJpeg.indexOf(Buffer.from([0xff, 0xc0]));
  hugeJpeg.writeUInt16BE(5000, sof + 5);
  hugeJpeg.writeUInt16BE(5000, sof + 7);
}
const bomb = pngChunks([ihdr(32, 32, 8, 2, 1), ['IDAT', deflateSync(Buffer.alloc(20e6))], ['IEND', Buffer.alloc(0)]]);
const headerOnly = (w: number, h: number): string => b64(pngChunks([ihdr(w, h, 8, 2), ['IEND', Buffer.alloc(0)]]));
const shaped = (data: unknown[], shape: unknown = [2, 2, 3]): unknown => ({ shape, data });
const twelve = (at: number, v: unknown): unknown[] => Array.from({ length: 12 }, (_, i) => (i === at ? v : 0));
const nestedWith = (y: number, x: number, px: unknown): unknown =>
  [[[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]].map((row, ry) => row.map((p, rx) => (ry === y && rx === x ? px : p)));

const BAD: Array<[string, unknown, number, string[]]> = [
  ['body null', null, 400, ['request body', 'found null']],
  ['body array', [png], 400, ['request body', 'an array of length 1']],
  ['body string', 'hello', 400, ['request body', 'JSON object']],
  ['no images key', { imgs: [png] }, 400, ['"images" list', '"imgs"']],
  ['images not an array', { images: png }, 400, ['images: expected a JSON array']],
  ['images empty', { images: [] }, 400, ['images: the list is empty']],
  ['too many images', { images: [png, png, png, png, png] }, 413, ['5 images', 'limit of 4']],
  ['both image and images', { image: png, images: [png] }, 400, ['both']],
  ['n zero', { image: png, n: 0 }, 400, ['n:', 'found 0']],
  ['n fraction', { image: png, n: 2.5 }, 400, ['n:', '2.5']],
  ['n word', { image: png, n: 'two' }, 400, ['n:', '"two"', '"auto"']],
  ['n null', { image: png, n: null }, 400, ['n:', 'null']],
  ['item number', { images: [png, png, 42] }, 400, ['images[2]', 'found 42', '{"png"']],
  ['item null', { image: null }, 400, ['image: expected', 'found null']],
  ['item empty object', { images: [{}] }, 400, ['images[0]', 'an empty object']],
  ['png not a string', { images: [{ png: 123 }] }, 400, ['images[0].png', 'found 123']],
  ['unknown key next to png', { images: [{ png, size: 32 }] }, 400, ['images[0]', '"png", "size"']],
  ['shape without data', { images: [{ shape: [2, 2, 3] }] }, 400, ['images[0]', '"shape"']],
  ['bad base64 character', { images: ['iVBOR$$w0KGgo='] }, 400, ['images[0]', 'invalid base64', '"$"']],
  ['base64 bad length', { images: ['abcde'] }, 400, ['images[0]', 'length 5']],
  ['base64 padding in the middle', { images: ['ab==cd=='] }, 400, ['images[0]', 'invalid base64']],
  ['empty string', { image: '' }, 400, ['image:', 'empty']],
  ['data URL not base64', { image: 'data:image/png,abcd' }, 400, ['image:', 'data URL', 'base64']],
  ['http URL', { image: 'https://example.com/cat.png' }, 400, ['image:', 'not fetched', 'example.com']],
  ['GIF bytes', { image: b64(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')) }, 415, ['image:', 'found GIF', 'PNG or JPEG']],
  ['random bytes', { images: [b64(Buffer.from([1, 2, 3, 4, 5, 6]))] }, 415, ['images[0]', '01020304']],
  ['text bytes', { image: b64(Buffer.from('{"a": 1}')) }, 415, ['image:', 'text']],
  ['png says jpeg', { images: [{ png: jpeg }] }, 415, ['images[0]', 'found JPEG', '{"jpeg": ...}']],
  ['jpeg says png', { images: [{ jpeg: png }] }, 415, ['images[0]', 'found PNG']],
  ['truncated PNG', { images: [b64(goodPng.subarray(0, goodPng.length >> 1))] }, 422, ['images[0]', 'PNG file is truncated or corrupt']],
  ['PNG signature only', { image: b64(goodPng.subarray(0, 8)) }, 422, ['image:', 'PNG', 'IHDR']],
  ['PNG bad CRC', { image: b64(badCrc) }, 422, ['image:', 'PNG', 'CRC']],
  ['PNG chunk cut off', { image: b64(goodPng.subarray(0, 60)) }, 422, ['image:', 'chunk "IDAT" at byte 33']],
  ['PNG without IEND', { image: b64(goodPng.subarray(0, goodPng.indexOf('IEND') - 4)) }, 422, ['image:', 'without an IEND']],
  ['PNG without IDAT', { image: headerOnly(32, 32) }, 422, ['image:', 'PNG']],
  ['PNG too wide', { image: headerOnly(5000, 10) }, 422, ['image:', '5000x10', `${MAX_IMAGE_SIDE}`]],
  ['PNG zero height', { image: headerOnly(10, 0) }, 422, ['image:', '10x0', 'at least 1 pixel']],
  ['interlaced PNG bomb', { image: b64(bomb) }, 422, ['image:', 'inflates to more']],
  ['truncated JPEG', { images: [png, b64(goodJpeg.subarray(0, goodJpeg.length >> 1))] }, 422, ['images[1]', 'JPEG file is truncated or corrupt']],
  ['JPEG too large', { image: b64(hugeJpeg) }, 422, ['image:', '5000x5000', `${MAX_IMAGE_SIDE}`]],
  ['data length', { image: shaped(twelve(0, 0).slice(1)) }, 422, ['image.data', 'needs 12 values, found 11']],
  ['two channels', { image: shaped([0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 2]) }, 422, ['image.shape[2]', 'found 2']],
  ['zero-height shape', { image: shaped([], [0, 3, 3]) }, 422, ['image:', '3x0']],
  ['shape too wide', { image: shaped([], [1, 4097, 3]) }, 422, ['image:', '4097x1']],
  ['shape not a list', { image: shaped([], 'abc') }, 400, ['image.shape', '[height, width, channels]']],
  ['shape of two', { image: shaped([], [2, 2]) }, 400, ['image.shape', 'array of length 2']],
  ['data not a list', { image: { shape: [2, 2, 3], data: 'xyz' } }, 400, ['image.data', 'flat array']],
  ['value 256', { image: shaped(twelve(3, 256)) }, 422, ['image.data[3]', 'found 256', '0-255']],
  ['value -1', { image: shaped(twelve(4, -1)) }, 422, ['image.data[4]', '-1']],
  ['value 1.5', { image: shaped(twelve(5, 1.5)) }, 422, ['image.data[5]', '1.5']],
  ['value NaN', { image: shaped(twelve(6, NaN)) }, 422, ['image.data[6]', 'NaN']],
  ['value string', { image: shaped(twelve(7, '12')) }, 422, ['image.data[7]', '"12"']],
  ['value null', { image: shaped(twelve(8, null)) }, 422, ['image.data[8]', 'null']],
  ['value 0.5 (float image)', { image: shaped(twelve(9, 0.5)) }, 422, ['image.data[9]', 'multiply by 255']],
  ['nested ragged row', { images: [[[[0, 0, 0], [0, 0, 0]], [[0, 0, 0]]]] }, 422, ['images[0][1]', 'same width']],
  ['nested ragged pixel', { images: [nestedWith(1, 0, [0, 0])] }, 422, ['images[0][1][0]', 'same channels']],
  ['nested pixel not a list', { images: [nestedWith(1, 1, 7)] }, 422, ['images[0][1][1]', 'found 7']],
  ['nested value 300', { images: [nestedWith(0, 1, [0, 0, 300])] }, 422, ['images[0][0][1][2]', '300']],
  ['nested flat', { images: [[1, 2, 3]] }, 400, ['images[0]', 'flat array']],
  ['nested two-level', { images: [[[1, 2, 3]]] }, 400, ['images[0]', 'two-level']],
  ['nested empty', { images: [[]] }, 422, ['images[0]', '0x0']],
  ['nested empty row', { images: [[[]]] }, 422, ['images[0]', '0x1']],
  ['nested two channels', { images: [[[[1, 2]]]] }, 422, ['images[0][0][0]', 'found 2']],
  ['nested too tall', { image: Array.from({ length: 4097 }, () => [[0, 0, 0]]) }, 422, ['image:', '1x4097']],
];

for (const [name, body, status, fragments] of BAD) {
  test(`bad input → ${status}: ${name}`, () => {
    assert.throws(() => parseClassifyBody(body, SIZE, { maxImages: 4 }), (e: unknown) => {
      assert.ok(e instanceof BadRequestError, `expected a BadRequestError, got ${String(e)}`);
      assert.equal(e.status, status, e.message);
      assert.ok(e.code.length > 0);
      for (const f of fragments) assert.ok(e.message.includes(f), `message lacks "${f}": ${e.message}`);
      assert.ok(e.message.length < 400, `message too long: ${e.message}`);
      return true;
    });
  });
}

// ---------- fuzzing ----------

/** Random mutations of `file`: byte flips (half of them in the first 64 header bytes), truncation, insertion, zeroed spans. */
function mutations(file: Buffer, count: number, seed: number): Buffer[] {
  const next = prng(seed), out: Buffer[] = [];
  const at = (n: number): number => next() % Math.max(1, n);
  for (let i = 0; i < count; i++) {
    let b = Buffer.from(file);
    switch (i % 4) {
      case 0: for (let k = 1 + at(8); k > 0; k--) b[next() % 2 ? at(64) : at(b.length)] = at(256); break;
      case 1: b = b.subarray(0, at(b.length)); break;
      case 2: { const p = at(b.length); b = Buffer.concat([b.subarray(0, p), Buffer.from(Array.from({ length: 1 + at(16) }, () => at(256))), b.subarray(p)]); break; }
      default: { const p = at(b.length); b.fill(at(2) ? 0 : 0xff, p, Math.min(b.length, p + 1 + at(32))); }
    }
    out.push(b);
  }
  return out;
}

/** Recomputes every complete chunk's CRC, so mutations get past the CRC check into pngjs's parser. */
function fixCrcs(png: Buffer): Buffer {
  const b = Buffer.from(png);
  for (let pos = 8; pos + 12 <= b.length;) {
    const length = b.readUInt32BE(pos);
    if (pos + 12 + length > b.length) break;
    b.writeUInt32BE(crc32(b.subarray(pos + 4, pos + 8 + length)), pos + 8 + length);
    pos += 12 + length;
  }
  return b;
}

// Runs in a worker so that a decoder stuck in a loop can be detected and killed; the shared
// counter says which input it was stuck on.
const FUZZ_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then(({ decodeImageInput, BadRequestError }) => {
  const progress = new Int32Array(workerData.progress);
  const results = workerData.inputs.map((text, i) => {
    Atomics.store(progress, 0, i);
    try { decodeImageInput(text, { height: 32, width: 32 }, 'fuzz'); return 'ok'; }
    catch (e) { return e instanceof BadRequestError ? 'status ' + e.status : 'crash ' + (e && e.stack || String(e)); }
  });
  parentPort.postMessage(results);
});`;

test('fuzz: mutated PNG and JPEG files decode or throw BadRequestError 415/422, never crash or hang', async (t) => {
  const interlaced = pngChunks([ihdr(24, 20, 8, 6, 1), ['IDAT', deflateSync(scanlines(withAlpha(pattern(20, 24), (p) => p), 24, 20, 4, true))], ['IEND', Buffer.alloc(0)]]);
  const files = [rgbPng(pattern(20, 24), 24, 20), interlaced, writePng(20, 24, Buffer.from(pattern(24, 20, 1)), 0), jpegOf(pattern(20, 24), 24, 20, 90)];
  const pngs = files.slice(0, 3).flatMap((f, i) => mutations(f, 200, 2000 + i)).map(fixCrcs);
  const inputs = [...files.flatMap((f, i) => mutations(f, 250, 1000 + i)), ...pngs].map(b64);
  const progress = new SharedArrayBuffer(4);
  const worker = new Worker(FUZZ_WORKER, {
    eval: true,
    workerData: { module: new URL('../../src/serve/decode.js', import.meta.url).href, inputs, progress },
  });
  let timer: NodeJS.Timeout | undefined;
  const results = await Promise.race([
    new Promise<string[]>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const i = new Int32Array(progress)[0];
        void worker.terminate();
        reject(new Error(`decoder hung on fuzz input ${i}: ${inputs[i].slice(0, 120)}...`));
      }, 120_000);
    }),
  ]).finally(() => { clearTimeout(timer); void worker.terminate(); });

  const counts = new Map<string, number>();
  results.forEach((r, i) => {
    assert.ok(r === 'ok' || r === 'status 415' || r === 'status 422', `fuzz input ${i} (${inputs[i].slice(0, 80)}...): ${r}`);
    counts.set(r, (counts.get(r) ?? 0) + 1);
  });
  // The mutations must exercise both outcomes, or the test proves nothing.
  assert.ok((counts.get('ok') ?? 0) > 50 && (counts.get('status 422') ?? 0) > 50, JSON.stringify([...counts]));
  t.diagnostic(`fuzz outcomes: ${JSON.stringify(Object.fromEntries(counts))}`);
});

test('a request may decode only so many pixels in all', () => {
  const big = { shape: [64, 64, 3], data: new Array(64 * 64 * 3).fill(7) };
  assert.equal(parseClassifyBody({ images: [big, big] }, { height: 32, width: 32 }, { maxImages: 8, maxPixels: 2 * 4096 }).images.length, 2);
  assert.throws(() => parseClassifyBody({ images: [big, big, big] }, { height: 32, width: 32 }, { maxImages: 8, maxPixels: 2 * 4096 }),
    (e: unknown) => e instanceof BadRequestError && e.status === 413 && /images\[2\].*12288 pixels.*limit of 8192/.test(e.message));
});
