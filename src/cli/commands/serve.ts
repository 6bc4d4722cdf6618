import { startServer, SERVE_DEFAULTS } from '../../serve/server.js';
import { UsageError } from '../args.js';
import { BACKEND_OPTS, DATA_OPTS, table, type Command } from '../command.js';

export const serve: Command = {
  path: ['serve'],
  summary: 'HTTP inference server for a MIMOConv checkpoint that picks the number of superposed inputs per micro-batch (API, metrics, browser demo at /).',
  options: {
    ...BACKEND_OPTS, ...DATA_OPTS,
    checkpoint: { type: 'string', help: 'MIMOConv checkpoint to serve (required)' },
    host: { type: 'string', default: SERVE_DEFAULTS.host, help: 'address to listen on (loopback by default)' },
    port: { type: 'number', default: SERVE_DEFAULTS.port, help: 'port (0: any free port)' },
    policy: { type: 'string', default: SERVE_DEFAULTS.policy, help: "'auto' (n from queue depth and latency budget) or 'n=K' (always K)" },
    'max-latency-ms': { type: 'number', default: SERVE_DEFAULTS.maxLatencyMs, help: 'latency budget the auto policy keeps within' },
    'max-batch': { type: 'number', default: SERVE_DEFAULTS.maxSuperpositions, help: 'most superpositions per micro-batch (images = this x n)' },
    'max-body-mb': { type: 'number', default: SERVE_DEFAULTS.maxBodyBytes / 2 ** 20, help: 'largest request body accepted (MiB)' },
    'max-images': { type: 'number', default: SERVE_DEFAULTS.maxImages, help: 'most images per request' },
    'api-key': { type: 'string', help: 'require this key on every request but the open paths ("Authorization: Bearer K" or "X-API-Key: K") (env MIMO_API_KEY)' },
    'open-paths': { type: 'list', help: `paths answered without the key (default ${SERVE_DEFAULTS.openPaths.join(',')}), e.g. /healthz,/metrics` },
  },
  async run(args) {
    if (!args.checkpoint) throw new UsageError('--checkpoint <path> is required');
    const port = args.port as number;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${port}: use 0..65535`);
    for (const k of ['max-latency-ms', 'max-batch', 'max-body-mb', 'max-images']) {
      if (!((args[k] as number) > 0)) throw new UsageError(`--${k} must be > 0, got ${args[k]}`);
    }
    const log = (line: string) => process.stderr.write(`mimo serve: ${line}\n`);
    const apiKey = (args['api-key'] as string | undefined) ?? process.env.MIMO_API_KEY ?? '';
    const openPaths = args['open-paths'] as string[] | undefined;
    if (openPaths && !apiKey) throw new UsageError('--open-paths only matters with an API key: add --api-key K (or set MIMO_API_KEY)');
    const loopback = ['127.0.0.1', '::1', 'localhost'].includes(args.host as string);
    if (!loopback && !apiKey) log(`warning: listening on ${args.host} without an API key: anyone who can reach it can use it (--api-key K or MIMO_API_KEY)`);
    const server = await startServer({
      checkpoint: args.checkpoint as string, host: args.host as string, port, policy: args.policy as string,
      maxLatencyMs: args['max-latency-ms'] as number, maxSuperpositions: args['max-batch'] as number,
      maxBodyBytes: Math.round((args['max-body-mb'] as number) * 2 ** 20), maxImages: args['max-images'] as number,
      backend: args.backend as string | undefined, threads: args.threads as number | undefined, dataDir: args['data-dir'] as string | undefined, apiKey, openPaths, log,
    });
    const { info } = server;
    log(`${info.backend} backend, ${info.threads} threads; operating points n = ${info.points.join(', ')}; policy ${args.policy}`);
    log(table(['n', 'ms per pass (1 superposition)', 'ms per image (full batch)'], info.costs.map(([n, c]) => [n, (c.overheadS * 1000 + n * c.perImageS * 1000).toFixed(1), (c.perImageS * 1000).toFixed(2)])).split('\n').join('\n  '));
    log(`listening on ${server.url}${apiKey ? ` (API key required except on ${(openPaths ?? SERVE_DEFAULTS.openPaths).join(', ')})` : ''}`);
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    log(`${signal}: finishing in-flight requests`);
    await server.close();
    const m = server.metrics;
    const summary = {
      url: server.url, signal, points: info.points,
      images: Object.fromEntries(info.points.map((n) => [`n=${n}`, m.images.get({ n })])),
      requests: m.latency.total,
    };
    log('stopped');
    return { json: summary, text: `served ${summary.requests} classify requests; images per n: ${JSON.stringify(summary.images)}` };
  },
};
