/**
 * PNG and JPEG decoding to RGB (pngjs and jpeg-js), guarded against what a client can send: the
 * size is read from the header and checked before any pixel buffer is allocated, chunks and CRCs
 * are checked (pngjs reports a cut-off file only vaguely), interlaced PNGs are inflated with a
 * cap, and JPEGs decode under memory and resolution limits. Alpha is dropped, grey replicated.
 */
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { decode as decodeJpegBytes } from 'jpeg-js';
import { crc32 } from '../util/crc32.js';
import { checkSize, dropChannels, ImageError, MAX_IMAGE_SIDE, type DecodedImage } from './types.js';

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

/**
 * PNG or JPEG bytes (the format read from the magic bytes; `named` when the sender said which)
 * → RGB pixels at their own size. `where` names the item in messages, e.g. "images[3]".
 */
export function decodeImageBytes(bytes: Buffer, where: string, named: 'png' | 'jpeg' | undefined): DecodedImage {
  const format = bytes.subarray(0, 8).equals(PNG_MAGIC) ? 'png'
    : bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff ? 'jpeg' : undefined;
  if (format === undefined || (named !== undefined && named !== format)) {
    const found = format?.toUpperCase() ?? sniffOther(bytes) ?? `bytes starting ${bytes.subarray(0, 4).toString('hex') || '(none)'}`;
    const expected = named === undefined ? 'a PNG or JPEG file' : `a ${named.toUpperCase()} file as "${named}" says`;
    const fix = format !== undefined ? `send it as {"${format}": ...} or as a plain string` : 'convert the image to PNG or JPEG';
    throw new ImageError('unsupported_format', `${where}: expected ${expected}, found ${found}; ${fix}`);
  }
  return format === 'png' ? decodePng(bytes, where) : decodeJpeg(bytes, where);
}

function corrupt(where: string, format: string, detail: string): ImageError {
  return new ImageError('corrupt_image', `${where}: the ${format} file is truncated or corrupt (${detail}); re-encode it and send the whole file`);
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
      throw new ImageError('image_size', `${where}: the JPEG needs more memory to decode than allowed (${text}); downscale it or send it as PNG`);
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

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
