/**
 * mimonets/serve: the HTTP inference server of `mimo serve`, for use from code.
 *
 * @example
 * import { startServer } from 'mimonets/serve';
 * const server = await startServer({ checkpoint: 'models/mimonet-16-4-N4-dyn.ckpt', port: 0 });
 * // POST images to `${server.url}/v1/classify`; GET `${server.url}/v1/operating-points`
 * await server.close();
 */
export { SERVE_DEFAULTS, startServer, type RunningServer, type ServeOptions } from './server.js';
export { parsePolicy, type Policy } from './policy.js';
