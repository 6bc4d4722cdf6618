import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { cpuInfo } from '../../util/machine.js';
import { initBackend } from '../../backend/index.js';
import { BACKEND_OPTS, type Command } from '../command.js';

export const info: Command = {
  path: ['info'],
  summary: 'The backend in use, oneDNN version, threads, versions and the machine.',
  options: { ...BACKEND_OPTS },
  async run(args) {
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const c = cpuInfo();
    const json = {
      backend: b.backend, threads: b.threads, native_available: b.nativeAvailable, native_reason: b.reason || null,
      onednn: b.onednn ?? null, tfjs: tf.version.tfjs, node: process.versions.node,
      cpu: c.model, cpu_family: c.family, cpu_model: c.modelNumber, vector_isa: c.vector, cores: availableParallelism(),
    };
    const text = Object.entries(json).map(([k, v]) => `${k.padEnd(18)}${v}`).join('\n');
    return { json, text };
  },
};
