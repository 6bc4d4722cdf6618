/**
 * IMDb Large Movie Review Dataset v1.0 (Maas et al. 2011), the official `aclImdb` tree:
 * `aclImdb/<split>/{neg,pos}/<id>_<rating>.txt`, one review per file.
 *
 * Only the labelled folders are read; `unsup/`, the bag-of-words files and the url lists that the
 * official archive also ships are ignored.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, dataError, HOW_TO_GET_DATA } from './errors.js';
import { requireDataset } from './dir.js';
import { checkSplit, type Split, type TextDataset } from './types.js';

const FILE_NAME = /^(\d+)_(\d+)\.txt$/;

/** The two labelled folders, in label order, with the ratings the dataset assigns to each. */
const CLASSES = [
  { folder: 'neg', label: 0, minRating: 1, maxRating: 4 },
  { folder: 'pos', label: 1, minRating: 7, maxRating: 10 },
] as const;

/**
 * Loads an IMDb split from the official aclImdb tree.
 *
 * Order is deterministic whatever the file system returns: all negative reviews by ascending id,
 * then all positive reviews by ascending id.
 *
 * @param dataDir the data directory holding `aclImdb/` (or that folder itself).
 * @returns 25 000 reviews per split (12 500 per class) with label 0 = neg, 1 = pos.
 * @throws DataError on a missing folder, a file name not of the form `<id>_<rating>.txt`, a
 *   rating outside 1..4 (neg) or 7..10 (pos), or an id that appears twice in one folder.
 */
export function loadImdb(dataDir: string, split: Split): TextDataset {
  checkSplit(split);
  const root = requireDataset(dataDir, 'imdb');
  const texts: string[] = [];
  const ids: number[] = [];
  const labelList: number[] = [];
  const ratingList: number[] = [];

  for (const cls of CLASSES) {
    const dir = join(root, split, cls.folder);
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a folder');
      names = readdirSync(dir);
    } catch {
      throw new DataError(dir, `${dir}: expected the folder of ${cls.folder === 'neg' ? 'negative' : 'positive'} ${split} reviews ` +
        `(<id>_<rating>.txt files), found no such folder. ${HOW_TO_GET_DATA}, e.g. aclImdb from aclImdb_v1.tar.gz.`);
    }
    const entries: { id: number; rating: number; name: string }[] = [];
    for (const name of names) {
      // Hidden files (.DS_Store, a setup script's .complete marker) are not reviews.
      if (name.startsWith('.')) continue;
      const m = FILE_NAME.exec(name);
      if (m === null) {
        throw dataError(join(dir, name), 'a review file named <id>_<rating>.txt (e.g. 123_8.txt)', `the name '${name}'`,
          'Remove or rename the stray file; the folder must hold only the official reviews.');
      }
      const id = Number(m[1]);
      const rating = Number(m[2]);
      if (rating < cls.minRating || rating > cls.maxRating) {
        throw dataError(join(dir, name), `a rating ${cls.minRating}..${cls.maxRating} for a ${cls.folder} review`, `${rating}`,
          `The file is in the wrong folder or misnamed; restore the official aclImdb tree.`);
      }
      entries.push({ id, rating, name });
    }
    if (entries.length === 0) {
      throw dataError(dir, `${cls.folder} review files (<id>_<rating>.txt)`, 'an empty folder',
        `The unpacking was interrupted; ${HOW_TO_GET_DATA}.`);
    }
    entries.sort((a, b) => a.id - b.id);
    for (let i = 1; i < entries.length; i++) {
      if (entries[i].id === entries[i - 1].id) {
        throw dataError(join(dir, entries[i].name), `one file per review id`, `id ${entries[i].id} also in ${entries[i - 1].name}`,
          'Remove the duplicate; restore the official aclImdb tree.');
      }
    }
    for (const e of entries) {
      texts.push(readFileSync(join(dir, e.name), 'utf8'));
      ids.push(e.id);
      labelList.push(cls.label);
      ratingList.push(e.rating);
    }
  }

  return {
    name: 'imdb', split, texts, ids, count: texts.length,
    labels: Uint8Array.from(labelList), ratings: Uint8Array.from(ratingList),
    numClasses: 2, classNames: ['neg', 'pos'],
  };
}
