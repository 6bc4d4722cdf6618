import { initBackend } from '../../backend/index.js';
import { loadConvCheckpoint } from '../../checkpoint/conv.js';
import { modelName } from '../../models/mimoconv/index.js';
import { Pages } from '../../serve/pages.js';
import { exportWeb, type WebSample } from '../../web/export_web.js';
import { UsageError } from '../args.js';
import { BACKEND_OPTS, DATA_OPTS, type Command } from '../command.js';

export const exportWebCommand: Command = {
  path: ['export', 'web'],
  summary: 'Write a static folder that classifies images in the browser with TensorFlow.js (webgl, else cpu), switching n with one set of weights, no server.',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    checkpoint: { type: 'string', help: 'mimonets checkpoint to read (required)' },
    out: { type: 'string', help: 'folder to write (replaced; required)' },
    samples: { type: 'number', default: 48, help: 'test images of the model\'s dataset to include (0: none; the page also takes your own)' },
  },
  async run(args) {
    if (!args.checkpoint) throw new UsageError('--checkpoint <path> is required');
    if (!args.out) throw new UsageError('--out <folder> is required, e.g. --out runs/web');
    const count = args.samples as number;
    if (!Number.isInteger(count) || count < 0 || count > 100) throw new UsageError(`--samples must be 0 to 100, got ${count}`);
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const checkpoint = args.checkpoint as string;
    const { net, meta } = loadConvCheckpoint(checkpoint);
    try {
      const pages = new Pages({ meta, points: [...net.bnStats.keys()], dataDir: args['data-dir'] as string | undefined });
      let samples: WebSample[] = [];
      let note = '';
      if (count > 0) {
        try {
          samples = (pages.samples(count, 0) as { images: WebSample[] }).images;
        } catch (e) {
          note = ` (no sample images: ${(e as Error).message})`;
        }
      }
      const out = args.out as string;
      const r = exportWeb(net, meta, out, { checkpoint, samples, classNames: pages.classNames });
      const ns = [...net.bnStats.keys()].sort((x, y) => x - y);
      return {
        json: { checkpoint, out, backend: b.backend, model: net.config, n: ns, samples: samples.length, files: r.files, bytes: r.bytes },
        text: `${out}: ${modelName(net.config)} (binding ${net.config.binding}, N=${net.config.capacity}) for the browser at n = ${ns.join(', ')}, ${samples.length} sample images${note}, ${(r.bytes / 1e6).toFixed(1)} MB.\n` +
          `Serve it with any static file server (browsers do not load modules from file://), e.g.: python3 -m http.server --directory ${out} 8000`,
      };
    } finally {
      net.dispose();
    }
  },
};
