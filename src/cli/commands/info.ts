import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { cpuInfo } from '../../util/machine.js';
import { initBackend } from '../../backend/index.js';
import { loadAddon } from '../../backend/addon.js';
import { BACKEND_OPTS, type Command } from '../command.js';

export const info: Command = {
  path: ['info'],
  summary: 'The backend in use, oneDNN version, threads, versions and the machine.',
  options: { ...BACKEND_OPTS },
  async run(args) {
    const b = await initBackend({ backend: args.backend as string | undefined, threads: args.threads as number | undefined });
    const c = cpuInfo();
    // Which kernel runs the trunk's 3x3 stride-1 convolutions (64 channels in and out): oneDNN's
    // Winograd on AVX-512 ('jit_wino_4x3:...'), the addon's own elsewhere ('mimo_wino_4x3'),
    // oneDNN's direct kernel with MIMO_CONV_WINOGRAD=0 ('jit:avx2', ...).
    // n h w c kh kw o oh ow sh sw dh dw pt pl pb pr
    const conv3x3 = b.backend === 'native' ? loadAddon().addon?.convImplInfo(Int32Array.from([1, 8, 8, 64, 3, 3, 64, 8, 8, 1, 1, 1, 1, 1, 1, 1, 1])) ?? null : null;
    const json = {
      backend: b.backend, threads: b.threads, native_available: b.nativeAvailable, native_reason: b.reason || null,
      onednn: b.onednn ?? null, tfjs: tf.version.tfjs, node: process.versions.node,
      cpu: c.model, cpu_family: c.family, cpu_model: c.modelNumber, vector_isa: c.vector, cores: availableParallelism(),
      conv3x3_impl: conv3x3,
    };
    const text = Object.entries(json).map(([k, v]) => `${k.padEnd(18)}${v}`).join('\n');
    return { json, text };
  },
};
