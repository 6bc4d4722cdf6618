/**
 * The binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky 2009) share one record layout: label
 * byte(s), then the 32x32 red plane, green plane and blue plane, each row-major. CIFAR-10 has one
 * label byte, CIFAR-100 two (coarse, then fine). Records are decoded here once, planes (CHW) to
 * pixels (HWC), so every later consumer (augmentation, batching) walks memory linearly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dataError } from './errors.js';
import { requireFile } from './dir.js';

export const CIFAR_SIDE = 32;
const PLANE = CIFAR_SIDE * CIFAR_SIDE; // 1024

/** One binary file of a CIFAR dataset. */
export interface CifarBinaryFile {
  path: string;
  /** How many records the official file holds. */
  records: number;
  /** Label bytes per record (1 for CIFAR-10, 2 for CIFAR-100). */
  labelBytes: number;
  /** Which of the label bytes is the class (CIFAR-100: 1, the fine label). */
  labelIndex: number;
  numClasses: number;
  /** What the file is called in messages, e.g. 'the CIFAR-10 binary file test_batch.bin'. */
  what: string;
  /** The fix for a wrong size or label, e.g. 'Re-download the CIFAR-10 binary version ...'. */
  refetch: string;
  /** Why a label could be out of range, e.g. 'The file is corrupt or from CIFAR-100 (...)'. */
  labelHint: string;
}

/** Decodes a file's records into `images` (NHWC) and `labels`, starting at row `base`. */
export function decodeCifarFile(f: CifarBinaryFile, images: Uint8Array, labels: Uint8Array, base: number): void {
  const record = f.labelBytes + 3 * PLANE;
  requireFile(f.path, `${f.what} (${f.records} records of ${record} bytes)`);
  const buf = readFileSync(f.path);
  const want = f.records * record;
  if (buf.length !== want) {
    const shape = buf.length % record === 0
      ? `${buf.length / record} records`
      : `a size that is not a multiple of the ${record}-byte record (${Math.floor(buf.length / record)} records + ${buf.length % record} bytes)`;
    throw dataError(f.path, `${want} bytes (${f.records} records of ${f.labelBytes} label byte${f.labelBytes > 1 ? 's' : ''} + 3072 pixel bytes)`,
      `${buf.length} bytes, ${shape}`, `The file is truncated or not ${f.what.replace(/^the /, 'a ')}. ${f.refetch}.`);
  }
  for (let r = 0; r < f.records; r++) {
    const src = r * record;
    const label = buf[src + f.labelIndex];
    if (label >= f.numClasses) {
      throw dataError(f.path, `a label byte 0..${f.numClasses - 1} at record ${r} (byte offset ${src + f.labelIndex})`, `${label}`, `${f.labelHint} ${f.refetch}.`);
    }
    labels[base + r] = label;
    // [3, 32, 32] planes -> [32, 32, 3] pixels
    let dst = (base + r) * 3 * PLANE;
    const red = src + f.labelBytes, green = red + PLANE, blue = green + PLANE;
    for (let p = 0; p < PLANE; p++) {
      images[dst] = buf[red + p];
      images[dst + 1] = buf[green + p];
      images[dst + 2] = buf[blue + p];
      dst += 3;
    }
  }
}

/** Class names from a text file (one per line, blank lines ignored), else `standard`. */
export function readClassNames(path: string, count: number, standard: readonly string[]): string[] {
  if (!existsSync(path)) return [...standard];
  const names = readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
  if (names.length !== count) {
    throw dataError(path, `${count} class names, one per line`, `${names.length}`,
      `Restore the official file or delete it to use the standard names.`);
  }
  return names;
}
