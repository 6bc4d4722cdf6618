/**
 * mimonets/serve: the HTTP inference server of `mimo serve`, for use from code.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs';
 * import { initBackend, MimoConvNet, resolveTrainConfig, saveConvCheckpoint } from 'mimonets';
 * import { startServer } from 'mimonets/serve';
 * await initBackend();
 * const net = new MimoConvNet({ depth: 10, width: 1, initialWidth: 1, capacity: 2 });
 * net.calibrate(2, [tf.randomNormal([16, 32, 32, 3]) as tf.Tensor4D]); // statistics for n = 2
 * saveConvCheckpoint('.cache/tiny-serve.ckpt', net, { train: resolveTrainConfig({}, 2), state: { epoch: 0, step: 0, avgNormPrev: null, trainSeconds: 0, done: true }, history: [] });
 * const server = await startServer({ checkpoint: '.cache/tiny-serve.ckpt', port: 0 });
 * const r = await fetch(`${server.url}/v1/operating-points`); // POST images to /v1/classify
 * console.log((await r.json()).points.map((p: { n: number }) => p.n)); // [2]
 * await server.close();
 */
export { SERVE_DEFAULTS, startServer, type RunningServer, type ServeOptions } from './server.js';
export { parsePolicy, type Policy } from './policy.js';
