import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS, loadCifar10, loadImdb, loadMnist, resolveDataDir, type DatasetName } from '../../data/index.js';
import { DATA_OPTS, table, type Command } from '../command.js';

export const dataInfo: Command = {
  path: ['data', 'info'],
  summary: 'Which datasets the data directory holds, checked by loading them (counts per split).',
  options: { ...DATA_OPTS },
  async run(args) {
    const dir = resolveDataDir(args['data-dir'] as string | undefined);
    const rows: { name: string; path: string; present: boolean; train?: number; test?: number; error?: string }[] = [];
    for (const name of Object.keys(DATASETS) as DatasetName[]) {
      const path = join(dir, DATASETS[name].folder);
      const row: (typeof rows)[number] = { name, path, present: existsSync(path) };
      if (row.present) {
        try {
          const load = name === 'cifar10' ? loadCifar10 : name === 'mnist' ? loadMnist : loadImdb;
          row.train = load(dir, 'train').count;
          row.test = load(dir, 'test').count;
        } catch (e) {
          row.error = (e as Error).message;
        }
      }
      rows.push(row);
    }
    return {
      json: { data_dir: dir, datasets: rows },
      text: `data directory ${dir}\n` + table(['dataset', 'train', 'test', 'status'],
        rows.map((r) => [r.name, r.train ?? '-', r.test ?? '-', r.error ?? (r.present ? 'ok' : 'missing: npm run setup, or put the official files there')])),
    };
  },
};
