// Child process for the kill -9 test: trains a tiny MIMOConv on synthetic data into argv[2] for
// argv[3] epochs, with the training options of the JSON in argv[4] (optional).
import { initBackend } from '../../src/backend/index.js';
import { trainConv } from '../../src/train/conv_trainer.js';
import { synthetic } from './synthetic.js';

const [out, epochs, extra] = [process.argv[2], Number(process.argv[3]), JSON.parse(process.argv[4] ?? '{}')];
await initBackend({});
await trainConv({
  model: { arch: 'mimonet', depth: 10, width: 1, initialWidth: 1, binding: 'hrr', capacity: 2 },
  train: { epochs, batch: 8, lr: 0.05, seed: 3, calibrationBatches: 2, ...extra },
  out, dataDir: '/nonexistent', resume: true,
  data: { train: synthetic(96, 8, 1), test: synthetic(48, 8, 2, 'test') },
  onEpoch: (m) => process.stdout.write(`epoch ${m.epoch}\n`),
});
