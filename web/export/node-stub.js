// The browser has no Node.js: mimonets' modules that reach for the native addon (node:module,
// node:fs, node:path, node:url) get these stand-ins through the page's import map, find no
// addon, and take the pure TensorFlow.js path.
export const createRequire = () => () => { throw new Error('no native addon in the browser'); };
export const existsSync = () => false;
export const readFileSync = () => { throw new Error('no file system in the browser'); };
export const join = (...parts) => parts.join('/');
export const resolve = (...parts) => parts.join('/');
export const dirname = (p) => String(p).replace(/\/[^/]*$/, '');
export const fileURLToPath = (u) => String(u);
