/**
 * Per-image transforms for training: random horizontal flip, random crop after REFLECT padding,
 * and per-channel normalisation, fused into one gather pass per image.
 *
 * Instead of materialising the padded (H+2p)x(W+2p) image, every output pixel is read straight
 * from the source through two small index maps: one for rows (depends on the crop offset dy) and
 * one for columns (depends on dx and on the flip). All maps for all offsets are precomputed once,
 * and uint8 -> float normalisation is a table lookup, so the inner loop is loads and stores only.
 *
 * Semantics follow torchvision's reference recipe, applied in this order:
 *   RandomHorizontalFlip(p=0.5) -> RandomCrop(size=(H, W), padding=p, padding_mode='reflect')
 *   -> ToTensor (v / 255) -> Normalize(mean, std).
 */

/** Which augmentations to apply; the defaults are the CIFAR recipe. */
export interface AugmentOptions {
  /** Random horizontal flip with probability 0.5. Default true. */
  flip?: boolean;
  /** Reflect padding before the random crop back to the original size; 0 disables cropping. Default 4. */
  padding?: number;
}

/**
 * Mirror index `t` into `[0, n)` like PyTorch's 'reflect' padding (numpy 'reflect'): the edge
 * pixel is not repeated, so -1 -> 1 and n -> n - 2. Valid for -n < t < 2n - 1.
 */
export function reflectIndex(t: number, n: number): number {
  if (t < 0) return -t;
  if (t >= n) return 2 * (n - 1) - t;
  return t;
}

/**
 * Table mapping a byte to its normalised value per channel, `[channels * 256]`:
 * `lut[c * 256 + v] = (v / 255 - mean[c]) / std[c]`, computed in float64 then rounded once.
 */
export function normalizationLut(mean: ArrayLike<number>, std: ArrayLike<number>, channels: number): Float32Array {
  if (mean.length !== channels || std.length !== channels) {
    throw new Error(`normalisation: expected ${channels} means and stds (one per channel), found ${mean.length} and ${std.length}`);
  }
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    if (!(std[c] > 0)) throw new Error(`normalisation: expected std > 0 for channel ${c}, found ${std[c]}`);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - mean[c]) / std[c];
  }
  return lut;
}

/**
 * Index maps for every crop offset and flip: `rows[dy][i]` is the byte offset of source row
 * `reflect(i + dy - padding)`, and `cols[flip][dx][j]` the byte offset (within a row) of the source
 * column that lands at output column j. Offsets run over `0..2 * padding`.
 */
export interface CropMaps {
  padding: number;
  rows: Int32Array[];
  /** `cols[0]` without flip, `cols[1]` with flip. */
  cols: [Int32Array[], Int32Array[]];
}

/** Precomputes {@link CropMaps} for images of the given shape. */
export function cropMaps(height: number, width: number, channels: number, padding: number): CropMaps {
  if (!Number.isInteger(padding) || padding < 0 || padding >= height || padding >= width) {
    throw new Error(`reflect padding: expected an integer 0..${Math.min(height, width) - 1} for ${height}x${width} images, found ${padding}; choose a smaller padding (augment: { padding })`);
  }
  const rows: Int32Array[] = [];
  const plain: Int32Array[] = [];
  const flipped: Int32Array[] = [];
  for (let d = 0; d <= 2 * padding; d++) {
    const r = new Int32Array(height);
    for (let i = 0; i < height; i++) r[i] = reflectIndex(i + d - padding, height) * width * channels;
    rows.push(r);
    const c0 = new Int32Array(width);
    const c1 = new Int32Array(width);
    for (let j = 0; j < width; j++) {
      // The flip happens before padding: flipped column x reads source column width-1-x.
      const x = reflectIndex(j + d - padding, width);
      c0[j] = x * channels;
      c1[j] = (width - 1 - x) * channels;
    }
    plain.push(c0);
    flipped.push(c1);
  }
  return { padding, rows, cols: [plain, flipped] };
}

/**
 * Writes one transformed image: `dst[dstOffset + (i*W + j)*C + c] = lut[c*256 + src[srcOffset + rowMap[i] + colMap[j] + c]]`.
 * The output has `rowMap.length` rows and `colMap.length` columns.
 */
export function gatherNormalize(
  src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number,
  channels: number, lut: Float32Array, rowMap: Int32Array, colMap: Int32Array,
): void {
  const h = rowMap.length;
  const w = colMap.length;
  let o = dstOffset;
  if (channels === 3) {
    for (let i = 0; i < h; i++) {
      const rowBase = srcOffset + rowMap[i];
      for (let j = 0; j < w; j++) {
        const s = rowBase + colMap[j];
        dst[o] = lut[src[s]];
        dst[o + 1] = lut[256 + src[s + 1]];
        dst[o + 2] = lut[512 + src[s + 2]];
        o += 3;
      }
    }
  } else if (channels === 1) {
    for (let i = 0; i < h; i++) {
      const rowBase = srcOffset + rowMap[i];
      for (let j = 0; j < w; j++) dst[o++] = lut[src[rowBase + colMap[j]]];
    }
  } else {
    for (let i = 0; i < h; i++) {
      const rowBase = srcOffset + rowMap[i];
      for (let j = 0; j < w; j++) {
        const s = rowBase + colMap[j];
        for (let c = 0; c < channels; c++) dst[o++] = lut[c * 256 + src[s + c]];
      }
    }
  }
}

/** Normalises `count` contiguous pixels without any spatial transform (evaluation path). */
export function normalizeContiguous(
  src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number,
  pixels: number, channels: number, lut: Float32Array,
): void {
  let s = srcOffset;
  let o = dstOffset;
  if (channels === 3) {
    for (let p = 0; p < pixels; p++) {
      dst[o] = lut[src[s]];
      dst[o + 1] = lut[256 + src[s + 1]];
      dst[o + 2] = lut[512 + src[s + 2]];
      s += 3;
      o += 3;
    }
  } else {
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < channels; c++) dst[o++] = lut[c * 256 + src[s++]];
    }
  }
}
