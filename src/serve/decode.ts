// Request decoding for POST /v1/classify: JSON body → list of HxWx3 uint8 images at the model's size
// (the PNG/JPEG decoders and the resizing live in src/image/).
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
// 1024x1024 is accepted and resized to the model's size (see image/resize.ts: area averaging when
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
import { decodeImageBytes } from '../image/png_jpeg.js';
import { resizeRgb } from '../image/resize.js';
import { checkSize, dropChannels, ImageError, type DecodedImage } from '../image/types.js';

export { MAX_IMAGE_SIDE, type DecodedImage } from '../image/types.js';

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

/** Image errors as client errors: 415 for a format we do not decode, 422 for a bad image. */
function decodeItem(input: unknown, where: string): DecodedImage {
  try {
    return decodeItemForm(input, where);
  } catch (e) {
    if (e instanceof ImageError) throw new BadRequestError(e.code === 'unsupported_format' ? 415 : 422, e.message, e.code);
    throw e;
  }
}

function decodeItemForm(input: unknown, where: string): DecodedImage {
  if (typeof input === 'string') return decodeImageBytes(base64Payload(input, where), where, undefined);
  if (Array.isArray(input)) return fromNested(input, where);
  if (isPlainObject(input)) {
    const keys = Object.keys(input).sort().join(',');
    if (keys === 'png' || keys === 'jpeg') {
      const text = input[keys];
      if (typeof text !== 'string') {
        throw new BadRequestError(400, `${where}.${keys}: expected a base64 string of the ${keys.toUpperCase()} file, found ${describe(text)}`, 'invalid_item');
      }
      return decodeImageBytes(base64Payload(text, `${where}.${keys}`), where, keys);
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
