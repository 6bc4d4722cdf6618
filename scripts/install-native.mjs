// npm `install` hook: try to build the native oneDNN backend; never fail the install,
// because mimonets works (slowly) on the pure-JS cpu backend without it.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAddon } from './native-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const why = buildAddon(root);
if (why) {
  process.stderr.write(`mimonets: native backend not built: ${why}\n` +
    'mimonets: falling back to the pure-JS cpu backend (about 200x slower); install libdnnl-dev and run npm run build:native\n');
}
