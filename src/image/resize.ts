// Resizing of decoded RGB images to the model's input size, as a pure function.
//
// Why these filters: the classifier was trained on native 32x32 CIFAR-10 images, so a larger
// photo must be shrunk without aliasing — area averaging (each output pixel is the mean of the
// source area it covers, like OpenCV's INTER_AREA or tf.image.resize 'area') keeps fine texture
// from turning into moiré. Enlarging a smaller image has no area to average, so it uses bilinear
// interpolation with half-pixel centres (PIL, OpenCV and tf.image.resize with
// half_pixel_centers agree on this grid), clamped at the borders so corner pixels stay exact.
// The filter is chosen per axis, so a 64x16 image is averaged across rows and interpolated across
// columns. Aspect ratio is not preserved: the image is stretched to the target, as CIFAR-10 has
// no notion of padding.
import type { DecodedImage } from './types.js';

/** The source samples that make one output sample along one axis: `weights[k]` applies to source index `start + k`. */
export interface AxisTap {
  start: number;
  weights: Float64Array;
}

/**
 * One-dimensional resampling weights from `inSize` to `outSize` samples: area averaging when
 * shrinking, bilinear with half-pixel centres when enlarging, identity when equal. The weights of
 * each tap sum to 1 (up to rounding), so a constant signal stays constant.
 *
 * @example
 * axisTaps(4, 2); // [{start: 0, weights: [0.5, 0.5]}, {start: 2, weights: [0.5, 0.5]}]
 */
export function axisTaps(inSize: number, outSize: number): AxisTap[] {
  const taps: AxisTap[] = [];
  const scale = inSize / outSize; // source samples per output sample
  for (let o = 0; o < outSize; o++) {
    if (outSize === inSize) {
      taps.push({ start: o, weights: Float64Array.of(1) });
    } else if (outSize < inSize) {
      // Output sample o covers the source interval [lo, hi); each source sample contributes
      // the length of its overlap with that interval.
      const lo = o * scale, hi = (o + 1) * scale;
      const start = Math.floor(lo), end = Math.min(Math.ceil(hi), inSize);
      const weights = new Float64Array(end - start);
      for (let j = start; j < end; j++) weights[j - start] = (Math.min(hi, j + 1) - Math.max(lo, j)) / scale;
      taps.push({ start, weights });
    } else {
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
      const x0 = Math.floor(x), f = x - x0;
      taps.push(f === 0 || x0 + 1 >= inSize
        ? { start: x0, weights: Float64Array.of(1) }
        : { start: x0, weights: Float64Array.of(1 - f, f) });
    }
  }
  return taps;
}

/**
 * Resizes an RGB image (row-major HWC uint8) to `height` x `width` with {@link axisTaps}:
 * separable, columns first, then rows, rounding once at the end.
 *
 * @example
 * const grey = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(7) };
 * resizeRgb(grey, { height: 32, width: 32 }); // Uint8Array(3072) of 7s
 */
export function resizeRgb(image: DecodedImage, size: { height: number; width: number }): Uint8Array {
  const { width: inW, height: inH, data } = image;
  const { height: outH, width: outW } = size;
  if (inW === outW && inH === outH) return data.slice();
  const xTaps = axisTaps(inW, outW), yTaps = axisTaps(inH, outH);

  const rows = new Float64Array(inH * outW * 3); // [inH, outW, 3]
  for (let y = 0; y < inH; y++) {
    const srcRow = y * inW * 3, dstRow = y * outW * 3;
    for (let x = 0; x < outW; x++) {
      const { start, weights } = xTaps[x];
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < weights.length; k++) {
        const s = srcRow + (start + k) * 3, w = weights[k];
        r += w * data[s]; g += w * data[s + 1]; b += w * data[s + 2];
      }
      const d = dstRow + x * 3;
      rows[d] = r; rows[d + 1] = g; rows[d + 2] = b;
    }
  }

  const out = new Uint8Array(outH * outW * 3); // [outH, outW, 3]
  const rowLen = outW * 3;
  for (let y = 0; y < outH; y++) {
    const { start, weights } = yTaps[y];
    const dstRow = y * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let v = 0;
      for (let k = 0; k < weights.length; k++) v += weights[k] * rows[(start + k) * rowLen + i];
      out[dstRow + i] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return out;
}
