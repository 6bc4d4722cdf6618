/**
 * Decoded images and the errors of decoding them, independent of where the bytes came from (an
 * HTTP body, a file): the server maps an ImageError's code to its HTTP status.
 */

/** A decoded image before resizing. */
export interface DecodedImage {
  width: number;
  height: number;
  /** RGB, row-major HWC */
  data: Uint8Array;
}

/** The largest accepted side, in pixels, of an input image (before resizing). */
export const MAX_IMAGE_SIDE = 1024;

/**
 * Why an image could not be decoded: `unsupported_format` (neither PNG nor JPEG),
 * `corrupt_image` (truncated or altered), `image_size` (0 or more than MAX_IMAGE_SIDE pixels on a
 * side, or too large to decode), `invalid_pixels` (raw values that are no image). The message
 * names the item, the problem and the fix.
 */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(readonly code: 'unsupported_format' | 'corrupt_image' | 'image_size' | 'invalid_pixels', message: string) {
    super(message);
  }
}

/** Throws unless the image has 1 to MAX_IMAGE_SIDE pixels on each side; `what` names it (e.g. 'PNG'). */
export function checkSize(width: number, height: number, where: string, what: string): void {
  if (width < 1 || height < 1) {
    throw new ImageError('image_size', `${where}: the ${what} is ${width}x${height} pixels; an image needs at least 1 pixel on each side`);
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new ImageError('image_size', `${where}: the ${what} is ${width}x${height} pixels, more than the limit of ${MAX_IMAGE_SIDE} on a side; downscale it first (the model sees 32x32 anyway)`);
  }
}

/** [P, C] uint8 pixels → [P, 3]: grey is replicated, alpha dropped. */
export function dropChannels(src: ArrayLike<number>, pixels: number, channels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3); // [P, 3]
  for (let p = 0; p < pixels; p++) {
    const s = p * channels;
    if (channels === 1) out.fill(src[s], p * 3, p * 3 + 3);
    else { out[p * 3] = src[s]; out[p * 3 + 1] = src[s + 1]; out[p * 3 + 2] = src[s + 2]; }
  }
  return out;
}
