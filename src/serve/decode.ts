// Request decoding for POST /v1/classify: JSON body → list of HxWx3 uint8 images at the model's size.
//
// Accepted body: {"images": [ITEM, ...], "n"?: <positive integer> | "auto"} or {"image": ITEM, "n"?: ...}.
// Other top-level keys are ignored so the server can add options without touching this file.
// ITEM is one of
//   "<base64>"                        PNG or JPEG bytes, optionally a data URL (data:image/png;base64,...).
//                                     The format is read from the magic bytes; the data URL's media type is ignored.
//   {"png": "<base64>"}, {"jpeg": "<base64>"}   the same, with the format named (and checked).
//   {"shape": [H, W, C], "data": [...]}         raw row-major HWC uint8, C = 3 (RGB), 1 (grey) or 4 (RGBA).
//   [[[r, g, b], ...], ...]                      the same as a nested H x W x C array.
// Alpha is dropped, not composited: CIFAR-10 has no transparency, and the RGB under a transparent
// pixel is what the client drew. Grey is replicated to three channels. Any size from 1x1 to
// 1024x1024 is accepted and resized to the model's size (see resize.ts: area averaging when
// shrinking, bilinear when enlarging, aspect ratio not kept).
//
// Status codes of BadRequestError:
//   400  the body or an item is not in an accepted form (wrong JSON types, unknown item form,
//        invalid base64, bad "n");
//   413  more images, or more pixels in all, than the per-request limits;
//   415  the bytes are neither PNG nor JPEG;
//   422  the form is right but the image is not: corrupt or truncated file, 0 or > 1024 pixels on
//        a side, data length not matching the shape, a pixel value that is not an integer 0–255,
//        ragged nested arrays, a channel count other than 1, 3 or 4.
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { decode as decodeJpegBytes } from 'jpeg-js';
import { resizeRgb } from './resize.js';
import { crc32 } from '../util/crc32.js';

/** A client error: the HTTP status to answer (400, 413, 415, 422) and a message that names the problem and the fix. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  /**
   * @param status HTTP status to answer; this module uses 400, 413, 415 and 422.
   * @param code machine-readable reason; this module's are invalid_body, invalid_item, invalid_base64,
   *   invalid_n, too_many_images, unsupported_format, corrupt_image, image_size, invalid_pixels.
   */
  constructor(readonly status: number, message: string, readonly code: string) {
    super(message);
  }
}

/** A decoded image before resizing. */
export interface DecodedImage {
  width: number;
  height: number;
  /** RGB, row-major HWC */
  data: Uint8Array;
}

/** The largest accepted side, in pixels, of an input image (before resizing). */
export const MAX_IMAGE_SIDE = 1024;

/** Most pixels (before resizing) one request may decode: bounds the CPU time one request costs the event loop. */
export const MAX_REQUEST_PIXELS = 16 * 1024 * 1024;

const ACCEPTED_ITEMS = 'a base64 PNG/JPEG string (or data:image/...;base64 URL), {"png": "<base64>"}, {"jpeg": "<base64>"}, '
  + '{"shape": [H, W, 3], "data": [...]} or a nested [H][W][3] array of integers 0-255';

/**
 * One image of a request body, in any accepted form, → RGB uint8 of exactly `size` (resized if needed).
 * `where` names the item in error messages, e.g. "images[3]".
 *
 * Images of another size (1 to {@link MAX_IMAGE_SIDE} pixels a side) are resized to `size` by
 * {@link resizeRgb}: area averaging when shrinking, bilinear when enlarging, stretched without
 * keeping the aspect ratio. Alpha is dropped (not composited on a background); grey is replicated.
 *
 * @example
 * const rgb = decodeImageInput({ shape: [1, 1, 3], data: [255, 0, 0] }, { height: 2, width: 2 }, 'image');
 * // rgb = Uint8Array [255,0,0, 255,0,0, 255,0,0, 255,0,0]
 */
export function decodeImageInput(input: unknown, size: { height: number; width: number }, where: string): Uint8Array {
  const image = decodeItem(input, where);
  return image.width === size.width && image.height === size.height ? image.data : resizeRgb(image, size);
}

/**
 * The whole JSON body of POST /v1/classify → list of HxWx3 uint8 images. `n` is returned only when
 * the body sets it, and only its type is checked here (the server checks it against the model).
 *
 * @example
 * const { images, n } = parseClassifyBody({ image: [[[1, 2, 3]]], n: 'auto' }, { height: 1, width: 1 }, { maxImages: 8 });
 * // images = [Uint8Array [1, 2, 3]], n = 'auto'
 */
export function parseClassifyBody(
  body: unknown, size: { height: number; width: number }, limits: { maxImages: number; maxPixels?: number },
): { images: Uint8Array[]; n?: number | 'auto' } {
  if (!isPlainObject(body)) {
    throw new BadRequestError(400, `request body: expected a JSON object like {"images": [...]} or {"image": ...}, found ${describe(body)}`, 'invalid_body');
  }
  const n = parseN(body.n);
  let items: unknown[], names: string[];
  if ('images' in body && 'image' in body) {
    throw new BadRequestError(400, 'request body: has both "images" and "image"; send a list as "images" or one image as "image", not both', 'invalid_body');
  } else if ('images' in body) {
    if (!Array.isArray(body.images)) {
      throw new BadRequestError(400, `images: expected a JSON array of images, found ${describe(body.images)}; for one image use {"image": ...} or {"images": [...]}`, 'invalid_body');
    }
    items = body.images;
    if (items.length === 0) throw new BadRequestError(400, 'images: the list is empty; send at least one image', 'invalid_body');
    if (items.length > limits.maxImages) {
      throw new BadRequestError(413, `images: ${items.length} images is more than the limit of ${limits.maxImages} per request; split them over several requests`, 'too_many_images');
    }
    names = items.map((_, i) => `images[${i}]`);
  } else if ('image' in body) {
    items = [body.image];
    names = ['image'];
  } else {
    throw new BadRequestError(400, `request body: expected an "images" list or an "image", found ${describe(body)}; each image is ${ACCEPTED_ITEMS}`, 'invalid_body');
  }
  const budget = limits.maxPixels ?? MAX_REQUEST_PIXELS;
  let pixels = 0;
  const images = items.map((item, i) => {
    const image = decodeItem(item, names[i]);
    pixels += image.width * image.height;
    if (pixels > budget) {
      throw new BadRequestError(413, `${names[i]}: the images up to here hold ${pixels} pixels, more than the limit of ${budget} per request; downscale them (the model sees ${size.width}x${size.height}) or split the request`, 'too_many_pixels');
    }
    return image.width === size.width && image.height === size.height ? image.data : resizeRgb(image, size);
  });
  return n === undefined ? { images } : { images, n };
}

function parseN(n: unknown): number | 'auto' | undefined {
  if (n === undefined || n === 'auto') return n;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) return n;
  throw new BadRequestError(400, `n: expected a positive integer (the number of superposed inputs, e.g. 1, 2 or 4) or "auto", found ${describe(n)}; omit it to let the server choose`, 'invalid_n');
}

// ---------- item forms ----------

function decodeItem(input: unknown, where: string): DecodedImage {
  if (typeof input === 'string') return decodeEncoded(base64Payload(input, where), where, undefined);
  if (Array.isArray(input)) return fromNested(input, where);
  if (isPlainObject(input)) {
    const keys = Object.keys(input).sort().join(',');
    if (keys === 'png' || keys === 'jpeg') {
      const text = input[keys];
      if (typeof text !== 'string') {
        throw new BadRequestError(400, `${where}.${keys}: expected a base64 string of the ${keys.toUpperCase()} file, found ${describe(text)}`, 'invalid_item');
      }
      return decodeEncoded(base64Payload(text, `${where}.${keys}`), where, keys);
    }
    if (keys === 'data,shape') return fromShapeData(input.shape, input.data, where);
  }
  throw new BadRequestError(400, `${where}: expected ${ACCEPTED_ITEMS}; found ${describe(input)}`, 'invalid_item');
}

/** Bytes of a base64 string or base64 data URL, strictly validated (Buffer.from would skip bad characters silently). */
function base64Payload(text: string, where: string): Buffer {
  let b64 = text;
  if (/^data:/i.test(text)) {
    const comma = text.indexOf(',');
    const meta = comma < 0 ? '' : text.slice(5, comma).toLowerCase();
    if (comma < 0 || !meta.split(';').includes('base64')) {
      throw new BadRequestError(400, `${where}: a data URL must be base64-encoded, like "data:image/png;base64,iVBOR..."; found "${clip(text, 40)}"`, 'invalid_base64');
    }
    b64 = text.slice(comma + 1);
  } else if (/^https?:\/\//i.test(text)) {
    throw new BadRequestError(400, `${where}: image URLs are not fetched; send the file's bytes as base64 instead of "${clip(text, 60)}"`, 'invalid_base64');
  }
  b64 = b64.replace(/\s+/g, ''); // MIME-style line breaks are common in base64 from other tools
  if (b64.length === 0) throw new BadRequestError(400, `${where}: the base64 image is empty; send the PNG or JPEG file's bytes as base64`, 'invalid_base64');
  const bad = b64.search(/[^A-Za-z0-9+/_-]/);
  const padded = bad >= 0 && /^=={0,1}$/.test(b64.slice(bad));
  if ((bad >= 0 && !padded) || b64.length % 4 === 1 || (padded && b64.length % 4 !== 0)) {
    const detail = bad >= 0 && !padded ? `character ${JSON.stringify(b64[bad])} at position ${bad}` : `length ${b64.length} is not a whole number of base64 groups`;
    throw new BadRequestError(400, `${where}: invalid base64 (${detail}); send the PNG or JPEG file's bytes as standard or URL-safe base64`, 'invalid_base64');
  }
  return Buffer.from(b64, 'base64');
}

// ---------- PNG / JPEG ----------

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Formats we do not decode, by magic bytes, so a 415 can say what the client sent. */
function sniffOther(b: Buffer): string | undefined {
  const ascii = b.toString('latin1', 0, 12);
  if (ascii.startsWith('GIF8')) return 'GIF';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'WebP';
  if (ascii.startsWith('BM')) return 'BMP';
  if (ascii.startsWith('II*\0') || ascii.startsWith('MM\0*')) return 'TIFF';
  if (ascii.slice(4, 8) === 'ftyp') return 'HEIC/AVIF';
  if (/^\s*[{[<]/.test(ascii)) return 'text (JSON, SVG or HTML)';
  return undefined;
}

function decodeEncoded(bytes: Buffer, where: string, named: 'png' | 'jpeg' | undefined): DecodedImage {
  const format = bytes.subarray(0, 8).equals(PNG_MAGIC) ? 'png'
    : bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff ? 'jpeg' : undefined;
  if (format === undefined || (named !== undefined && named !== format)) {
    const found = format?.toUpperCase() ?? sniffOther(bytes) ?? `bytes starting ${bytes.subarray(0, 4).toString('hex') || '(none)'}`;
    const expected = named === undefined ? 'a PNG or JPEG file' : `a ${named.toUpperCase()} file as "${named}" says`;
    const fix = format !== undefined ? `send it as {"${format}": ...} or as a plain string` : 'convert the image to PNG or JPEG';
    throw new BadRequestError(415, `${where}: expected ${expected}, found ${found}; ${fix}`, 'unsupported_format');
  }
  return format === 'png' ? decodePng(bytes, where) : decodeJpeg(bytes, where);
}

function corrupt(where: string, format: string, detail: string): BadRequestError {
  return new BadRequestError(422, `${where}: the ${format} file is truncated or corrupt (${detail}); re-encode it and send the whole file`, 'corrupt_image');
}

function checkSize(width: number, height: number, where: string, what: string): void {
  if (width < 1 || height < 1) {
    throw new BadRequestError(422, `${where}: the ${what} is ${width}x${height} pixels; an image needs at least 1 pixel on each side`, 'image_size');
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new BadRequestError(422, `${where}: the ${what} is ${width}x${height} pixels, more than the limit of ${MAX_IMAGE_SIDE} on a side; downscale it first (the model sees 32x32 anyway)`, 'image_size');
  }
}

function decodePng(bytes: Buffer, where: string): DecodedImage {
  // Read the size from IHDR before pngjs allocates buffers for it, and check the chunks ourselves:
  // pngjs reports a cut-off file or a bad CRC only as "read requests waiting on finished stream".
  if (bytes.length < 33 || bytes.toString('latin1', 12, 16) !== 'IHDR') throw corrupt(where, 'PNG', 'no IHDR header after the signature');
  const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
  checkSize(width, height, where, 'PNG');
  const idat: Buffer[] = [];
  for (let pos = 8; ; ) {
    if (pos + 12 > bytes.length) throw corrupt(where, 'PNG', `it ends at byte ${bytes.length} without an IEND chunk`);
    const length = bytes.readUInt32BE(pos), type = bytes.toString('latin1', pos + 4, pos + 8);
    if (pos + 12 + length > bytes.length) {
      throw corrupt(where, 'PNG', `chunk ${JSON.stringify(type)} at byte ${pos} declares ${length} bytes but only ${bytes.length - pos - 12} follow`);
    }
    if (crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== bytes.readUInt32BE(pos + 8 + length)) {
      throw corrupt(where, 'PNG', `chunk ${JSON.stringify(type)} at byte ${pos} fails its CRC check, so its bytes were altered`);
    }
    if (type === 'IDAT') idat.push(bytes.subarray(pos + 8, pos + 8 + length));
    if (type === 'IEND') break;
    pos += 12 + length;
  }
  // pngjs does not reliably reject a PNG without pixel data (seen: an occasional "decoded" image).
  if (idat.length === 0) throw corrupt(where, 'PNG', 'it has no IDAT chunk, so no pixel data');
  if (bytes[28] === 1) guardInterlacedInflate(Buffer.concat(idat), bytes, width, height, where);
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(bytes); // palette, grey, 16-bit and alpha all come out as 8-bit RGBA
  } catch (e) {
    const text = errorText(e);
    throw corrupt(where, 'PNG', /read requests|end of stream/.test(text) ? 'its chunks are out of order or malformed' : text);
  }
  return { width: png.width, height: png.height, data: dropChannels(png.data, png.width * png.height, 4) };
}

/**
 * pngjs bounds the inflated size of non-interlaced PNGs but inflates interlaced ones without a
 * limit, so a few kilobytes of IDAT could expand to gigabytes; inflate them here with a cap first.
 */
function guardInterlacedInflate(idat: Buffer, bytes: Buffer, width: number, height: number, where: string): void {
  const channels = [1, 0, 3, 1, 2, 0, 4][bytes[25]] ?? 4;
  const bitsPerPixel = channels * bytes[24];
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((width - x0) / dx), h = Math.ceil((height - y0) / dy);
    if (w > 0 && h > 0) expected += h * (1 + Math.ceil((w * bitsPerPixel) / 8));
  }
  try {
    inflateSync(idat, { maxOutputLength: expected + 1024 });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw corrupt(where, 'PNG', `its pixel data inflates to more than the ${expected} bytes a ${width}x${height} image needs`);
    }
    // Other inflate errors are reported by pngjs, with its own wording.
  }
}

function decodeJpeg(bytes: Buffer, where: string): DecodedImage {
  const header = jpegSize(bytes);
  if (header !== undefined) checkSize(header.width, header.height, where, 'JPEG');
  let jpeg: { width: number; height: number; data: Uint8Array };
  try {
    jpeg = decodeJpegBytes(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false, // a JPEG with missing blocks is rejected, not classified with holes
      // Limits that still honour MAX_IMAGE_SIDE: jpeg-js needed about 370 MB and 3 s for a
      // 4096x4096 4:4:4 colour JPEG (measured), ~23 MB per megapixel; 1024x1024 needs ~25 MB.
      maxResolutionInMP: (MAX_IMAGE_SIDE * MAX_IMAGE_SIDE) / 1e6,
      maxMemoryUsageInMB: 64,
    });
  } catch (e) {
    const text = errorText(e);
    if (/maxMemoryUsageInMB|maxResolutionInMP/.test(text)) {
      throw new BadRequestError(422, `${where}: the JPEG needs more memory to decode than allowed (${text}); downscale it or send it as PNG`, 'image_size');
    }
    throw corrupt(where, 'JPEG', text);
  }
  checkSize(jpeg.width, jpeg.height, where, 'JPEG');
  return { width: jpeg.width, height: jpeg.height, data: dropChannels(jpeg.data, jpeg.width * jpeg.height, 4) };
}

/** The frame size from the first SOFn marker, or undefined when the header does not reach one. */
function jpegSize(b: Buffer): { width: number; height: number } | undefined {
  for (let i = 2; i + 9 <= b.length;) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame header
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return undefined;
}

// ---------- raw pixel arrays ----------

function fromShapeData(shape: unknown, data: unknown, where: string): DecodedImage {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new BadRequestError(400, `${where}.shape: expected [height, width, channels] of non-negative integers, e.g. [32, 32, 3], found ${describe(shape)}`, 'invalid_item');
  }
  const [height, width, channels] = shape as number[];
  checkSize(width, height, where, 'image');
  checkChannels(channels, `${where}.shape[2]`);
  if (!Array.isArray(data) && !(data instanceof Uint8Array)) {
    throw new BadRequestError(400, `${where}.data: expected a flat array of ${height}*${width}*${channels} integers 0-255 (row-major HWC), found ${describe(data)}`, 'invalid_item');
  }
  const count = height * width * channels;
  if (data.length !== count) {
    throw new BadRequestError(422, `${where}.data: shape [${height}, ${width}, ${channels}] needs ${count} values, found ${data.length}; check the shape or send the whole image`, 'invalid_pixels');
  }
  if (Array.isArray(data)) for (let i = 0; i < count; i++) checkPixel(data[i], `${where}.data[${i}]`);
  return { width, height, data: dropChannels(data, width * height, channels) };
}

function fromNested(rows: unknown[], where: string): DecodedImage {
  const height = rows.length;
  const row0 = rows[0], px0 = Array.isArray(row0) ? row0[0] : undefined;
  if (height > 0 && (!Array.isArray(row0) || (row0.length > 0 && !Array.isArray(px0)))) {
    const flat = !Array.isArray(row0) ? 'a flat' : 'a two-level';
    throw new BadRequestError(400, `${where}: ${flat} array is not an image; send a nested [H][W][3] array like [[[r, g, b], ...], ...] or {"shape": [H, W, 3], "data": [...]}`, 'invalid_item');
  }
  const width = height === 0 ? 0 : (row0 as unknown[]).length;
  checkSize(width, height, where, 'nested array image');
  const channels = (px0 as unknown[]).length;
  checkChannels(channels, `${where}[0][0]`);
  const flat = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    const row = rows[y];
    if (!Array.isArray(row) || row.length !== width) {
      throw new BadRequestError(422, `${where}[${y}]: expected a row of ${width} pixels like ${where}[0], found ${describe(row)}; every row needs the same width`, 'invalid_pixels');
    }
    for (let x = 0; x < width; x++) {
      const px = row[x];
      if (!Array.isArray(px) || px.length !== channels) {
        throw new BadRequestError(422, `${where}[${y}][${x}]: expected a pixel of ${channels} values like ${where}[0][0], found ${describe(px)}; every pixel needs the same channels`, 'invalid_pixels');
      }
      for (let c = 0; c < channels; c++) flat[(y * width + x) * channels + c] = checkPixel(px[c], `${where}[${y}][${x}][${c}]`);
    }
  }
  return { width, height, data: dropChannels(flat, width * height, channels) };
}

function checkChannels(channels: number, where: string): void {
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new BadRequestError(422, `${where}: expected 3 channels (RGB), 1 (grey) or 4 (RGBA, alpha dropped), found ${channels}`, 'invalid_pixels');
  }
}

function checkPixel(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) return v;
  const hint = typeof v === 'number' && v >= 0 && v <= 1 ? '; for floats in [0, 1] multiply by 255 and round' : '';
  throw new BadRequestError(422, `${where}: expected an integer 0-255, found ${describe(v)}${hint}`, 'invalid_pixels');
}

/** [P, C] uint8 pixels → [P, 3]: grey is replicated, alpha dropped. */
function dropChannels(src: ArrayLike<number>, pixels: number, channels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3); // [P, 3]
  for (let p = 0; p < pixels; p++) {
    const s = p * channels;
    if (channels === 1) out.fill(src[s], p * 3, p * 3 + 3);
    else { out[p * 3] = src[s]; out[p * 3 + 1] = src[s + 1]; out[p * 3 + 2] = src[s + 2]; }
  }
  return out;
}

// ---------- message helpers ----------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}...`;
}

/** A short description of a JSON value for error messages, never echoing a whole large payload. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return v.length > 40 ? `a string of length ${v.length}` : `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) return 'an empty object';
    const shown = keys.slice(0, 6).map((k) => JSON.stringify(clip(k, 30))).join(', ');
    return `an object with keys ${shown}${keys.length > 6 ? ', ...' : ''}`;
  }
  return `a ${typeof v}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
