/**
 * Errors raised by the data layer.
 *
 * Every message has the same four parts so a user can act on it without reading the code:
 * the file or folder, what was expected, what was found, and how to fix it.
 */

/** An error about a dataset file or folder on disk. */
export class DataError extends Error {
  /** The file or folder the error is about. */
  readonly path: string;

  constructor(path: string, message: string) {
    super(message);
    this.name = 'DataError';
    this.path = path;
  }
}

/** How to get the official files; appended to "missing" errors. */
export const HOW_TO_GET_DATA =
  '`npm run setup` unpacks the bundled copy; or set --data-dir / MIMO_DATA_DIR to a folder holding the official files';

/**
 * Builds a {@link DataError} with the message `<path>: expected <expected>, found <found>. <fix>`.
 *
 * @example
 * const e = dataError('a/b.bin', '30730000 bytes', '12 bytes', 'Re-download it.');
 * // e.message === 'a/b.bin: expected 30730000 bytes, found 12 bytes. Re-download it.'
 */
export function dataError(path: string, expected: string, found: string, fix: string): DataError {
  return new DataError(path, `${path}: expected ${expected}, found ${found}. ${fix}`);
}
