/**
 * Reads the results JSON that `mimo results conv` writes into plot series, checking every
 * field so a broken or hand-edited file fails with the file, the field and the fix rather
 * than with a blank or misleading plot.
 *
 * Expected shape: {"dataset", "split", "date", "machine", "models": [{"name", ...,
 * "results": [{"n", "accuracy" (in [0, 1]), "images_per_s"}]}]}.
 *
 * @example
 * const { series, options } = parseOperatingPoints(JSON.stringify({ dataset: 'cifar10', split: 'test', models: [
 *   { name: 'wrn16-4-n2', results: [{ n: 1, accuracy: 0.93, images_per_s: 1200 }, { n: 2, accuracy: 0.91, images_per_s: 2300 }] },
 * ] }), 'results/cifar10.json');
 * options.title; // 'CIFAR-10: accuracy vs throughput per operating point'
 * series[0].points.length; // 2
 */
import { readFileSync } from 'node:fs';
import type { OperatingPoint, OperatingPointSeries, OperatingPointsPlotOptions } from './operating_points.js';

/** How to (re)create a results file; appended to every error. */
export const RESULTS_FIX = 'run `mimo results conv --checkpoints a.ckpt,b.ckpt --out results/cifar10` first';

const DATASET_TITLES: Record<string, string> = { cifar10: 'CIFAR-10', cifar100: 'CIFAR-100', mnist: 'MNIST' };

export interface OperatingPointsData {
  series: OperatingPointSeries[];
  /** Title, y-axis title and footnote (machine; date) derived from the file. */
  options: OperatingPointsPlotOptions;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return v === undefined ? 'missing' : typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v);
}

/** Validates the text of a results JSON; `source` (a path) names the file in errors. */
export function parseOperatingPoints(text: string, source = 'results JSON'): OperatingPointsData {
  const fail = (what: string): never => { throw new Error(`${source}: ${what} — ${RESULTS_FIX}`); };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(doc)) return fail(`expected a JSON object with "models", got ${Array.isArray(doc) ? 'an array' : show(doc)}`);
  const models = doc.models;
  if (!Array.isArray(models)) return fail(`"models" must be an array of models, got ${show(models)}`);
  if (models.length === 0) return fail('"models" is empty, there is nothing to plot');

  const series = models.map((m, i): OperatingPointSeries => {
    if (!isObject(m)) return fail(`models[${i}] must be an object, got ${show(m)}`);
    if (typeof m.name !== 'string' || m.name.trim() === '') return fail(`models[${i}].name must be a non-empty string, got ${show(m.name)}`);
    const at = `models[${i}] ('${m.name}')`;
    if (!Array.isArray(m.results)) return fail(`${at}.results must be an array of {n, accuracy, images_per_s}, got ${show(m.results)}`);
    if (m.results.length === 0) return fail(`${at}.results is empty: the model has no operating points`);
    const seen = new Set<number>();
    const points = m.results.map((r, j): OperatingPoint => {
      const f = `${at}.results[${j}]`;
      if (!isObject(r)) return fail(`${f} must be an object {n, accuracy, images_per_s}, got ${show(r)}`);
      const { n, accuracy, images_per_s } = r;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return fail(`${f}.n must be a whole number >= 1, got ${show(n)}`);
      if (seen.has(n)) return fail(`${f}.n: n=${n} appears twice in this model`);
      seen.add(n);
      if (typeof accuracy !== 'number' || !Number.isFinite(accuracy) || accuracy < 0 || accuracy > 1) {
        return fail(`${f}.accuracy must be a fraction in [0, 1], got ${show(accuracy)}`);
      }
      if (typeof images_per_s !== 'number' || !Number.isFinite(images_per_s) || images_per_s < 0) {
        return fail(`${f}.images_per_s must be a number >= 0, got ${show(images_per_s)}`);
      }
      return { n, accuracy, images_per_s };
    });
    return { name: m.name, points };
  });

  const dataset = typeof doc.dataset === 'string' ? doc.dataset : '';
  const label = DATASET_TITLES[dataset] ?? dataset;
  const split = typeof doc.split === 'string' && doc.split !== '' ? doc.split : '';
  const machine = typeof doc.machine === 'string' ? doc.machine : '', date = typeof doc.date === 'string' ? doc.date : '';
  const footnote = [machine && `Machine: ${machine}`, date].filter(Boolean).join('; ');
  const options: OperatingPointsPlotOptions = {
    title: `${label ? `${label}: a` : 'A'}ccuracy vs throughput per operating point`,
    yLabel: split ? `${split[0].toUpperCase()}${split.slice(1)} accuracy (%)` : 'Accuracy (%)',
  };
  if (footnote) options.footnote = footnote;
  return { series, options };
}

/** Reads and validates a results JSON file. */
export function loadOperatingPoints(path: string): OperatingPointsData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory, not a results JSON file' : `cannot be read (${(e as Error).message})`;
    throw new Error(`results file ${path} ${why} — ${RESULTS_FIX}`);
  }
  return parseOperatingPoints(text, path);
}
